# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 4 end to end: `storehook serve` keeps the sandbox's hooks in step.

One serve process runs for the whole module; the tests run in file order and
each builds on the state the previous one left (hooks registered, then an
order delivered through them, then triggers edited).
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.config import SECRET_HEADER
from tests.end_to_end.harness import StorehookHarness, is_iso_utc
from tests.helpers.wait import wait_until

ORDER_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/updated"]}},
    "retries": 0,
}


async def run(params, logger, connections):
    client = connections.bigcommerce.current
    order = await client.v2.get("/orders/{order_id}", path={"order_id": params["id"]})
    logger.info("order %s is %s", order["id"], order["status"])
"""

PRODUCT_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/product/created"]}},
}


def run(params, logger):
    logger.info("product %s created", params["id"])
"""

WANTED = {"store/order/updated", "store/product/created"}


class Setup:
    """The module's running serve, its store, and the sandbox behind it."""

    def __init__(self, harness: StorehookHarness, store: Any) -> None:
        self.harness = harness
        self.store = store
        self.sandbox = harness.sandbox

    def hook_scopes(self) -> set[str]:
        return {hook.scope for hook in self.sandbox.hooks(self.store.store_hash)}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    with StorehookHarness(tmp_path_factory.mktemp("sync")) as harness:
        harness.write_action("order_updated", ORDER_ACTION)
        harness.write_action("product_created", PRODUCT_ACTION)
        store = harness.add_sandbox_store()
        harness.start_serve()
        running = Setup(harness, store)
        # Each test can run alone: the sync at start has registered the hooks.
        wait_until(lambda: running.hook_scopes() == WANTED, timeout=15)
        wait_until(lambda: _status_with(harness, "store/order/updated"), timeout=10)
        yield running


def test_sync_at_start_registers_exactly_the_hooks_the_actions_need(
    setup: Setup,
) -> None:
    assert setup.hook_scopes() == WANTED
    secret = setup.harness.webhook_secret(setup.store.store_hash)
    for hook in setup.sandbox.hooks(setup.store.store_hash):
        assert hook.destination == setup.harness.receiver_url
        assert hook.is_active
        headers = {name.lower(): value for name, value in (hook.headers or {}).items()}
        assert headers[SECRET_HEADER.lower()] == secret


def test_an_order_updated_in_the_store_reaches_its_action(setup: Setup) -> None:
    store_hash = setup.store.store_hash
    order = setup.sandbox.state.orders(store_hash)[0]

    setup.sandbox.update_order(store_hash, order["id"], staff_notes="checked")

    [job] = wait_until(
        lambda: _finished_job(setup.harness, "order_updated"),
        timeout=20,
        message="the order/updated delivery never ran its action",
    )
    assert job["state"] == "succeeded", job
    assert job["scope"] == "store/order/updated"
    assert job["resource_id"] == str(order["id"])
    shown = setup.harness.json_command("queue", "show", str(job["id"]), "--json")
    assert f"order {order['id']} is {order['status']}" in json.dumps(
        shown["attempt_log"][0]["log"]
    )
    # Only the hooks Storehook registered were called: no job for other scopes.
    assert {j["action"] for j in setup.harness.queue_list()} == {"order_updated"}


def test_hooks_status_json_reports_every_topic(setup: Setup) -> None:
    [status] = setup.harness.json_command("hooks", "status", "--json")

    assert status["store_hash"] == setup.store.store_hash
    assert status["status"] == "registered"
    assert status["error"] == ""
    assert is_iso_utc(status["checked_at"])
    assert sorted(status["topics"], key=lambda t: t["scope"]) == [
        {"scope": "store/order/updated", "state": "active"},
        {"scope": "store/product/created", "state": "active"},
    ]


def test_hooks_sync_reactivates_a_hook_and_says_so(setup: Setup) -> None:
    store_hash = setup.store.store_hash
    [hook] = [
        h for h in setup.sandbox.hooks(store_hash) if h.scope == "store/order/updated"
    ]
    setup.sandbox.state.hooks.deactivate(hook.id)
    before = setup.harness.json_command("hooks", "status", "--json")[0]["checked_at"]

    result = setup.harness.run("hooks", "sync", store_hash)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{store_hash}: ")
    assert all(h.is_active for h in setup.sandbox.hooks(store_hash))
    [status] = setup.harness.json_command("hooks", "status", "--json")
    assert status["checked_at"] >= before
    assert {t["state"] for t in status["topics"]} == {"active"}


def test_editing_triggers_adds_and_removes_hooks(setup: Setup) -> None:
    edited = ORDER_ACTION.replace('"store/order/updated"', '"store/product/updated"')
    setup.harness.write_action("order_updated", edited)

    wait_until(
        lambda: (
            setup.hook_scopes() == {"store/product/updated", "store/product/created"}
        ),
        timeout=10,
        message=f"hooks not synced after the edit: {setup.hook_scopes()}",
    )
    for hook in setup.sandbox.hooks(setup.store.store_hash):
        assert hook.destination == setup.harness.receiver_url

    [status] = wait_until(
        lambda: _status_with(setup.harness, "store/product/updated"), timeout=10
    )
    assert status["status"] == "registered"


def test_hooks_sync_with_nothing_to_do_keeps_the_hooks(setup: Setup) -> None:
    before = {(h.id, h.scope) for h in setup.sandbox.hooks(setup.store.store_hash)}

    result = setup.harness.run("hooks", "sync")

    assert result.returncode == 0, result.stderr
    assert {(h.id, h.scope) for h in setup.sandbox.hooks(setup.store.store_hash)} == (
        before
    )


def _finished_job(harness: StorehookHarness, action: str) -> list[dict[str, Any]]:
    for job in harness.queue_list():
        if job["action"] == action and job["state"] in ("succeeded", "failed", "held"):
            return [job]
    return []


def _status_with(harness: StorehookHarness, scope: str) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = harness.json_command("hooks", "status", "--json")
    scopes = {t["scope"] for t in statuses[0]["topics"]}
    return statuses if scope in scopes else []
