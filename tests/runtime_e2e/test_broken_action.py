# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A developer breaks an action file while deliveries keep coming."""

from typing import Any

from tests.helpers.wait import wait_until

GOOD = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}}
}

def run(params, logger):
    logger.info("order %s seen", params["id"])
"""

BROKEN = GOOD.replace("def run(params, logger):", "def run(params, logger)")


def test_deliveries_wait_for_a_broken_action_and_run_once_it_is_fixed(
    make_storehook: Any,
) -> None:
    storehook = make_storehook()
    storehook.write_action("orders", GOOD)
    storehook.start()
    store = storehook.store_hashes[0]
    storehook.write_action("orders", BROKEN)
    assert storehook.app is not None
    registry = storehook.app.registry
    wait_until(lambda: any(a.error for a in registry.actions()))

    storehook.post_callback(store, "store/order/created", {"type": "order", "id": 7})
    [held] = wait_until(lambda: storehook.jobs("held"))
    assert held["hold_reason"] == "action failed to load; it runs once orders.py loads"

    storehook.write_action("orders", GOOD)
    [done] = wait_until(lambda: storehook.jobs("succeeded"), timeout=15)
    assert done["id"] == held["id"]
    log = storehook.show(done["id"])["attempt_log"]
    assert [a["outcome"] for a in log] == ["held", "succeeded"]
    assert log[1]["log"][0].endswith("INFO order 7 seen")
