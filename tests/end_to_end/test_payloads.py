# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every official sample payload through one `storehook serve`, to its action."""

import collections
import concurrent.futures
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import SECRET_HEADER
from app.sandbox.samples import PAYLOADS_DIR
from tests.end_to_end.harness import StorehookHarness
from tests.helpers.wait import wait_until

# Each action writes one file per run, named after the callback's hash, so
# that the test sees which action ran for which payload, and with what.
GROUP_ACTION = """
import json
from pathlib import Path

options = {{
    "triggers": {{"api": False, "bigcommerce": {{"webhooks": {triggers!r}}}}},
    "retries": 0,
}}

RUNS = Path({runs!r})


def run(params, trigger, logger):
    name = "{action}-" + trigger["hash"]
    record = {{"action": "{action}", "scope": trigger["scope"], "params": params}}
    (RUNS / name).write_text(json.dumps(record))
    logger.info("%s ran for %s", "{action}", trigger["scope"])
"""


def official_payloads() -> list[dict[str, Any]]:
    """Every sample file as BigCommerce sends it (two share store/product/updated)."""
    files = sorted(PAYLOADS_DIR.glob("store_*.json"))
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def action_name(scope: str) -> str:
    """The test's action for a scope: one per resource (order, cart, channel...)."""
    return "on_" + scope.split("/")[1]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[StorehookHarness]:
    with StorehookHarness(tmp_path) as running:
        yield running


def test_every_official_payload_runs_its_action_once(
    harness: StorehookHarness,
) -> None:
    payloads = official_payloads()
    assert len(payloads) == 136
    runs = harness.root / "runs"
    runs.mkdir()
    declared: dict[str, set[str]] = collections.defaultdict(set)
    for payload in payloads:
        declared[action_name(payload["scope"])].add(payload["scope"])
    for action, triggers in declared.items():
        source = GROUP_ACTION.format(
            triggers=sorted(triggers), runs=str(runs), action=action
        )
        harness.write_action(action, source)
    store = harness.add_sandbox_store()
    harness.start_serve()
    secret = harness.webhook_secret(store.store_hash)
    # The sync at start registers one hook per scope the actions declare.
    scopes = {p["scope"] for p in payloads}
    wait_until(
        lambda: {h.scope for h in harness.sandbox.hooks(store.store_hash)} == scopes,
        timeout=20,
        message="the sync at start did not register a hook for every scope",
    )

    def deliver(payload: dict[str, Any]) -> int:
        payload["producer"] = f"stores/{store.store_hash}"
        response = client.post(
            harness.receiver_url, json=payload, headers={SECRET_HEADER: secret}
        )
        return response.status_code

    with (
        httpx.Client(timeout=30) as client,
        concurrent.futures.ThreadPoolExecutor(8) as pool,
    ):
        statuses = list(pool.map(deliver, payloads))

    assert statuses == [200] * len(payloads)
    jobs = wait_until(
        lambda: _all_finished(harness, len(payloads)),
        timeout=25,
        message="not every payload's job finished",
    )
    assert {job["state"] for job in jobs} == {"succeeded"}
    expected = collections.Counter(
        (action_name(p["scope"]), p["scope"]) for p in payloads
    )
    assert collections.Counter((j["action"], j["scope"]) for j in jobs) == expected
    assert {j["store_hash"] for j in jobs} == {store.store_hash}

    # Each delivery ran exactly one action, the one for its scope, with its
    # own hash and the store's hash in params.
    records = {path.name: json.loads(path.read_text()) for path in runs.iterdir()}
    assert len(records) == len(payloads)
    for payload in payloads:
        action = action_name(payload["scope"])
        record = records[f"{action}-{payload['hash']}"]
        assert record["scope"] == payload["scope"]
        assert record["scope"] in declared[record["action"]]
        assert record["params"]["storeHash"] == store.store_hash


def _all_finished(harness: StorehookHarness, count: int) -> list[dict[str, Any]]:
    jobs = harness.queue_list(limit=1000)
    finished = [j for j in jobs if j["state"] in ("succeeded", "failed", "held")]
    if len(jobs) >= count and len(finished) == len(jobs):
        return jobs
    return []
