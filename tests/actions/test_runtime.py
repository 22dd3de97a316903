# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What run() receives: params by name, logger, api, connections."""

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from app.db.models import Job, JobState
from app.queue import jobs
from tests.helpers.wait import wait_until
from tests.queue.support import (
    STORE,
    FakeProvider,
    add_job,
    running_pool,
    wait_state,
    write_action,
)

OPTIONS = 'options = {"triggers": {"bigcommerce": {"webhooks": ["store/product/*"]}}}\n'


def _dump(out: Path) -> str:
    return f"import json\nOUT = {str(out)!r}\n"


@pytest.mark.parametrize("kind", ["async def", "def"])
def test_run_gets_arguments_by_name(database: Any, tmp_path: Path, kind: str) -> None:
    actions, out = tmp_path / "actions", tmp_path / "out.json"
    awaiting = "await " if kind.startswith("async") else ""
    write_action(
        actions,
        "inspect",
        OPTIONS
        + _dump(out)
        + f"""
{kind} run(trigger, params, logger, connections):
    logger.info("product %s", params["id"])
    client = connections.bigcommerce.current
    answer = {awaiting}client.v3.get(
        "/catalog/products/{{product_id}}", path={{"product_id": 77}}
    )
    with open(OUT, "w") as f:
        json.dump({{"params": params, "scope": trigger["scope"], "answer": answer,
                   "store": connections.current_store_hash}}, f)
""",
    )
    job_id = add_job("inspect")

    with running_pool(database, actions):
        wait_state(job_id, JobState.SUCCEEDED)

    seen = json.loads(out.read_text())
    assert seen["params"] == {"type": "product", "id": 77, "storeHash": STORE}
    assert seen["scope"] == "store/product/updated"
    assert seen["answer"]["store"] == STORE
    assert seen["store"] == STORE
    log_lines = jobs.show_job(database, job_id)["attempt_log"][0]["log"]
    assert log_lines[0].endswith("INFO product 77")


def test_logger_lines_also_reach_the_app_log(
    database: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions, "chatty", OPTIONS + "def run(logger):\n    logger.warning('hello')\n"
    )
    job_id = add_job("chatty")

    with caplog.at_level(logging.INFO, logger="storehook.action.chatty"):
        with running_pool(database, actions):
            wait_state(job_id, JobState.SUCCEEDED)

    assert ("storehook.action.chatty", logging.WARNING, "hello") in caplog.record_tuples


def test_enqueue_with_and_without_store(database: Any, tmp_path: Path) -> None:
    actions, out = tmp_path / "actions", tmp_path / "out.jsonl"
    write_action(
        actions,
        "starter",
        OPTIONS
        + """
async def run(api, params):
    await api.enqueue("follow_up", {"product": params["id"]})
    await api.enqueue("follow_up", {"product": params["id"]}, store_hash="")
""",
    )
    write_action(
        actions,
        "follow_up",
        "options = {}\n"
        + _dump(out)
        + """
async def run(params, connections):
    try:
        connections.bigcommerce.current
        error = None
    except Exception as problem:
        error = str(problem)
    other = await connections.bigcommerce.for_store_hash("other")
    answer = await other.v2.get("/store")
    with open(OUT, "a") as f:
        f.write(json.dumps({"params": params, "error": error, "other": answer["store"],
                            "store": connections.current_store_hash}) + "\\n")
""",
    )
    provider = FakeProvider()
    job_id = add_job("starter")

    with running_pool(database, actions, provider=provider):
        wait_state(job_id, JobState.SUCCEEDED)
        wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 2)

    runs = sorted((json.loads(line) for line in out.read_text().splitlines()), key=str)
    with_store = next(r for r in runs if r["store"] == STORE)
    without = next(r for r in runs if r["store"] == "")
    assert with_store["params"] == {"product": 77, "storeHash": STORE}
    assert with_store["error"] is None
    assert without["params"] == {"product": 77}
    assert "for_store_hash" in without["error"]
    assert {r["other"] for r in runs} == {"other"}

    follow_ups = [j for j in jobs.list_jobs(database) if j["action"] == "follow_up"]
    assert [(j["queue"], j["scope"], j["state"]) for j in follow_ups] == [
        ("bigcommerce-webhook", "", "succeeded")
    ] * 2
    assert jobs.show_job(database, follow_ups[0]["id"])["payload"] == {"product": 77}
    # One client per store, closed when the pool stopped.
    assert sorted(c.store_hash for c in provider.opened) == ["other", STORE]
    assert all(c.closed for c in provider.opened)


def test_enqueue_of_an_unknown_action_fails_the_attempt(
    database: Any, tmp_path: Path
) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions, "typo", OPTIONS + "def run(api):\n    api.enqueue('nope', {})\n"
    )
    job_id = add_job("typo", max_attempts=1)

    with running_pool(database, actions):
        row = wait_state(job_id, JobState.FAILED)

    assert "no action named 'nope'" in row.last_error
    assert Job.select().count() == 1


def test_records_from_an_async_action(database: Any, tmp_path: Path) -> None:
    actions, out = tmp_path / "actions", tmp_path / "out.json"
    write_action(
        actions,
        "tracker",
        OPTIONS
        + _dump(out)
        + """
async def run(api, params):
    first = await api.records.upsert("product", params["id"], {"name": "Mug"})
    again = await api.records.upsert("product", params["id"], {"name": "Mug"})
    with open(OUT, "w") as f:
        json.dump([first.changed("name"), again.changed("name")], f)
""",
    )
    job_id = add_job("tracker")

    with running_pool(database, actions):
        wait_state(job_id, JobState.SUCCEEDED)

    assert json.loads(out.read_text()) == [True, False]
