# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The storehook command end to end: stores add, serve, deliveries, queue."""

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import SECRET_HEADER
from tests.end_to_end.harness import StorehookHarness
from tests.helpers.wait import wait_until

ORDER_ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}}
}

def run(params, logger):
    logger.info("order %s created", params["id"])
"""

SLOW_ACTION = """
import asyncio

options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}},
    "timeout": 120,
}

async def run(params, logger):
    logger.info("starting order %s", params["id"])
    await asyncio.sleep(60)
"""


def official_order_created(store_hash: str) -> dict[str, Any]:
    path = Path(__file__).parents[2] / "resources" / "payloads"
    callback: dict[str, Any] = json.loads(
        (path / "store_order_created.json").read_text()
    )
    callback["producer"] = f"stores/{store_hash}"
    return callback


def test_official_order_created_becomes_a_succeeded_job(
    harness: StorehookHarness,
) -> None:
    harness.write_action("order_created", ORDER_ACTION)
    store = harness.add_sandbox_store()
    harness.start_serve()

    response = httpx.post(
        harness.receiver_url,
        json=official_order_created(store.store_hash),
        headers={SECRET_HEADER: harness.webhook_secret(store.store_hash)},
    )

    assert response.status_code == 200
    jobs = wait_until(
        lambda: [j for j in harness.queue_list() if j["state"] == "succeeded"],
        timeout=20,
    )
    assert jobs[0]["action"] == "order_created"
    assert jobs[0]["scope"] == "store/order/created"
    assert jobs[0]["resource_id"] == "250"
    shown = harness.json_command("queue", "show", str(jobs[0]["id"]), "--json")
    assert shown["attempt_log"][0]["outcome"] == "succeeded"
    assert "order 250 created" in json.dumps(shown["attempt_log"][0]["log"])


def test_kill_9_during_a_job_loses_nothing(harness: StorehookHarness) -> None:
    harness.write_action("slow_order", SLOW_ACTION)
    store = harness.add_sandbox_store()
    process = harness.start_serve()
    response = httpx.post(
        harness.receiver_url,
        json=official_order_created(store.store_hash),
        headers={SECRET_HEADER: harness.webhook_secret(store.store_hash)},
    )
    assert response.status_code == 200
    wait_until(lambda: [j for j in harness.queue_list() if j["state"] == "running"])

    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    harness.write_action("slow_order", ORDER_ACTION)
    harness.start_serve()

    job = wait_until(
        lambda: [j for j in harness.queue_list() if j["state"] == "succeeded"],
        timeout=30,
    )[0]
    assert job["attempts"] == 2
    assert len(harness.queue_list()) == 1


def test_br20_sigterm_puts_the_running_job_back(harness: StorehookHarness) -> None:
    harness.write_action("slow_order", SLOW_ACTION)
    store = harness.add_sandbox_store()
    process = harness.start_serve()
    httpx.post(
        harness.receiver_url,
        json=official_order_created(store.store_hash),
        headers={SECRET_HEADER: harness.webhook_secret(store.store_hash)},
    )
    wait_until(lambda: [j for j in harness.queue_list() if j["state"] == "running"])

    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    exit_code = process.wait(timeout=15)

    assert exit_code == 0
    assert time.monotonic() - started < 10
    stderr = harness.stderr_of(process)
    assert "QThread" not in stderr
    assert "Traceback" not in stderr
    [job] = harness.queue_list()
    assert job["state"] == "queued"
    assert job["attempts"] == 1

    # The port is free at once, and the job runs again on the next launch.
    harness.write_action("slow_order", ORDER_ACTION)
    harness.start_serve()
    job = wait_until(
        lambda: [j for j in harness.queue_list() if j["state"] == "succeeded"],
        timeout=30,
    )[0]
    assert job["attempts"] == 2


def test_unknown_command_is_a_usage_error(harness: StorehookHarness) -> None:
    result = harness.run("frobnicate")

    assert result.returncode == 2


def test_errors_are_one_line_without_traceback(harness: StorehookHarness) -> None:
    result = harness.run("queue", "show", "424242")

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def harness(tmp_path: Path) -> Any:
    with StorehookHarness(tmp_path) as running:
        yield running


def test_sandbox_command_prints_one_json_line(tmp_path: Path) -> None:
    with subprocess.Popen(
        [StorehookHarness.executable(), "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            document = json.loads(line)
            assert document["api_url"].startswith("http://127.0.0.1:")
            assert document["stores"][0]["store_hash"]
            assert document["stores"][0]["access_token"]
        finally:
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
