# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker pool: claims due jobs and runs their actions, each under a timeout.

The pool runs its own asyncio loop in its own thread, and that loop only
coordinates: it claims jobs, builds run()'s arguments, hands each attempt to
an attempt thread (app.queue.attempts) and records what came back. Action
code, ``async def run`` and plain alike, never runs on it, so an action that
blocks its loop or ignores cancellation cannot stop timeouts, other jobs or
shutdown. An attempt past its timeout is abandoned at once: its slot is
free, its thread retired. Results are written in batches, in the same
transaction that claims the next jobs, so that the queue keeps up with
thousands of short jobs a second.
"""

import asyncio
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from app import timeutil
from app.actions.loader import ActionRegistry, LoadedAction
from app.actions.runtime import ActionRuntime, action_logger
from app.bigcommerce.errors import CredentialsProblem
from app.db.connection import write_transaction
from app.db.models import Job, JobState
from app.events import JOB_CHANGED, EventHub
from app.queue import jobs
from app.queue.attempts import (
    AbandonedAttempts,
    AttemptThread,
    AttemptThreads,
    Outcome,
)
from app.queue.jobs import AttemptResult, ClaimedJob
from app.queue.policy import RetryPolicy

log = logging.getLogger(__name__)

# How long stop() gives a running attempt to end after its cancel; an
# attempt still running then is recorded as interrupted all the same.
_STOP_GRACE_S = 1.5
# How long stop() waits for the attempts as a whole (a safety net above).
_CANCEL_GRACE_S = 2.0
# How long the pool waits for running attempts to end before writing the
# results of those that have (see _gather_results).
_GATHER_S = 0.002
# How long closing the API clients may take at stop.
_CLOSE_CLIENTS_S = 2.0
# An action with this many abandoned attempts still running gets no more
# of its jobs started until some end: each may be eating a CPU core.
DEFAULT_MAX_ABANDONED = 2
# An abandoned attempt gets this long to end after its cancel before
# AttemptAbandoned is raised inside it; then twice and four times as long.
DEFAULT_ABANDON_GRACE_S = 1.0
_INTERRUPT_TRIES = 3


LOAD_ERROR = "ActionLoadError"


class ActionUnavailable(Exception):
    """The job's action file is missing or failed to load."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _type_name(error: BaseException) -> str:
    return type(error).__name__


class WorkerPool:
    """Runs due jobs with bounded concurrency in a thread of its own."""

    def __init__(
        self,
        database: Any,
        registry: ActionRegistry,
        runtime: ActionRuntime,
        *,
        events: EventHub | None = None,
        concurrency: int = 8,
        poll_interval_s: float = 1.0,
        policy: RetryPolicy | None = None,
        max_abandoned: int = DEFAULT_MAX_ABANDONED,
        abandon_grace_s: float = DEFAULT_ABANDON_GRACE_S,
    ) -> None:
        self._database = database
        self._registry = registry
        self._runtime = runtime
        self._events = events
        self._concurrency = max(1, concurrency)
        self._poll_interval_s = poll_interval_s
        self._policy = policy or RetryPolicy()
        self._max_abandoned = max(1, max_abandoned)
        self._abandon_grace_s = abandon_grace_s
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._stop_requested = False
        self._running: dict[asyncio.Task[AttemptResult], ClaimedJob] = {}
        self._results: list[AttemptResult] = []
        self._threads: AttemptThreads | None = None
        self._abandoned = AbandonedAttempts()
        self._blocked: dict[str, str] = {}
        self._db_executor = ThreadPoolExecutor(
            1, thread_name_prefix="storehook-worker-db"
        )

    # --- control, from any thread ---

    def start(self) -> None:
        """Recover jobs a dead process left running, then start the worker thread."""
        if self._thread is not None:
            return
        self._db_executor = ThreadPoolExecutor(
            1, thread_name_prefix="storehook-worker-db"
        )
        jobs.recover_interrupted(self._database, events=self._events)
        self._stop_requested = False
        self._ready.clear()
        self._thread = threading.Thread(
            target=self._thread_main, name="storehook-worker", daemon=True
        )
        self._thread.start()
        self._ready.wait(timeout=10)
        log.info("Worker pool started (%d at a time)", self._concurrency)

    def wake(self) -> None:
        """Look for due jobs now (thread-safe; the receiver calls it after ingest)."""
        loop, event = self._loop, self._wake_event
        if loop is None or event is None:
            return
        try:
            loop.call_soon_threadsafe(event.set)
        except RuntimeError:
            pass  # the loop has just closed: the pool is stopping

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop: interrupted attempts are recorded and their jobs queued again."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop_requested = True
        self.wake()
        thread.join(timeout=timeout_s)
        if thread.is_alive():
            log.error("The worker thread did not stop within %.0f s", timeout_s)
        else:
            log.info("Worker pool stopped")

    def abandoned_attempts(self) -> int:
        """How many abandoned attempts (past their timeout) still run in a thread.

        Python cannot stop such a thread; it ends when the action returns or
        Storehook exits. Thread-safe.
        """
        return sum(self._abandoned.by_action().values())

    def abandoned_by_action(self) -> dict[str, int]:
        """abandoned_attempts() per action name (thread-safe)."""
        return self._abandoned.by_action()

    # --- the worker thread ---

    def _thread_main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("The worker pool crashed; jobs wait until the next start")
        finally:
            self._loop = None
            self._wake_event = None
            loop.run_until_complete(loop.shutdown_asyncgens())
            # Not shutdown_default_executor: a to_thread call stuck in an
            # abandoned action must not hold the shutdown.
            loop.close()

    async def _main(self) -> None:
        self._wake_event = asyncio.Event()
        self._threads = AttemptThreads(asyncio.get_running_loop(), self._on_thread_exit)
        self._ready.set()
        while not self._stop_requested:
            self._wake_event.clear()
            due_in = await self._write_and_claim()
            if self._stop_requested:
                break
            timeout = self._poll_interval_s if due_in is None else due_in
            await self._wait_for_wake(timeout)
            await self._gather_results()
        await self._shutdown()

    async def _wait_for_wake(self, timeout: float) -> None:
        assert self._wake_event is not None
        try:
            await asyncio.wait_for(self._wake_event.wait(), timeout)
        except TimeoutError:
            pass

    async def _gather_results(self) -> None:
        """Give the attempts still running a moment to end before writing.

        Each write transaction costs about the same whatever it carries;
        attempts end on other threads a little apart, and waiting for them
        makes each transaction carry more results.
        """
        deadline = time.monotonic() + _GATHER_S
        while self._results and self._running and not self._stop_requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            assert self._wake_event is not None
            self._wake_event.clear()
            await self._wait_for_wake(remaining)

    async def _in_db_thread(self, function: Callable[[], Any]) -> Any:
        # One thread of its own for the pool's database work: one SQLite
        # connection, closed when the pool stops.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._db_executor, function)

    async def _write_and_claim(self) -> float | None:
        """Write finished results and claim into the free slots.

        Returns how long until the next waiting job is due, when that is
        sooner than the poll interval.
        """
        results, self._results = self._results, []
        free = self._concurrency - len(self._running)
        blocked = self._blocked_actions()
        try:
            changes, claimed, due_in = await self._in_db_thread(
                lambda: self._transaction(results, free, blocked)
            )
        except Exception:
            log.exception("Writing job results failed; trying again shortly")
            self._results = results + self._results
            return None
        self._publish(changes)
        self._publish({job.job_id: JobState.RUNNING for job in claimed})
        for job in claimed:
            task = asyncio.create_task(self._attempt(job), name=f"job-{job.job_id}")
            self._running[task] = job
            task.add_done_callback(self._on_attempt_done)
        next_due: float | None = due_in
        return next_due

    def _transaction(
        self, results: list[AttemptResult], free: int, blocked: dict[str, str]
    ) -> tuple[dict[int, str], list[ClaimedJob], float | None]:
        now = timeutil.now()
        with write_transaction(self._database):
            changes = jobs.apply_results(results, now) if results else {}
            if blocked:
                changes.update(jobs.apply_waiting_reasons(blocked))
            claimed = jobs.apply_claim(self.worker_id, free, now, skip=blocked)
        due_in = None
        if len(claimed) < free:
            due_in = self._next_due_in(now, blocked)
        return changes, claimed, due_in

    def _next_due_in(self, now: float, skip: Collection[str]) -> float | None:
        # Sleeping until the next retry is due keeps the back-off schedule
        # accurate even with a long poll interval.
        waiting = Job.state.in_(JobState.WAITING) & Job.next_attempt_at.is_null(False)
        if skip:
            waiting &= Job.action.not_in(list(skip))
        soonest: float | None = (
            Job.select(Job.next_attempt_at)
            .where(waiting)
            .order_by(Job.next_attempt_at)
            .limit(1)
            .scalar()
        )
        if soonest is None or soonest - now >= self._poll_interval_s:
            return None
        return max(soonest - now, 0.0)

    def _publish(self, changes: dict[int, str]) -> None:
        if self._events is None:
            return
        for job_id, state in changes.items():
            self._events.publish(JOB_CHANGED, job_id=job_id, state=state)

    def _on_attempt_done(self, task: asyncio.Task[AttemptResult]) -> None:
        job = self._running.pop(task)
        if task.cancelled():
            result = self._interrupted(job, [])
        elif task.exception() is not None:
            error = task.exception()
            assert error is not None
            log.error(
                "Running job %d failed inside Storehook", job.job_id, exc_info=error
            )
            result = self._failed(job, error, [])
        else:
            result = task.result()
        self._results.append(result)
        if self._wake_event is not None:
            self._wake_event.set()

    # --- one attempt ---

    async def _attempt(self, job: ClaimedJob) -> AttemptResult:
        logger, capture = action_logger(job.action)
        try:
            action = self._action(job.action)
            arguments = await self._runtime.arguments(action, job, logger)
        except asyncio.CancelledError:
            return self._interrupted(job, capture.result())
        except BaseException as problem:  # a missing action fails its attempt
            return await self._failure(job, problem, capture.result())

        assert self._threads is not None
        thread = self._threads.take()
        thread.job_id = job.job_id
        future = thread.start(action.run, arguments, job.action)
        try:
            done, _ = await asyncio.wait((future,), timeout=action.info.timeout)
        except asyncio.CancelledError:
            return await self._wind_down(job, thread, future, capture.result)
        if not done:
            self._abandon(job, thread, f"past its {action.info.timeout:g} s timeout")
            failure = TimeoutError(
                f"the action did not finish within {action.info.timeout:g} s "
                "and was abandoned"
            )
            return self._failed(job, failure, capture.result())

        self._threads.give_back(thread)
        raised = future.result().error
        if raised is None:
            return self._succeeded(job, capture.result())
        return await self._failure(job, raised, capture.result())

    async def _wind_down(
        self,
        job: ClaimedJob,
        thread: AttemptThread,
        future: "asyncio.Future[Outcome]",
        lines: Callable[[], list[str]],
    ) -> AttemptResult:
        """The pool is stopping: cancel the attempt and give it a moment to end."""
        thread.retire()
        done, _ = await asyncio.wait((future,), timeout=_STOP_GRACE_S)
        if not done:
            self._abandon(job, thread, "at stop")
            return self._interrupted(job, lines())
        error = future.result().error
        if error is None:
            return self._succeeded(job, lines())
        if isinstance(error, asyncio.CancelledError):
            return self._interrupted(job, lines())
        return await self._failure(job, error, lines())

    def _action(self, name: str) -> LoadedAction:
        action = self._registry.get(name)
        if action is not None:
            return action
        info = self._registry.info(name)
        if info is None:
            raise ActionUnavailable(
                "ActionNotFound",
                f"there is no action file {name}.py in {self._registry.actions_dir}",
            )
        raise ActionUnavailable(LOAD_ERROR, f"the action failed to load: {info.error}")

    # --- abandoned attempts ---

    def _abandon(self, job: ClaimedJob, thread: AttemptThread, when: str) -> None:
        thread.abandoned_at = time.monotonic()
        thread.retire()
        alive = self._abandoned.add(job.action, job.job_id, thread)
        log.error(
            "Action %s, job %d: the attempt was abandoned %s; thread %s runs it on "
            "until it returns or the AttemptAbandoned raised inside it shortly "
            "stops it (%d abandoned attempt(s) of %s still running; at %d its "
            "jobs wait)",
            job.action,
            job.job_id,
            when,
            thread.name,
            alive,
            job.action,
            self._max_abandoned,
        )
        if self._loop is not None:
            self._loop.call_later(
                self._abandon_grace_s, self._interrupt_abandoned, thread, 1
            )

    def _interrupt_abandoned(self, thread: AttemptThread, tries: int) -> None:
        """Raise AttemptAbandoned in an abandoned attempt that outlived its cancel."""
        if not thread.is_alive() or not thread.interrupt():
            return
        log.warning(
            "Raised AttemptAbandoned inside the abandoned attempt of action %s "
            "(job %d) to stop it (try %d of %d)",
            thread.action,
            thread.job_id,
            tries,
            _INTERRUPT_TRIES,
        )
        if tries < _INTERRUPT_TRIES and self._loop is not None:
            delay = self._abandon_grace_s * 2**tries
            self._loop.call_later(delay, self._interrupt_abandoned, thread, tries + 1)

    def _on_thread_exit(self, thread: AttemptThread) -> None:
        # Called in the ending attempt thread.
        if thread.abandoned_at is None:
            return
        log.warning(
            "The abandoned attempt of action %s (job %d) ended after all, %.1f s "
            "after it was abandoned",
            thread.action,
            thread.job_id,
            time.monotonic() - thread.abandoned_at,
        )
        self.wake()

    def _blocked_actions(self) -> dict[str, str]:
        """The actions whose jobs wait for abandoned attempts to end, with why."""
        counts = self._abandoned.by_action()
        blocked = {
            action: (
                f"not started: {count} abandoned attempts of {action} (past their "
                "timeout) are still running and could not be stopped; its jobs "
                "wait until they end or Storehook restarts"
            )
            for action, count in counts.items()
            if count >= self._max_abandoned
        }
        for action in blocked.keys() - self._blocked.keys():
            log.error("Action %s: %s", action, blocked[action])
        for action in self._blocked.keys() - blocked.keys():
            log.warning(
                "Action %s: its abandoned attempts ended; jobs run again", action
            )
        self._blocked = blocked
        return blocked

    # --- results ---

    def _succeeded(self, job: ClaimedJob, lines: list[str]) -> AttemptResult:
        return AttemptResult(
            job.job_id, job.attempt_id, jobs.OUTCOME_SUCCEEDED, log_lines=lines
        )

    async def _failure(
        self, job: ClaimedJob, error: BaseException, lines: list[str]
    ) -> AttemptResult:
        if isinstance(error, ActionUnavailable) and error.error_type == LOAD_ERROR:
            # Retrying cannot help until someone fixes the file; waiting costs
            # nothing, and the job runs once the file loads again.
            reason = f"{jobs.ACTION_NOT_LOADING}; it runs once {job.action}.py loads"
            return self._held(job, error, lines, reason)
        if not isinstance(error, CredentialsProblem):
            return self._failed(job, error, lines)
        # The cached client carries the rejected token; the next attempt,
        # after someone saves a new one, must read the keyring again.
        await self._runtime.forget_client(job.store_hash)
        return self._held(job, error, lines, f"auth failed: {error.summary}")

    def _interrupted(self, job: ClaimedJob, lines: list[str]) -> AttemptResult:
        return AttemptResult(
            job.job_id,
            job.attempt_id,
            jobs.OUTCOME_INTERRUPTED,
            error_type="Interrupted",
            message=jobs.INTERRUPTED_BY_STOP,
            log_lines=lines,
            retry_at=timeutil.now(),
        )

    def _failed(
        self, job: ClaimedJob, error: BaseException, lines: list[str]
    ) -> AttemptResult:
        retry_at = None
        if job.attempt_number < job.max_attempts:
            retry_at = self._policy.next_attempt_at(job.attempt_number, timeutil.now())
        if isinstance(error, ActionUnavailable):
            error_type = error.error_type
        else:
            error_type = _type_name(error)
        if retry_at is None:
            next_step = "no attempts left, the job has failed"
        else:
            next_step = f"retrying in {retry_at - timeutil.now():.1f} s"
        log.warning(
            "Job %d (action %s) attempt %d of %d failed: %s: %s; %s",
            job.job_id,
            job.action,
            job.attempt_number,
            job.max_attempts,
            error_type,
            error,
            next_step,
        )
        return AttemptResult(
            job.job_id,
            job.attempt_id,
            jobs.OUTCOME_FAILED,
            error_type=error_type,
            message=str(error),
            traceback="".join(traceback.format_exception(error)),
            log_lines=lines,
            retry_at=retry_at,
        )

    def _held(
        self, job: ClaimedJob, error: BaseException, lines: list[str], reason: str
    ) -> AttemptResult:
        # A keyring problem's summary already is its whole message.
        detail = "" if str(error) in reason else f": {error}"
        log.warning(
            "Job %d (action %s) is held, %s%s", job.job_id, job.action, reason, detail
        )
        return AttemptResult(
            job.job_id,
            job.attempt_id,
            jobs.OUTCOME_HELD,
            error_type=(
                error.error_type
                if isinstance(error, ActionUnavailable)
                else _type_name(error)
            ),
            message=str(error),
            # A file that does not load has no traceback worth reading: the
            # message names the file, the line and the error.
            traceback=(
                ""
                if isinstance(error, ActionUnavailable)
                else "".join(traceback.format_exception(error))
            ),
            log_lines=lines,
            hold_reason=reason,
        )

    # --- stopping ---

    async def _shutdown(self) -> None:
        tasks = list(self._running)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=_CANCEL_GRACE_S)
        # Attempts that did not even return a result are recorded all the same.
        stuck = [job.job_id for job in self._running.values()]
        results, self._results = self._results, []
        try:
            changes = await self._in_db_thread(
                lambda: self._final_write(results, stuck)
            )
            self._publish(changes)
        except Exception:
            log.exception("Recording the interrupted jobs failed; they rerun at start")
        self._end_threads()
        try:
            await asyncio.wait_for(self._runtime.aclose(), _CLOSE_CLIENTS_S)
        except Exception:
            log.exception("Closing the API clients failed")
        await self._in_db_thread(self._database.close)
        self._db_executor.shutdown(wait=False)

    def _end_threads(self) -> None:
        if self._threads is not None:
            self._threads.close()
            self._threads = None
        # The loop's timers die with it: one last try at the stuck attempts.
        for thread in self._abandoned.threads():
            thread.interrupt()

    def _final_write(
        self, results: list[AttemptResult], stuck: list[int]
    ) -> dict[int, str]:
        now = timeutil.now()
        with write_transaction(self._database):
            changes = jobs.apply_results(results, now)
            changes.update(jobs.apply_interrupted(stuck, now, crashed=False))
        return changes
