# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What run() receives (params by name, logger, api, connections), and how it runs."""

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from app.actions.runtime import MAX_APP_LOG_LINES, MAX_LOG_LINES
from app.db.models import Job, JobState
from app.queue import jobs
from tests.helpers.wait import wait_until
from tests.queue.gates import closed_gate
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


DECORATED = """
import functools

def traced(function):
    @functools.wraps(function)
    def wrapper(**kwargs):
        return function(**kwargs)
    return wrapper

@traced
async def run(params, api, connections):
    client = connections.bigcommerce.current
    answer = await client.v3.get("/catalog/products/{product_id}")
    queued = await api.enqueue("follow_up", {"product": params["id"]})
    with open(OUT, "w") as f:
        json.dump({"store": answer["store"], "queued": queued}, f)
"""

RETURNS_A_COROUTINE = """
async def _work(params):
    with open(OUT, "w") as f:
        json.dump({"store": params["storeHash"], "queued": None}, f)

def run(params):
    return _work(params)
"""


@pytest.mark.parametrize("source", [DECORATED, RETURNS_A_COROUTINE])
def test_a_coroutine_returned_by_run_is_awaited(
    database: Any, tmp_path: Path, source: str
) -> None:
    actions, out = tmp_path / "actions", tmp_path / "out.json"
    write_action(actions, "wrapped", OPTIONS + _dump(out) + source)
    write_action(actions, "follow_up", "options = {}\ndef run():\n    pass\n")
    job_id = add_job("wrapped")

    with running_pool(database, actions):
        wait_state(job_id, JobState.SUCCEEDED)

    # It ran (a coroutine never awaited would have left no file), with the
    # async flavour of api and connections when it wraps an async def.
    seen = json.loads(out.read_text())
    assert seen["store"] == STORE
    if seen["queued"] is not None:
        wait_state(seen["queued"], JobState.SUCCEEDED)


def test_one_client_per_store_across_jobs_and_threads(
    database: Any, tmp_path: Path
) -> None:
    actions, out = tmp_path / "actions", tmp_path / "out.jsonl"
    write_action(
        actions,
        "uses_client",
        OPTIONS
        + _dump(out)
        + """
import threading
from tests.queue.gates import gate

async def run(params, connections):
    client = connections.bigcommerce.current
    await client.v2.get("/store")
    other = await connections.bigcommerce.for_store_hash("other")
    with open(OUT, "a") as f:
        f.write(json.dumps([id(client), id(other), threading.get_ident()]) + "\\n")
    # Holding every attempt until all have started puts each on a thread
    # of its own.
    gate("clients").wait(10)
""",
    )
    provider = FakeProvider()
    ids = [add_job("uses_client", data={"type": "product", "id": n}) for n in range(3)]

    with (
        closed_gate("clients") as gate,
        running_pool(database, actions, provider=provider, concurrency=3),
    ):
        wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 3)
        gate.set()
        for job_id in ids:
            wait_state(job_id, JobState.SUCCEEDED)

    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len({thread for _, _, thread in seen}) == 3
    assert len({(current, other) for current, other, _ in seen}) == 1
    assert sorted(c.store_hash for c in provider.opened) == ["other", STORE]
    assert provider.opened[0].calls == [(STORE, "GET", "/store")] * 3


def test_a_chatty_action_is_capped_in_the_app_log_and_in_its_job(
    database: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions,
        "chatty",
        OPTIONS
        + "def run(logger):\n"
        + "    for n in range(1500):\n"
        + "        logger.info('line %d %s', n, 'x' * 2000)\n",
    )
    job_id = add_job("chatty")

    with caplog.at_level(logging.INFO, logger="storehook.action.chatty"):
        with running_pool(database, actions):
            wait_state(job_id, JobState.SUCCEEDED)

    app_log = [r.getMessage() for r in caplog.records if r.name.endswith("chatty")]
    assert len(app_log) == MAX_APP_LOG_LINES + 1
    assert app_log[0].startswith("line 0 ") and app_log[199].startswith("line 199 ")
    assert app_log[-1].startswith(
        "(1300 more lines of this attempt are not in the application log"
    )
    kept = jobs.show_job(database, job_id)["attempt_log"][0]["log"]
    assert len(kept) == MAX_LOG_LINES + 1
    assert kept[-1] == "(500 more lines were not kept)"
