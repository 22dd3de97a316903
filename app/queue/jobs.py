# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Job operations over the database, shared by the worker, the CLI and the GUI.

Every state change is one short write transaction (BEGIN IMMEDIATE) and, once
committed, one ``job_changed`` event per job. The ``apply_*`` functions do the
same work inside a transaction the caller already holds, so that the worker
can write a batch of results and claim its next jobs in a single commit.
"""

import dataclasses
import json
import logging
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import peewee as pw

from app import timeutil
from app.db.connection import write_transaction
from app.db.models import QUEUE_BIGCOMMERCE, Attempt, Delivery, Job, JobState
from app.events import JOB_CHANGED, EventHub

log = logging.getLogger(__name__)

# Attempt outcomes, as stored in Attempt.outcome.
OUTCOME_RUNNING = "running"
OUTCOME_SUCCEEDED = "succeeded"
OUTCOME_FAILED = "failed"
OUTCOME_HELD = "held"
OUTCOME_INTERRUPTED = "interrupted"

# Every crash message starts so: recovery counts them to find crash loops.
CRASHED = "Storehook stopped while this attempt ran (the process was killed or crashed)"
INTERRUPTED_BY_CRASH = f"{CRASHED}; the attempt counts and the job was queued again."
INTERRUPTED_BY_STOP = (
    "Storehook was shut down while this attempt ran; the attempt counts and "
    "the job was queued again."
)
# After this many crashed attempts in a row recovery fails the job: an
# action that kills the process must not take it down forever.
MAX_CRASHES_IN_A_ROW = 3
CRASH_LOOP = (
    f"{CRASHED}; its last {MAX_CRASHES_IN_A_ROW} attempts in a row were all "
    "interrupted like this, so the job failed instead of running again (the "
    "action may be what kills Storehook). Retry now runs it once more."
)

_RETRYABLE_STATES = (
    JobState.FAILED,
    JobState.RETRYING,
    JobState.QUEUED,
    JobState.HELD,
    JobState.CANCELLED,
)
_CANCELLABLE_STATES = (
    JobState.QUEUED,
    JobState.RETRYING,
    JobState.HELD,
    JobState.FAILED,
)


class JobNotFound(LookupError):
    """No job has the given id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"no job with id {job_id}")
        self.job_id = job_id


@dataclasses.dataclass(frozen=True)
class ClaimedJob:
    """A job a worker has claimed, with its running attempt and what run() needs."""

    job_id: int
    attempt_id: int
    attempt_number: int
    max_attempts: int
    action: str
    queue: str
    scope: str
    store_hash: str
    resource_type: str
    resource_id: str
    timeout: float
    # The delivery's exact body, or None for a job queued by api.enqueue.
    body: str | None
    params: str


@dataclasses.dataclass(frozen=True)
class AttemptResult:
    """How one attempt ended, and what the job does next."""

    job_id: int
    attempt_id: int
    outcome: str
    error_type: str = ""
    message: str = ""
    traceback: str = ""
    log_lines: Sequence[str] = ()
    # For a failed attempt: when to try again, or None when the job failed.
    retry_at: float | None = None
    hold_reason: str = ""


def _publish(events: EventHub | None, changes: dict[int, str]) -> None:
    if events is None:
        return
    for job_id, state in changes.items():
        events.publish(JOB_CHANGED, job_id=job_id, state=state)


def _existing_ids(ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(ids))
    found = {row.id for row in Job.select(Job.id).where(Job.id.in_(wanted))}
    for job_id in wanted:
        if job_id not in found:
            raise JobNotFound(job_id)
    return wanted


# --- claiming and finishing (the worker) -------------------------------------


def apply_claim(
    worker_id: str, limit: int, now: float, skip: Collection[str] = ()
) -> list[ClaimedJob]:
    """Claim up to limit due jobs inside the caller's write transaction.

    Jobs of the actions in skip are left waiting.
    """
    if limit <= 0:
        return []
    due = _due_ids(limit, now, skip)
    if not due:
        return []
    by_id = {
        row.id: row
        for row in Job.select(Job, Delivery.body)
        .join(Delivery, pw.JOIN.LEFT_OUTER, on=(Job.delivery == Delivery.id))
        .where(Job.id.in_(due))
        .objects()
    }
    rows = [by_id[job_id] for job_id in due]
    if not rows:
        return []
    Job.update(
        state=JobState.RUNNING,
        attempts=Job.attempts + 1,
        worker=worker_id,
        updated_at=now,
        next_attempt_at=None,
        hold_reason="",
    ).where(Job.id.in_([row.id for row in rows])).execute()

    inserted = (
        Attempt.insert_many(
            [
                {
                    "job": row.id,
                    "number": row.attempts + 1,
                    "started_at": now,
                    "outcome": OUTCOME_RUNNING,
                }
                for row in rows
            ]
        )
        .returning(Attempt.id, Attempt.job)
        .tuples()
        .execute()
    )
    attempt_ids = {job_id: attempt_id for attempt_id, job_id in inserted}
    claimed = []
    for row in rows:
        number = row.attempts + 1
        attempt_id = attempt_ids[row.id]
        claimed.append(
            ClaimedJob(
                job_id=row.id,
                attempt_id=attempt_id,
                attempt_number=number,
                max_attempts=row.max_attempts,
                action=row.action,
                queue=row.queue,
                scope=row.scope,
                store_hash=row.store_hash,
                resource_type=row.resource_type,
                resource_id=row.resource_id,
                timeout=row.timeout,
                body=getattr(row, "body", None),
                params=row.params,
            )
        )
    return claimed


# One indexed range per waiting state on (state, next_attempt_at), merged in
# Python: one query with IN and OR would scan finished jobs too. Plain SQL
# because this runs thousands of times a second and peewee's query building
# costs more than SQLite's work here.
_DUE_SQL = (
    "SELECT next_attempt_at, id FROM job WHERE state = ? AND next_attempt_at <= ?%s "
    "ORDER BY next_attempt_at LIMIT ?"
)
_UNSCHEDULED_SQL = (
    "SELECT 0.0, id FROM job WHERE state = ? AND next_attempt_at IS NULL%s LIMIT ?"
)


def _skipping(skip: Collection[str]) -> str:
    return f" AND action NOT IN ({', '.join('?' * len(skip))})" if skip else ""


def _due_ids(limit: int, now: float, skip: Collection[str] = ()) -> list[int]:
    database = Job._meta.database
    skipped = tuple(skip)
    due_sql = _DUE_SQL % _skipping(skip)
    unscheduled_sql = _UNSCHEDULED_SQL % _skipping(skip)
    candidates: list[tuple[float, int]] = []
    for state in JobState.WAITING:
        candidates.extend(
            database.execute_sql(due_sql, (state, now, *skipped, limit)).fetchall()
        )
        candidates.extend(
            database.execute_sql(unscheduled_sql, (state, *skipped, limit)).fetchall()
        )
    candidates.sort()
    return [int(job_id) for _, job_id in candidates[:limit]]


def apply_waiting_reasons(reasons: dict[str, str]) -> dict[int, str]:
    """Say why the waiting jobs of some actions are not started; returns those changed.

    reasons maps an action name to the reason, shown in hold_reason until a
    job is claimed (claiming clears it). Returns the changed jobs' states.
    """
    changed: dict[int, str] = {}
    for action, reason in reasons.items():
        query = Job.update(hold_reason=reason).where(
            (Job.action == action)
            & Job.state.in_(list(JobState.WAITING))
            & (Job.hold_reason != reason)
        )
        for job_id, state in query.returning(Job.id, Job.state).tuples().execute():
            changed[job_id] = state
    return changed


def claim_due(
    database: Any,
    worker_id: str,
    limit: int,
    *,
    events: EventHub | None = None,
) -> list[ClaimedJob]:
    """Atomically claim up to limit due jobs, oldest first, and start an attempt."""
    with write_transaction(database):
        claimed = apply_claim(worker_id, limit, timeutil.now())
    _publish(events, {job.job_id: JobState.RUNNING for job in claimed})
    return claimed


def apply_results(results: Sequence[AttemptResult], now: float) -> dict[int, str]:
    """Close each attempt and move its job on, inside the caller's transaction."""
    changes: dict[int, str] = {}
    # Plain successes, the bulk of a busy queue, take two statements in all.
    quiet = [r for r in results if r.outcome == OUTCOME_SUCCEEDED and not r.log_lines]
    if quiet:
        database = Job._meta.database
        marks = ", ".join("?" * len(quiet))
        database.execute_sql(
            f"UPDATE attempt SET ended_at = ?, outcome = ? WHERE id IN ({marks})",
            (now, OUTCOME_SUCCEEDED, *(r.attempt_id for r in quiet)),
        )
        ids = [r.job_id for r in quiet]
        database.execute_sql(
            "UPDATE job SET state = ?, updated_at = ?, worker = '', "
            "next_attempt_at = NULL, last_error = '' "
            f"WHERE state = ? AND id IN ({marks})",
            (JobState.SUCCEEDED, now, JobState.RUNNING, *ids),
        )
        changes.update(dict.fromkeys(ids, JobState.SUCCEEDED))

    for result in results:
        if result in quiet:
            continue
        Attempt.update(
            ended_at=now,
            outcome=result.outcome,
            error_type=result.error_type,
            error_message=result.message,
            traceback=result.traceback,
            log=json.dumps(list(result.log_lines)),
        ).where(Attempt.id == result.attempt_id).execute()
        state, fields = _next_state(result)
        Job.update(state=state, updated_at=now, worker="", **fields).where(
            (Job.id == result.job_id) & (Job.state == JobState.RUNNING)
        ).execute()
        changes[result.job_id] = state
    return changes


def _next_state(result: AttemptResult) -> tuple[str, dict[str, Any]]:
    error = f"{result.error_type}: {result.message}" if result.error_type else ""
    if result.outcome == OUTCOME_SUCCEEDED:
        return JobState.SUCCEEDED, {"next_attempt_at": None, "last_error": ""}
    if result.outcome == OUTCOME_HELD:
        # Credential problems are not the action's fault: the attempt is kept
        # in the history but gives its place in the budget back.
        return JobState.HELD, {
            "next_attempt_at": None,
            "last_error": error,
            "hold_reason": result.hold_reason,
            "max_attempts": Job.max_attempts + 1,
        }
    if result.outcome == OUTCOME_INTERRUPTED:
        # A shutdown is not the job's fault: the attempt counts, but the job
        # always gets at least one more.
        return JobState.QUEUED, {
            "next_attempt_at": result.retry_at,
            "last_error": error,
            "max_attempts": pw.fn.MAX(Job.max_attempts, Job.attempts + 1),
        }
    if result.retry_at is not None:
        return JobState.RETRYING, {
            "next_attempt_at": result.retry_at,
            "last_error": error,
        }
    return JobState.FAILED, {"next_attempt_at": None, "last_error": error}


def finish_results(
    database: Any, results: Sequence[AttemptResult], *, events: EventHub | None = None
) -> dict[int, str]:
    """Record several attempt results in one transaction; returns the new states."""
    with write_transaction(database):
        changes = apply_results(results, timeutil.now())
    _publish(events, changes)
    return changes


def finish_success(
    database: Any,
    job_id: int,
    attempt_id: int,
    log_lines: Sequence[str] = (),
    *,
    events: EventHub | None = None,
) -> None:
    """Record a successful attempt: the job has succeeded."""
    result = AttemptResult(job_id, attempt_id, OUTCOME_SUCCEEDED, log_lines=log_lines)
    finish_results(database, [result], events=events)


def finish_failure(
    database: Any,
    job_id: int,
    attempt_id: int,
    error_type: str,
    message: str,
    traceback: str,
    log_lines: Sequence[str],
    retry_at: float | None,
    *,
    events: EventHub | None = None,
) -> str:
    """Record a failed attempt: retrying at retry_at, or failed when it is None."""
    result = AttemptResult(
        job_id,
        attempt_id,
        OUTCOME_FAILED,
        error_type=error_type,
        message=message,
        traceback=traceback,
        log_lines=log_lines,
        retry_at=retry_at,
    )
    return finish_results(database, [result], events=events)[job_id]


# --- interrupted attempts ----------------------------------------------------


def apply_interrupted(
    job_ids: Sequence[int], now: float, *, crashed: bool
) -> dict[int, str]:
    """Close the open attempts of running jobs as interrupted and queue them again.

    Each job is queued again with one more attempt allowed, whatever its
    budget: an interruption is not the job's fault. The one exception is a
    crash (crashed=True, at recovery) that ends the last
    MAX_CRASHES_IN_A_ROW attempts in a row: that job fails, with a message
    that says so.
    """
    changes: dict[int, str] = {}
    for job in Job.select().where(
        Job.id.in_(list(job_ids)) & (Job.state == JobState.RUNNING)
    ):
        looping = crashed and _crashes_before(job.id) + 1 >= MAX_CRASHES_IN_A_ROW
        if looping:
            message = CRASH_LOOP
        else:
            message = INTERRUPTED_BY_CRASH if crashed else INTERRUPTED_BY_STOP
        Attempt.update(
            ended_at=now,
            outcome=OUTCOME_INTERRUPTED,
            error_type="Interrupted",
            error_message=message,
        ).where(
            (Attempt.job == job.id) & (Attempt.outcome == OUTCOME_RUNNING)
        ).execute()
        if looping:
            fields: dict[str, Any] = {"state": JobState.FAILED, "next_attempt_at": None}
        else:
            fields = {
                "state": JobState.QUEUED,
                "next_attempt_at": now,
                "max_attempts": pw.fn.MAX(Job.max_attempts, Job.attempts + 1),
            }
        Job.update(
            updated_at=now, worker="", last_error=f"Interrupted: {message}", **fields
        ).where(Job.id == job.id).execute()
        changes[job.id] = fields["state"]
    return changes


def _crashes_before(job_id: int) -> int:
    """How many of the job's finished attempts, newest first, ended in a crash."""
    recent = (
        Attempt.select(Attempt.outcome, Attempt.error_message)
        .where((Attempt.job == job_id) & (Attempt.outcome != OUTCOME_RUNNING))
        .order_by(Attempt.number.desc())
        .limit(MAX_CRASHES_IN_A_ROW)
    )
    count = 0
    for attempt in recent:
        if (
            attempt.outcome != OUTCOME_INTERRUPTED
            or not attempt.error_message.startswith(CRASHED)
        ):
            break
        count += 1
    return count


def recover_interrupted(database: Any, *, events: EventHub | None = None) -> list[int]:
    """Put back the jobs a dead process left running; returns their ids.

    This assumes one worker process per database file, which is how SQLite
    is used: at start every running job belongs to a process that is gone.
    """
    with write_transaction(database):
        running = [
            j.id for j in Job.select(Job.id).where(Job.state == JobState.RUNNING)
        ]
        changes = apply_interrupted(running, timeutil.now(), crashed=True)
    if changes:
        log.warning(
            "Recovered %d job(s) left running by a stopped process: %s",
            len(changes),
            sorted(changes),
        )
    looping = sorted(j for j, state in changes.items() if state == JobState.FAILED)
    if looping:
        log.error(
            "Job(s) %s failed: their last %d attempts in a row were interrupted by "
            "a crash, so they are not run again (Retry now runs one once more)",
            looping,
            MAX_CRASHES_IN_A_ROW,
        )
    _publish(events, changes)
    return sorted(changes)


# --- operations for people (CLI, console) -----------------------------------


def _set_state(
    database: Any,
    ids: Iterable[int],
    from_states: Sequence[str],
    events: EventHub | None,
    **fields: Any,
) -> list[int]:
    now = timeutil.now()
    with write_transaction(database):
        wanted = _existing_ids(ids)
        changed = [
            row.id
            for row in Job.select(Job.id).where(
                Job.id.in_(wanted) & Job.state.in_(list(from_states))
            )
        ]
        if changed:
            Job.update(updated_at=now, **fields).where(Job.id.in_(changed)).execute()
    _publish(events, {job_id: fields["state"] for job_id in changed})
    return changed


def retry_now(
    database: Any, ids: Iterable[int], *, events: EventHub | None = None
) -> list[int]:
    """Queue jobs again at once with the same payload; returns the ids changed.

    The history stays; the next attempt is numbered after the existing ones,
    and the budget is raised so that a failed job gets exactly one more try.
    """
    return _set_state(
        database,
        ids,
        _RETRYABLE_STATES,
        events,
        state=JobState.QUEUED,
        next_attempt_at=timeutil.now(),
        hold_reason="",
        max_attempts=pw.fn.MAX(Job.max_attempts, Job.attempts + 1),
    )


def cancel(
    database: Any, ids: Iterable[int], *, events: EventHub | None = None
) -> list[int]:
    """Cancel jobs that are not running or finished; returns the ids changed."""
    return _set_state(
        database,
        ids,
        _CANCELLABLE_STATES,
        events,
        state=JobState.CANCELLED,
        next_attempt_at=None,
    )


def hold(
    database: Any, ids: Iterable[int], reason: str, *, events: EventHub | None = None
) -> list[int]:
    """Hold waiting jobs with a reason shown to staff; returns the ids changed."""
    return _set_state(
        database,
        ids,
        JobState.WAITING,
        events,
        state=JobState.HELD,
        hold_reason=reason,
        next_attempt_at=None,
    )


def release(
    database: Any, ids: Iterable[int], *, events: EventHub | None = None
) -> list[int]:
    """Queue held jobs again, due now; returns the ids changed."""
    return _set_state(
        database,
        ids,
        (JobState.HELD,),
        events,
        state=JobState.QUEUED,
        hold_reason="",
        next_attempt_at=timeutil.now(),
    )


# Jobs of an action whose file does not load wait with this reason, and run
# again by themselves once the file loads (release_loaded_actions).
ACTION_NOT_LOADING = "action failed to load"


def release_loaded_actions(
    database: Any, action_names: Iterable[str], *, events: EventHub | None = None
) -> list[int]:
    """Queue again the jobs held because one of these actions did not load."""
    names = list(action_names)
    if not names:
        return []
    with database.connection_context():
        held = [
            row.id
            for row in Job.select(Job.id).where(
                (Job.state == JobState.HELD)
                & Job.action.in_(names)
                & Job.hold_reason.startswith(ACTION_NOT_LOADING)
            )
        ]
    released = release(database, held, events=events) if held else []
    if released:
        log.info("Released %d job(s) whose action loads again", len(released))
    return released


def _held_for_resource(store_hash: str, scope: str, resource_id: str) -> list[int]:
    query = Job.select(Job.id).where(
        (Job.state == JobState.HELD)
        & (Job.store_hash == store_hash)
        & (Job.scope == scope)
        & (Job.resource_id == resource_id)
    )
    return [row.id for row in query]


def release_for_resource(
    database: Any,
    store_hash: str,
    scope: str,
    resource_id: str,
    *,
    events: EventHub | None = None,
) -> list[int]:
    """Release every held job of one store, scope and resource (loop guard)."""
    ids = _held_for_resource(store_hash, scope, resource_id)
    return release(database, ids, events=events) if ids else []


def cancel_for_resource(
    database: Any,
    store_hash: str,
    scope: str,
    resource_id: str,
    *,
    events: EventHub | None = None,
) -> list[int]:
    """Cancel every held job of one store, scope and resource (loop guard)."""
    ids = _held_for_resource(store_hash, scope, resource_id)
    return cancel(database, ids, events=events) if ids else []


def enqueue(
    database: Any,
    action: str,
    params: dict[str, Any],
    *,
    store_hash: str = "",
    delay_s: float | None = None,
    max_attempts: int = 7,
    timeout: float = 60.0,
    events: EventHub | None = None,
) -> int:
    """Queue a job of action with params (api.enqueue); returns its id."""
    now = timeutil.now()
    with write_transaction(database):
        job_id: int = Job.insert(
            queue=QUEUE_BIGCOMMERCE,
            action=action,
            scope="",
            store_hash=store_hash,
            params=json.dumps(params),
            state=JobState.QUEUED,
            max_attempts=max_attempts,
            timeout=timeout,
            created_at=now,
            updated_at=now,
            next_attempt_at=now + (delay_s or 0.0),
        ).execute()
    _publish(events, {job_id: JobState.QUEUED})
    return job_id


# --- reading -----------------------------------------------------------------


def _job_dict(row: Any) -> dict[str, Any]:
    received_at = getattr(row, "received_at", None)
    bc_created_at = getattr(row, "bc_created_at", None)
    return {
        "id": row.id,
        "queue": row.queue,
        "action": row.action,
        "scope": row.scope,
        "store_hash": row.store_hash,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "state": row.state,
        "attempts": row.attempts,
        "created_at": timeutil.iso_utc(row.created_at),
        "next_attempt_at": timeutil.iso_utc(row.next_attempt_at),
        "last_error": row.last_error,
        "hold_reason": row.hold_reason,
        "received_at": timeutil.iso_utc(received_at),
        "bigcommerce_created_at": timeutil.iso_utc(bc_created_at),
    }


def _job_query() -> Any:
    return Job.select(
        Job,
        Delivery.received_at.alias("received_at"),
        Delivery.created_at.alias("bc_created_at"),
        Delivery.body.alias("body"),
    ).join(Delivery, pw.JOIN.LEFT_OUTER, on=(Job.delivery == Delivery.id))


def list_jobs(
    database: Any, state: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """The newest jobs first, as JSON-ready dicts (times in ISO 8601 UTC)."""
    if state is not None and state not in JobState.ALL:
        raise ValueError(
            f"unknown job state {state!r}; one of {', '.join(JobState.ALL)}"
        )
    # Without the body: a list of many jobs must not read every payload.
    query = Job.select(
        Job,
        Delivery.received_at.alias("received_at"),
        Delivery.created_at.alias("bc_created_at"),
    ).join(Delivery, pw.JOIN.LEFT_OUTER, on=(Job.delivery == Delivery.id))
    if state is not None:
        query = query.where(Job.state == state)
    rows = query.order_by(Job.id.desc()).limit(limit).objects()
    return [_job_dict(row) for row in rows]


def _parse_payload(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def show_job(database: Any, job_id: int) -> dict[str, Any]:
    """One job with its payload and every attempt, JSON-ready."""
    row = _job_query().where(Job.id == job_id).objects().first()
    if row is None:
        raise JobNotFound(job_id)
    job = _job_dict(row)
    job["max_attempts"] = row.max_attempts
    body = getattr(row, "body", None)
    job["payload"] = _parse_payload(body if row.delivery_id is not None else row.params)
    attempts = Attempt.select().where(Attempt.job == job_id).order_by(Attempt.number)
    job["attempt_log"] = [
        {
            "number": attempt.number,
            "started_at": timeutil.iso_utc(attempt.started_at),
            "ended_at": timeutil.iso_utc(attempt.ended_at),
            "outcome": attempt.outcome,
            "error_type": attempt.error_type,
            "error_message": attempt.error_message,
            "traceback": attempt.traceback,
            "log": _parse_payload(attempt.log) or [],
        }
        for attempt in attempts
    ]
    return job
