# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which hooks are Storehook's, what to write to them, and their state in words.

Pure functions over the hooks as GET /v3/hooks lists them; webhook sync
(app.stores.sync) does the writing. A hook is Storehook's when it points at
Storehook's current destination or carries Storehook's secret header (an
older public URL): only those are ever changed or deleted.
"""

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.bigcommerce import errors
from app.config import SECRET_HEADER
from app.stores import webhook_secret
from app.stores.rows import TopicState

# The topic state of a hook that delivers without Storehook's current (or
# still accepted previous) secret: the receiver answers it 401.
WRONG_SECRET = "wrong secret"

_HEADER_KEY = SECRET_HEADER.lower()


@dataclasses.dataclass
class Step:
    """One write the sync intends: create, activate, reheader, move or delete."""

    kind: str
    scope: str
    hook_id: Any = None

    @property
    def key(self) -> tuple[str, str, Any]:
        return (self.kind, self.scope, self.hook_id)


def secret_header(hook: Mapping[str, Any]) -> tuple[bool, str | None]:
    """(shown, value): whether the hook's headers were listed, and our header's value.

    BigCommerce lists each hook's custom headers (null when it has none);
    shown is False only when the answer left them out, so nothing is known.
    """
    if "headers" not in hook:
        return False, None
    headers = hook.get("headers")
    if not isinstance(headers, dict):
        return True, None
    for name, value in headers.items():
        if str(name).lower() == _HEADER_KEY:
            return True, str(value)
    return True, None


def is_ours(hook: Mapping[str, Any], destination: str) -> bool:
    """Whether sync may change the hook: our destination, or our secret header."""
    if hook.get("destination") == destination:
        return True
    headers = hook.get("headers")
    return isinstance(headers, dict) and any(
        str(name).lower() == _HEADER_KEY for name in headers
    )


def headers_with(hook: Mapping[str, Any], secret: str) -> dict[str, str]:
    """The hook's custom headers with ours set to secret (others kept as they are)."""
    headers = hook.get("headers")
    kept = {
        str(name): str(value)
        for name, value in (headers.items() if isinstance(headers, dict) else ())
        if str(name).lower() != _HEADER_KEY
    }
    return {**kept, SECRET_HEADER: secret}


def plan(
    hooks: Sequence[dict[str, Any]],
    desired: Sequence[str],
    destination: str,
    secret: str,
    rotating: bool,
) -> list[Step]:
    """The writes that make our hooks match desired, in order."""
    steps: list[Step] = []
    for scope in desired:
        mine = [h for h in hooks if h.get("scope") == scope]
        if not mine:
            steps.append(Step("create", scope))
            continue
        # Keep one hook per scope, the one needing least change; extra copies
        # (an older URL's, some earlier tool's retries) would deliver twice.
        keep = min(mine, key=lambda h: _preference(h, destination, secret))
        steps.extend(Step("delete", scope, h.get("id")) for h in mine if h is not keep)
        if keep.get("destination") != destination:
            steps.append(Step("move", scope, keep.get("id")))
        elif not keep.get("is_active"):
            steps.append(Step("activate", scope, keep.get("id")))
        elif _needs_secret(keep, secret, rotating):
            steps.append(Step("reheader", scope, keep.get("id")))
    wanted = set(desired)
    steps.extend(
        Step("delete", str(h.get("scope")), h.get("id"))
        for h in hooks
        if h.get("scope") not in wanted
    )
    return steps


def goal_met(
    step: Step, hooks: Sequence[Mapping[str, Any]], destination: str, secret: str
) -> bool:
    """Whether BigCommerce already holds what step was for (another sync did it)."""
    if step.kind == "create":
        return any(
            h.get("scope") == step.scope and h.get("destination") == destination
            for h in hooks
        )
    if step.kind == "delete":
        return all(h.get("id") != step.hook_id for h in hooks)
    hook = next((h for h in hooks if h.get("id") == step.hook_id), None)
    if hook is None:
        return False
    shown, value = secret_header(hook)
    return (
        hook.get("destination") == destination
        and bool(hook.get("is_active"))
        and (not shown or value == secret)
    )


def topics(
    desired: Sequence[str],
    hooks: Iterable[Mapping[str, Any]],
    destination: str,
    digests: tuple[str, ...],
) -> tuple[TopicState, ...]:
    """Each wanted scope's state, then the unused ones.

    Only a hook at the current destination, active, and carrying a secret the
    receiver accepts (digests) counts as "active".
    """
    by_scope: dict[str, list[Mapping[str, Any]]] = {}
    for hook in hooks:
        by_scope.setdefault(str(hook.get("scope")), []).append(hook)
    states = []
    for scope in desired:
        here = [
            h for h in by_scope.get(scope, []) if h.get("destination") == destination
        ]
        live = [h for h in here if h.get("is_active")]
        if any(_accepted(h, digests) for h in live):
            states.append(TopicState(scope, "active"))
        elif live:
            states.append(TopicState(scope, WRONG_SECRET))
        elif here:
            states.append(TopicState(scope, "inactive"))
        else:
            states.append(TopicState(scope, "missing"))
    wanted = set(desired)
    states.extend(TopicState(s, "unused") for s in sorted(by_scope) if s not in wanted)
    return tuple(states)


def status(
    states: Sequence[TopicState],
    fatal: errors.BigCommerceError | None,
    failed: bool,
) -> str:
    """The store's status word: registered only when all is well."""
    seen = {topic.state for topic in states}
    if isinstance(fatal, errors.CredentialsProblem):
        return "error"
    if "missing" in seen:
        return "partial"
    if "inactive" in seen:
        return "inactive"
    if WRONG_SECRET in seen or "unused" in seen or failed:
        return "partial"
    return "registered"


def message(states: Sequence[TopicState], first_problem: str) -> str:
    """The store's row text: the first problem, with a count when some are missing."""
    if not first_problem:
        return ""
    wanted = [t for t in states if t.state != "unused"]
    missing = [t for t in wanted if t.state == "missing"]
    if not missing:
        return first_problem
    active = sum(1 for t in wanted if t.state == "active")
    return f"{first_problem}, {active}/{len(wanted)} registered"


def public(hook: Mapping[str, Any]) -> dict[str, Any]:
    """The hook without its headers: they carry the secret, never stored."""
    return {k: v for k, v in hook.items() if k != "headers"}


def _preference(
    hook: Mapping[str, Any], destination: str, secret: str
) -> tuple[bool, bool, bool]:
    shown, value = secret_header(hook)
    return (
        hook.get("destination") != destination,
        not hook.get("is_active"),
        shown and value != secret,
    )


def _needs_secret(hook: Mapping[str, Any], secret: str, rotating: bool) -> bool:
    shown, value = secret_header(hook)
    if shown:
        return value != secret
    # Headers not listed: only a pending rotation is reason to rewrite them.
    return rotating


def _accepted(hook: Mapping[str, Any], digests: tuple[str, ...]) -> bool:
    shown, value = secret_header(hook)
    if not shown:
        return True
    return value is not None and webhook_secret.matches(value, digests)
