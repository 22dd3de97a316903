# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Store service and webhook sync against the real sandbox."""

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.events import EventHub
from app.sandbox import Sandbox, SandboxStore
from app.stores.secrets import SecretStore
from app.stores.service import StoreService
from app.stores.sync import SyncOutcome, WebhookSync
from tests.stores.conftest import RecordingSleep, run

DESTINATION = "http://127.0.0.1:8787/webhooks/bigcommerce"
SCOPES = {"store/order/created", "store/order/updated", "store/product/updated"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    yield box
    box.stop()


def wire(database: Any, **client_options: Any) -> tuple[StoreService, WebhookSync]:
    options = {"sleep": RecordingSleep(), "retry_backoff_s": 0.01, **client_options}
    service = StoreService(
        database, SecretStore(), events=EventHub(), client_options=options
    )
    sync = WebhookSync(database, service, lambda: set(SCOPES), lambda: DESTINATION)
    return service, sync


def connect_and_sync(
    sandbox: Sandbox, service: StoreService, sync: WebhookSync, token: str = ""
) -> SyncOutcome:
    store = sandbox.stores[0]

    async def scenario() -> SyncOutcome:
        try:
            await service.add_store(
                store.store_hash, token or store.access_token, api_url=sandbox.api_url
            )
            return await sync.sync_store(store.store_hash)
        finally:
            await service.aclose()

    return run(scenario())


def our_scopes(sandbox: Sandbox) -> list[str]:
    hooks = sandbox.hooks(sandbox.stores[0].store_hash)
    return sorted(h.scope for h in hooks if h.destination == DESTINATION)


def test_sandbox_store_is_added_and_hooks_registered(
    sandbox: Sandbox, database: Any, memory_keyring: Any
) -> None:
    service, sync = wire(database)
    outcome = connect_and_sync(sandbox, service, sync)
    assert outcome.status == "registered"
    assert our_scopes(sandbox) == sorted(SCOPES)
    (row,) = service.list_stores()
    assert row.name == sandbox.stores[0].name
    secret = memory_keyring.passwords[("storehook", f"{row.store_hash}/webhook_secret")]
    for hook in sandbox.hooks(row.store_hash):
        assert hook.headers == {"X-Storehook-Secret": secret}


def test_sandbox_429_is_waited_out(
    sandbox: Sandbox, database: Any, memory_keyring: Any
) -> None:
    sleep = RecordingSleep()
    service, sync = wire(database, sleep=sleep)
    sandbox.faults.add(method="POST", path="/v3/hooks", status=429, reset_ms=1500)
    assert connect_and_sync(sandbox, service, sync).status == "registered"
    assert 1.5 in sleep.waits
    assert our_scopes(sandbox) == sorted(SCOPES)


def test_sandbox_stall_after_create_never_duplicates(
    sandbox: Sandbox, database: Any, memory_keyring: Any
) -> None:
    service, sync = wire(database, timeout=httpx.Timeout(0.3, connect=1.0))
    sandbox.faults.add(method="POST", path="/v3/hooks", action="stall", stall_s=1.0)
    connect_and_sync(sandbox, service, sync)
    assert our_scopes(sandbox) == sorted(SCOPES)


def test_sandbox_revoked_token_reads_token_rejected(
    sandbox: Sandbox, database: Any, memory_keyring: Any
) -> None:
    service, sync = wire(database)
    connect_and_sync(sandbox, service, sync)
    sandbox.revoke_token(sandbox.stores[0].access_token)

    async def again() -> SyncOutcome:
        try:
            return await sync.sync_store(sandbox.stores[0].store_hash)
        finally:
            await service.aclose()

    outcome = run(again())
    assert outcome.message == "token rejected (revoked, or app uninstalled)"


def test_sync_all_goes_on_when_a_store_is_removed_meanwhile(
    database: Any, memory_keyring: Any
) -> None:
    hashes = ["aaa1111111", "bbb2222222", "ccc3333333"]
    box = Sandbox(stores=[SandboxStore(h) for h in hashes])
    box.start()
    service, sync = wire(database)
    box.faults.add(
        method="GET", path=f"/stores/{hashes[0]}/v3/hooks", action="delay", delay_s=0.3
    )

    async def scenario() -> tuple[list[SyncOutcome], list[str]]:
        try:
            for store in box.stores:
                await service.add_store(
                    store.store_hash, store.access_token, api_url=box.api_url
                )
            passing = asyncio.create_task(sync.sync_all())
            while not any(hashes[0] in r[1] for r in box.requests):
                await asyncio.sleep(0.005)
            warnings = await service.remove_store(hashes[1], sync=sync)
            return await passing, warnings
        finally:
            await service.aclose()

    try:
        outcomes, warnings = run(scenario())
        assert warnings == []
        assert [(o.store_hash, o.status) for o in outcomes] == [
            (hashes[0], "registered"),
            (hashes[1], "removed"),
            (hashes[2], "registered"),
        ]
        assert [len(box.hooks(h)) for h in hashes] == [len(SCOPES), 0, len(SCOPES)]
    finally:
        box.stop()


def test_two_syncs_at_once_record_what_bigcommerce_holds(
    sandbox: Sandbox, database: Any, memory_keyring: Any
) -> None:
    # The console's sync and `storehook hooks sync` run side by side: each
    # has its own lock, and one's POSTs meet "already exists" (422).
    service, console = wire(database)
    other_service, command = wire(database)
    store = sandbox.stores[0]
    sandbox.faults.add(
        method="POST", path="/v3/hooks", action="delay", delay_s=0.2, times=None
    )

    async def scenario() -> tuple[SyncOutcome, SyncOutcome]:
        try:
            await service.add_store(
                store.store_hash, store.access_token, api_url=sandbox.api_url
            )
            first, second = await asyncio.gather(
                console.sync_store(store.store_hash),
                command.sync_store(store.store_hash),
            )
            return first, second
        finally:
            await service.aclose()
            await other_service.aclose()

    first, second = run(scenario())

    assert our_scopes(sandbox) == sorted(SCOPES)
    assert (first.status, second.status) == ("registered", "registered")
    assert first.errors == () and second.errors == ()
    (row,) = service.list_stores()
    assert row.status == "registered" and row.last_error == ""
    assert {t.state for t in row.topics} == {"active"}
