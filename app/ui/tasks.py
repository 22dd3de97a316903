# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running blocking work (database reads and writes) off the GUI thread.

The work runs on a QThreadPool; its result comes back to the GUI thread
through a queued signal, so callbacks may touch widgets. This works under a
plain Qt event loop (tests) as well as under qasync. Code that already lives
in a coroutine can simply ``await asyncio.to_thread(...)`` instead.
"""

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

Callback = Callable[[Any, BaseException | None], None]


class _Relay(QObject):
    """Carries one task's outcome back to the thread that created it.

    Signals:
        finished(object, object): the result and the error (one is None).
    """

    finished = Signal(object, object)


class _Task(QRunnable):
    """One function call run on a pool thread."""

    def __init__(self, func: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._func = func
        self._relay = relay

    def run(self) -> None:
        """Call the function and report its result or its exception."""
        try:
            result = self._func()
        except Exception as error:
            log.debug("Background task %r failed", self._func, exc_info=True)
            self._relay.finished.emit(None, error)
        else:
            self._relay.finished.emit(result, None)


class TaskRunner(QObject):
    """Runs functions on its own thread pool; callbacks run on the GUI thread.

    Signals:
        busy_changed(bool): True while at least one task is running.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._callbacks: dict[_Relay, Callback] = {}

    def run(self, func: Callable[[], Any], on_done: Callback) -> None:
        """Call func on a pool thread, then on_done(result, error) on this one."""
        relay = _Relay(self)
        relay.finished.connect(self._on_task_finished)
        self._callbacks[relay] = on_done
        if len(self._callbacks) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Task(func, relay))

    def is_busy(self) -> bool:
        """True while a task has not reported back yet."""
        return bool(self._callbacks)

    def wait_for_done(self, timeout_ms: int = 10_000) -> bool:
        """Block until every running task is done (for shutdown); False on timeout."""
        return bool(self._pool.waitForDone(timeout_ms))

    @Slot(object, object)
    def _on_task_finished(self, result: Any, error: BaseException | None) -> None:
        relay = self.sender()
        if not isinstance(relay, _Relay) or relay not in self._callbacks:
            return
        callback = self._callbacks.pop(relay)
        relay.deleteLater()
        try:
            callback(result, error)
        finally:
            if not self._callbacks:
                self.busy_changed.emit(False)
