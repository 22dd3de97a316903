# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker pool: claims due jobs and runs their actions, each under a timeout.

The pool runs its own asyncio loop in its own thread. ``async def run`` runs
on that loop; a plain ``def run`` runs in a daemon thread of its own, so that
an action stuck past its timeout is abandoned without holding a slot or
keeping the process alive. Results are written in batches, in the same
transaction that claims the next jobs, so that the queue keeps up with
thousands of short jobs a second.
"""

import asyncio
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
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
from app.queue.jobs import AttemptResult, ClaimedJob
from app.queue.policy import RetryPolicy

log = logging.getLogger(__name__)

# How long stop() lets cancelled attempts wind down before recording them.
_CANCEL_GRACE_S = 2.0


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
    ) -> None:
        self._database = database
        self._registry = registry
        self._runtime = runtime
        self._events = events
        self._concurrency = max(1, concurrency)
        self._poll_interval_s = poll_interval_s
        self._policy = policy or RetryPolicy()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._stop_requested = False
        self._running: dict[asyncio.Task[AttemptResult], ClaimedJob] = {}
        self._results: list[AttemptResult] = []
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
        self._ready.set()
        while not self._stop_requested:
            self._wake_event.clear()
            due_in = await self._write_and_claim()
            if self._stop_requested:
                break
            timeout = self._poll_interval_s if due_in is None else due_in
            try:
                await asyncio.wait_for(self._wake_event.wait(), timeout)
            except TimeoutError:
                pass
        await self._shutdown()

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
        try:
            changes, claimed, due_in = await self._in_db_thread(
                lambda: self._transaction(results, free)
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
        self, results: list[AttemptResult], free: int
    ) -> tuple[dict[int, str], list[ClaimedJob], float | None]:
        now = timeutil.now()
        with write_transaction(self._database):
            changes = jobs.apply_results(results, now) if results else {}
            claimed = jobs.apply_claim(self.worker_id, free, now)
        due_in = None
        if len(claimed) < free:
            due_in = self._next_due_in(now)
        return changes, claimed, due_in

    def _next_due_in(self, now: float) -> float | None:
        # Sleeping until the next retry is due keeps the back-off schedule
        # accurate even with a long poll interval.
        soonest: float | None = (
            Job.select(Job.next_attempt_at)
            .where(Job.state.in_(JobState.WAITING) & Job.next_attempt_at.is_null(False))
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
        deadline = None
        try:
            action = self._action(job.action)
            arguments = await self._runtime.arguments(action, job, logger)
            async with asyncio.timeout(action.info.timeout) as deadline:
                await self._call(action, arguments)
        except asyncio.CancelledError:
            return self._interrupted(job, capture.result())
        except TimeoutError as raised:
            failure = raised
            if deadline is not None and deadline.expired():
                failure = TimeoutError(
                    f"the action did not finish within {action.info.timeout:g} s "
                    "and was abandoned"
                )
            return self._failed(job, failure, capture.result())
        except CredentialsProblem as error:
            # The cached client carries the rejected token; the next attempt,
            # after someone saves a new one, must read the keyring again.
            await self._runtime.forget_client(job.store_hash)
            return self._held(job, error, capture.result())
        except BaseException as error:  # the action's bug is not the worker's
            return self._failed(job, error, capture.result())
        return AttemptResult(
            job.job_id,
            job.attempt_id,
            jobs.OUTCOME_SUCCEEDED,
            log_lines=capture.result(),
        )

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
        raise ActionUnavailable(
            "ActionLoadError", f"the action failed to load: {info.error}"
        )

    async def _call(self, action: LoadedAction, arguments: dict[str, Any]) -> None:
        if action.is_async:
            await action.run(**arguments)
            return
        await _in_daemon_thread(action.run, arguments, f"action-{action.info.name}")

    # --- results ---

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
        self, job: ClaimedJob, error: CredentialsProblem, lines: list[str]
    ) -> AttemptResult:
        reason = f"auth failed: {error.summary}"
        # A keyring problem's summary already is its whole message.
        detail = "" if str(error) in reason else f": {error}"
        log.warning(
            "Job %d (action %s) is held, %s%s", job.job_id, job.action, reason, detail
        )
        return AttemptResult(
            job.job_id,
            job.attempt_id,
            jobs.OUTCOME_HELD,
            error_type=_type_name(error),
            message=str(error),
            traceback="".join(traceback.format_exception(error)),
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
        # Attempts that ignored their cancellation are recorded all the same.
        stuck = [job.job_id for job in self._running.values()]
        results, self._results = self._results, []
        try:
            changes = await self._in_db_thread(
                lambda: self._final_write(results, stuck)
            )
            self._publish(changes)
        except Exception:
            log.exception("Recording the interrupted jobs failed; they rerun at start")
        try:
            await self._runtime.aclose()
        except Exception:
            log.exception("Closing the API clients failed")
        await self._in_db_thread(self._database.close)
        self._db_executor.shutdown(wait=False)

    def _final_write(
        self, results: list[AttemptResult], stuck: list[int]
    ) -> dict[int, str]:
        now = timeutil.now()
        with write_transaction(self._database):
            changes = jobs.apply_results(results, now)
            changes.update(
                jobs.apply_interrupted(
                    stuck, jobs.INTERRUPTED_BY_STOP, now, final_fails=False
                )
            )
        return changes


async def _in_daemon_thread(
    function: Callable[..., Any], arguments: dict[str, Any], name: str
) -> Any:
    """Run function(**arguments) in a daemon thread; cancelling abandons it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(error: BaseException | None, value: Any) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    def target() -> None:
        try:
            value = function(**arguments)
        except BaseException as error:  # handed over to the worker's loop
            outcome: tuple[BaseException | None, Any] = (error, None)
        else:
            outcome = (None, value)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:
            log.info("An abandoned %s finished after the worker stopped", name)

    threading.Thread(target=target, name=name, daemon=True).start()
    return await future
