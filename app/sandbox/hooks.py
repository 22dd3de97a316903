# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox's webhook subscriptions and BigCommerce's rules about them."""

import dataclasses
import ipaddress
import itertools
import re
import threading
import time
import urllib.parse
from typing import Any

# BigCommerce accepts at most this many hooks per store, API account and scope.
MAX_HOOKS_PER_SCOPE = 10
ACCEPTED_FIELDS = ("scope", "destination", "is_active", "headers")
_SCOPE_RE = re.compile(r"^store(/[A-Za-z0-9_{}*]+)+$")


class HookRuleError(ValueError):
    """A request broke one of BigCommerce's hook rules; answered with 422."""

    def __init__(self, title: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(title)
        self.title = title
        self.errors = errors or {}


@dataclasses.dataclass
class Hook:
    """One webhook subscription, owned by the API account that created it."""

    id: int
    client_id: str
    store_hash: str
    scope: str
    destination: str
    headers: dict[str, str] | None
    is_active: bool
    created_at: int
    updated_at: int

    def to_json(self) -> dict[str, Any]:
        """The hook as the v3 API returns it."""
        return {
            "id": self.id,
            "client_id": self.client_id,
            "store_hash": self.store_hash,
            "scope": self.scope,
            "destination": self.destination,
            "headers": dict(self.headers) if self.headers is not None else None,
            "is_active": self.is_active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def scope_matches(pattern: str, scope: str) -> bool:
    """Whether a hook registered for pattern receives events of scope.

    A trailing '*' covers every scope below its prefix (store/order/* gets
    store/order/created and store/order/refund/created); a '*' elsewhere
    stands for one segment (store/channel/*/order/created).
    """
    if pattern == scope:
        return True
    want, have = pattern.split("/"), scope.split("/")
    if want[-1] == "*":
        if len(have) < len(want):
            return False
        have = [*have[: len(want) - 1], "*"]
    if len(want) != len(have):
        return False
    return all(w in ("*", h) for w, h in zip(want, have, strict=True))


def is_loopback(host: str) -> bool:
    """Whether host names this machine (the only place plain http is allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_destination(destination: Any) -> str:
    """BigCommerce wants https on port 443; loopback may use http on any port."""
    if not isinstance(destination, str) or not destination:
        raise HookRuleError(
            "JSON data is missing or invalid", {"destination": "error.path.missing"}
        )
    parts = urllib.parse.urlsplit(destination)
    host = parts.hostname or ""
    if not host or parts.scheme not in ("http", "https"):
        raise HookRuleError(
            "JSON data is missing or invalid",
            {"destination": "destination must be an absolute https URL"},
        )
    if is_loopback(host):
        return destination
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or port not in (None, 443):
        raise HookRuleError(
            "JSON data is missing or invalid",
            {"destination": "destination must use https and be served on port 443"},
        )
    return destination


def check_scope(scope: Any) -> str:
    """A scope looks like store/<resource>/<event>."""
    if not isinstance(scope, str) or not _SCOPE_RE.match(scope):
        raise HookRuleError(
            "JSON data is missing or invalid", {"scope": "error.path.missing"}
        )
    return scope


def check_headers(headers: Any) -> dict[str, str] | None:
    """Custom headers: any names, string values."""
    if headers is None:
        return None
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise HookRuleError(
            "JSON data is missing or invalid",
            {"headers": "headers must be an object of strings"},
        )
    return dict(headers)


class HookRegistry:
    """Every hook of every sandbox store, safe to use from any thread."""

    def __init__(self, first_id: int = 26713401) -> None:
        self._lock = threading.RLock()
        self._hooks: dict[int, Hook] = {}
        self._ids = itertools.count(first_id)

    def for_account(self, store_hash: str, client_id: str | None = None) -> list[Hook]:
        """The store's hooks, oldest first; only client_id's when given."""
        with self._lock:
            return [
                dataclasses.replace(h)
                for h in self._hooks.values()
                if h.store_hash == store_hash
                and (client_id is None or h.client_id == client_id)
            ]

    def get(self, store_hash: str, client_id: str, hook_id: int) -> Hook | None:
        """One hook, if it exists and client_id may see it."""
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None or (hook.store_hash, hook.client_id) != (
                store_hash,
                client_id,
            ):
                return None
            return dataclasses.replace(hook)

    def create(self, store_hash: str, client_id: str, body: Any) -> Hook:
        """Create a hook from a POST body, enforcing BigCommerce's rules."""
        if not isinstance(body, dict):
            raise HookRuleError("Input is invalid")
        scope = check_scope(body.get("scope"))
        destination = check_destination(body.get("destination"))
        headers = check_headers(body.get("headers"))
        is_active = body.get("is_active", True)
        if not isinstance(is_active, bool):
            raise HookRuleError(
                "JSON data is missing or invalid", {"is_active": "must be a boolean"}
            )
        with self._lock:
            self._check_unique(store_hash, client_id, scope, destination, None)
            now = int(time.time())
            hook = Hook(
                id=next(self._ids),
                client_id=client_id,
                store_hash=store_hash,
                scope=scope,
                destination=destination,
                headers=headers,
                is_active=is_active,
                created_at=now,
                updated_at=now,
            )
            self._hooks[hook.id] = hook
            return dataclasses.replace(hook)

    def update(
        self, store_hash: str, client_id: str, hook_id: int, body: Any
    ) -> Hook | None:
        """Apply a PUT body; None when the hook is not this account's."""
        if not isinstance(body, dict) or not any(k in body for k in ACCEPTED_FIELDS):
            raise HookRuleError(
                "update webhook request should not be empty",
                {"body": "at least one of scope, destination, is_active, headers"},
            )
        changes: dict[str, Any] = {}
        if "scope" in body:
            changes["scope"] = check_scope(body["scope"])
        if "destination" in body:
            changes["destination"] = check_destination(body["destination"])
        if "headers" in body:
            changes["headers"] = check_headers(body["headers"])
        if "is_active" in body:
            if not isinstance(body["is_active"], bool):
                raise HookRuleError(
                    "JSON data is missing or invalid",
                    {"is_active": "must be a boolean"},
                )
            changes["is_active"] = body["is_active"]
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None or (hook.store_hash, hook.client_id) != (
                store_hash,
                client_id,
            ):
                return None
            scope = changes.get("scope", hook.scope)
            destination = changes.get("destination", hook.destination)
            self._check_unique(store_hash, client_id, scope, destination, hook_id)
            for name, value in changes.items():
                setattr(hook, name, value)
            hook.updated_at = int(time.time())
            return dataclasses.replace(hook)

    def delete(self, store_hash: str, client_id: str, hook_id: int) -> Hook | None:
        """Remove a hook; None when it is not this account's."""
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None or (hook.store_hash, hook.client_id) != (
                store_hash,
                client_id,
            ):
                return None
            del self._hooks[hook_id]
            return hook

    def deactivate(self, hook_id: int) -> bool:
        """Switch a hook off after its destination kept failing."""
        with self._lock:
            hook = self._hooks.get(hook_id)
            if hook is None or not hook.is_active:
                return False
            hook.is_active = False
            hook.updated_at = int(time.time())
            return True

    def matching(self, store_hash: str, scope: str) -> list[Hook]:
        """Active hooks of the store whose scope covers this event's scope."""
        with self._lock:
            return [
                dataclasses.replace(h)
                for h in self._hooks.values()
                if h.store_hash == store_hash
                and h.is_active
                and scope_matches(h.scope, scope)
            ]

    def is_active(self, hook_id: int) -> bool:
        """Whether the hook still exists and is active (checked before retries)."""
        with self._lock:
            hook = self._hooks.get(hook_id)
            return hook is not None and hook.is_active

    def _check_unique(
        self,
        store_hash: str,
        client_id: str,
        scope: str,
        destination: str,
        exclude: int | None,
    ) -> None:
        same_scope = [
            h
            for h in self._hooks.values()
            if (h.store_hash, h.client_id, h.scope) == (store_hash, client_id, scope)
            and h.id != exclude
        ]
        if any(h.destination == destination for h in same_scope):
            raise HookRuleError(
                "A webhook with this scope and destination already exists",
                {"scope": scope, "destination": destination},
            )
        if len(same_scope) >= MAX_HOOKS_PER_SCOPE:
            raise HookRuleError(
                f"At most {MAX_HOOKS_PER_SCOPE} webhooks per scope are allowed",
                {"scope": scope},
            )
