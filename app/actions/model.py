# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the rest of Storehook knows about an action file."""

import dataclasses
import re
from pathlib import Path
from typing import Protocol

DEFAULT_RETRIES = 6
DEFAULT_TIMEOUT_S = 60.0


@dataclasses.dataclass(frozen=True)
class ActionInfo:
    """One action file as last loaded.

    An action whose file failed to load carries the load error for the
    console to show. If the file never loaded it has no triggers. If it
    loaded before, it is stale: it keeps the triggers, retries and timeout
    of its last good version, so that its hooks stay registered and its
    deliveries are still queued (their attempts fail with the load error
    and retry until the file is fixed).
    """

    name: str
    path: Path
    triggers: tuple[str, ...] = ()
    retries: int = DEFAULT_RETRIES
    timeout: float = DEFAULT_TIMEOUT_S
    error: str | None = None
    stale: bool = False

    @property
    def max_attempts(self) -> int:
        """Attempts in all: the first one plus the retries."""
        return self.retries + 1


class ActionsFolderUnavailable(Exception):
    """The actions folder is missing or unreadable, so the wanted scopes are unknown.

    Webhook sync must then leave every hook as it is: an empty folder by
    mistake (a typo in --actions, an unmounted disk) must not delete them.
    """


class TriggerIndex(Protocol):
    """Answers which actions a delivery of a scope must run."""

    def actions_for(self, scope: str) -> list[ActionInfo]:
        """The loaded actions that declare a trigger matching scope."""
        ...


def _trigger_pattern(trigger: str) -> re.Pattern[str]:
    # "*" stands for the rest of the scope (BigCommerce's store/order/* covers
    # store/order/refund/created too); "{channel_id}" and "*" inside the scope
    # stand for one path segment.
    parts = []
    segments = trigger.split("/")
    for position, segment in enumerate(segments):
        last = position == len(segments) - 1
        if segment == "*" and last:
            parts.append(".+")
        elif segment == "*" or (segment.startswith("{") and segment.endswith("}")):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/".join(parts) + r"\Z")


def scope_matches(trigger: str, scope: str) -> bool:
    """True when a delivery of scope fires an action declaring trigger."""
    if trigger == scope:
        return True
    return _trigger_pattern(trigger).match(scope) is not None
