# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Adding, listing, removing stores; their secrets and clients."""

from typing import Any

import pytest

from app import timeutil
from app.bigcommerce import errors
from app.db.connection import DATABASE_FILE
from app.db.models import Job, JobState, Store
from app.stores import webhook_secret
from app.stores.service import normalize_store_hash
from tests.bigcommerce.mock_api import DESTINATION, STORE_HASH, TOKEN, Reply
from tests.stores.conftest import Harness, run

SECRET_NAMES = ("access_token", "client_id", "client_secret", "webhook_secret")


@pytest.mark.parametrize(
    "text",
    [
        "t3stab9x1q",
        "  t3stab9x1q\n",
        "stores/t3stab9x1q",
        "/stores/t3stab9x1q/",
        "https://api.bigcommerce.com/stores/t3stab9x1q/v3/hooks",
        "https://api.bigcommerce.com/stores/t3stab9x1q",
    ],
)
def test_normalize_store_hash_accepts_what_people_paste(text: str) -> None:
    assert normalize_store_hash(text) == "t3stab9x1q"


@pytest.mark.parametrize(
    "text", ["", "t3st ab9", "stores/", "https://example.com/t3stab9x1q", "a/b"]
)
def test_normalize_store_hash_rejects_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="is not a store hash"):
        normalize_store_hash(text)


def test_add_store_keeps_secrets_only_in_the_keyring(
    harness: Harness, memory_keyring: Any, data_dir: Any
) -> None:
    async def scenario() -> Any:
        try:
            return await harness.service.add_store(
                "stores/t3stab9x1q",
                TOKEN,
                api_url="https://api.bigcommerce.test/",
                client_id="cid-123",
                client_secret="csecret-456",
            )
        finally:
            await harness.service.aclose()

    row = run(scenario())
    assert (row.store_hash, row.name, row.store_id) == (
        STORE_HASH,
        "Test Store",
        "1009876",
    )
    assert row.api_url == "https://api.bigcommerce.test"
    stored = memory_keyring.passwords
    assert stored[("storehook", f"{STORE_HASH}/access_token")] == TOKEN
    assert stored[("storehook", f"{STORE_HASH}/client_id")] == "cid-123"
    assert stored[("storehook", f"{STORE_HASH}/client_secret")] == "csecret-456"
    secret = stored[("storehook", f"{STORE_HASH}/webhook_secret")]
    assert Store.get().secret_digest == webhook_secret.digest(secret)
    # The token was checked first, with GET /v2/store.
    assert [c.route for c in harness.mock.requests] == ["/v2/store"]
    raw = (data_dir / DATABASE_FILE).read_bytes()
    for value in (TOKEN, "csecret-456", secret):
        assert value.encode() not in raw
    assert any(e.fields.get("store_hash") == STORE_HASH for e in harness.events)


def test_add_store_with_a_rejected_token_keeps_nothing(
    harness: Harness, memory_keyring: Any
) -> None:
    async def scenario() -> None:
        try:
            await harness.service.add_store(
                STORE_HASH, "wrong-token", api_url="https://api.bigcommerce.test"
            )
        finally:
            await harness.service.aclose()

    with pytest.raises(errors.TokenRejected) as caught:
        run(scenario())
    assert "wrong-token" not in str(caught.value)
    assert memory_keyring.passwords == {}
    assert Store.select().count() == 0


def test_add_store_with_a_wrong_hash_says_store_not_found(
    harness: Harness, memory_keyring: Any
) -> None:
    async def scenario() -> None:
        try:
            await harness.service.add_store(
                "nosuch1", TOKEN, api_url="https://api.bigcommerce.test"
            )
        finally:
            await harness.service.aclose()

    with pytest.raises(errors.StoreNotFound):
        run(scenario())
    assert memory_keyring.passwords == {}


def test_add_store_rolls_back_the_keyring_when_the_database_fails(
    harness: Harness, memory_keyring: Any, database: Any
) -> None:
    database.execute_sql(
        "CREATE TRIGGER refuse_store BEFORE INSERT ON store "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )

    async def scenario() -> None:
        try:
            await harness.add_store()
        finally:
            await harness.service.aclose()

    with pytest.raises(Exception, match="disk full"):
        run(scenario())
    assert memory_keyring.passwords == {}


def test_readding_a_store_replaces_the_token_and_releases_auth_holds(
    harness: Harness, memory_keyring: Any
) -> None:
    now = timeutil.now()
    run(harness.add_store())
    secret_before = memory_keyring.passwords[
        ("storehook", f"{STORE_HASH}/webhook_secret")
    ]
    held = Job.create(
        action="a",
        store_hash=STORE_HASH,
        state=JobState.HELD,
        hold_reason="auth failed: token rejected",
        created_at=now,
        updated_at=now,
    )
    loop_hold = Job.create(
        action="b",
        store_hash=STORE_HASH,
        state=JobState.HELD,
        hold_reason="loop guard",
        created_at=now,
        updated_at=now,
    )
    harness.mock.token = "new-token-789"

    async def scenario() -> None:
        try:
            await harness.service.add_store(
                STORE_HASH, "new-token-789", api_url="https://api.bigcommerce.test"
            )
        finally:
            await harness.service.aclose()

    run(scenario())
    assert (
        memory_keyring.passwords[("storehook", f"{STORE_HASH}/access_token")]
        == "new-token-789"
    )
    # The webhook secret stays: the registered hooks carry it.
    assert (
        memory_keyring.passwords[("storehook", f"{STORE_HASH}/webhook_secret")]
        == secret_before
    )
    released = Job.get_by_id(held.id)
    assert released.state == JobState.QUEUED and released.next_attempt_at >= now
    assert Job.get_by_id(loop_hold.id).state == JobState.HELD


def test_list_stores_says_when_a_token_is_missing(
    harness: Harness, memory_keyring: Any
) -> None:
    run(harness.add_store())
    assert harness.service.list_stores()[0].credentials_error == ""
    memory_keyring.passwords.clear()
    (row,) = harness.service.list_stores()
    assert (
        row.credentials_error
        == "credentials missing from the keyring: add the store again"
    )


def test_open_client_errors_are_clear(harness: Harness, memory_keyring: Any) -> None:
    async def unknown() -> None:
        await harness.service.open_client("nosuch")

    with pytest.raises(errors.StoreNotConnected, match="nosuch is not connected"):
        run(unknown())
    run(harness.add_store())
    memory_keyring.passwords.clear()

    async def no_token() -> None:
        await harness.service.open_client(STORE_HASH)

    with pytest.raises(errors.CredentialsUnavailable, match="no access token"):
        run(no_token())


def test_client_for_is_cached_on_its_loop(harness: Harness) -> None:
    run(harness.add_store())

    async def scenario() -> None:
        try:
            first = await harness.service.client_for(STORE_HASH)
            assert await harness.service.client_for(STORE_HASH) is first
            fresh = await harness.service.open_client(STORE_HASH)
            assert fresh is not first
            await fresh.aclose()
            assert (await first.v2.get("/store"))["name"] == "Test Store"
        finally:
            await harness.service.aclose()

    run(scenario())


def test_remove_store_unregisters_hooks_and_forgets_secrets(
    harness: Harness, memory_keyring: Any
) -> None:
    harness.scopes.update({"store/order/created", "store/product/updated"})
    other = harness.mock.add_hook(
        "store/order/created", destination="https://elsewhere.test/x"
    )

    async def scenario() -> list[str]:
        try:
            await harness.add_store()
            await harness.sync.sync_store(STORE_HASH)
            return await harness.service.remove_store(STORE_HASH, sync=harness.sync)
        finally:
            await harness.service.aclose()

    assert run(scenario()) == []
    assert harness.mock.scopes() == []
    assert harness.mock.hooks == [other]
    assert memory_keyring.passwords == {}
    assert Store.select().count() == 0


def test_remove_store_with_a_revoked_token_warns_and_still_removes(
    harness: Harness, memory_keyring: Any
) -> None:
    run(harness.add_store())
    harness.mock.always(
        "GET", "/v3/hooks", Reply(401, {"status": 401, "title": "Unauthorized"})
    )

    async def scenario() -> list[str]:
        try:
            return await harness.service.remove_store(STORE_HASH, sync=harness.sync)
        finally:
            await harness.service.aclose()

    warnings = run(scenario())
    assert warnings == [
        "hooks not removed: token rejected (revoked, or app uninstalled)"
    ]
    assert Store.select().count() == 0


def test_rotate_webhook_secret_accepts_both_until_hooks_carry_the_new_one(
    harness: Harness, memory_keyring: Any
) -> None:
    harness.scopes.add("store/order/created")

    async def scenario() -> None:
        try:
            await harness.sync.sync_store(STORE_HASH)
            await harness.service.rotate_webhook_secret(STORE_HASH)
            store = Store.get()
            assert store.previous_secret_digest and store.secret_digest
            assert store.previous_secret_digest != store.secret_digest
            await harness.sync.sync_store(STORE_HASH)
        finally:
            await harness.service.aclose()

    run(harness.add_store())
    old = memory_keyring.passwords[("storehook", f"{STORE_HASH}/webhook_secret")]
    run(scenario())
    new = memory_keyring.passwords[("storehook", f"{STORE_HASH}/webhook_secret")]
    assert new != old
    store = Store.get()
    assert store.secret_digest == webhook_secret.digest(new)
    assert store.previous_secret_digest == ""
    assert (
        "storehook",
        f"{STORE_HASH}/previous_webhook_secret",
    ) not in memory_keyring.passwords
    (hook,) = [h for h in harness.mock.hooks if h["destination"] == DESTINATION]
    assert hook["headers"] == {"X-Storehook-Secret": new}
    assert len(harness.mock.calls("POST", "/v3/hooks")) == 1


def test_mark_uninstalled_stops_sync(harness: Harness) -> None:
    harness.scopes.add("store/order/created")
    run(harness.add_store())
    harness.service.mark_uninstalled(STORE_HASH, "store/app/uninstalled received")
    before = len(harness.mock.requests)

    async def scenario() -> Any:
        try:
            return await harness.sync.sync_store(STORE_HASH)
        finally:
            await harness.service.aclose()

    outcome = run(scenario())
    assert outcome.status == "uninstalled"
    assert len(harness.mock.requests) == before
    (row,) = harness.service.list_stores()
    assert row.uninstalled and row.status == "uninstalled"
