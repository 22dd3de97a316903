# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook sync never loses hooks or deliveries: ownership, secrets, races."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from app.actions.loader import ActionRegistry
from app.config import SECRET_HEADER
from app.db.models import Store
from app.stores import status as status_module
from app.stores import webhook_secret
from app.stores.service import (
    CREDENTIALS_MISSING,
    ROTATION_PENDING,
    RotationPending,
)
from app.stores.sync import SyncOutcome, WebhookSync
from tests.bigcommerce.mock_api import DESTINATION, STORE_HASH, Reply
from tests.stores.conftest import Harness, run

OLD_DESTINATION = "https://old-tunnel.example.test/bc"
FOREIGN = "https://someone-else.example.test/hook"
ORDERS = "store/order/created"
PRODUCTS = "store/product/updated"


@pytest.fixture
def connected(harness: Harness) -> Harness:
    run(harness.add_store())
    return harness


def sync(harness: Harness) -> SyncOutcome:
    async def scenario() -> SyncOutcome:
        try:
            return await harness.sync.sync_store(STORE_HASH)
        finally:
            await harness.service.aclose()

    return run(scenario())


def row(harness: Harness) -> Any:
    (only,) = harness.service.list_stores()
    return only


def accepted_by_receiver(harness: Harness) -> bool:
    """Whether every hook's secret header is one the receiver accepts now."""
    store = Store.get()
    digests = (store.secret_digest, store.previous_secret_digest)
    return all(
        webhook_secret.matches((hook["headers"] or {}).get(SECRET_HEADER, ""), digests)
        for hook in harness.mock.hooks
    )


def carried_secrets(harness: Harness) -> set[str]:
    return {
        (hook["headers"] or {}).get(SECRET_HEADER, "") for hook in harness.mock.hooks
    }


async def until_called(harness: Harness, method: str, route: str, count: int) -> None:
    # The mock records a request as it arrives, before its scripted delay.
    while len(harness.mock.calls(method, route)) < count:
        await asyncio.sleep(0.005)


def test_hooks_at_an_old_public_url_are_moved_and_foreign_ones_left(
    connected: Harness,
) -> None:
    connected.scopes.update({ORDERS, PRODUCTS})
    secret = connected.secret()
    moved = connected.add_our_hook(ORDERS, destination=OLD_DESTINATION)
    connected.add_our_hook(PRODUCTS)
    stale_copy = connected.add_our_hook(PRODUCTS, destination=OLD_DESTINATION)
    foreign = connected.mock.add_hook(ORDERS, destination=FOREIGN)

    outcome = sync(connected)

    assert outcome.status == "registered"
    assert connected.mock.calls("POST", "/v3/hooks") == []
    (put,) = connected.mock.calls("PUT", "/v3/hooks/{id}")
    assert put.raw_path.endswith(f"/hooks/{moved['id']}")
    assert put.body["destination"] == DESTINATION
    assert put.body["headers"] == {SECRET_HEADER: secret}
    assert stale_copy not in connected.mock.hooks
    assert connected.mock.scopes(DESTINATION) == [ORDERS, PRODUCTS]
    assert connected.mock.scopes(OLD_DESTINATION) == []
    assert foreign in connected.mock.hooks and foreign["headers"] is None


def test_remove_store_unregisters_our_hooks_at_any_destination(
    connected: Harness, memory_keyring: Any
) -> None:
    connected.add_our_hook(ORDERS)
    connected.add_our_hook(PRODUCTS, destination=OLD_DESTINATION)
    # Header names are case-insensitive on the wire.
    connected.mock.add_hook(
        "store/cart/created",
        destination=OLD_DESTINATION,
        headers={"x-storehook-secret": "old"},
    )
    foreign = connected.mock.add_hook(ORDERS, destination=FOREIGN)

    async def scenario() -> list[str]:
        try:
            return await connected.service.remove_store(STORE_HASH, sync=connected.sync)
        finally:
            await connected.service.aclose()

    assert run(scenario()) == []
    assert connected.mock.hooks == [foreign]
    assert connected.service.list_stores() == []


def test_hook_without_the_secret_header_is_not_registered_until_fixed(
    connected: Harness,
) -> None:
    connected.scopes.update({ORDERS, PRODUCTS})
    connected.mock.add_hook(ORDERS)  # made by hand: no custom headers at all
    connected.mock.add_hook(PRODUCTS, headers={SECRET_HEADER: "not-the-secret"})

    async def check() -> SyncOutcome:
        try:
            return await connected.sync.check_store(STORE_HASH)
        finally:
            await connected.service.aclose()

    checked = run(check())
    assert {t.state for t in checked.topics} == {"wrong secret"}
    shown = row(connected)
    assert shown.status == "partial"
    summary = status_module.status_summary(shown)
    assert "registered" not in summary and "active" in summary
    assert f"{ORDERS} wrong secret, deliveries rejected" in summary

    # BigCommerce refuses the fix once: still not registered, and says why.
    refusal = Reply(422, {"status": 422, "title": "Headers are invalid"})
    connected.mock.script("PUT", "/v3/hooks/{id}", refusal)
    outcome = sync(connected)
    assert outcome.status == "partial"
    assert "wrong secret" in {t.state for t in outcome.topics}
    assert row(connected).last_error.startswith("Headers are invalid")

    outcome = sync(connected)
    assert outcome.status == "registered"
    assert carried_secrets(connected) == {connected.secret()}
    assert connected.mock.calls("POST", "/v3/hooks") == []
    assert status_module.status_summary(row(connected)) == "registered (2/2 active)"


def test_missing_actions_folder_refuses_sync_and_says_so_on_the_row(
    connected: Harness, database: Any, tmp_path: Path
) -> None:
    connected.add_our_hook(ORDERS)
    registry = ActionRegistry(tmp_path / "acitons")
    sync_with_typo = WebhookSync(
        database, connected.service, registry.desired_scopes, lambda: DESTINATION
    )
    before = len(connected.mock.requests)

    async def scenario() -> tuple[SyncOutcome, list[SyncOutcome]]:
        try:
            one = await sync_with_typo.sync_store(STORE_HASH)
            return one, await sync_with_typo.check_all()
        finally:
            await connected.service.aclose()

    outcome, (checked,) = run(scenario())

    expected = f"actions folder {tmp_path / 'acitons'} not found; hooks left unchanged"
    assert outcome.refused and outcome.message == expected
    assert checked.refused and checked.message == expected
    assert len(connected.mock.requests) == before
    assert len(connected.mock.hooks) == 1
    assert row(connected).last_error == expected
    assert expected in status_module.status_summary(row(connected))


@pytest.mark.parametrize(
    ("method", "route"), [("GET", "/v3/hooks"), ("POST", "/v3/hooks")]
)
def test_rotation_during_a_sync_never_locks_out_deliveries(
    connected: Harness, method: str, route: str
) -> None:
    connected.scopes.add(ORDERS)
    sync(connected)
    # The second pass also creates a hook; the rotation lands while a request
    # of that pass is on its way.
    connected.scopes.add(PRODUCTS)
    connected.mock.script(method, route, Reply(apply=True, delay=0.3))
    calls_before = len(connected.mock.calls(method, route))

    async def scenario() -> None:
        try:
            running = asyncio.create_task(connected.sync.sync_store(STORE_HASH))
            await until_called(connected, method, route, calls_before + 1)
            await connected.service.rotate_webhook_secret(STORE_HASH)
            await running
        finally:
            await connected.service.aclose()

    run(scenario())
    assert accepted_by_receiver(connected)
    assert connected.mock.scopes() == [ORDERS, PRODUCTS]

    assert sync(connected).status == "registered"
    assert carried_secrets(connected) == {connected.secret()}
    assert Store.get().previous_secret_digest == ""
    assert accepted_by_receiver(connected)


def test_second_rotation_while_one_is_pending_is_refused(connected: Harness) -> None:
    connected.scopes.update({ORDERS, PRODUCTS})
    sync(connected)
    first = connected.secret()

    async def rotate() -> None:
        await connected.service.rotate_webhook_secret(STORE_HASH)

    run(rotate())
    connected.mock.always("PUT", "/v3/hooks/{id}", Reply(500))
    assert sync(connected).status == "partial"
    assert carried_secrets(connected) == {first}
    assert accepted_by_receiver(connected)

    with pytest.raises(RotationPending) as refused:
        run(rotate())
    assert str(refused.value) == ROTATION_PENDING
    assert accepted_by_receiver(connected)

    connected.mock.always("PUT", "/v3/hooks/{id}", None)
    assert sync(connected).status == "registered"
    assert Store.get().previous_secret_digest == ""
    run(rotate())
    assert sync(connected).status == "registered"
    assert carried_secrets(connected) == {connected.secret()} != {first}


def test_readding_a_store_after_the_keyring_was_lost_recovers(
    connected: Harness, memory_keyring: Any
) -> None:
    connected.scopes.add(ORDERS)
    sync(connected)
    old = connected.secret()
    memory_keyring.passwords.clear()

    assert row(connected).credentials_error == CREDENTIALS_MISSING
    outcome = sync(connected)
    assert outcome.status == "error" and outcome.message == CREDENTIALS_MISSING

    run(connected.add_store())
    assert row(connected).credentials_error == ""
    new = connected.secret()
    assert new != old
    # The hooks still carry the lost secret: it stays accepted until synced.
    assert accepted_by_receiver(connected)

    assert sync(connected).status == "registered"
    assert carried_secrets(connected) == {new}
    assert Store.get().previous_secret_digest == ""
    assert Store.get().secret_digest == webhook_secret.digest(new)


def test_removal_waits_for_a_running_sync_and_a_later_one_ends_cleanly(
    connected: Harness,
) -> None:
    connected.scopes.update({ORDERS, PRODUCTS})
    sync(connected)
    calls_before = len(connected.mock.calls("GET", "/v3/hooks"))
    connected.mock.script("GET", "/v3/hooks", Reply(apply=True, delay=0.3))

    async def scenario() -> tuple[SyncOutcome, list[str], SyncOutcome]:
        try:
            running = asyncio.create_task(connected.sync.sync_store(STORE_HASH))
            await until_called(connected, "GET", "/v3/hooks", calls_before + 1)
            removing = asyncio.create_task(
                connected.service.remove_store(STORE_HASH, sync=connected.sync)
            )
            await asyncio.sleep(0)  # let the removal queue for the lock first
            waiting = asyncio.create_task(connected.sync.sync_store(STORE_HASH))
            return await running, await removing, await waiting
        finally:
            await connected.service.aclose()

    first, warnings, later = run(scenario())

    assert first.status == "registered"
    assert warnings == []
    assert later.status == "removed" and later.message == "store removed"
    assert connected.mock.hooks == []
    assert connected.service.list_stores() == []
