# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""When a failed job runs again: exponential back-off with jitter.

The delay after attempt n is ``base_s * factor ** (n - 1)``, multiplied by a
random factor in [1 - jitter, 1 + jitter] and capped at ``max_delay_s``. With
the defaults (2 s, factor 2, jitter 10 %) the attempts of an always-failing job
start at about 0, 2, 6, 14 and 30 s, each retry within ±10 % of its delay.

This is a few lines of our own rather than tenacity's wait strategies: those
are written for an in-process retry loop around one call, take a RetryCallState,
and add jitter instead of scaling by it; our retries are rows in SQLite that
outlive the process, so only the formula is needed.
"""

import dataclasses
import random

DEFAULT_BASE_S = 2.0
DEFAULT_FACTOR = 2.0
DEFAULT_JITTER = 0.1
DEFAULT_MAX_DELAY_S = 3600.0


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How long a job waits after a failed attempt before the next one."""

    base_s: float = DEFAULT_BASE_S
    factor: float = DEFAULT_FACTOR
    jitter: float = DEFAULT_JITTER
    max_delay_s: float = DEFAULT_MAX_DELAY_S

    def __post_init__(self) -> None:
        if self.base_s < 0 or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError(
                "retry policy needs base_s >= 0, factor >= 1 and 0 <= jitter < 1"
            )

    def nominal_delay(self, attempt: int) -> float:
        """The delay after attempt number attempt (1-based), before jitter."""
        exponent = max(attempt - 1, 0)
        # Large exponents overflow a float; the cap applies long before that.
        try:
            raw = self.base_s * self.factor**exponent
        except OverflowError:
            return self.max_delay_s
        return min(raw, self.max_delay_s)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The jittered delay after attempt number attempt, never above the cap."""
        spread = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return min(self.nominal_delay(attempt) * spread, self.max_delay_s)

    def next_attempt_at(self, attempt: int, now: float) -> float:
        """The epoch at which the attempt after attempt may start."""
        return now + self.delay(attempt)
