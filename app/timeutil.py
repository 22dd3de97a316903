# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time helpers: every stored time is a UTC epoch in seconds, shown as ISO 8601."""

import datetime as dt
import time


def now() -> float:
    """Return the current time as a UTC epoch in seconds."""
    return time.time()


def iso_utc(epoch: float | None) -> str | None:
    """Format an epoch as ISO 8601 in UTC, or None for a missing time."""
    if epoch is None:
        return None
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def local_with_offset(epoch: float | None) -> str:
    """Format an epoch in the local time zone with its UTC offset.

    The offset is what tells apart the two 01:30s of a daylight-saving
    fall-back night, so it is always shown.
    """
    if epoch is None:
        return ""
    moment = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")
