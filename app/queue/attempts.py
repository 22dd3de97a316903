# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Attempt threads: where action code runs, one attempt at a time, away from the pool.

Every attempt, ``async def run`` or plain, runs on an AttemptThread: a daemon
thread with a persistent event loop of its own. An action that blocks its
loop (``while True: pass``, ``time.sleep``) or ignores cancellation then
holds only its own thread. The worker pool's loop never runs action code, so
it can always enforce a timeout: it stops waiting, retires the thread (it is
never reused) and takes a fresh one for the next attempt.

Python cannot kill a thread. What an abandoned thread can be given is a
cooperative cancel (for async code) and then an AttemptAbandoned exception
raised inside it (PyThreadState_SetAsyncExc), which ends pure-Python loops
but waits for a blocking C call (a sleep, a socket read) to return first.
AbandonedAttempts counts the threads that are still alive after all that.
"""

import asyncio
import collections
import ctypes
import dataclasses
import inspect
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_numbers = itertools.count(1)


class AttemptAbandoned(BaseException):
    """Raised inside an abandoned attempt's thread to make it stop (best effort).

    A BaseException, like KeyboardInterrupt, so that ``except Exception`` in
    the action does not swallow it.
    """


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one call of run() ended: its value, or what it raised."""

    value: Any = None
    error: BaseException | None = None


@dataclasses.dataclass(frozen=True)
class _Work:
    function: Callable[..., Any]
    arguments: dict[str, Any]
    future: "asyncio.Future[Outcome]"


def _settle(future: "asyncio.Future[Outcome]", outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)


class Outbox:
    """Hands outcomes over to the pool's loop, waking it once per batch.

    Under load many attempts end between two turns of the loop; one wake-up
    for all of them keeps the queue fast.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._items: collections.deque[tuple[asyncio.Future[Outcome], Outcome]]
        self._items = collections.deque()
        self._lock = threading.Lock()
        self._scheduled = False

    def put(self, future: "asyncio.Future[Outcome]", outcome: Outcome) -> None:
        """Settle future with outcome on the pool's loop (from any thread)."""
        self._items.append((future, outcome))
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._drain)
        except RuntimeError:
            log.info("An attempt ended after the worker pool stopped")

    def _drain(self) -> None:
        with self._lock:
            self._scheduled = False
        while self._items:
            _settle(*self._items.popleft())


async def _resolve(awaitable: Any) -> Any:
    # A decorated async run returns a coroutine, and so may the coroutine:
    # everything returned is awaited here, on the attempt's own loop.
    value = await awaitable
    while inspect.isawaitable(value):
        value = await value
    return value


def _close_unstarted(value: Any) -> None:
    # An attempt cancelled before its first step never started run()'s
    # coroutine; closing it spares a "never awaited" warning.
    if inspect.iscoroutine(value) and (
        inspect.getcoroutinestate(value) == inspect.CORO_CREATED
    ):
        value.close()


class AttemptThread:
    """A daemon thread with an event loop of its own that runs one attempt at a time.

    Healthy threads are reused, so that what an action caches per thread
    or loop survives from one job to the next. A retired thread (its
    attempt was abandoned or interrupted) takes no more work and ends when
    its attempt returns.
    """

    def __init__(
        self, outbox: Outbox, on_exit: Callable[["AttemptThread"], None]
    ) -> None:
        self._outbox = outbox
        self._on_exit = on_exit
        self._inbox: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._current: _Work | None = None
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.retired = False
        self.action = ""
        self.job_id = 0
        # Set by the pool when it gives up waiting for the attempt.
        self.abandoned_at: float | None = None
        self._thread = threading.Thread(
            target=self._main, name=f"storehook-attempt-{next(_numbers)}", daemon=True
        )
        self._thread.start()

    @property
    def name(self) -> str:
        """The thread's name, as it appears in logs and tracebacks."""
        return self._thread.name

    def is_alive(self) -> bool:
        """Whether the thread still runs (an abandoned attempt may never return)."""
        return self._thread.is_alive()

    # --- from the worker pool's loop ---

    def start(
        self, function: Callable[..., Any], arguments: dict[str, Any], action: str
    ) -> "asyncio.Future[Outcome]":
        """Run function(**arguments) here; the returned future settles with its outcome.

        The future belongs to the pool's loop, the caller's.
        """
        future: asyncio.Future[Outcome] = self._outbox.loop.create_future()
        self.action = action
        self._inbox.put(_Work(function, arguments, future))
        return future

    def stop(self) -> None:
        """End an idle thread once it has nothing left to do."""
        self._inbox.put(None)

    def retire(self) -> None:
        """Take no more work and cancel the running attempt if it is async.

        The cancel is cooperative: an action that blocks its loop or swallows
        CancelledError goes on running until interrupt() or its own end.
        """
        self.retired = True
        self._inbox.put(None)
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self._cancel_task)
        except RuntimeError:
            pass  # the loop has just closed: the attempt is over

    def interrupt(self) -> bool:
        """Raise AttemptAbandoned inside the running attempt; False if none runs."""
        with self._lock:
            ident = self._thread.ident
            if self._current is None or ident is None or not self.retired:
                return False
            raised = ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(AttemptAbandoned)
            )
        return bool(raised == 1)

    # --- in the thread ---

    def _cancel_task(self) -> None:
        task = self._task
        if task is not None and not task.done():
            task.cancel()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._on_loop_exception)
        self._loop = loop
        try:
            self._serve(loop)
        except AttemptAbandoned:
            pass  # raised just after the attempt had ended: nothing to stop
        except BaseException:
            log.exception("Attempt thread %s failed inside Storehook", self.name)
        finally:
            self._close(loop)
            self._on_exit(self)

    def _serve(self, loop: asyncio.AbstractEventLoop) -> None:
        while not self.retired:
            work = self._inbox.get()
            if work is None:
                return
            self._outbox.put(work.future, self._run(loop, work))

    def _run(self, loop: asyncio.AbstractEventLoop, work: _Work) -> Outcome:
        with self._lock:
            self._current = work
        value = None
        try:
            value = work.function(**work.arguments)
            if inspect.isawaitable(value):
                self._task = loop.create_task(_resolve(value))
                return Outcome(value=loop.run_until_complete(self._task))
            return Outcome(value=value)
        except BaseException as error:  # the action's bug is not the thread's
            return Outcome(error=error)
        finally:
            with self._lock:
                self._current = None
            self._task = None
            _close_unstarted(value)

    def _on_loop_exception(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        # The task of an abandoned attempt is dropped unfinished on purpose,
        # and that was logged when it was abandoned.
        if self.retired and str(context.get("message", "")).startswith(
            "Task was destroyed but it is pending"
        ):
            return
        loop.default_exception_handler(context)

    def _close(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            if not loop.is_running():
                loop.close()
        except BaseException:
            log.debug("Closing the loop of %s failed", self.name, exc_info=True)


class AttemptThreads:
    """The attempt threads of one worker pool: idle ones are reused, retired ones not.

    Used from the worker pool's loop only.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, on_exit: Callable[[AttemptThread], None]
    ) -> None:
        self._outbox = Outbox(loop)
        self._on_exit = on_exit
        self._idle: list[AttemptThread] = []

    def take(self) -> AttemptThread:
        """An idle thread, or a new one."""
        while self._idle:
            thread = self._idle.pop()
            if thread.is_alive():
                return thread
        return AttemptThread(self._outbox, self._on_exit)

    def give_back(self, thread: AttemptThread) -> None:
        """Keep a thread whose attempt ended, unless it was retired."""
        if not thread.retired:
            self._idle.append(thread)

    def close(self) -> None:
        """End the idle threads (running ones end with their attempts)."""
        idle, self._idle = self._idle, []
        for thread in idle:
            thread.stop()


@dataclasses.dataclass(frozen=True)
class _Abandoned:
    action: str
    job_id: int
    thread: AttemptThread


class AbandonedAttempts:
    """The abandoned attempts whose threads are still alive, by action.

    Thread-safe: the console asks for the count from its own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: list[_Abandoned] = []

    def add(self, action: str, job_id: int, thread: AttemptThread) -> int:
        """Remember an abandoned attempt; returns how many of action's are alive."""
        with self._lock:
            self._attempts.append(_Abandoned(action, job_id, thread))
        return self.by_action().get(action, 0)

    def by_action(self) -> dict[str, int]:
        """How many abandoned attempts of each action still run."""
        with self._lock:
            self._attempts = [a for a in self._attempts if a.thread.is_alive()]
            counts: dict[str, int] = {}
            for attempt in self._attempts:
                counts[attempt.action] = counts.get(attempt.action, 0) + 1
        return counts

    def threads(self) -> list[AttemptThread]:
        """The threads of the abandoned attempts still alive."""
        with self._lock:
            return [a.thread for a in self._attempts if a.thread.is_alive()]
