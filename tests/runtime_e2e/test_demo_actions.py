# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every demo action in resources/demo_actions, against the sandbox."""

import json
import math
from typing import Any

from app.actions.records import Records
from tests.helpers.wait import wait_until
from tests.runtime_e2e.conftest import RunningStorehook

NOTE = "High-value order: check before shipping (Storehook)"


def _jobs_of(storehook: RunningStorehook, action: str) -> list[dict[str, Any]]:
    return [job for job in storehook.jobs() if job["action"] == action]


def _log_of(storehook: RunningStorehook, job_id: int) -> str:
    return json.dumps([a["log"] for a in storehook.show(job_id)["attempt_log"]])


def test_flag_high_value_orders_notes_once_and_erp_retries(
    make_storehook: Any,
) -> None:
    storehook = make_storehook()
    storehook.copy_demo_actions()
    storehook.start()
    store = storehook.store_hashes[0]
    product = max(storehook.sandbox.state.products(store), key=lambda p: p["price"])
    quantity = math.ceil(300 / product["price"])

    order = storehook.sandbox.create_order(
        store, products=[{"product_id": product["id"], "quantity": quantity}]
    )
    assert float(order["total_inc_tax"]) >= 250
    erp = wait_until(
        lambda: [
            j
            for j in _jobs_of(storehook, "sync_order_to_erp")
            if j["state"] == "succeeded"
        ],
        timeout=20,
    )
    wait_until(storehook.settled, timeout=20)

    # Noted once; the note's own store/order/updated ran the action again,
    # which saw nothing new: no loop.
    path = f"/stores/{store}/v2/orders/{order['id']}"
    puts = [r for r in storehook.sandbox.requests if r[:2] == ("PUT", path)]
    assert len(puts) == 1
    assert NOTE in puts[0][2]["staff_notes"]
    notes = storehook.sandbox.state.order(store, order["id"])["staff_notes"]
    assert notes.count(NOTE) == 1
    flags = _jobs_of(storehook, "flag_high_value_orders")
    assert sorted(j["scope"] for j in flags) == [
        "store/order/created",
        "store/order/updated",
    ]
    assert {j["state"] for j in flags} == {"succeeded"}
    assert not storehook.jobs(state="held")

    # The pretend ERP refused twice; the third attempt went through.
    attempts = storehook.show(erp[0]["id"])["attempt_log"]
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "succeeded"]
    assert attempts[0]["error_type"] == "ErpBusy"
    assert "sent to the ERP on try 3" in json.dumps(attempts[2]["log"])


def test_track_inventory_records_the_change(make_storehook: Any) -> None:
    storehook = make_storehook()
    storehook.copy_demo_actions()
    storehook.start()
    store = storehook.store_hashes[1]
    product = storehook.sandbox.state.products(store)[3]

    for level in (7, 0):
        storehook.sandbox.update_product(store, product["id"], inventory_level=level)
        wait_until(storehook.settled, timeout=20)

    assert storehook.app is not None
    record = Records(storehook.app.database).get(
        "bigcommerce/product", product["id"], store_hash=store
    )
    assert record is not None
    assert record.data == {"name": product["name"], "inventory_level": 0}
    # Both store/product/updated and .../inventory/updated arrive for each
    # change; whichever ran first saw it, the other found nothing new.
    jobs = _jobs_of(storehook, "track_inventory")
    assert {j["state"] for j in jobs} == {"succeeded"}
    logs = " ".join(_log_of(storehook, j["id"]) for j in jobs)
    assert f"{product['name']}: stock 7 -> 0" in logs
    assert f"{product['name']} is out of stock" in logs


def test_app_uninstalled_runs_and_the_store_shows_uninstalled(
    make_storehook: Any,
) -> None:
    storehook = make_storehook()
    storehook.copy_demo_actions()
    app = storehook.start()
    store = storehook.store_hashes[1]

    storehook.post_callback(store, "store/app/uninstalled", {"type": "store"})
    [job] = wait_until(
        lambda: [
            j
            for j in _jobs_of(storehook, "app_uninstalled")
            if j["state"] == "succeeded"
        ],
        timeout=20,
    )

    assert f"Storehook was uninstalled from store {store}" in _log_of(
        storehook, job["id"]
    )
    row = wait_until(lambda: (s := app.stores.get_store(store)).uninstalled and s)
    assert row.status == "uninstalled"
    assert not app.stores.get_store(storehook.store_hashes[0]).uninstalled
