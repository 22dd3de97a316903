# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""connections.bigcommerce inside enqueued jobs, with two sandbox stores."""

from typing import Any

from app.actions.records import Records
from tests.helpers.wait import wait_until
from tests.runtime_e2e.conftest import RunningStorehook

# Queues probes: of the same store, of no store, of the other store, and one
# that asks for a store Storehook does not know.
FAN_OUT = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/updated"]}},
    "retries": 0,
}


async def run(params, api, connections):
    other = "OTHER"
    current = connections.bigcommerce.current
    await api.records.upsert(
        "probe", "fan_out", {"current_client": id(current)}, store_hash=""
    )
    for probe in ("probe_async", "probe_plain"):
        await api.enqueue(probe, {"label": "same", "target": other})
        await api.enqueue(probe, {"label": "none", "target": other}, store_hash="")
        await api.enqueue(probe, {"label": "other", "target": other}, store_hash=other)
    await api.enqueue(
        "probe_async", {"label": "unknown", "target": "nosuchstore"}, store_hash=""
    )
"""

PROBE_ASYNC = """
options = {"triggers": {"api": True}, "retries": 0}


async def run(params, api, connections):
    result = {"current_store_hash": connections.current_store_hash}
    try:
        current = connections.bigcommerce.current
        result["current_name"] = (await current.v2.get("/store"))["name"]
        result["current_client"] = id(current)
    except Exception as error:
        result["current_error"] = f"{type(error).__name__}: {error}"
    client = await connections.bigcommerce.for_store_hash(params["target"])
    result["target_name"] = (await client.v2.get("/store"))["name"]
    result["target_client"] = id(client)
    await api.records.upsert("probe", "async-" + params["label"], result, store_hash="")
"""

PROBE_PLAIN = """
options = {"triggers": {"api": True}, "retries": 0}


def run(params, api, connections):
    result = {"current_store_hash": connections.current_store_hash}
    try:
        current = connections.bigcommerce.current
        result["current_name"] = current.v2.get("/store")["name"]
    except Exception as error:
        result["current_error"] = f"{type(error).__name__}: {error}"
    client = connections.bigcommerce.for_store_hash(params["target"])
    result["target_name"] = client.v2.get("/store")["name"]
    api.records.upsert("probe", "plain-" + params["label"], result, store_hash="")
"""


def _probes(storehook: RunningStorehook) -> dict[str, dict[str, Any]]:
    assert storehook.app is not None
    records = Records(storehook.app.database)
    keys = ["fan_out"] + [
        f"{kind}-{label}"
        for kind in ("async", "plain")
        for label in ("same", "none", "other")
    ]
    found = {key: records.get("probe", key) for key in keys}
    return {key: record.data for key, record in found.items() if record is not None}


def test_current_and_for_store_hash_in_enqueued_jobs(make_storehook: Any) -> None:
    storehook = make_storehook()
    first, second = storehook.store_hashes
    storehook.write_action("fan_out", FAN_OUT.replace("OTHER", second))
    storehook.write_action("probe_async", PROBE_ASYNC)
    storehook.write_action("probe_plain", PROBE_PLAIN)
    storehook.start()
    names = {s.store_hash: s.name for s in storehook.sandbox.stores}

    storehook.sandbox.update_order(first, 103, status_id=11)
    wait_until(lambda: len(storehook.jobs()) == 8, timeout=20)
    wait_until(storehook.settled, timeout=20)
    probes = _probes(storehook)

    for kind in ("async", "plain"):
        same, none, other = (probes[f"{kind}-{n}"] for n in ("same", "none", "other"))
        # A job queued without store_hash keeps the store of the job that
        # queued it; store_hash="" has no store, so no current client.
        assert same["current_store_hash"] == first
        assert same["current_name"] == names[first]
        assert none["current_store_hash"] == ""
        assert "NoCurrentStore" in none["current_error"]
        assert "for_store_hash" in none["current_error"]
        assert other["current_store_hash"] == second
        assert other["current_name"] == names[second]
        for probe in (same, none, other):
            assert probe["target_name"] == names[second]

    # One client per store, reused across jobs.
    assert probes["async-same"]["current_client"] == probes["fan_out"]["current_client"]
    targets = {probes[f"async-{n}"]["target_client"] for n in ("same", "none", "other")}
    assert targets == {probes["async-other"]["current_client"]}
    assert probes["async-same"]["current_client"] not in targets

    [unknown] = storehook.jobs(state="failed")
    assert unknown["action"] == "probe_async"
    assert "StoreNotConnected" in unknown["last_error"]
    assert "store nosuchstore is not connected" in unknown["last_error"]
    assert len(storehook.jobs(state="succeeded")) == 7


READ_ORDER = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/updated"]}},
}


async def run(params, logger, connections):
    client = connections.bigcommerce.current
    order = await client.v2.get("/orders/{order_id}", path={"order_id": params["id"]})
    logger.info("order %s is %s", order["id"], order["status"])
"""


def test_a_new_token_reaches_jobs_held_for_the_old_one(make_storehook: Any) -> None:
    storehook = make_storehook()
    storehook.write_action("read_order", READ_ORDER)
    app = storehook.start()
    store = storehook.sandbox.stores[0]
    storehook.sandbox.update_order(store.store_hash, 104, status_id=11)
    wait_until(lambda: storehook.jobs(state="succeeded"), timeout=20)

    storehook.sandbox.revoke_token(store.access_token)
    storehook.sandbox.update_order(store.store_hash, 104, status_id=9)
    [held] = wait_until(lambda: storehook.jobs(state="held"), timeout=20)
    assert held["hold_reason"].startswith("auth failed")

    token = storehook.sandbox.add_token(store.store_hash)
    storehook.call(
        app.stores.add_store(store.store_hash, token, api_url=storehook.sandbox.api_url)
    )

    def ran_again() -> dict[str, Any] | None:
        job = storehook.show(held["id"])
        done = job["attempts"] >= 2 and job["state"] not in ("queued", "running")
        return job if done else None

    job = wait_until(ran_again, timeout=20)
    assert job is not None
    assert job["state"] == "succeeded"
