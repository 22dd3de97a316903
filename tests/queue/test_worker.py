# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker pool running real action files against a real database."""

import itertools
import json
import time
from pathlib import Path
from typing import Any

from app.db.models import JobState
from app.events import JOB_CHANGED, Event, EventHub
from app.queue import jobs
from tests.helpers.wait import wait_until
from tests.queue.support import (
    add_job,
    job,
    running_pool,
    wait_finished,
    wait_state,
    write_action,
)

OPTIONS = (
    'options = {"triggers": {"bigcommerce": {"webhooks": ["store/product/*"]}}%s}\n'
)


def _options(extra: str = "") -> str:
    return OPTIONS % extra


def test_raises_then_succeeds(database: Any, tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    counter = tmp_path / "count"
    write_action(
        actions,
        "flaky",
        _options()
        + f"""
from pathlib import Path
COUNTER = Path({str(counter)!r})

def run(logger):
    runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(runs))
    logger.info("run number %d", runs)
    if runs == 1:
        raise RuntimeError("first time fails")
""",
    )
    job_id = add_job("flaky")

    with running_pool(database, actions):
        row = wait_state(job_id, JobState.SUCCEEDED)

    assert row.attempts == 2
    shown = jobs.show_job(database, job_id)
    first, second = shown["attempt_log"]
    assert first["outcome"] == "failed"
    assert first["error_type"] == "RuntimeError"
    assert "first time fails" in first["traceback"]
    assert first["log"][0].endswith("INFO run number 1")
    assert second["outcome"] == "succeeded"
    assert shown["last_error"] == ""


def test_br24_always_failing_job(database: Any, tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    runs = tmp_path / "runs"
    write_action(
        actions,
        "always",
        _options(', "retries": 4')
        + f"""
import time
def run():
    with open({str(runs)!r}, "a") as f:
        f.write(repr(time.time()) + "\\n")
    raise ValueError("always broken")
""",
    )
    write_action(actions, "noop", _options() + "def run():\n    pass\n")
    job_id = add_job("always", max_attempts=5)

    with running_pool(database, actions):
        # While a retry is pending its due time is shown.
        waiting = wait_until(
            lambda: [j for j in jobs.list_jobs(database) if j["state"] == "retrying"]
        )
        assert waiting[0]["next_attempt_at"].endswith("Z")
        row = wait_state(job_id, JobState.FAILED)

    times = [float(line) for line in runs.read_text().split()]
    assert len(times) == 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for gap, nominal in zip(gaps, (0.05, 0.1, 0.2, 0.4), strict=True):
        assert nominal * 0.9 - 0.01 <= gap <= nominal * 1.1 + 0.25, gaps
    assert row.attempts == 5
    assert row.last_error == "ValueError: always broken"
    shown = jobs.show_job(database, job_id)
    assert "ValueError: always broken" in shown["attempt_log"][-1]["traceback"]
    assert shown["next_attempt_at"] is None

    # A restart runs nothing more: another job passes through, this one stays.
    with running_pool(database, actions):
        wait_state(add_job("noop"), JobState.SUCCEEDED)
        assert job(job_id).state == JobState.FAILED
        assert len(runs.read_text().split()) == 5

        # Retry now: exactly one more attempt, numbered 6, history kept.
        assert jobs.retry_now(database, [job_id]) == [job_id]
        wait_until(lambda: len(runs.read_text().split()) == 6)
        row = wait_state(job_id, JobState.FAILED)
        wait_state(add_job("noop"), JobState.SUCCEEDED)

    assert row.attempts == 6
    numbers = [a["number"] for a in jobs.show_job(database, job_id)["attempt_log"]]
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert len(runs.read_text().split()) == 6


def test_br07_key_error_is_an_ordinary_failure(database: Any, tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions,
        "needs_name",
        _options(', "retries": 1')
        + """
def run(trigger, params):
    return trigger["data"]["name"]
""",
    )
    write_action(actions, "noop", _options() + "def run():\n    pass\n")
    body = (
        '{"scope":"store/product/updated","store_id":"1009876",'
        '"data":{"type":"product","id":77},'
        '"hash":"e4183910bafb1666bc796d5373970efa7ef02306",'
        '"created_at":1717243260,"producer":"stores/t3stab9x1q"}'
    )
    job_id = add_job("needs_name", max_attempts=2, body=body)

    with running_pool(database, actions):
        wait_state(job_id, JobState.FAILED)
        # The worker survives and runs the next job.
        wait_state(add_job("noop"), JobState.SUCCEEDED)

    shown = jobs.show_job(database, job_id)
    assert shown["payload"] == json.loads(body)
    assert shown["resource_type"] == "product" and shown["resource_id"] == "77"
    assert [a["error_type"] for a in shown["attempt_log"]] == ["KeyError", "KeyError"]
    assert "KeyError: 'name'" in shown["attempt_log"][-1]["traceback"]


def test_hung_actions_are_abandoned_without_blocking_others(
    database: Any, tmp_path: Path
) -> None:
    actions = tmp_path / "actions"
    timeout = ', "timeout": 1, "retries": 0'
    write_action(
        actions,
        "hung_async",
        _options(timeout)
        + "import asyncio\nasync def run():\n    await asyncio.sleep(3600)\n",
    )
    write_action(
        actions,
        "hung_sync",
        _options(timeout) + "import time\ndef run():\n    time.sleep(3600)\n",
    )
    write_action(actions, "quick", _options() + "def run():\n    pass\n")
    hung = [add_job("hung_async", max_attempts=1), add_job("hung_sync", max_attempts=1)]
    quick = add_job("quick")

    with running_pool(database, actions, concurrency=3):
        wait_state(quick, JobState.SUCCEEDED)
        assert {job(j).state for j in hung} == {JobState.RUNNING}
        for job_id in hung:
            row = wait_state(job_id, JobState.FAILED)
            assert row.last_error.startswith("TimeoutError: the action did not finish")
        # The abandoned thread holds no slot: three more jobs run at once.
        for job_id in [add_job("quick") for _ in range(3)]:
            wait_state(job_id, JobState.SUCCEEDED)


def test_br20_stop_while_running_requeues_the_job(
    database: Any, tmp_path: Path
) -> None:
    actions = tmp_path / "actions"
    started = tmp_path / "started"
    write_action(
        actions,
        "slow",
        _options()
        + f"""
import asyncio
from pathlib import Path
async def run():
    if not Path({str(started)!r}).exists():
        Path({str(started)!r}).write_text("x")
        await asyncio.sleep(60)
""",
    )
    write_action(
        actions,
        "stuck_sync",
        _options()
        + f"""
import time
from pathlib import Path
def run():
    if not Path({str(started)!r} + "sync").exists():
        Path({str(started)!r} + "sync").write_text("x")
        time.sleep(60)
""",
    )
    job_ids = [add_job("slow"), add_job("stuck_sync")]

    with running_pool(database, actions) as pool:
        wait_until(lambda: all(job(j).state == JobState.RUNNING for j in job_ids))
        wait_until(lambda: started.exists() and Path(f"{started}sync").exists())
        began = time.monotonic()
        pool.stop(timeout_s=10)
        assert time.monotonic() - began < 5

    for job_id in job_ids:
        row = job(job_id)
        assert (row.state, row.attempts) == (JobState.QUEUED, 1)
        attempt = jobs.show_job(database, job_id)["attempt_log"][0]
        assert attempt["outcome"] == "interrupted"

    with running_pool(database, actions):
        for job_id in job_ids:
            assert wait_state(job_id, JobState.SUCCEEDED).attempts == 2


def test_credentials_problem_holds_the_job(database: Any, tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions,
        "revoked",
        _options()
        + """
from app.bigcommerce.errors import TokenRejected
def run():
    raise TokenRejected("401 Unauthorized from /v2/orders")
""",
    )
    write_action(
        actions,
        "needs_client",
        _options()
        + "async def run(connections):\n    connections.bigcommerce.current\n",
    )
    revoked = add_job("revoked", max_attempts=1)
    # No credentials for this store (BR-16): the job waits.
    unknown_store = add_job("needs_client", store_hash="nokeyring1", max_attempts=1)

    with running_pool(database, actions):
        first = wait_finished(revoked)
        second = wait_finished(unknown_store)

    assert first.state == JobState.HELD
    assert (
        first.hold_reason == "auth failed: token rejected (revoked, or app uninstalled)"
    )
    assert first.max_attempts == 2
    assert second.state == JobState.HELD
    assert second.hold_reason == "auth failed: credentials unavailable"
    attempt = jobs.show_job(database, revoked)["attempt_log"][0]
    assert (attempt["outcome"], attempt["error_type"]) == ("held", "TokenRejected")


def test_a_missing_action_fails_and_a_broken_one_waits_for_its_fix(
    database: Any, tmp_path: Path
) -> None:
    actions = tmp_path / "actions"
    write_action(actions, "broken", "def run(:\n")
    missing = add_job("gone", max_attempts=1)
    broken = add_job("broken", max_attempts=1)

    with running_pool(database, actions):
        wait_state(missing, JobState.FAILED)
        wait_state(broken, JobState.HELD)

    assert job(missing).last_error.startswith("ActionNotFound: there is no action file")
    assert job(broken).hold_reason == (
        "action failed to load; it runs once broken.py loads"
    )
    attempt = jobs.show_job(database, broken)["attempt_log"][0]
    assert attempt["error_type"] == "ActionLoadError"
    assert "broken.py, line 1: SyntaxError" in attempt["error_message"]
    # Waiting does not spend the retry budget.
    assert job(broken).max_attempts == 2


def test_state_changes_are_published(database: Any, tmp_path: Path) -> None:
    actions = tmp_path / "actions"
    write_action(actions, "noop", _options() + "def run():\n    pass\n")
    events = EventHub()
    seen: list[Event] = []
    events.subscribe(seen.append)
    job_id = add_job("noop")

    with running_pool(database, actions, events=events):
        wait_state(job_id, JobState.SUCCEEDED)
        wait_until(lambda: len(seen) >= 2)

    states = [e.fields["state"] for e in seen if e.kind == JOB_CHANGED]
    assert states[:2] == [JobState.RUNNING, JobState.SUCCEEDED]
