# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running the console: QApplication, the qasync loop, the window, crash reports.

Start-up work is awaited inside the running loop (BR-18: creating tasks before
the loop runs fails with "no running event loop" on newer qasync), and the
services are stopped, awaited, before the loop closes, so that no thread
outlives the window (BR-20).
"""

import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, Protocol

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app import config
from app.events import EventHub
from app.ui.collector import GuiThreadCollector
from app.ui.crash_dialog import CrashDialog, describe
from app.ui.event_bridge import EventBridge
from app.ui.main_window import MainWindow
from app.ui.queue_view import QueueView

log = logging.getLogger(__name__)

ORGANIZATION = "Storehook"
DESKTOP_FILE_NAME = "io.github.storehook.Storehook"
# Python runs signal handlers only between bytecodes; while Qt waits in C++
# a periodic no-op timer gives it the chance (SIGTERM must close the window).
SIGNAL_POLL_MS = 300
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ConsoleServices(Protocol):
    """What the console needs from the composition root."""

    database: Any
    events: EventHub

    async def start(self) -> None:
        """Start the receiver, workers and background work."""

    async def stop(self) -> None:
        """Stop everything started; return when every thread is done."""


# Adds the views in the order wanted; it is given the Queue view to place.
AddViews = Callable[[MainWindow, EventBridge, QueueView], None]


class CrashReporter:
    """Logs unexpected exceptions and shows them in a CrashDialog."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._parent = parent
        self._open: list[CrashDialog] = []

    def excepthook(
        self,
        error_type: type[BaseException],
        error: BaseException,
        tb: TracebackType | None,
    ) -> None:
        """sys.excepthook: an exception nobody caught (in a slot, a callback)."""
        log.critical("Unexpected error", exc_info=(error_type, error, tb))
        self.show(f"{error_type.__name__}: {error}", describe(error_type, error, tb))

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        """The asyncio loop's handler: a task or callback failed."""
        error = context.get("exception")
        message = str(context.get("message", "Unexpected error in a background task"))
        if isinstance(error, BaseException):
            log.critical("%s", message, exc_info=error)
            details = describe(type(error), error, error.__traceback__)
            self.show(f"{message}: {error}", details)
        else:
            log.error("%s: %r", message, context)
            self.show(message, repr(context))

    def show(self, summary: str, details: str) -> None:
        """Show a dialog, unless several are open already (an error storm)."""
        self._open = [dialog for dialog in self._open if dialog.isVisible()]
        if len(self._open) >= 3:
            return
        dialog = CrashDialog(summary, details, self._parent)
        self._open.append(dialog)
        dialog.show()


def build_window(
    services: ConsoleServices, add_views: AddViews | None
) -> tuple[MainWindow, EventBridge, QueueView]:
    """The main window; add_views places the Queue and the other views."""
    window = MainWindow()
    bridge = EventBridge(services.events, window)
    queue = QueueView(services.database, events=services.events, bridge=bridge)
    if add_views is None:
        window.add_view("Queue", queue)
    else:
        add_views(window, bridge, queue)
    return window, bridge, queue


def run_console(
    services: ConsoleServices,
    add_views: AddViews | None = None,
    argv: list[str] | None = None,
) -> int:
    """Show the console until its window closes; return the exit status."""
    app = QApplication.instance() or QApplication(argv or sys.argv)
    if not isinstance(app, QApplication):
        raise RuntimeError("the console needs a QApplication, not a core application")
    app.setApplicationName(config.APP_NAME)
    app.setOrganizationName(ORGANIZATION)
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    # The loop ends when the services have stopped, not when the window hides.
    app.setQuitOnLastWindowClosed(False)

    collector = GuiThreadCollector()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    reporter = CrashReporter()
    previous_hook = sys.excepthook
    sys.excepthook = reporter.excepthook
    loop.set_exception_handler(reporter.loop_exception_handler)
    # Our handlers close a window that is gone once _run returns.
    previous_handlers = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    try:
        with loop:
            status: int = loop.run_until_complete(_run(services, add_views))
            return status
    finally:
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        sys.excepthook = previous_hook
        asyncio.set_event_loop(None)
        # The closed loop and the window hold Qt objects in reference
        # cycles: collect them here, on the GUI thread (see collector.py).
        del loop
        collector.stop()


async def _run(services: ConsoleServices, add_views: AddViews | None) -> int:
    window, bridge, queue = build_window(services, add_views)
    closed = asyncio.Event()
    window.close_requested.connect(closed.set)
    poll = _install_signal_handlers(window)
    window.restore_window_state()
    window.show()

    status = 0
    try:
        await services.start()
    except Exception as error:
        log.exception("Storehook could not start")
        window.set_receiver_state(f"could not start: {error}")
        status = 1
    if status == 0:
        await closed.wait()
    window.hide()

    poll.stop()
    bridge.close()
    queue.shutdown()
    await services.stop()
    window.deleteLater()
    return status


def _install_signal_handlers(window: MainWindow) -> QTimer:
    def _close(signum: int, frame: FrameType | None) -> None:
        log.info("Received signal %d; closing the window", signum)
        QTimer.singleShot(0, window.close)

    for signum in _SIGNALS:
        signal.signal(signum, _close)
    poll = QTimer(window)
    poll.setInterval(SIGNAL_POLL_MS)
    poll.timeout.connect(_ignore)
    poll.start()
    return poll


def _ignore() -> None:
    """The signal poll timer's slot: nothing to do but return to Python."""
