# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the command line behaves at its edges: pipes, locks, wrong folders."""

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import SECRET_HEADER
from app.db import connection
from app.db.models import Job, database_proxy
from tests.end_to_end.harness import StorehookHarness, free_port
from tests.end_to_end.test_serve import ORDER_ACTION, official_order_created
from tests.helpers.wait import wait_until


@pytest.fixture
def harness(tmp_path: Path) -> Any:
    with StorehookHarness(tmp_path) as running:
        yield running


def test_a_second_serve_on_the_same_data_folder_is_refused(
    harness: StorehookHarness,
) -> None:
    harness.add_sandbox_store()
    harness.start_serve()

    second = harness.run("--listen", f"127.0.0.1:{free_port()}", "serve")

    assert second.returncode == 1
    assert "already running on" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1


def test_a_mistyped_data_folder_is_reported_not_created(
    harness: StorehookHarness, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder"

    result = harness.run("--data-dir", str(missing), "queue", "list")

    assert result.returncode == 1
    assert "No Storehook data in" in result.stderr
    assert not missing.exists()


def test_queue_show_prints_payload_attempts_and_log(harness: StorehookHarness) -> None:
    harness.write_action("order_created", ORDER_ACTION)
    store = harness.add_sandbox_store()
    harness.start_serve()
    httpx.post(
        harness.receiver_url,
        json=official_order_created(store.store_hash),
        headers={SECRET_HEADER: harness.webhook_secret(store.store_hash)},
    )
    [job] = wait_until(
        lambda: [j for j in harness.queue_list() if j["state"] == "succeeded"]
    )

    shown = harness.run("queue", "show", str(job["id"]))

    assert shown.returncode == 0
    assert "State:" in shown.stdout and "succeeded" in shown.stdout
    assert '"scope": "store/order/created"' in shown.stdout
    assert "Attempt 1: succeeded" in shown.stdout
    assert "log: " in shown.stdout and "order 250 created" in shown.stdout


def test_output_cut_short_by_a_pipe_is_not_an_error(harness: StorehookHarness) -> None:
    harness.add_sandbox_store()
    # Enough jobs to overflow the pipe's buffer once head has gone.
    database = connection.open_database(harness.data_dir)
    now = time.time()
    for _ in range(400):
        Job.create(action="order_created", created_at=now, updated_at=now)
    database.close()
    database_proxy.initialize(None)

    listing = subprocess.run(
        f"set -o pipefail; '{harness.executable()}' queue list --limit 400 | head -c 1",
        shell=True,
        capture_output=True,
        text=True,
        env=harness.env,
        executable="/bin/bash",
    )

    assert listing.returncode == 0, listing.stderr
    assert listing.stderr == ""


def test_job_ids_out_of_range_are_usage_errors(harness: StorehookHarness) -> None:
    harness.add_sandbox_store()

    result = harness.run("queue", "show", "99999999999999999999999")

    assert result.returncode == 2


def test_stores_list_json_is_one_document(harness: StorehookHarness) -> None:
    store = harness.add_sandbox_store()

    listing = json.loads(harness.run("stores", "list", "--json").stdout)

    assert [entry["store_hash"] for entry in listing] == [store.store_hash]


def test_stores_add_registers_the_hooks_the_actions_need(
    harness: StorehookHarness,
) -> None:
    harness.write_action("order_created", ORDER_ACTION)
    store = harness.sandbox.stores[0]

    result = harness.run(
        "stores",
        "add",
        store.store_hash,
        "--api-url",
        harness.sandbox.api_url,
        stdin=store.access_token + "\n",
    )

    assert result.returncode == 0, result.stderr
    assert "Webhooks: registered, 1 topic(s) active." in result.stdout
    hooks = harness.sandbox.hooks(store.store_hash)
    assert [(h.scope, h.destination) for h in hooks] == [
        ("store/order/created", harness.receiver_url)
    ]
