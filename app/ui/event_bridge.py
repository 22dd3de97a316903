# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turns EventHub events, published from any thread, into batched Qt signals.

The receiver can store hundreds of deliveries a second; repainting the Queue
for each would freeze the window. Events are collected under a lock and
flushed on the GUI thread at most every interval_ms, as one signal per kind.
"""

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app import events
from app.events import Event, EventHub

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 250


class EventBridge(QObject):
    """Subscribes to an EventHub and re-emits its events on the GUI thread.

    Signals:
        jobs_added(list): ids (int) of jobs created since the last batch.
        jobs_changed(list): ids (int) of jobs whose state changed.
        stores_changed(list): hashes (str) of stores that changed.
        actions_changed(): the action files were reloaded.
        deliveries_rejected(list): the Event of each rejected delivery.
        events_batched(list): every Event of the batch, in order.
    """

    jobs_added = Signal(list)
    jobs_changed = Signal(list)
    stores_changed = Signal(list)
    actions_changed = Signal()
    deliveries_rejected = Signal(list)
    events_batched = Signal(list)

    # Emitted from a publishing thread; queued to the GUI thread.
    _wake = Signal()

    def __init__(
        self,
        hub: EventHub,
        parent: QObject | None = None,
        interval_ms: int = DEFAULT_INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._lock = threading.Lock()
        self._pending: list[Event] = []

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._wake.connect(self._on_wake)

        hub.subscribe(self._on_event)

    def close(self) -> None:
        """Stop listening; events already collected are dropped."""
        self._hub.unsubscribe(self._on_event)
        self._timer.stop()
        with self._lock:
            self._pending.clear()

    def flush(self) -> None:
        """Emit what has been collected now instead of at the next tick."""
        self._timer.stop()
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self._emit_batch(batch)

    def _on_event(self, event: Event) -> None:
        # Runs on the publisher's thread: only collect and wake the GUI thread.
        with self._lock:
            self._pending.append(event)
            first = len(self._pending) == 1
        if first:
            self._wake.emit()

    @Slot()
    def _on_wake(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _on_timer_timeout(self) -> None:
        self.flush()

    def _emit_batch(self, batch: list[Event]) -> None:
        added: list[int] = []
        changed: list[int] = []
        stores: list[str] = []
        rejected: list[Event] = []
        actions = False
        for event in batch:
            fields = event.fields
            if event.kind == events.DELIVERY_RECEIVED:
                added.extend(int(job_id) for job_id in fields.get("job_ids", ()))
            elif event.kind == events.JOB_CHANGED and "job_id" in fields:
                changed.append(int(fields["job_id"]))
            elif event.kind == events.STORE_CHANGED and "store_hash" in fields:
                stores.append(str(fields["store_hash"]))
            elif event.kind == events.DELIVERY_REJECTED:
                rejected.append(event)
            elif event.kind == events.ACTIONS_CHANGED:
                actions = True

        log.debug("Event batch: %d events, %d new jobs", len(batch), len(added))
        self.events_batched.emit(batch)
        if added:
            self.jobs_added.emit(added)
        if changed:
            self.jobs_changed.emit(list(dict.fromkeys(changed)))
        if stores:
            self.stores_changed.emit(list(dict.fromkeys(stores)))
        if rejected:
            self.deliveries_rejected.emit(rejected)
        if actions:
            self.actions_changed.emit()
