# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""An action that writes back to its own order: the loop guard, and avoiding it."""

import json
from typing import Any

from tests.helpers.wait import wait_until
from tests.runtime_e2e.conftest import RunningStorehook

THRESHOLD = 3
SCOPE = "store/order/updated"

# Every run bumps a counter in the order's staff notes, which makes the
# sandbox send store/order/updated again: a webhook loop.
LOOPING = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/updated"]}},
    "retries": 0,
}


async def run(params, logger, connections):
    client = connections.bigcommerce.current
    order = await client.v2.get("/orders/{order_id}", path={"order_id": params["id"]})
    notes = order["staff_notes"]
    count = int(notes) + 1 if notes.isdigit() else 1
    await client.v2.put(
        "/orders/{order_id}", path={"order_id": order["id"]},
        body={"staff_notes": str(count)},
    )
    logger.info("order %s: counter %d", order["id"], count)
"""

# The same action, but it only writes when the order's status changed.
TRACKED = LOOPING.replace(
    "    notes = order",
    """    record = await api.records.upsert(
        "bigcommerce/order", order["id"], {"status": order["status"]}
    )
    if not record.changed("status"):
        logger.info("order %s: status unchanged, nothing to write", order["id"])
        return
    notes = order""",
).replace("(params, logger, connections)", "(params, logger, api, connections)")


def _puts(storehook: RunningStorehook, store_hash: str, order_id: int) -> list[Any]:
    path = f"/stores/{store_hash}/v2/orders/{order_id}"
    return [r for r in storehook.sandbox.requests if r[0] == "PUT" and r[1] == path]


def _held(storehook: RunningStorehook) -> list[dict[str, Any]]:
    return storehook.jobs(state="held")


def _wait_for_new_hold(storehook: RunningStorehook, old: set[int]) -> dict[str, Any]:
    def new_hold() -> list[dict[str, Any]]:
        return [j for j in _held(storehook) if j["id"] not in old]

    [job] = wait_until(new_hold, timeout=20, message="no new loop-guard hold")
    wait_until(storehook.settled, timeout=20)
    return job


def _ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    text: str = result.stdout
    return text


def test_loop_guard_stops_a_write_back_loop_and_staff_release_or_cancel(
    make_storehook: Any,
) -> None:
    storehook = make_storehook(loop_guard_threshold=THRESHOLD, loop_guard_window_s=60)
    storehook.write_action("count_on_order", LOOPING)
    storehook.start()
    store = storehook.store_hashes[0]

    storehook.sandbox.update_order(store, 101, status_id=11)
    first = _wait_for_new_hold(storehook, set())

    # Within the threshold the loop ran; the next delivery was held.
    assert len(_puts(storehook, store, 101)) == THRESHOLD
    listed = json.loads(
        _ok(storehook.cli("queue", "list", "--state", "held", "--json"))
    )
    assert [job["id"] for job in listed] == [first["id"]]
    held = listed[0]
    assert held["action"] == "count_on_order"
    assert (held["store_hash"], held["scope"], held["resource_id"]) == (
        store,
        SCOPE,
        "101",
    )
    assert "loop guard" in held["hold_reason"]
    assert f"{SCOPE} deliveries for order 101" in held["hold_reason"]
    assert storehook.jobs(state="succeeded") and not storehook.jobs(state="failed")

    # Released by id, it runs once; its own write-back is held in turn.
    assert "Released: " + str(first["id"]) in _ok(
        storehook.cli("queue", "release", str(first["id"]))
    )
    second = _wait_for_new_hold(storehook, {first["id"]})
    assert storehook.show(first["id"])["state"] == "succeeded"
    assert len(_puts(storehook, store, 101)) == THRESHOLD + 1

    # Released by resource, the same again.
    resource = ("--store", store, "--scope", SCOPE, "--resource", "101")
    out = _ok(storehook.cli("queue", "release", *resource))
    assert f"Released: {second['id']} " in out
    third = _wait_for_new_hold(storehook, {first["id"], second["id"]})
    assert storehook.show(second["id"])["state"] == "succeeded"
    assert len(_puts(storehook, store, 101)) == THRESHOLD + 2

    # Cancelled by id: the loop is over.
    assert f"Cancelled: {third['id']}" in _ok(
        storehook.cli("queue", "cancel", str(third["id"]))
    )
    assert storehook.show(third["id"])["state"] == "cancelled"

    # While the window lasts, a new change of the order is held too, and
    # staff can cancel everything held for it at once.
    storehook.sandbox.update_order(store, 101, status_id=9)
    fourth = _wait_for_new_hold(storehook, {first["id"], second["id"], third["id"]})
    out = _ok(storehook.cli("queue", "cancel", *resource))
    assert f"Cancelled: {fourth['id']} " in out
    assert not _held(storehook)
    assert len(_puts(storehook, store, 101)) == THRESHOLD + 2


def test_release_and_cancel_need_exactly_one_form(make_storehook: Any) -> None:
    storehook = make_storehook()

    for command in ("release", "cancel"):
        assert storehook.cli("queue", command).returncode == 2
        both = storehook.cli("queue", command, "7", "--store", "abc")
        assert both.returncode == 2
        partial = storehook.cli("queue", command, "--store", "abc", "--scope", SCOPE)
        assert partial.returncode == 2
        assert "--resource" in partial.stderr


def test_change_tracking_writes_once_and_the_loop_never_starts(
    make_storehook: Any,
) -> None:
    storehook = make_storehook(loop_guard_threshold=THRESHOLD, loop_guard_window_s=60)
    storehook.write_action("count_on_order", TRACKED)
    storehook.start()
    store = storehook.store_hashes[0]

    storehook.sandbox.update_order(store, 102, status_id=11)
    # The status change and the echo of our own write: two runs, one write.
    wait_until(lambda: len(storehook.jobs(state="succeeded")) == 2, timeout=20)
    wait_until(storehook.settled, timeout=20)

    assert len(_puts(storehook, store, 102)) == 1
    assert storehook.sandbox.state.order(store, 102)["staff_notes"] == "1"
    assert not _held(storehook)
    assert len(storehook.jobs()) == 2
    echo = storehook.show(storehook.jobs()[0]["id"])
    assert "status unchanged" in json.dumps(echo["attempt_log"][-1]["log"])
