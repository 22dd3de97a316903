# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API client against a recording mock over real loopback HTTP."""

import asyncio
import logging
import time
from typing import Any

import httpx
import pytest

from app.bigcommerce import errors
from app.bigcommerce.client import DEFAULT_TIMEOUT, BigCommerceClient, expand_path
from tests.bigcommerce.mock_api import TOKEN, MockApi, Reply


class RecordingSleep:
    """An injected sleep that records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(mock: MockApi, **options: Any) -> BigCommerceClient:
    options.setdefault("sleep", RecordingSleep())
    return BigCommerceClient(
        mock.store_hash, mock.token, api_url=mock.api_url, **options
    )


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_expand_path_fills_and_encodes_placeholders() -> None:
    assert expand_path("/orders/{order_id}", {"order_id": 250}) == "/orders/250"
    assert expand_path("/pages/{slug}", {"slug": "a b/c"}) == "/pages/a%20b%2Fc"
    with pytest.raises(ValueError, match="needs a value for order_id"):
        expand_path("/orders/{order_id}", {})
    with pytest.raises(ValueError, match="no placeholder for extra"):
        expand_path("/orders", {"extra": 1})


def test_placeholder_errors_send_nothing(mock_api: MockApi) -> None:
    async def scenario() -> None:
        client = make_client(mock_api)
        try:
            with pytest.raises(ValueError):
                await client.v2.get("/orders/{order_id}")
        finally:
            await client.aclose()

    run(scenario())
    assert mock_api.requests == []


def test_requests_carry_token_and_json_headers(mock_api: MockApi) -> None:
    async def scenario() -> Any:
        client = make_client(mock_api)
        try:
            return await client.v3.post(
                "/hooks", body={"scope": "store/order/created", "destination": "x"}
            )
        finally:
            await client.aclose()

    answer = run(scenario())
    assert answer["data"]["scope"] == "store/order/created"
    (call,) = mock_api.calls("POST", "/v3/hooks")
    assert call.raw_path == f"/stores/{mock_api.store_hash}/v3/hooks"
    assert call.headers["x-auth-token"] == TOKEN
    assert call.headers["accept"] == "application/json"
    assert call.headers["content-type"] == "application/json"


def test_encoded_path_reaches_the_server(mock_api: MockApi) -> None:
    async def scenario() -> None:
        client = make_client(mock_api)
        try:
            with pytest.raises(errors.NotFound):
                await client.v3.get("/pages/{slug}", path={"slug": "a b/c"})
        finally:
            await client.aclose()

    run(scenario())
    (call,) = mock_api.requests
    assert call.raw_path.endswith("/v3/pages/a%20b%2Fc")


def test_delete_answering_204_returns_none(mock_api: MockApi) -> None:
    mock_api.script("DELETE", "/v3/hooks/{id}", Reply(204))

    async def scenario() -> Any:
        client = make_client(mock_api)
        try:
            return await client.v3.delete("/hooks/{id}", path={"id": 5})
        finally:
            await client.aclose()

    assert run(scenario()) is None


def test_iterate_v3_follows_pagination(mock_api: MockApi) -> None:
    async def scenario() -> list[Any]:
        client = make_client(mock_api)
        try:
            return [p async for p in client.iterate_v3("/catalog/products", limit=3)]
        finally:
            await client.aclose()

    products = run(scenario())
    assert [p["id"] for p in products] == [1, 2, 3, 4, 5, 6, 7]
    pages = [c.query["page"] for c in mock_api.calls("GET", "/v3/catalog/products")]
    assert pages == ["1", "2", "3"]


def test_iterate_v2_stops_at_204_or_short_page(mock_api: MockApi) -> None:
    async def scenario(limit: int) -> list[Any]:
        client = make_client(mock_api)
        try:
            return [o async for o in client.iterate_v2("/orders", limit=limit)]
        finally:
            await client.aclose()

    assert [o["id"] for o in run(scenario(2))] == [1, 2, 3, 4, 5]
    assert len(mock_api.calls("GET", "/v2/orders")) == 3
    assert [o["id"] for o in run(scenario(5))] == [1, 2, 3, 4, 5]
    # A full last page needs one more request, answered 204.
    assert len(mock_api.calls("GET", "/v2/orders")) == 5


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"status": 401, "title": "Unauthorized"}, errors.TokenRejected),
        (403, {"status": 403, "title": "Forbidden"}, errors.TokenRejected),
        (
            422,
            {
                "status": 422,
                "title": "JSON data is missing or invalid",
                "errors": {"destination": "error.path.missing."},
            },
            errors.ValidationFailed,
        ),
        (
            400,
            [{"status": 400, "message": "The field 'x' is invalid."}],
            errors.ValidationFailed,
        ),
        (404, {"status": 404, "title": "Webhook not found"}, errors.NotFound),
        (418, {"title": "I'm a teapot"}, errors.BigCommerceError),
    ],
)
def test_errors_are_mapped_and_never_show_the_token(
    mock_api: MockApi,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: Any,
    kind: type[errors.BigCommerceError],
) -> None:
    caplog.set_level(logging.DEBUG)
    mock_api.script("PUT", "/v3/hooks/{id}", Reply(status, body))

    async def scenario() -> errors.BigCommerceError:
        client = make_client(mock_api)
        try:
            await client.v3.put("/hooks/{id}", path={"id": 1}, body={"is_active": True})
        except errors.BigCommerceError as exc:
            return exc
        finally:
            await client.aclose()
        raise AssertionError("no error raised")

    exc = run(scenario())
    assert type(exc) is kind
    assert exc.status == status
    assert TOKEN not in str(exc) and TOKEN not in repr(exc)
    assert TOKEN not in caplog.text
    if kind is errors.ValidationFailed:
        assert exc.title in str(exc)
    if status == 422:
        assert str(exc) == (
            "JSON data is missing or invalid (destination: error.path.missing.)"
        )
        assert exc.errors == {"destination": "error.path.missing."}


def test_token_echoed_by_the_server_is_redacted(mock_api: MockApi) -> None:
    mock_api.script("GET", "/v3/hooks", Reply(401, {"title": f"bad token {TOKEN}"}))

    async def scenario() -> None:
        client = make_client(mock_api)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    with pytest.raises(errors.TokenRejected) as caught:
        run(scenario())
    assert TOKEN not in str(caught.value)
    assert TOKEN not in caught.value.title


def test_unknown_store_is_store_not_found(mock_api: MockApi) -> None:
    async def scenario() -> None:
        client = BigCommerceClient("nosuchstore", TOKEN, api_url=mock_api.api_url)
        try:
            await client.v2.get("/store")
        finally:
            await client.aclose()

    with pytest.raises(errors.StoreNotFound, match="nosuchstore"):
        run(scenario())


def test_429_waits_for_the_reset_then_succeeds_once(mock_api: MockApi) -> None:
    reset = {"X-Rate-Limit-Time-Reset-Ms": "1500", "X-Rate-Limit-Requests-Left": "0"}
    mock_api.script("POST", "/v3/hooks", Reply(429, {"title": "Too many"}, reset))
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep)
        try:
            await client.v3.post("/hooks", body={"scope": "s/a", "destination": "d"})
        finally:
            await client.aclose()

    run(scenario())
    assert sleep.waits == [1.5]
    assert len(mock_api.calls("POST", "/v3/hooks")) == 2
    assert len(mock_api.hooks) == 1


def test_429_forever_raises_rate_limited_after_bounded_waits(mock_api: MockApi) -> None:
    mock_api.always(
        "GET", "/v3/hooks", Reply(429, headers={"X-Rate-Limit-Time-Reset-Ms": "200"})
    )
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep, max_rate_limit_waits=3)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    with pytest.raises(errors.RateLimited) as caught:
        run(scenario())
    assert caught.value.summary == "rate limited"
    assert sleep.waits == [0.2, 0.2, 0.2]
    assert len(mock_api.calls("GET", "/v3/hooks")) == 4


def test_429_without_reset_header_still_waits(mock_api: MockApi) -> None:
    mock_api.script("GET", "/v3/hooks", Reply(429), Reply(429))
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    run(scenario())
    assert sleep.waits == [1.0, 1.0]


def test_real_sleep_obeys_the_reset_time(mock_api: MockApi) -> None:
    mock_api.script(
        "GET", "/v3/hooks", Reply(429, headers={"X-Rate-Limit-Time-Reset-Ms": "300"})
    )

    async def scenario() -> float:
        client = make_client(mock_api, sleep=asyncio.sleep)
        try:
            started = time.monotonic()
            await client.v3.get("/hooks")
            return time.monotonic() - started
        finally:
            await client.aclose()

    assert run(scenario()) >= 0.3


def test_requests_left_is_tracked(mock_api: MockApi) -> None:
    mock_api.script(
        "GET",
        "/v3/hooks",
        Reply(
            apply=True,
            headers={
                "X-Rate-Limit-Requests-Left": "0",
                "X-Rate-Limit-Time-Reset-Ms": "700",
            },
        ),
    )
    sleep = RecordingSleep()

    async def scenario() -> int | None:
        client = make_client(mock_api, sleep=sleep)
        try:
            await client.v3.get("/hooks")
            left = client.requests_left
            await client.v3.get("/hooks")
            return left
        finally:
            await client.aclose()

    assert run(scenario()) == 0
    # The quota was spent: the second request waited instead of drawing a 429.
    assert len(sleep.waits) == 1 and 0 < sleep.waits[0] <= 0.7


def test_get_is_retried_after_5xx(mock_api: MockApi) -> None:
    mock_api.script("GET", "/v3/hooks", Reply(500), Reply(503))
    sleep = RecordingSleep()

    async def scenario() -> Any:
        client = make_client(mock_api, sleep=sleep, retry_backoff_s=0.01)
        try:
            return await client.v3.get("/hooks")
        finally:
            await client.aclose()

    assert run(scenario())["data"] == []
    assert len(mock_api.calls("GET", "/v3/hooks")) == 3
    assert len(sleep.waits) == 2


def test_get_gives_up_after_max_retries(mock_api: MockApi) -> None:
    mock_api.always("GET", "/v3/hooks", Reply(502, {"title": "Bad gateway"}))

    async def scenario() -> None:
        client = make_client(mock_api, max_retries=2, retry_backoff_s=0.01)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    with pytest.raises(errors.ServerError):
        run(scenario())
    assert len(mock_api.calls("GET", "/v3/hooks")) == 3


def test_post_is_not_retried_after_5xx_or_a_drop(mock_api: MockApi) -> None:
    mock_api.script("POST", "/v3/hooks", Reply(500), Reply(drop=True, apply=True))

    async def scenario() -> list[type[Exception]]:
        client = make_client(mock_api, retry_backoff_s=0.01)
        seen: list[type[Exception]] = []
        try:
            for _ in range(2):
                try:
                    await client.v3.post(
                        "/hooks", body={"scope": "s/a", "destination": "d"}
                    )
                except errors.BigCommerceError as exc:
                    seen.append(type(exc))
        finally:
            await client.aclose()
        return seen

    assert run(scenario()) == [errors.ServerError, errors.NetworkError]
    assert len(mock_api.calls("POST", "/v3/hooks")) == 2


def test_post_timeout_is_not_retried(mock_api: MockApi) -> None:
    mock_api.script("POST", "/v3/hooks", Reply(apply=True, delay=2.0))
    timeout = httpx.Timeout(0.3, connect=1.0)

    async def scenario() -> None:
        client = make_client(mock_api, timeout=timeout)
        try:
            await client.v3.post("/hooks", body={"scope": "s/a", "destination": "d"})
        finally:
            await client.aclose()

    with pytest.raises(errors.ApiTimeout) as caught:
        run(scenario())
    assert caught.value.summary == "timed out"
    assert len(mock_api.calls("POST", "/v3/hooks")) == 1


def test_connection_refused_is_a_network_error() -> None:
    async def scenario() -> None:
        client = BigCommerceClient(
            "abc",
            TOKEN,
            api_url="http://127.0.0.1:9",
            max_retries=1,
            retry_backoff_s=0.01,
        )
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    with pytest.raises(errors.NetworkError) as caught:
        run(scenario())
    assert TOKEN not in str(caught.value)


def test_default_timeout_is_above_httpx_default() -> None:
    # BR-23: httpx gives up after 5 s by default; BigCommerce can be slower.
    assert DEFAULT_TIMEOUT.read is not None and DEFAULT_TIMEOUT.read > 5
    assert DEFAULT_TIMEOUT.connect == 10
    client = BigCommerceClient("abc", TOKEN)
    assert client.base_url == "https://api.bigcommerce.com/stores/abc"
    assert TOKEN not in repr(client)
    asyncio.run(client.aclose())


def test_httpx_logger_is_quiet() -> None:
    assert logging.getLogger("httpx").level == logging.WARNING


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("inf", 1.0),
        ("-inf", 1.0),
        ("nan", 1.0),
        ("1e12", 1.0),
        ("-5", 1.0),
        ("0", 1.0),
        ("soon", 1.0),
        ("", 1.0),
        ("90000", 60.0),
        ("2500", 2.5),
    ],
)
def test_429_odd_reset_header_waits_a_sane_capped_time(
    mock_api: MockApi, reset: str, expected: float
) -> None:
    mock_api.script(
        "GET", "/v3/hooks", Reply(429, headers={"X-Rate-Limit-Time-Reset-Ms": reset})
    )
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    run(scenario())
    assert sleep.waits == [expected]


def test_429_waits_of_one_request_are_bounded_in_total(mock_api: MockApi) -> None:
    mock_api.always(
        "GET", "/v3/hooks", Reply(429, headers={"X-Rate-Limit-Time-Reset-Ms": "50000"})
    )
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep, max_rate_limit_waits=10)
        try:
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    with pytest.raises(errors.RateLimited):
        run(scenario())
    # 50 + 50 s fit in the 120 s budget; a third wait would not.
    assert sleep.waits == [50.0, 50.0]


def test_spent_quota_with_an_absurd_reset_waits_the_default(mock_api: MockApi) -> None:
    spent = {"X-Rate-Limit-Requests-Left": "0", "X-Rate-Limit-Time-Reset-Ms": "inf"}
    mock_api.script("GET", "/v3/hooks", Reply(apply=True, headers=spent))
    sleep = RecordingSleep()

    async def scenario() -> None:
        client = make_client(mock_api, sleep=sleep)
        try:
            await client.v3.get("/hooks")
            await client.v3.get("/hooks")
        finally:
            await client.aclose()

    run(scenario())
    assert len(sleep.waits) == 1 and 0 < sleep.waits[0] <= 1.0


@pytest.mark.parametrize(
    "api_url",
    ["https://api.bigcommerce.com:abc", "http://[::1", "http://127.0.0.1:99999"],
)
def test_unusable_api_url_is_a_bigcommerce_error(api_url: str) -> None:
    async def scenario() -> None:
        client = BigCommerceClient("abc123", TOKEN, api_url=api_url)
        try:
            await client.v2.get("/store")
        finally:
            await client.aclose()

    with pytest.raises(errors.BigCommerceError) as caught:
        run(scenario())
    assert "cannot be used" in str(caught.value)
    assert TOKEN not in str(caught.value)
