# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Delivering webhook callbacks the way BigCommerce does: retries, blocklist."""

import asyncio
import base64
import collections
import dataclasses
import datetime
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from app.sandbox.hooks import Hook

log = logging.getLogger(__name__)

# Seconds between attempts after a failure (BigCommerce's published schedule,
# about 48 hours in all); after the last one the hook is deactivated.
RETRY_SCHEDULE_S = (60, 180, 300, 600, 900, 1800, 3600, 7200, 21600, 50400, 86400)
WINDOW_S = 120.0
BLOCK_S = 180.0
MIN_SUCCESS_RATIO = 0.9
# The success ratio is not judged until a window holds this many requests.
MIN_REQUESTS = 100


@dataclasses.dataclass(frozen=True)
class Callback:
    """One event's body, sent to one hook until it succeeds or gives up."""

    hook: Hook
    body: dict[str, Any]
    client_secret: str


@dataclasses.dataclass
class Attempt:
    """A delivery attempt, kept for tests and the demo to inspect."""

    hook_id: int
    destination: str
    scope: str
    hash: str
    attempt: int
    outcome: str
    at: float


class DomainHealth:
    """Success ratio per destination domain over a sliding window.

    Below 90 % success (judged once the window holds enough requests) the
    domain is blocklisted for a while; what it suffered is kept as reasons.
    """

    def __init__(self, time_scale: float, min_requests: int) -> None:
        self._window = WINDOW_S * time_scale
        self._block = BLOCK_S * time_scale
        self._min_requests = min_requests
        self._lock = threading.Lock()
        self._results: dict[str, collections.deque[tuple[float, bool]]] = {}
        self._blocked_until: dict[str, float] = {}
        self._reasons: dict[str, dict[str, list[int]]] = {}

    def blocked(self, domain: str) -> bool:
        """Whether the domain is on the blocklist right now."""
        with self._lock:
            return self._blocked_until.get(domain, 0.0) > time.monotonic()

    def record(self, domain: str, ok: bool, failure: str = "") -> None:
        """Count one result; blocklist the domain when its ratio drops."""
        now = time.monotonic()
        with self._lock:
            results = self._results.setdefault(domain, collections.deque())
            results.append((now, ok))
            while results and results[0][0] < now - self._window:
                results.popleft()
            if not ok:
                reason = self._reasons.setdefault(domain, {})
                count_at = reason.setdefault(failure, [0, 0])
                count_at[0] += 1
                count_at[1] = int(time.time())
            successes = sum(1 for _, good in results if good)
            if (
                len(results) >= self._min_requests
                and successes / len(results) < MIN_SUCCESS_RATIO
                and self._blocked_until.get(domain, 0.0) <= now
            ):
                self._blocked_until[domain] = now + self._block
                log.warning(
                    "Sandbox blocklisted %s: %d of %d callbacks succeeded",
                    domain,
                    successes,
                    len(results),
                )

    def blocked_domains(self) -> list[dict[str, Any]]:
        """The blocklist as GET /v3/hooks/admin reports it."""
        now = time.monotonic()
        with self._lock:
            return [
                {
                    "destination": domain,
                    "time_left": max(0, round(until - now)),
                    "reasons": [
                        {"failure_description": text, "count": count, "timestamp": at}
                        for text, (count, at) in self._reasons.get(domain, {}).items()
                    ],
                }
                for domain, until in self._blocked_until.items()
                if until > now
            ]


def domain_of(url: str) -> str:
    """The part of a destination BigCommerce's blocklist works on."""
    return urllib.parse.urlsplit(url).hostname or url


class Dispatcher:
    """Sends callbacks from a thread and event loop of its own.

    Never runs inside an API request: callers hand callbacks over with
    send(), which returns at once.
    """

    def __init__(
        self,
        *,
        time_scale: float,
        timeout_s: float,
        min_requests: int,
        still_active: Callable[[int], bool],
        deactivate: Callable[[int], bool],
    ) -> None:
        self.time_scale = time_scale
        self.health = DomainHealth(time_scale, min_requests)
        self.attempts: list[Attempt] = []
        self._timeout = timeout_s
        self._still_active = still_active
        self._deactivate = deactivate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pending = 0
        self._pending_lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Callbacks not yet delivered nor given up (retries included)."""
        with self._pending_lock:
            return self._pending

    def start(self) -> None:
        """Start the delivery thread; returns once its loop runs."""
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="sandbox-delivery", daemon=True
        )
        self._thread.start()
        ready.wait(10)

    def stop(self) -> None:
        """Cancel what is still waiting and stop the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = None
        self._thread = None

    def send(self, callback: Callback) -> None:
        """Queue a callback for delivery; safe from any thread."""
        loop = self._loop
        if loop is None:
            log.warning(
                "Sandbox delivery is stopped; dropping %s", callback.body["scope"]
            )
            return
        with self._pending_lock:
            self._pending += 1
        loop.call_soon_threadsafe(self._spawn, callback)

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._client = httpx.AsyncClient(timeout=self._timeout)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    def _spawn(self, callback: Callback) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver(callback))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, callback: Callback) -> None:
        try:
            await self._deliver_with_retries(callback)
        finally:
            with self._pending_lock:
                self._pending -= 1

    async def _deliver_with_retries(self, callback: Callback) -> None:
        hook = callback.hook
        for attempt, delay in enumerate((0, *RETRY_SCHEDULE_S), start=1):
            if delay:
                await asyncio.sleep(delay * self.time_scale)
            if attempt > 1 and not self._still_active(hook.id):
                log.info("Sandbox hook %s went inactive; dropping retries", hook.id)
                return
            if await self._attempt(callback, attempt):
                return
        if self._deactivate(hook.id):
            log.warning(
                "Sandbox deactivated hook %s (%s): %s kept failing",
                hook.id,
                hook.scope,
                hook.destination,
            )

    async def _attempt(self, callback: Callback, attempt: int) -> bool:
        hook, domain = callback.hook, domain_of(callback.hook.destination)
        if self.health.blocked(domain):
            self._note(callback, attempt, "blocklisted")
            return False
        outcome = await self._post(callback)
        ok = outcome.startswith("2")
        self.health.record(domain, ok, "" if ok else outcome)
        self._note(callback, attempt, outcome)
        if not ok:
            log.info(
                "Sandbox callback %s to hook %s failed (attempt %d): %s",
                callback.body["scope"],
                hook.id,
                attempt,
                outcome,
            )
        return ok

    async def _post(self, callback: Callback) -> str:
        assert self._client is not None
        content = json.dumps(callback.body)
        headers = {"Content-Type": "application/json", "User-Agent": "BigCommerce"}
        headers.update(_signature_headers(callback, content))
        headers.update(callback.hook.headers or {})
        try:
            response = await self._client.post(
                callback.hook.destination, content=content, headers=headers
            )
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError as exc:
            return f"connection failed: {type(exc).__name__}"
        return f"{response.status_code}"

    def _note(self, callback: Callback, attempt: int, outcome: str) -> None:
        self.attempts.append(
            Attempt(
                hook_id=callback.hook.id,
                destination=callback.hook.destination,
                scope=callback.body["scope"],
                hash=callback.body["hash"],
                attempt=attempt,
                outcome=outcome,
                at=time.time(),
            )
        )


def _signature_headers(callback: Callback, content: str) -> dict[str, str]:
    # Standard Webhooks headers keyed by the API account's client secret,
    # base64-encoded the way BigCommerce's own verification sample does.
    secret = base64.b64encode(callback.client_secret.encode()).decode()
    now = datetime.datetime.now(tz=datetime.UTC)
    msg_id = callback.body["hash"]
    signature = Webhook(secret).sign(msg_id, now, content)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
