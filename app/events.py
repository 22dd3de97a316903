# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A thread-safe publish/subscribe hub through which services report changes.

Services run in several threads (the receiver, the workers, the asyncio loop)
and must not know about Qt. They publish plain events here; the console turns
them into Qt signals, batched on its own thread.
"""

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """Something changed. kind names what, fields say which."""

    kind: str
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)


# Kinds published by the services.
DELIVERY_RECEIVED = "delivery_received"  # fields: delivery_id, job_ids, duplicate
DELIVERY_REJECTED = "delivery_rejected"  # fields: reason, status, detail
JOB_CHANGED = "job_changed"  # fields: job_id, state
STORE_CHANGED = "store_changed"  # fields: store_hash
ACTIONS_CHANGED = "actions_changed"  # fields: none

Listener = Callable[[Event], None]


class EventHub:
    """Delivers each published event to every subscriber, in the caller's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call listener for every later event; it must be quick and thread-safe."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling listener; unknown listeners are ignored."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, kind: str, **fields: Any) -> None:
        """Send an event to every subscriber; a failing subscriber is logged."""
        event = Event(kind, fields)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("An event listener failed on %s", kind)
