# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""BR-16 end to end: `storehook serve` on a machine without an OS keyring."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import SECRET_HEADER
from app.sandbox import Sandbox, SandboxStore
from app.sandbox.samples import sample_payload
from tests.end_to_end.harness import StorehookHarness
from tests.helpers.wait import wait_until

NEEDS_API_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}},
    "retries": 0,
}


async def run(params, logger, connections):
    client = connections.bigcommerce.current
    order = await client.v2.get("/orders/{order_id}", path={"order_id": params["id"]})
    logger.info("order %s is %s", order["id"], order["status"])
"""

NO_KEYRING = "credentials unavailable: no OS keyring"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[StorehookHarness]:
    # Two stores connected before the keyring goes away, a third to add after.
    stores = [SandboxStore(f"sbxbr16{n}") for n in range(3)]
    with StorehookHarness(tmp_path, Sandbox(stores=stores)) as running:
        yield running


def test_br16_serve_without_a_keyring_starts_queues_and_waits(
    harness: StorehookHarness,
) -> None:
    harness.write_action("needs_api", NEEDS_API_ACTION)
    known = harness.add_sandbox_store(0)
    harness.add_sandbox_store(1)
    webhook_secret = harness.webhook_secret(known.store_hash)
    log_root = harness.root / "state"
    without_keyring = {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "STOREHOOK_NO_LOG_FILE": None,
        "XDG_STATE_HOME": str(log_root),
    }

    process = harness.start_serve(env=without_keyring)

    listed = harness.run("stores", "list", env=without_keyring)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["sbxbr160", "sbxbr161"]
    assert all(NO_KEYRING in line for line in lines)
    rows = harness.json_command("stores", "list", "--json", env=without_keyring)
    assert [row["credentials_error"] for row in rows] == [NO_KEYRING] * 2

    other = harness.sandbox.stores[2]
    added = harness.run(
        "stores",
        "add",
        other.store_hash,
        "--api-url",
        harness.sandbox.api_url,
        stdin=other.access_token + "\n",
        env=without_keyring,
    )
    assert added.returncode == 1
    assert added.stderr.strip().splitlines() == [f"Error: {NO_KEYRING}"]
    stores = harness.json_command("stores", "list", "--json", env=without_keyring)
    assert [s["store_hash"] for s in stores] == ["sbxbr160", "sbxbr161"]
    assert harness.secret(other.store_hash, "access_token") is None

    # The receiver checks the secret by its digest in SQLite: no keyring needed.
    delivery = sample_payload("store/order/created")
    delivery["producer"] = f"stores/{known.store_hash}"
    delivery["data"]["id"] = harness.sandbox.state.orders(known.store_hash)[0]["id"]
    response = httpx.post(
        harness.receiver_url,
        json=delivery,
        headers={SECRET_HEADER: webhook_secret},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "queued"

    [job] = wait_until(
        lambda: _job_not_queued(harness),
        timeout=15,
        message="the job that needs credentials never ran",
    )
    assert job["state"] == "held", job
    assert job["hold_reason"].startswith(f"auth failed: {NO_KEYRING}"), job
    assert process.poll() is None

    harness.stop_serve(process)
    secrets = [store.access_token for store in harness.sandbox.stores]
    secrets.append(webhook_secret)
    _assert_nowhere(secrets, harness.data_dir, log_root, harness.stderr_of(process))
    assert list(log_root.rglob("storehook.log")), "serve wrote no log file"

    # Once the keyring works again, saving the token releases the held job.
    harness.add_sandbox_store(0)
    harness.start_serve()
    [job] = wait_until(lambda: _job_not_queued(harness), timeout=15)
    assert job["state"] == "succeeded", job
    assert job["attempts"] == 2


def _job_not_queued(harness: StorehookHarness) -> list[dict[str, Any]]:
    jobs = harness.queue_list()
    if jobs and jobs[0]["state"] not in ("queued", "running"):
        return jobs[:1]
    return []


def _assert_nowhere(
    secrets: list[str], data_dir: Path, log_root: Path, stderr: str
) -> None:
    files = [p for p in [*data_dir.rglob("*"), *log_root.rglob("*")] if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files)
    for secret in secrets:
        assert secret not in stderr
        for path in files:
            assert secret.encode() not in path.read_bytes(), path
        assert secret not in json.dumps([p.name for p in files])
