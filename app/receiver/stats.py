# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Live counters of what the receiver accepted and why it turned deliveries away."""

import collections
import dataclasses
import threading
from typing import Any

from app import timeutil

RECENT_REJECTIONS = 100

# Why a delivery was turned away; these strings are shown to ops staff.
TOO_LARGE = "body too large"
NOT_JSON = "not JSON"
NOT_CALLBACK = "not a BigCommerce callback"
UNKNOWN_STORE = "unknown store"
MISSING_SECRET = "missing secret"
WRONG_SECRET = "wrong secret"
BAD_SIGNATURE = "bad signature"
SIGNATURE_REQUIRED = "signature required"
STORAGE_FAILED = "storage failed"
INTERNAL_ERROR = "internal error"


@dataclasses.dataclass(frozen=True)
class Rejection:
    """One turned-away delivery: never a header value or a secret."""

    at: float
    reason: str
    status: int
    remote: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy, with the time also in ISO 8601 UTC."""
        fields = dataclasses.asdict(self)
        fields["at_iso"] = timeutil.iso_utc(self.at)
        return fields


class ReceiverStats:
    """Thread-safe counters of the receiver, read by the console and the CLI.

    received counts every POST to the webhook path; stored counts deliveries
    written for the first time; queued and held count the jobs they created;
    duplicates counts repeated arrivals; rejected counts the rest by reason.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received = 0
        self._stored = 0
        self._queued = 0
        self._held = 0
        self._duplicates = 0
        self._rejected: collections.Counter[str] = collections.Counter()
        self._recent: collections.deque[Rejection] = collections.deque(
            maxlen=RECENT_REJECTIONS
        )

    def record_received(self) -> None:
        """A POST reached the webhook path."""
        with self._lock:
            self._received += 1

    def record_stored(self, *, queued: int, held: int) -> None:
        """A new delivery was committed together with its jobs."""
        with self._lock:
            self._stored += 1
            self._queued += queued
            self._held += held

    def record_duplicate(self) -> None:
        """A delivery arrived again and created nothing."""
        with self._lock:
            self._duplicates += 1

    def record_rejection(
        self, reason: str, status: int, remote: str, detail: str = ""
    ) -> Rejection:
        """A delivery was turned away; returns what was recorded."""
        rejection = Rejection(timeutil.now(), reason, status, remote, detail[:200])
        with self._lock:
            self._rejected[reason] += 1
            self._recent.append(rejection)
        return rejection

    def snapshot(self) -> dict[str, Any]:
        """Every counter and the recent rejections (newest first), JSON-ready."""
        with self._lock:
            recent = list(self._recent)
            return {
                "received": self._received,
                "stored": self._stored,
                "queued": self._queued,
                "held": self._held,
                "duplicates": self._duplicates,
                "rejected": sum(self._rejected.values()),
                "rejected_by_reason": dict(self._rejected),
                "recent_rejections": [r.to_dict() for r in reversed(recent)],
            }
