# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook sync and status against the recording mock: the BR scenarios."""

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx
import keyring
import keyring.backends.fail
import pytest

from app import timeutil
from app.db.connection import DATABASE_FILE
from app.db.models import Store
from app.stores import status as status_module
from app.stores.secrets import KeyringUnavailable
from app.stores.sync import SyncOutcome, validate_destination
from tests.bigcommerce.mock_api import (
    DESTINATION,
    FAKE_API_URL,
    STORE_HASH,
    TOKEN,
    MockApi,
    Reply,
)
from tests.stores.conftest import Harness, make_harness, run

SIX = {
    "store/cart/created",
    "store/customer/created",
    "store/order/created",
    "store/order/updated",
    "store/product/created",
    "store/product/updated",
}
REJECTED = "token rejected (revoked, or app uninstalled)"


def row(harness: Harness) -> Any:
    (only,) = harness.service.list_stores()
    return only


def sync(harness: Harness) -> SyncOutcome:
    async def scenario() -> SyncOutcome:
        try:
            return await harness.sync.sync_store(STORE_HASH)
        finally:
            await harness.service.aclose()

    return run(scenario())


def check(harness: Harness) -> SyncOutcome:
    async def scenario() -> SyncOutcome:
        try:
            return await harness.sync.check_store(STORE_HASH)
        finally:
            await harness.service.aclose()

    return run(scenario())


@pytest.fixture
def connected(harness: Harness) -> Harness:
    run(harness.add_store())
    return harness


def test_validate_destination() -> None:
    validate_destination("https://hooks.example.test/bc", "https://api.bigcommerce.com")
    validate_destination(
        "https://hooks.example.test:443/bc", "https://api.bigcommerce.com"
    )
    validate_destination(
        "http://127.0.0.1:8787/webhooks/bigcommerce", "http://127.0.0.1:5000"
    )
    for bad in (
        "http://hooks.example.test/bc",
        "https://hooks.example.test:8443/bc",
        "",
    ):
        with pytest.raises(
            ValueError, match=r"^BigCommerce needs an https URL on port 443"
        ):
            validate_destination(bad, "https://api.bigcommerce.com")


def test_br03_inactive_hook_is_reactivated_not_duplicated(connected: Harness) -> None:
    mock = connected.mock
    connected.scopes.update(
        {"store/order/created", "store/order/updated", "store/product/updated"}
    )
    connected.add_our_hook("store/order/created", id=9101, is_active=False)
    connected.add_our_hook("store/order/updated")
    connected.add_our_hook("store/product/updated")

    check(connected)
    shown = status_module.status_summary(row(connected))
    assert row(connected).status == "inactive"
    assert "registered" not in shown
    assert shown == "2/3 active, store/order/created inactive"

    outcome = sync(connected)
    (put,) = mock.calls("PUT", "/v3/hooks/{id}")
    assert put.raw_path == f"/stores/{STORE_HASH}/v3/hooks/9101"
    assert put.body["is_active"] is True
    assert "events_history_enabled" not in put.body
    assert mock.calls("POST", "/v3/hooks") == []
    assert outcome.status == "registered" and outcome.reactivated == (
        "store/order/created",
    )
    assert row(connected).status == "registered"


def test_br03_put_422_shows_the_api_message_and_stays_inactive(
    connected: Harness,
) -> None:
    mock = connected.mock
    connected.scopes.update({"store/order/created", "store/order/updated"})
    connected.add_our_hook("store/order/created", id=9101, is_active=False)
    connected.add_our_hook("store/order/updated")
    message = "update webhook should not be empty"
    mock.script("PUT", "/v3/hooks/{id}", Reply(422, {"status": 422, "title": message}))

    sync(connected)
    shown = row(connected)
    assert shown.status == "inactive"
    assert shown.last_error == message
    assert message in status_module.status_summary(shown)
    assert mock.calls("POST", "/v3/hooks") == []


@pytest.mark.parametrize(
    "url", ["http://hooks.example.test/bc", "https://hooks.example.test:8443/bc"]
)
def test_br04_refuses_http_or_other_port_before_any_request(
    connected: Harness, url: str
) -> None:
    connected.scopes.add("store/order/created")
    connected.destination[0] = url
    before = len(connected.mock.requests)

    outcome = sync(connected)
    assert outcome.refused
    assert outcome.message.startswith("BigCommerce needs an https URL on port 443")
    assert len(connected.mock.requests) == before
    assert row(connected).status == "unknown"


def test_br04_https_is_sent_and_a_rejection_is_shown(connected: Harness) -> None:
    connected.scopes.add("store/order/created")
    connected.mock.script(
        "POST",
        "/v3/hooks",
        Reply(422, {"status": 422, "title": "Destination must be reachable"}),
    )

    outcome = sync(connected)
    (post,) = connected.mock.calls("POST", "/v3/hooks")
    assert post.body["destination"] == DESTINATION
    assert outcome.status != "registered"
    shown = row(connected)
    assert shown.status == "partial"
    assert shown.last_error.startswith("Destination must be reachable")
    assert "registered" not in shown.status

    assert sync(connected).status == "registered"


def test_br06_waits_out_the_429_and_keeps_the_ui_responsive(
    database: Any, mock_api: MockApi, memory_keyring: Any
) -> None:
    harness = make_harness(database, mock_api, sleep=asyncio.sleep)
    harness.scopes.update(SIX)
    reset = {"X-Rate-Limit-Time-Reset-Ms": "1500", "X-Rate-Limit-Requests-Left": "0"}
    mock_api.script(
        "POST",
        "/v3/hooks",
        Reply(apply=True),
        Reply(apply=True),
        Reply(429, {"status": 429, "title": "Too many requests"}, reset),
    )

    async def scenario() -> tuple[SyncOutcome, float, int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.05)
                ticks += 1

        await harness.add_store()
        task = asyncio.create_task(ticker())
        started = time.monotonic()
        try:
            outcome = await harness.sync.sync_store(STORE_HASH)
        finally:
            task.cancel()
            await harness.service.aclose()
        return outcome, time.monotonic() - started, ticks

    outcome, elapsed, ticks = run(scenario())
    assert elapsed >= 1.5
    assert ticks >= 10  # the loop kept running while the sync waited
    assert outcome.status == "registered" and outcome.errors == ()
    assert mock_api.scopes() == sorted(SIX)
    posts = mock_api.calls("POST", "/v3/hooks")
    assert len(posts) == 7
    assert posts[2].body == posts[3].body  # the 429'd POST was sent again


def test_br06_rate_limited_forever_reads_2_of_6(connected: Harness) -> None:
    connected.scopes.update(SIX)
    connected.mock.script("POST", "/v3/hooks", Reply(apply=True), Reply(apply=True))
    connected.mock.always(
        "POST",
        "/v3/hooks",
        Reply(429, headers={"X-Rate-Limit-Time-Reset-Ms": "1500"}),
    )

    outcome = sync(connected)
    shown = row(connected)
    assert shown.last_error == "rate limited, 2/6 registered"
    assert shown.status == "partial"
    missing = sorted(t.scope for t in shown.topics if t.state == "missing")
    assert len(missing) == 4
    summary = status_module.status_summary(shown)
    assert summary.startswith("rate limited, 2/6 registered")
    assert all(scope in summary for scope in missing)
    # Bounded: two creates, then one POST waited out 5 times and given up.
    assert len(connected.mock.calls("POST", "/v3/hooks")) == 2 + 6
    assert connected.sleep.waits == [1.5] * 5
    assert outcome.status == "partial"


def test_br14_revoked_token_no_retry_storm_and_new_token_works(
    connected: Harness, memory_keyring: Any
) -> None:
    mock = connected.mock
    connected.scopes.add("store/order/created")
    unauthorized = Reply(401, {"status": 401, "title": "Unauthorized"})
    for method, route in (
        ("GET", "/v3/hooks"),
        ("POST", "/v3/hooks"),
        ("DELETE", "/v3/hooks/{id}"),
    ):
        mock.always(method, route, unauthorized)

    before = len(mock.requests)
    sync(connected)
    assert len(mock.requests) - before <= 2
    assert row(connected).last_error == REJECTED
    assert status_module.status_summary(row(connected)) == REJECTED

    async def unregister() -> SyncOutcome:
        try:
            return await connected.sync.unregister_store(STORE_HASH)
        finally:
            await connected.service.aclose()

    before = len(mock.requests)
    outcome = run(unregister())
    assert len(mock.requests) - before <= 2
    assert outcome.message == REJECTED
    assert (
        memory_keyring.passwords[("storehook", f"{STORE_HASH}/access_token")] == TOKEN
    )

    # A new token saved through the UI (add store again) makes Register work.
    for method, route in (
        ("GET", "/v3/hooks"),
        ("POST", "/v3/hooks"),
        ("DELETE", "/v3/hooks/{id}"),
    ):
        mock.always(method, route, None)
    mock.token = "fresh-token-2"

    async def new_token() -> SyncOutcome:
        try:
            await connected.service.add_store(
                STORE_HASH, "fresh-token-2", api_url=FAKE_API_URL
            )
            return await connected.sync.sync_store(STORE_HASH)
        finally:
            await connected.service.aclose()

    assert run(new_token()).status == "registered"
    assert row(connected).last_error == ""


def test_repeated_401_marks_the_store_uninstalled(connected: Harness) -> None:
    connected.mock.always("GET", "/v3/hooks", Reply(401, {"title": "Unauthorized"}))
    statuses = [check(connected).status for _ in range(3)]
    assert statuses == ["error", "error", "uninstalled"]
    shown = row(connected)
    assert shown.uninstalled
    before = len(connected.mock.requests)
    assert sync(connected).status == "uninstalled"
    assert len(connected.mock.requests) == before


@pytest.fixture
def fail_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_br16_no_os_keyring_lists_stores_and_saves_nothing(
    database: Any, mock_api: MockApi, fail_keyring: None, data_dir: Any
) -> None:
    now = timeutil.now()
    for store_hash in ("aaa111", "bbb222"):
        Store.create(
            store_hash=store_hash,
            name=store_hash,
            api_url=FAKE_API_URL,
            connected_at=now,
        )
    harness = make_harness(database, mock_api)

    rows = harness.service.list_stores()
    assert [r.store_hash for r in rows] == ["aaa111", "bbb222"]
    assert {r.credentials_error for r in rows} == {
        "credentials unavailable: no OS keyring"
    }
    assert [s["store_hash"] for s in status_module.store_statuses(database)] == [
        "aaa111",
        "bbb222",
    ]

    async def add() -> None:
        try:
            await harness.service.add_store(
                STORE_HASH, TOKEN, api_url=FAKE_API_URL, client_id="cid-9"
            )
        finally:
            await harness.service.aclose()

    with pytest.raises(KeyringUnavailable, match="no OS keyring"):
        run(add())
    assert Store.select().count() == 2
    raw = (data_dir / DATABASE_FILE).read_bytes()
    assert TOKEN.encode() not in raw and b"cid-9" not in raw
    assert not list(data_dir.glob("*.json")) and not list(data_dir.glob("*.ini"))

    # Syncing says why instead of failing for good.
    harness.scopes.add("store/order/created")

    async def sync_one() -> SyncOutcome:
        try:
            return await harness.sync.sync_store("aaa111")
        finally:
            await harness.service.aclose()

    outcome = run(sync_one())
    assert outcome.status == "error"
    assert outcome.message == "credentials unavailable: no OS keyring"
    assert mock_api.requests == []


def test_br23_slow_post_succeeds_within_the_clients_timeout(
    database: Any, mock_api: MockApi, memory_keyring: Any
) -> None:
    # 7 s against the 30 s default, compressed: 0.7 s against a 1.5 s timeout.
    harness = make_harness(database, mock_api, timeout=httpx.Timeout(1.5, connect=1.0))
    harness.scopes.add("store/order/created")
    run(harness.add_store())
    mock_api.script("POST", "/v3/hooks", Reply(apply=True, delay=0.7))

    assert sync(harness).status == "registered"
    assert mock_api.scopes() == ["store/order/created"]


def test_br23_timeout_without_a_hook_reads_timed_out(
    database: Any, mock_api: MockApi, memory_keyring: Any
) -> None:
    harness = make_harness(database, mock_api, timeout=httpx.Timeout(0.3, connect=1.0))
    harness.scopes.add("store/order/created")
    run(harness.add_store())
    mock_api.script("POST", "/v3/hooks", Reply(504, delay=2.0))

    sync(harness)
    shown = row(harness)
    assert shown.last_error == "timed out, 0/1 registered"
    assert "Traceback" not in status_module.status_summary(shown)


@pytest.mark.parametrize("fault", ["stall", "drop"])
def test_br23_created_then_no_answer_rereads_and_never_duplicates(
    database: Any, mock_api: MockApi, memory_keyring: Any, fault: str
) -> None:
    harness = make_harness(database, mock_api, timeout=httpx.Timeout(0.3, connect=1.0))
    harness.scopes.update({"store/order/created", "store/order/updated"})
    run(harness.add_store())
    reply = (
        Reply(apply=True, delay=2.0)
        if fault == "stall"
        else Reply(apply=True, drop=True)
    )
    mock_api.script("POST", "/v3/hooks", reply)

    outcome = sync(harness)
    assert mock_api.scopes() == ["store/order/created", "store/order/updated"]
    assert len(mock_api.calls("POST", "/v3/hooks")) == 2
    # The hooks were read again after the unanswered POST.
    assert len(mock_api.calls("GET", "/v3/hooks")) == 2
    assert outcome.status == "partial"  # the pass saw an error, but nothing is missing
    assert {t.state for t in outcome.topics} == {"active"}

    assert sync(harness).status == "registered"
    assert len(mock_api.calls("POST", "/v3/hooks")) == 2


def test_br26_partial_first_pass_then_only_missing_then_unused_deleted(
    connected: Harness,
) -> None:
    mock = connected.mock
    topics = [
        "store/cart/created",
        "store/customer/created",
        "store/order/created",
        "store/product/updated",
    ]
    connected.scopes.update(topics)
    elsewhere = mock.add_hook(
        "store/order/created", destination="https://other.example/hook"
    )
    mock.script(
        "POST",
        "/v3/hooks",
        Reply(apply=True),
        Reply(drop=True),
        Reply(apply=True),
        Reply(500),
    )

    sync(connected)
    shown = row(connected)
    summary = status_module.status_summary(shown)
    assert "2/4 registered" in summary
    missing = [t.scope for t in shown.topics if t.state == "missing"]
    assert missing == [topics[1], topics[3]]
    assert all(scope in summary for scope in missing)

    posts_before = len(mock.calls("POST", "/v3/hooks"))
    requests_before = len(mock.requests)
    assert sync(connected).status == "registered"
    second = mock.requests[requests_before:]
    assert (second[0].method, second[0].route) == ("GET", "/v3/hooks")
    new_posts = mock.calls("POST", "/v3/hooks")[posts_before:]
    assert sorted(p.body["scope"] for p in new_posts) == [topics[1], topics[3]]
    assert mock.scopes() == topics

    connected.scopes.discard(topics[2])
    outcome = sync(connected)
    assert outcome.deleted == (topics[2],)
    assert mock.scopes() == [topics[0], topics[1], topics[3]]
    assert elsewhere in mock.hooks
    assert all(
        r.body is None or r.body.get("destination") != elsewhere["destination"]
        for r in mock.requests
    )
    shown = row(connected)
    assert [t.scope for t in shown.topics if t.state == "active"] == [
        topics[0],
        topics[1],
        topics[3],
    ]
    snapshot = Store.get().hooks_snapshot
    assert "X-Storehook-Secret" not in snapshot and "headers" not in snapshot


def test_duplicate_hooks_for_a_scope_are_reduced_to_one(connected: Harness) -> None:
    connected.scopes.add("store/order/created")
    connected.mock.add_hook("store/order/created")
    connected.mock.add_hook("store/order/created")
    assert sync(connected).status == "registered"
    assert connected.mock.scopes() == ["store/order/created"]


def test_check_reports_blocked_domains_and_deactivated_hooks(
    connected: Harness, database: Any
) -> None:
    connected.scopes.add("store/order/created")
    connected.mock.add_hook(
        "store/order/created", is_active=False, status="deactivated"
    )
    connected.mock.blocked_domains.append(
        {"destination": "hooks.example.test", "time_left": 240, "reasons": []}
    )
    before = len(connected.mock.requests)

    outcome = check(connected)
    assert all(r.method == "GET" for r in connected.mock.requests[before:])
    assert outcome.message.startswith(
        "BigCommerce is blocking hooks.example.test for 240 s"
    )
    (status,) = status_module.store_statuses(database)
    assert status["status"] == "inactive"
    assert status["checked_at"].endswith("Z")
    assert status["topics"] == [{"scope": "store/order/created", "state": "inactive"}]
    assert status["error"] == outcome.message
    assert (
        "blocked by BigCommerce: hooks.example.test for 240 s"
        in status["tooltip_lines"]
    )
    assert "deactivated by BigCommerce: store/order/created" in status["tooltip_lines"]


def test_sync_all_and_store_changed_events(connected: Harness) -> None:
    connected.scopes.add("store/order/created")

    async def scenario() -> list[SyncOutcome]:
        try:
            return await connected.sync.sync_all()
        finally:
            await connected.service.aclose()

    (outcome,) = run(scenario())
    assert outcome.status == "registered"
    kinds = [e.kind for e in connected.events]
    assert kinds.count("store_changed") >= 2
    assert status_module.status_summary(row(connected)) == "registered (1/1 active)"
