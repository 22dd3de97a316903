# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook sync: make each store's hooks match what the actions listen to.

Only hooks whose destination is Storehook's own are ever touched. After a
write whose outcome is unknown (a timeout, a dropped connection, a 5xx) the
hooks are read again before anything else is written, so that a hook that
was created after all is never created twice (BR-23).
"""

import asyncio
import dataclasses
import json
import logging
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from app import timeutil
from app.bigcommerce import errors
from app.bigcommerce.client import BigCommerceClient
from app.bigcommerce.errors import BigCommerceError, ValidationFailed
from app.config import SECRET_HEADER
from app.db.connection import write_transaction
from app.db.models import Store
from app.events import EventHub
from app.stores.service import StoreRow, StoreService, TopicState

log = logging.getLogger(__name__)

HTTPS_MESSAGE = "BigCommerce needs an https URL on port 443"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# After this many syncs or checks in a row answered 401/403 the store is
# treated as uninstalled: nothing more is sent until a new token is saved.
UNINSTALL_AFTER_REJECTIONS = 3

# Outcomes of a write that may have happened although no answer came.
_UNCERTAIN = (errors.ApiTimeout, errors.NetworkError, errors.ServerError)
# Failures after which further requests in the same pass are pointless.
_FATAL = (errors.RateLimited, errors.CredentialsProblem, errors.StoreNotFound)


@dataclasses.dataclass(frozen=True)
class SyncOutcome:
    """What a sync, check or unregister did and found.

    message is the text for the store's row ("" when all is well); refused
    is true when nothing was sent because the destination is unusable.
    """

    store_hash: str
    status: str
    topics: tuple[TopicState, ...] = ()
    message: str = ""
    errors: tuple[str, ...] = ()
    created: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    refused: bool = False


def validate_destination(url: str, api_url: str) -> None:
    """Refuse a destination BigCommerce would not call (https on 443 only).

    A sandbox on loopback accepts anything, so that the local receiver's
    plain http URL works there.
    """
    api_host = urllib.parse.urlsplit(api_url).hostname or ""
    if api_host in LOOPBACK_HOSTS:
        return
    parts = urllib.parse.urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or not parts.hostname or port not in (None, 443):
        raise ValueError(
            f"{HTTPS_MESSAGE} (set the public URL); {url or 'none'} cannot be used"
        )


@dataclasses.dataclass
class _Step:
    """One write the sync intends: create, activate, reheader or delete."""

    kind: str
    scope: str
    hook_id: Any = None

    @property
    def key(self) -> tuple[str, str, Any]:
        return (self.kind, self.scope, self.hook_id)


@dataclasses.dataclass
class _Pass:
    """The running state of one sync pass over one store."""

    hooks: list[dict[str, Any]]
    errors: list[str] = dataclasses.field(default_factory=list)
    created: list[str] = dataclasses.field(default_factory=list)
    reactivated: list[str] = dataclasses.field(default_factory=list)
    deleted: list[str] = dataclasses.field(default_factory=list)
    first_problem: str = ""
    fatal: BigCommerceError | None = None

    def fail(self, scope: str, exc: BigCommerceError) -> None:
        # 4xx texts are BigCommerce's own words; the rest a short phrase.
        text = str(exc) if isinstance(exc, ValidationFailed) else exc.summary
        self.errors.append(f"{scope}: {text}")
        self.first_problem = self.first_problem or text


class WebhookSync:
    """Registers, reactivates and removes each store's hooks; records status.

    Args:
        desired_scopes: the union of every action's scopes, asked each pass.
        destination: Storehook's public receiver URL, asked each pass.
    """

    def __init__(
        self,
        database: Any,
        stores: StoreService,
        desired_scopes: Callable[[], set[str]],
        destination: Callable[[], str],
        *,
        events: EventHub | None = None,
    ) -> None:
        self._database = database
        self._stores = stores
        self._desired_scopes = desired_scopes
        self._destination = destination
        self._events = events
        self._locks: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = {}
        self._rejections: dict[str, int] = {}

    # Public operations

    async def sync_store(self, store_hash: str) -> SyncOutcome:
        """Create missing hooks, reactivate inactive ones, delete unused ones."""
        async with self._lock(store_hash):
            return await self._sync(store_hash)

    async def check_store(self, store_hash: str) -> SyncOutcome:
        """Read the hooks and /hooks/admin and record the status; write nothing."""
        async with self._lock(store_hash):
            return await self._check(store_hash)

    async def unregister_store(self, store_hash: str) -> SyncOutcome:
        """Delete every hook of Storehook's destination on the store."""
        async with self._lock(store_hash):
            return await self._unregister(store_hash)

    async def sync_all(self) -> list[SyncOutcome]:
        """Sync every store that is not uninstalled, one after the other."""
        return [await self.sync_store(h) for h in self._active_hashes()]

    async def check_all(self) -> list[SyncOutcome]:
        """Check every store that is not uninstalled."""
        return [await self.check_store(h) for h in self._active_hashes()]

    async def run_periodically(self, interval_s: float = 300.0) -> None:
        """Check every store now and then every interval_s, until cancelled."""
        while True:
            try:
                await self.check_all()
            except errors.BigCommerceError as exc:
                log.warning("Periodic hook check stopped early: %s", exc)
            await asyncio.sleep(interval_s)

    def mark_uninstalled(self, store_hash: str, reason: str = "") -> None:
        """Stop syncing a store whose app was uninstalled."""
        self._stores.mark_uninstalled(store_hash, reason)

    # The three passes

    async def _sync(self, store_hash: str) -> SyncOutcome:
        store = self._stores.get_store(store_hash)
        if store.uninstalled:
            return _uninstalled_outcome(store)
        destination = self._destination()
        try:
            validate_destination(destination, store.api_url)
        except ValueError as exc:
            log.warning("Not syncing store %s: %s", store_hash, exc)
            return SyncOutcome(
                store_hash,
                store.status,
                store.topics,
                str(exc),
                (str(exc),),
                refused=True,
            )

        desired = sorted(self._desired_scopes())
        try:
            client = await self._stores.client_for(store_hash)
            secret = await self._stores.webhook_secret(store_hash)
            state = _Pass(await _own_hooks(client, destination))
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc, desired)

        rotating = bool(self._rotation_pending(store_hash))
        await self._apply(client, state, desired, destination, secret, rotating)
        outcome = self._record(store, desired, state, check=False)
        if rotating and not state.errors and state.fatal is None:
            await self._stores.finish_rotation(store_hash)
        return outcome

    async def _check(self, store_hash: str) -> SyncOutcome:
        store = self._stores.get_store(store_hash)
        if store.uninstalled:
            return _uninstalled_outcome(store)
        destination = self._destination()
        desired = sorted(self._desired_scopes())
        try:
            client = await self._stores.client_for(store_hash)
            state = _Pass(await _own_hooks(client, destination))
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc, desired)

        admin, warning = await _admin_report(client, destination)
        if warning:
            state.first_problem = warning
        return self._record(store, desired, state, check=True, admin=admin)

    async def _unregister(self, store_hash: str) -> SyncOutcome:
        store = self._stores.get_store(store_hash)
        destination = self._destination()
        try:
            client = await self._stores.client_for(store_hash)
            state = _Pass(await _own_hooks(client, destination))
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc, [])
        for hook in list(state.hooks):
            if not await self._run_step(
                client, state, _Step("delete", hook["scope"], hook["id"]), "", ""
            ):
                break
        return self._record(store, [], state, check=False)

    # Applying the plan

    async def _apply(
        self,
        client: BigCommerceClient,
        state: _Pass,
        desired: Sequence[str],
        destination: str,
        secret: str,
        rotating: bool,
    ) -> None:
        # Re-plan after every step: a re-read may have changed the picture.
        # Each step is tried at most once per pass, so a failing one can
        # neither loop nor be resent blindly.
        tried: set[tuple[str, str, Any]] = set()
        while True:
            plan = _plan(state.hooks, desired, secret, rotating)
            steps = [step for step in plan if step.key not in tried]
            if not steps:
                return
            tried.add(steps[0].key)
            if not await self._run_step(client, state, steps[0], destination, secret):
                return

    async def _run_step(
        self,
        client: BigCommerceClient,
        state: _Pass,
        step: _Step,
        destination: str,
        secret: str,
    ) -> bool:
        """Do one step; False when the pass must stop."""
        try:
            await _do_step(client, state, step, destination, secret)
            return True
        except errors.NotFound:
            # Deleting or updating a hook someone else already removed.
            state.hooks = [h for h in state.hooks if h.get("id") != step.hook_id]
            return True
        except _FATAL as exc:
            state.fail(step.scope, exc)
            state.fatal = exc
            return False
        except _UNCERTAIN as exc:
            state.fail(step.scope, exc)
            log.warning(
                "%s %s: outcome unknown (%s); reading hooks again",
                step.kind,
                step.scope,
                exc,
            )
        except errors.BigCommerceError as exc:
            state.fail(step.scope, exc)
            log.warning("%s %s refused: %s", step.kind, step.scope, exc)
            return True

        try:
            state.hooks = await _own_hooks(client, destination)
        except errors.BigCommerceError as exc:
            state.fatal = exc
            return False
        return True

    # Recording

    def _record(
        self,
        store: StoreRow,
        desired: Sequence[str],
        state: _Pass,
        *,
        check: bool,
        admin: dict[str, Any] | None = None,
    ) -> SyncOutcome:
        self._rejections.pop(store.store_hash, None)
        topics = _topics(desired, state.hooks)
        status = _status(topics, state)
        message = _message(topics, state)
        if check and not message and status != "registered":
            # A read-only check keeps the reason the last sync gave.
            message = store.last_error
        fields: dict[str, Any] = {
            "status": status,
            "topics": json.dumps([dataclasses.asdict(t) for t in topics]),
            "hooks_snapshot": json.dumps([_public(h) for h in state.hooks]),
            "checked_at": timeutil.now(),
            "last_error": message,
        }
        if admin is not None:
            fields["admin_report"] = json.dumps(admin)
        self._save(store.store_hash, fields)
        log.info("Store %s hooks: %s %s", store.store_hash, status, message)
        return SyncOutcome(
            store.store_hash,
            status,
            topics,
            message,
            tuple(state.errors),
            tuple(state.created),
            tuple(state.reactivated),
            tuple(state.deleted),
        )

    def _record_failure(
        self, store: StoreRow, exc: errors.BigCommerceError, desired: Sequence[str]
    ) -> SyncOutcome:
        log.warning("Store %s: hooks could not be read: %s", store.store_hash, exc)
        message = exc.summary
        status = "error"
        if isinstance(exc, errors.TokenRejected):
            count = self._rejections.get(store.store_hash, 0) + 1
            self._rejections[store.store_hash] = count
            if count >= UNINSTALL_AFTER_REJECTIONS:
                status = "uninstalled"
                self._rejections.pop(store.store_hash, None)
        # The topics are unknown now; keep the last known ones on the row.
        fields: dict[str, Any] = {
            "status": status,
            "checked_at": timeutil.now(),
            "last_error": message,
        }
        if status == "uninstalled":
            fields["uninstalled_at"] = timeutil.now()
            log.warning(
                "Store %s: token rejected %d times in a row; treating the app as "
                "uninstalled until a new token is saved",
                store.store_hash,
                UNINSTALL_AFTER_REJECTIONS,
            )
        self._save(store.store_hash, fields)
        return SyncOutcome(store.store_hash, status, store.topics, message, (message,))

    def _save(self, store_hash: str, fields: dict[str, Any]) -> None:
        with write_transaction(self._database):
            Store.update(**fields).where(Store.store_hash == store_hash).execute()
        self._stores.publish_changed(store_hash)

    # Small helpers

    def _lock(self, store_hash: str) -> asyncio.Lock:
        # One pass per store at a time: a click during the periodic check
        # must not create the same hook twice. Locks belong to one loop.
        loop = asyncio.get_running_loop()
        held = self._locks.get(store_hash)
        if held is None or held[0] is not loop:
            held = (loop, asyncio.Lock())
            self._locks[store_hash] = held
        return held[1]

    def _active_hashes(self) -> list[str]:
        query = Store.select(Store.store_hash).where(Store.uninstalled_at.is_null())
        return [store.store_hash for store in query.order_by(Store.store_hash)]

    def _rotation_pending(self, store_hash: str) -> str:
        store = Store.get_or_none(Store.store_hash == store_hash)
        return str(store.previous_secret_digest) if store is not None else ""


async def _own_hooks(
    client: BigCommerceClient, destination: str
) -> list[dict[str, Any]]:
    hooks = [hook async for hook in client.iterate_v3("/hooks")]
    return [
        h for h in hooks if isinstance(h, dict) and h.get("destination") == destination
    ]


async def _do_step(
    client: BigCommerceClient,
    state: _Pass,
    step: _Step,
    destination: str,
    secret: str,
) -> None:
    if step.kind == "create":
        body = {
            "scope": step.scope,
            "destination": destination,
            "is_active": True,
            "headers": {SECRET_HEADER: secret},
        }
        answer = await client.v3.post("/hooks", body=body)
        hook = (answer or {}).get("data") or {**body, "id": None}
        state.hooks.append(hook)
        state.created.append(step.scope)
    elif step.kind in ("activate", "reheader"):
        body = {"is_active": True, "headers": {SECRET_HEADER: secret}}
        answer = await client.v3.put(
            "/hooks/{webhook_id}", path={"webhook_id": step.hook_id}, body=body
        )
        updated = (answer or {}).get("data") or {}
        for hook in state.hooks:
            if hook.get("id") == step.hook_id:
                hook.update(updated or {"is_active": True})
        if step.kind == "activate":
            state.reactivated.append(step.scope)
    else:
        await client.v3.delete("/hooks/{webhook_id}", path={"webhook_id": step.hook_id})
        state.hooks = [h for h in state.hooks if h.get("id") != step.hook_id]
        state.deleted.append(step.scope)


def _plan(
    hooks: Sequence[dict[str, Any]], desired: Sequence[str], secret: str, rotating: bool
) -> list[_Step]:
    steps: list[_Step] = []
    for scope in desired:
        mine = [h for h in hooks if h.get("scope") == scope]
        if not mine:
            steps.append(_Step("create", scope))
            continue
        # Keep one hook per scope, an active one if any; extra copies
        # (left by some earlier tool's retries) would deliver twice.
        keep = next((h for h in mine if h.get("is_active")), mine[0])
        steps.extend(_Step("delete", scope, h.get("id")) for h in mine if h is not keep)
        if not keep.get("is_active"):
            steps.append(_Step("activate", scope, keep.get("id")))
        elif rotating or _header_differs(keep, secret):
            steps.append(_Step("reheader", scope, keep.get("id")))
    wanted = set(desired)
    steps.extend(
        _Step("delete", str(h.get("scope")), h.get("id"))
        for h in hooks
        if h.get("scope") not in wanted
    )
    return steps


def _header_differs(hook: dict[str, Any], secret: str) -> bool:
    headers = hook.get("headers")
    if not isinstance(headers, dict):
        # BigCommerce did not show the headers; nothing to compare.
        return False
    values = {str(k).lower(): v for k, v in headers.items()}
    return values.get(SECRET_HEADER.lower()) != secret


def _topics(
    desired: Sequence[str], hooks: Iterable[dict[str, Any]]
) -> tuple[TopicState, ...]:
    by_scope: dict[str, list[dict[str, Any]]] = {}
    for hook in hooks:
        by_scope.setdefault(str(hook.get("scope")), []).append(hook)
    topics = []
    for scope in desired:
        mine = by_scope.get(scope, [])
        if any(h.get("is_active") for h in mine):
            topics.append(TopicState(scope, "active"))
        elif mine:
            topics.append(TopicState(scope, "inactive"))
        else:
            topics.append(TopicState(scope, "missing"))
    wanted = set(desired)
    topics.extend(TopicState(s, "unused") for s in sorted(by_scope) if s not in wanted)
    return tuple(topics)


def _status(topics: Sequence[TopicState], state: _Pass) -> str:
    states = {topic.state for topic in topics}
    if isinstance(state.fatal, errors.CredentialsProblem):
        return "error"
    if "missing" in states:
        return "partial"
    if "inactive" in states:
        return "inactive"
    if "unused" in states or state.errors or state.first_problem:
        return "partial"
    return "registered"


def _message(topics: Sequence[TopicState], state: _Pass) -> str:
    if not state.first_problem:
        return ""
    wanted = [t for t in topics if t.state != "unused"]
    missing = [t for t in wanted if t.state == "missing"]
    if not missing:
        return state.first_problem
    active = sum(1 for t in wanted if t.state == "active")
    return f"{state.first_problem}, {active}/{len(wanted)} registered"


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    # The headers carry the webhook secret: they never reach the database.
    return {k: v for k, v in hook.items() if k != "headers"}


def _uninstalled_outcome(store: StoreRow) -> SyncOutcome:
    message = store.last_error or "app uninstalled from the store"
    return SyncOutcome(
        store.store_hash, "uninstalled", store.topics, message, (message,)
    )


async def _admin_report(
    client: BigCommerceClient, destination: str
) -> tuple[dict[str, Any], str]:
    """What /hooks/admin says, and a loud warning when our domain is blocked."""
    try:
        answer = await client.v3.get("/hooks/admin")
    except errors.BigCommerceError as exc:
        log.info("Store %s: /hooks/admin unavailable: %s", client.store_hash, exc)
        return {"error": exc.summary}, ""
    data = (answer or {}).get("data") or {}
    blocked = [b for b in data.get("blocked_domains") or [] if isinstance(b, dict)]
    deactivated = [
        _public(h)
        for h in data.get("hooks_list") or []
        if isinstance(h, dict)
        and h.get("destination") == destination
        and (h.get("status") == "deactivated" or h.get("is_active") is False)
    ]
    report = {"blocked_domains": blocked, "deactivated_hooks": deactivated}
    ours = urllib.parse.urlsplit(destination).hostname or destination
    for entry in blocked:
        domain = str(entry.get("destination", ""))
        if ours and ours in domain:
            warning = (
                f"BigCommerce is blocking {domain} for {entry.get('time_left', '?')} s "
                "after failed deliveries"
            )
            log.warning("Store %s: %s", client.store_hash, warning)
            return report, warning
    return report, ""
