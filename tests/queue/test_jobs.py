# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Job operations as the CLI and the console use them, and the retry policy."""

import random
import threading
from typing import Any

import pytest

from app.db.models import Attempt, JobState
from app.events import Event, EventHub
from app.queue import jobs
from app.queue.jobs import AttemptResult, JobNotFound
from app.queue.policy import RetryPolicy
from tests.queue.support import STORE, add_job, job

LIST_KEYS = {
    "id",
    "queue",
    "action",
    "scope",
    "store_hash",
    "resource_id",
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "last_error",
    "resource_type",
    "hold_reason",
    "received_at",
    "bigcommerce_created_at",
}


def test_policy_schedule_matches_br24() -> None:
    policy = RetryPolicy()
    starts = [0.0]
    for attempt in range(1, 5):
        starts.append(starts[-1] + policy.nominal_delay(attempt))

    assert starts == [0, 2, 6, 14, 30]
    rng = random.Random(7)
    for attempt in range(1, 30):
        delay = policy.delay(attempt, rng)
        nominal = policy.nominal_delay(attempt)
        assert nominal * 0.9 <= delay <= min(nominal * 1.1, 3600)
    assert policy.nominal_delay(5000) == 3600


def test_claims_are_oldest_first_and_never_doubled(database: Any) -> None:
    ids = [add_job("a") for _ in range(40)]
    claimed: list[list[int]] = []

    def claimer(worker: str) -> None:
        for _ in range(10):
            claimed.append([c.job_id for c in jobs.claim_due(database, worker, 3)])

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    flat = [job_id for batch in claimed for job_id in batch]
    assert sorted(flat) == ids
    assert all(batch == sorted(batch) for batch in claimed)
    assert {job(i).state for i in ids} == {JobState.RUNNING}
    assert Attempt.select().count() == 40


def test_recover_interrupted(database: Any) -> None:
    again, last = add_job("a"), add_job("a", max_attempts=1)
    jobs.claim_due(database, "dead", 10)

    assert jobs.recover_interrupted(database) == [again, last]

    assert (job(again).state, job(again).attempts) == (JobState.QUEUED, 1)
    # A crash during the last allowed attempt still runs the job once more.
    assert (job(last).state, job(last).max_attempts) == (JobState.QUEUED, 2)
    assert job(last).last_error == f"Interrupted: {jobs.INTERRUPTED_BY_CRASH}"
    attempt = jobs.show_job(database, again)["attempt_log"][0]
    assert attempt["outcome"] == "interrupted" and attempt["ended_at"]
    assert attempt["error_message"] == jobs.INTERRUPTED_BY_CRASH


def _crash(database: Any, job_id: int) -> None:
    (claimed,) = jobs.claim_due(database, "dead", 1)
    assert claimed.job_id == job_id
    assert jobs.recover_interrupted(database) == [job_id]


def test_three_crashes_in_a_row_fail_the_job(database: Any) -> None:
    job_id = add_job("kills_the_process", max_attempts=1)
    _crash(database, job_id)
    _crash(database, job_id)
    assert job(job_id).state == JobState.QUEUED

    _crash(database, job_id)

    row = job(job_id)
    assert (row.state, row.attempts, row.next_attempt_at) == (JobState.FAILED, 3, None)
    assert row.last_error == f"Interrupted: {jobs.CRASH_LOOP}"
    assert "last 3 attempts in a row" in row.last_error
    assert "queued again" not in row.last_error
    messages = [
        a["error_message"] for a in jobs.show_job(database, job_id)["attempt_log"]
    ]
    assert messages == [jobs.INTERRUPTED_BY_CRASH] * 2 + [jobs.CRASH_LOOP]

    # Retry now runs it once more; another crash fails it again at once.
    jobs.retry_now(database, [job_id])
    _crash(database, job_id)
    assert job(job_id).state == JobState.FAILED


def test_a_finished_attempt_breaks_the_crash_run(database: Any) -> None:
    job_id = add_job("sometimes_crashes", max_attempts=10)
    _crash(database, job_id)
    _crash(database, job_id)
    (claimed,) = jobs.claim_due(database, "w", 1)
    jobs.finish_failure(
        database, job_id, claimed.attempt_id, "ValueError", "bad", "", [], 0.0
    )
    _crash(database, job_id)
    _crash(database, job_id)

    assert job(job_id).state == JobState.QUEUED
    assert job(job_id).last_error == f"Interrupted: {jobs.INTERRUPTED_BY_CRASH}"


def test_retry_now_after_failure_numbers_the_next_attempt(database: Any) -> None:
    job_id = add_job("a", max_attempts=1)
    (claimed,) = jobs.claim_due(database, "w", 1)
    state = jobs.finish_failure(
        database, job_id, claimed.attempt_id, "ValueError", "bad", "tb", [], None
    )
    assert state == JobState.FAILED

    assert jobs.retry_now(database, [job_id]) == [job_id]
    (again,) = jobs.claim_due(database, "w", 1)

    assert again.attempt_number == 2 and again.max_attempts == 2
    assert [a["number"] for a in jobs.show_job(database, job_id)["attempt_log"]] == [
        1,
        2,
    ]


def test_hold_release_cancel_and_per_resource(database: Any) -> None:
    events = EventHub()
    seen: list[Event] = []
    events.subscribe(seen.append)
    loop_a = add_job("a", data={"type": "product", "id": 9})
    loop_b = add_job("b", data={"type": "product", "id": 9})
    other = add_job("a", data={"type": "product", "id": 10})

    assert jobs.hold(database, [loop_a, loop_b, other], "loop", events=events) == [
        loop_a,
        loop_b,
        other,
    ]
    assert jobs.claim_due(database, "w", 10) == []
    assert job(loop_a).hold_reason == "loop"

    scope = "store/product/updated"
    assert jobs.release_for_resource(database, STORE, scope, "9") == [loop_a, loop_b]
    assert jobs.cancel_for_resource(database, STORE, scope, "10") == [other]
    assert job(other).state == JobState.CANCELLED
    assert jobs.cancel(database, [loop_a]) == [loop_a]
    assert jobs.release(database, [loop_a]) == []
    assert [e.fields["state"] for e in seen] == [JobState.HELD] * 3

    with pytest.raises(JobNotFound, match="no job with id 999"):
        jobs.cancel(database, [loop_b, 999])
    assert job(loop_b).state == JobState.QUEUED


def test_list_and_show_are_json_ready(database: Any) -> None:
    first, second = add_job("a"), add_job("b")
    (claimed,) = jobs.claim_due(database, "w", 1)
    jobs.finish_results(
        database,
        [
            AttemptResult(
                first,
                claimed.attempt_id,
                jobs.OUTCOME_FAILED,
                error_type="KeyError",
                message="'name'",
                log_lines=["line"],
                retry_at=1.0e10,
            )
        ],
    )

    listed = jobs.list_jobs(database)
    assert [j["id"] for j in listed] == [second, first]
    assert set(listed[0]) == LIST_KEYS
    failed = listed[1]
    assert failed["state"] == "retrying"
    assert failed["next_attempt_at"] == "2286-11-20T17:46:40Z"
    assert failed["bigcommerce_created_at"] == "2024-06-01T12:01:00Z"
    assert failed["last_error"] == "KeyError: 'name'"
    assert jobs.list_jobs(database, state="retrying", limit=5) == [failed]

    shown = jobs.show_job(database, first)
    assert shown["payload"]["data"] == {"type": "product", "id": 77}
    assert shown["attempt_log"][0]["log"] == ["line"]
    with pytest.raises(JobNotFound):
        jobs.show_job(database, 12345)
    with pytest.raises(ValueError, match="unknown job state"):
        jobs.list_jobs(database, state="sleeping")
