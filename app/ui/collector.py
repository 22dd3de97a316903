# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs Python's cyclic garbage collector on the GUI thread only.

The receiver, the workers and the thread pools all run Python code, and the
collector runs in whichever thread happens to allocate when a threshold is
crossed. A Qt object in a reference cycle collected there is destroyed off
its own thread: its timers stay registered and the next timer event crashes
Qt (a segmentation fault in QTimerInfoList::activateTimers, seen here). So
while the console runs, automatic collection is off and a timer on the GUI
thread collects instead, as thresholds are crossed.
"""

import gc
import logging

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Collects garbage on the GUI thread while it exists."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        # The same rule as the automatic collector: collect the oldest
        # generation whose count went over its threshold.
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Collect once more here, then give collection back to Python."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
