# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waiting for a condition with a deadline, for tests that cross threads."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T], timeout: float = 10.0, message: str = ""
) -> T:
    """Poll condition until it returns something truthy; fail after timeout.

    This is not a sleep standing in for synchronisation: it returns as soon as
    the condition holds and fails loudly when it never does.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(0.01)
