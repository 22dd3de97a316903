# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The async BigCommerce API client handed to actions and used by webhook sync.

One client talks to one store. ``client.v2`` and ``client.v3`` take the path as
BigCommerce documents it, with ``{name}`` placeholders filled from ``path=``:

    await client.v2.put("/orders/{order_id}", path={"order_id": 250},
                        body={"staff_notes": "checked"})

Failures raise the classes of ``app.bigcommerce.errors``. The access token is
sent only in the ``X-Auth-Token`` header and never appears in a message or log.
"""

import asyncio
import logging
import math
import string
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
import tenacity

from app.bigcommerce import errors

log = logging.getLogger(__name__)

# httpx logs every request line at INFO; request URLs are harmless, but keep
# its chatter out of the operator's log (encode/httpx#2547).
logging.getLogger("httpx").setLevel(logging.WARNING)

DEFAULT_API_URL = "https://api.bigcommerce.com"

# httpx gives up after 5 s by default, which BigCommerce's slower endpoints
# (creating a hook, big order lists) exceed now and then (BR-23). Connecting
# should be quick; an answer may take up to 30 s.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

# Methods that may be sent again after a network error or a 5xx: doing them
# twice leaves the same state as doing them once. A POST is never resent
# blindly; it may have created the resource before the answer was lost.
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})

# When a 429 comes without a usable reset time, wait this long.
DEFAULT_RATE_LIMIT_WAIT_S = 1.0
# No single wait for the rate limit is longer than this, whatever the header
# says: BigCommerce's windows last seconds, and a longer wait would look like
# a hang to someone clicking Register webhooks.
MAX_RATE_LIMIT_WAIT_S = 60.0
# All the rate-limit waits of one request together stay under this; then the
# request fails with RateLimited.
MAX_RATE_LIMIT_TOTAL_S = 120.0
# A reset time over an hour is not a rate-limit window but a broken header
# (BR: 1e12 ms, inf, nan); it is treated like a missing one.
ABSURD_RESET_S = 3600.0
RESET_HEADER = "X-Rate-Limit-Time-Reset-Ms"
LEFT_HEADER = "X-Rate-Limit-Requests-Left"

Sleep = Callable[[float], Awaitable[None]]

_TRANSIENT = (errors.ServerError, errors.ApiTimeout, errors.NetworkError)


def expand_path(template: str, path: Mapping[str, Any] | None) -> str:
    """Fill the ``{name}`` placeholders of template from path, URL-encoded.

    Raises ValueError when a placeholder has no value or a value no
    placeholder, before anything is sent.
    """
    values = dict(path or {})
    names = {
        name for _, name, _, _ in string.Formatter().parse(template) if name is not None
    }
    missing = sorted(names - values.keys())
    if missing:
        raise ValueError(f"{template} needs a value for {', '.join(missing)} in path=")
    unused = sorted(values.keys() - names)
    if unused:
        raise ValueError(f"{template} has no placeholder for {', '.join(unused)}")
    encoded = {name: urllib.parse.quote(str(values[name]), safe="") for name in names}
    return template.format(**encoded)


class ApiVersion:
    """The v2 or v3 half of a client: get, post, put and delete on its paths."""

    def __init__(self, client: "BigCommerceClient", version: str) -> None:
        self._client = client
        self._version = version

    async def get(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """GET and return the decoded JSON (None when there is no body)."""
        return await self._client.request(
            "GET", self._version, template, path=path, query=query, body=body
        )

    async def post(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """POST body as JSON and return the decoded answer."""
        return await self._client.request(
            "POST", self._version, template, path=path, query=query, body=body
        )

    async def put(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """PUT body as JSON and return the decoded answer."""
        return await self._client.request(
            "PUT", self._version, template, path=path, query=query, body=body
        )

    async def delete(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """DELETE and return the decoded answer (None for 204)."""
        return await self._client.request(
            "DELETE", self._version, template, path=path, query=query, body=body
        )


class BigCommerceClient:
    """An API client for one store, on an httpx.AsyncClient.

    Args:
        http: a shared httpx client; the caller keeps ownership unless
            owns_http is true. Without it the client makes and owns its own.
        max_rate_limit_waits: how many 429s in a row to wait out before
            raising RateLimited. Each wait is as long as
            X-Rate-Limit-Time-Reset-Ms asks, but never longer than
            max_rate_limit_wait_s (60 s by default); a reset time that is not
            a finite, positive number of milliseconds under an hour (text,
            inf, nan, negative, 1e12) counts as missing and waits 1 s.
        max_rate_limit_total_s: the most one request may spend waiting out
            429s in all (120 s by default); a wait that would pass it raises
            RateLimited instead.
        max_retries: resends of a GET, PUT or DELETE after a network error,
            timeout or 5xx, with exponential backoff from retry_backoff_s.
        sleep: how to wait; tests pass a recording coroutine.
    """

    def __init__(
        self,
        store_hash: str,
        access_token: str,
        *,
        api_url: str = DEFAULT_API_URL,
        http: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_rate_limit_waits: int = 5,
        max_rate_limit_wait_s: float = MAX_RATE_LIMIT_WAIT_S,
        max_rate_limit_total_s: float = MAX_RATE_LIMIT_TOTAL_S,
        max_retries: int = 3,
        retry_backoff_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
        owns_http: bool = False,
    ) -> None:
        self.store_hash = store_hash
        self.api_url = api_url.rstrip("/")
        self.base_url = f"{self.api_url}/stores/{urllib.parse.quote(store_hash)}"
        self._token = access_token
        self._owns_http = http is None or owns_http
        self._http = http if http is not None else httpx.AsyncClient()
        self._timeout = timeout
        self._max_rate_limit_waits = max_rate_limit_waits
        self._max_rate_limit_wait_s = max_rate_limit_wait_s
        self._max_rate_limit_total_s = max_rate_limit_total_s
        self._max_retries = max_retries
        self._retry_backoff_s = retry_backoff_s
        self._sleep = sleep
        #: What BigCommerce said in X-Rate-Limit-Requests-Left, last answer.
        self.requests_left: int | None = None
        self._quota_resets_at = 0.0
        self.v2 = ApiVersion(self, "v2")
        self.v3 = ApiVersion(self, "v3")

    def __repr__(self) -> str:
        return f"<BigCommerceClient store={self.store_hash!r} api={self.api_url!r}>"

    async def aclose(self) -> None:
        """Close the HTTP client if this client owns it."""
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        version: str,
        template: str,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one API call, waiting out 429s and retrying idempotent methods."""
        relative = f"/{version}{expand_path(template, path)}"
        # The filled-in path: "GET /v2/orders/250", not the template.
        label = f"{method} {relative}"
        attempts = self._max_retries + 1 if method in IDEMPOTENT_METHODS else 1
        retrying = tenacity.AsyncRetrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential_jitter(
                multiplier=self._retry_backoff_s,
                max=self._retry_backoff_s * 16,
                jitter=self._retry_backoff_s,
            ),
            retry=tenacity.retry_if_exception_type(_TRANSIENT),
            sleep=self._sleep,
            reraise=True,
            before_sleep=lambda state: self._log_retry(label, state),
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_waiting_out_429(
                    method, relative, label, query, body
                )
        raise AssertionError("tenacity returned without an outcome")

    async def iterate_v3(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        limit: int = 250,
    ) -> AsyncIterator[Any]:
        """Yield every item of a v3 list, page by page, following meta.pagination."""
        page = 1
        while True:
            params = {**(query or {}), "page": page, "limit": limit}
            answer = await self.v3.get(template, path=path, query=params)
            for item in (answer or {}).get("data") or []:
                yield item
            pagination = ((answer or {}).get("meta") or {}).get("pagination") or {}
            total_pages = int(pagination.get("total_pages") or 1)
            if page >= total_pages:
                return
            page += 1

    async def iterate_v2(
        self,
        template: str,
        /,
        *,
        path: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        limit: int = 250,
    ) -> AsyncIterator[Any]:
        """Yield every item of a v2 list; v2 answers 204 past the last page."""
        page = 1
        while True:
            params = {**(query or {}), "page": page, "limit": limit}
            items = await self.v2.get(template, path=path, query=params) or []
            for item in items:
                yield item
            if len(items) < limit:
                return
            page += 1

    async def _send_waiting_out_429(
        self,
        method: str,
        relative: str,
        label: str,
        query: Mapping[str, Any] | None,
        body: Any,
    ) -> Any:
        # A 429 means the request was not processed, so resending it, POST
        # included, cannot duplicate anything.
        waits = 0
        waited = 0.0
        while True:
            await self._respect_quota()
            response = await self._send(method, relative, label, query, body)
            self._note_quota(response)
            if response.status_code != 429:
                return self._decode(response, label, relative)
            delay = self._reset_seconds(response)
            if (
                waits >= self._max_rate_limit_waits
                or waited + delay > self._max_rate_limit_total_s
            ):
                raise errors.RateLimited(
                    f"{label}: BigCommerce kept answering 429 Too Many Requests "
                    f"after {waits} waits ({waited:.0f} s)",
                    status=429,
                    title=_title(response),
                )
            waits += 1
            waited += delay
            log.warning(
                "%s on store %s: rate limited, waiting %.1f s as BigCommerce asks "
                "(wait %d of %d)",
                label,
                self.store_hash,
                delay,
                waits,
                self._max_rate_limit_waits,
            )
            await self._sleep(delay)

    async def _send(
        self,
        method: str,
        relative: str,
        label: str,
        query: Mapping[str, Any] | None,
        body: Any,
    ) -> httpx.Response:
        headers = {
            "X-Auth-Token": self._token,
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        log.debug("%s on store %s", label, self.store_hash)
        try:
            return await self._http.request(
                method,
                self.base_url + relative,
                params=_query_params(query),
                json=body if body is not None else None,
                headers=headers,
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise errors.ApiTimeout(
                f"{label}: BigCommerce did not answer in time ({type(exc).__name__})"
            ) from None
        except httpx.TransportError as exc:
            host = urllib.parse.urlsplit(self.base_url).netloc
            raise errors.NetworkError(
                f"{label}: cannot reach {host} "
                f"({self._redact(str(exc)) or type(exc).__name__})"
            ) from None
        except (httpx.InvalidURL, OverflowError, ExceptionGroup) as exc:
            # A stored API URL httpx cannot use (bad port, broken IPv6
            # literal): the request never left, and no retry will help.
            raise errors.BigCommerceError(
                f"{label}: the API URL {self.api_url} cannot be used "
                f"({self._redact(_first_cause(exc))})"
            ) from None
        except RuntimeError as exc:
            # httpx refuses a client closed meanwhile (the store was removed
            # or its token replaced while this request was on its way).
            raise errors.BigCommerceError(
                f"{label}: the connection to store {self.store_hash} was closed "
                f"({self._redact(str(exc))})"
            ) from None

    def _decode(self, response: httpx.Response, label: str, relative: str) -> Any:
        if response.is_success:
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError:
                raise errors.BigCommerceError(
                    f"{label}: the answer is not JSON", status=response.status_code
                ) from None
        raise self._error_for(response, label, relative)

    def _error_for(
        self, response: httpx.Response, label: str, relative: str
    ) -> errors.BigCommerceError:
        status = response.status_code
        title = self._redact(_title(response))
        field_errors = _field_errors(response)
        detail = _api_message(title, field_errors) or response.reason_phrase
        kind: type[errors.BigCommerceError] = errors.BigCommerceError
        message = f"{label}: {status} {detail}"
        if status in (401, 403):
            kind = errors.TokenRejected
            message = f"{label}: {errors.TokenRejected.summary} ({status} {detail})"
        elif status == 404 and _names_the_store(relative, title):
            kind = errors.StoreNotFound
            message = f"store {self.store_hash} not found ({status} {detail})"
        elif status == 404:
            kind = errors.NotFound
        elif status in (400, 422):
            # Ops staff see this text as is: it is BigCommerce's own message.
            kind = errors.ValidationFailed
            message = detail
        elif status >= 500:
            kind = errors.ServerError
        log.debug("%s on store %s failed: %s", label, self.store_hash, message)
        return kind(
            self._redact(message), status=status, title=title, errors=field_errors
        )

    def _note_quota(self, response: httpx.Response) -> None:
        left = response.headers.get(LEFT_HEADER, "")
        if left.strip().isdigit():
            self.requests_left = int(left)
            if self.requests_left == 0 and response.status_code != 429:
                delay = self._reset_seconds(response)
                self._quota_resets_at = time.monotonic() + delay

    async def _respect_quota(self) -> None:
        # The last answer said the window's quota is spent: wait for the reset
        # instead of collecting a 429 first.
        remaining = self._quota_resets_at - time.monotonic()
        self._quota_resets_at = 0.0
        if remaining > 0:
            log.info(
                "Store %s: request quota spent, waiting %.1f s",
                self.store_hash,
                remaining,
            )
            await self._sleep(remaining)

    def _reset_seconds(self, response: httpx.Response) -> float:
        return min(_reset_seconds(response), self._max_rate_limit_wait_s)

    def _log_retry(self, label: str, state: tenacity.RetryCallState) -> None:
        outcome = state.outcome
        problem = outcome.exception() if outcome is not None else None
        log.warning(
            "%s on store %s failed (%s); trying again (attempt %d of %d)",
            label,
            self.store_hash,
            problem,
            state.attempt_number + 1,
            self._max_retries + 1,
        )

    def _redact(self, text: str) -> str:
        if self._token and self._token in text:
            return text.replace(self._token, "[token]")
        return text


def _query_params(query: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not query:
        return None
    # BigCommerce expects lowercase booleans (is_active=true).
    return {
        key: (str(value).lower() if isinstance(value, bool) else value)
        for key, value in query.items()
    }


def reset_seconds(raw: str) -> float:
    """The wait an X-Rate-Limit-Time-Reset-Ms value asks for, in seconds.

    Anything but a finite, positive number of milliseconds under an hour
    means DEFAULT_RATE_LIMIT_WAIT_S (the caller caps the result further).
    """
    try:
        seconds = float(raw.strip()) / 1000.0
    except ValueError:
        return DEFAULT_RATE_LIMIT_WAIT_S
    if not math.isfinite(seconds) or seconds <= 0 or seconds > ABSURD_RESET_S:
        return DEFAULT_RATE_LIMIT_WAIT_S
    return seconds


def _reset_seconds(response: httpx.Response) -> float:
    return reset_seconds(response.headers.get(RESET_HEADER, ""))


def _first_cause(error: BaseException) -> str:
    # anyio wraps a socket error in an ExceptionGroup; say what is inside.
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return str(error) or type(error).__name__


def _names_the_store(relative: str, title: str) -> bool:
    # BigCommerce answers 404 on every path of a store hash it does not know;
    # a 404 on the store's own base (or saying so) means the hash is wrong.
    base = relative.rstrip("/") in ("/v2/store", "/v3", "/v2")
    return base or "store" in title.lower()


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _title(response: httpx.Response) -> str:
    payload = _json_or_none(response)
    if isinstance(payload, dict):
        return str(payload.get("title") or payload.get("message") or "")
    # v2 errors are a list of {"status", "message"}.
    if isinstance(payload, list) and payload and isinstance(payload[0], dict):
        return "; ".join(str(item.get("message", "")) for item in payload)
    return ""


def _field_errors(response: httpx.Response) -> dict[str, Any]:
    payload = _json_or_none(response)
    if isinstance(payload, dict) and isinstance(payload.get("errors"), dict):
        return dict(payload["errors"])
    return {}


def _api_message(title: str, field_errors: Mapping[str, Any]) -> str:
    fields = "; ".join(f"{name}: {text}" for name, text in field_errors.items())
    if title and fields:
        return f"{title} ({fields})"
    return title or fields
