# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Actions that block their loop, ignore cancellation or never return."""

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from app.db.models import JobState
from app.queue import jobs
from tests.helpers.wait import wait_until
from tests.queue.gates import closed_gate
from tests.queue.support import add_job, job, running_pool, wait_state, write_action

OPTIONS = (
    'options = {"triggers": {"bigcommerce": {"webhooks": ["store/product/*"]}}%s}\n'
)
QUICK = OPTIONS % "" + "async def run():\n    pass\n"

# Each tells the test it has started, then misbehaves.
STARTED = "from tests.queue.gates import gate\n"
SPIN_ASYNC = (
    STARTED
    + """
async def run():
    gate("started").set()
    while True:
        pass
"""
)
SPIN_PLAIN = (
    STARTED
    + """
def run():
    gate("started").set()
    while True:
        pass
"""
)
# Blocks in C, as time.sleep(20) does: nothing can interrupt it.
BLOCK_ASYNC = (
    STARTED
    + """
async def run():
    gate("started").set()
    gate("hostile").wait()
"""
)
SWALLOW = (
    STARTED
    + """
import asyncio
async def run():
    gate("started").set()
    while True:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            pass
"""
)
KINDS = {
    "async-spins": (SPIN_ASYNC, True),
    "plain-spins": (SPIN_PLAIN, True),
    "async-blocks-in-c": (BLOCK_ASYNC, False),
    "async-swallows-cancel": (SWALLOW, True),
}


def _hostile(actions: Path, source: str, timeout: float) -> None:
    write_action(actions, "hostile", OPTIONS % f', "timeout": {timeout}' + source)
    write_action(actions, "quick", QUICK)


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_attempt_past_its_timeout_is_abandoned_and_frees_its_slot(
    database: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    source, stoppable = KINDS[kind]
    actions = tmp_path / "actions"
    _hostile(actions, source, timeout=1)
    hostile = add_job("hostile", max_attempts=1)

    with (
        closed_gate("hostile"),
        closed_gate("started") as started,
        running_pool(database, actions, concurrency=2, abandon_grace_s=0.05) as pool,
    ):
        assert started.wait(10)
        # Other jobs do not wait for it.
        wait_state(add_job("quick"), JobState.SUCCEEDED)
        assert job(hostile).state == JobState.RUNNING

        row = wait_state(hostile, JobState.FAILED)
        assert row.last_error == (
            "TimeoutError: the action did not finish within 1 s and was abandoned"
        )
        # Its slot is free at once: two more jobs run side by side.
        for job_id in [add_job("quick"), add_job("quick")]:
            wait_state(job_id, JobState.SUCCEEDED)
        if stoppable:
            # Pure-Python code is stopped by the exception raised inside it.
            wait_until(lambda: pool.abandoned_attempts() == 0)
        else:
            assert pool.abandoned_by_action() == {"hostile": 1}
        began = time.monotonic()
        pool.stop(timeout_s=10)
        assert time.monotonic() - began < 3

    abandoned = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and "abandoned" in r.getMessage()
    ]
    assert abandoned and abandoned[0].startswith(f"Action hostile, job {hostile}:")


@pytest.mark.parametrize("kind", ["async-spins", "async-blocks-in-c"])
def test_stop_returns_at_once_whatever_the_running_action_does(
    database: Any, tmp_path: Path, kind: str
) -> None:
    actions = tmp_path / "actions"
    _hostile(actions, KINDS[kind][0], timeout=60)
    hostile = add_job("hostile")

    with (
        closed_gate("hostile"),
        closed_gate("started") as started,
        running_pool(database, actions) as pool,
    ):
        assert started.wait(10)
        began = time.monotonic()
        pool.stop(timeout_s=10)
        assert time.monotonic() - began < 3

    row = job(hostile)
    assert (row.state, row.attempts) == (JobState.QUEUED, 1)
    attempt = jobs.show_job(database, hostile)["attempt_log"][0]
    assert (attempt["outcome"], attempt["error_message"]) == (
        "interrupted",
        jobs.INTERRUPTED_BY_STOP,
    )


def test_jobs_wait_while_their_action_has_too_many_abandoned_attempts(
    database: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    actions = tmp_path / "actions"
    write_action(
        actions,
        "stuck",
        OPTIONS % ', "timeout": 0.2'
        + "from tests.queue.gates import gate\ndef run():\n    gate('stuck').wait()\n",
    )
    write_action(actions, "quick", QUICK)
    stuck = [add_job("stuck", max_attempts=1) for _ in range(2)]

    with (
        closed_gate("stuck") as gate,
        running_pool(database, actions, concurrency=3, max_abandoned=2) as pool,
    ):
        for job_id in stuck:
            wait_state(job_id, JobState.FAILED)
        assert pool.abandoned_attempts() == 2
        assert pool.abandoned_by_action() == {"stuck": 2}

        waiting = add_job("stuck")
        wait_state(add_job("quick"), JobState.SUCCEEDED)
        row = wait_until(lambda: job(waiting).hold_reason and job(waiting))
        assert (row.state, row.attempts) == (JobState.QUEUED, 0)
        assert row.hold_reason.startswith(
            "not started: 2 abandoned attempts of stuck (past their timeout) are "
            "still running"
        )

        # Once they end, the action's jobs run again.
        gate.set()
        assert wait_state(waiting, JobState.SUCCEEDED).hold_reason == ""
        assert pool.abandoned_attempts() == 0

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(m.startswith("Action stuck: not started: 2 abandoned") for m in errors)
