# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Gates that test action files block on, in place of a long sleep.

An action calls ``gate(name).wait()``: it blocks in C like ``time.sleep``
does (nothing can interrupt it), and the test opens the gate when it is done
so that no thread outlives it.
"""

import contextlib
import threading
from collections.abc import Iterator

_gates: dict[str, threading.Event] = {}
_lock = threading.Lock()


def gate(name: str) -> threading.Event:
    """The gate of that name, closed until a test opens it."""
    with _lock:
        return _gates.setdefault(name, threading.Event())


@contextlib.contextmanager
def closed_gate(name: str) -> Iterator[threading.Event]:
    """A fresh closed gate, opened (releasing its waiters) when the block ends."""
    with _lock:
        _gates[name] = threading.Event()
        event = _gates[name]
    try:
        yield event
    finally:
        event.set()
