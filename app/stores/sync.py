# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Webhook sync: make each store's hooks match what the actions listen to.

Only Storehook's own hooks are ever touched: those at its destination, and
those carrying its secret header at an older public URL (they are moved).
After a write whose outcome is unknown (a timeout, a dropped connection, a
5xx) or that BigCommerce refused, the hooks are read again before anything
else is decided, so that a hook is never created twice (BR-23) and the
recorded status is what BigCommerce holds.

Secret rotation: hooks are written with the secret current when they are
written, and the previous secret is retired only once every hook was seen
carrying the secret that is still current at that moment.
"""

import asyncio
import dataclasses
import json
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from app import timeutil
from app.actions.model import ActionsFolderUnavailable
from app.bigcommerce import errors
from app.bigcommerce.client import BigCommerceClient
from app.bigcommerce.errors import BigCommerceError
from app.db.connection import write_transaction
from app.db.models import Store
from app.events import EventHub
from app.stores import hook_api, hook_plan, webhook_secret
from app.stores.hook_api import PassState
from app.stores.hook_plan import Step
from app.stores.service import StoreRow, StoreService, TopicState

log = logging.getLogger(__name__)

HTTPS_MESSAGE = "BigCommerce needs an https URL on port 443"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# After this many syncs or checks in a row answered 401/403 the store is
# treated as uninstalled: nothing more is sent until a new token is saved.
UNINSTALL_AFTER_REJECTIONS = 3
STORE_REMOVED = "store removed"
HOOKS_LEFT = "hooks left unchanged"

# Outcomes of a write that may have happened although no answer came.
_UNCERTAIN = (errors.ApiTimeout, errors.NetworkError, errors.ServerError)
# Failures after which further requests in the same pass are pointless.
_FATAL = (errors.RateLimited, errors.CredentialsProblem, errors.StoreNotFound)


@dataclasses.dataclass(frozen=True)
class SyncOutcome:
    """What a sync, check or unregister did and found.

    message is the text for the store's row ("" when all is well); refused
    is true when nothing was sent because the destination or the actions
    folder is unusable. status "removed" means the store was removed while
    the pass waited for its turn.
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


class WebhookSync:
    """Registers, reactivates, moves and removes each store's hooks; records status.

    Args:
        desired_scopes: the union of every action's scopes, asked each pass;
            it raises ActionsFolderUnavailable when they cannot be known, and
            the pass then changes nothing.
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
        """Create missing hooks, reactivate and move ours, delete unused ones.

        Raises StoreNotConnected for a store that is not connected; one
        removed while this waited for its turn ends with status "removed".
        """
        self._stores.get_store(store_hash)
        return await self._locked(store_hash, self._sync)

    async def check_store(self, store_hash: str) -> SyncOutcome:
        """Read the hooks and /hooks/admin and record the status; write nothing."""
        self._stores.get_store(store_hash)
        return await self._locked(store_hash, self._check)

    async def unregister_store(
        self, store_hash: str, *, lock_held: bool = False
    ) -> SyncOutcome:
        """Delete every hook of Storehook's on the store, whatever its destination.

        lock_held: the caller already holds store_lock(store_hash) (removing
        the store does, for the whole removal).
        """
        if lock_held:
            return await self._unregister(store_hash)
        async with self.store_lock(store_hash):
            return await self._unregister(store_hash)

    async def sync_all(self) -> list[SyncOutcome]:
        """Sync every store that is not uninstalled, one after the other.

        One store's failure, even an unexpected one, is its own outcome; the
        other stores are synced all the same.
        """
        return await self._each(self._sync)

    async def check_all(self) -> list[SyncOutcome]:
        """Check every store that is not uninstalled, each on its own."""
        return await self._each(self._check)

    async def run_periodically(self, interval_s: float = 300.0) -> None:
        """Check every store now and then every interval_s, until cancelled."""
        while True:
            await self.check_all()
            await asyncio.sleep(interval_s)

    def mark_uninstalled(self, store_hash: str, reason: str = "") -> None:
        """Stop syncing a store whose app was uninstalled."""
        self._stores.mark_uninstalled(store_hash, reason)

    def store_lock(self, store_hash: str) -> asyncio.Lock:
        """The lock every pass over the store holds (one pass at a time).

        A click during the periodic check must not create the same hook
        twice, and a removal must not race a sync. Locks belong to one loop.
        """
        loop = asyncio.get_running_loop()
        held = self._locks.get(store_hash)
        if held is None or held[0] is not loop:
            held = (loop, asyncio.Lock())
            self._locks[store_hash] = held
        return held[1]

    # Running passes

    async def _locked(
        self, store_hash: str, run: Callable[[StoreRow], Awaitable[SyncOutcome]]
    ) -> SyncOutcome:
        async with self.store_lock(store_hash):
            try:
                store = self._stores.get_store(store_hash)
            except errors.StoreNotConnected:
                log.info("Store %s was removed; nothing to sync", store_hash)
                return SyncOutcome(store_hash, "removed", message=STORE_REMOVED)
            return await run(store)

    async def _each(
        self, run: Callable[[StoreRow], Awaitable[SyncOutcome]]
    ) -> list[SyncOutcome]:
        outcomes = []
        for store_hash in self._active_hashes():
            try:
                outcomes.append(await self._locked(store_hash, run))
            except Exception as exc:
                outcomes.append(self._crashed(store_hash, exc))
        return outcomes

    def _crashed(self, store_hash: str, exc: Exception) -> SyncOutcome:
        log.exception("Syncing the hooks of store %s failed", store_hash)
        text = exc.summary if isinstance(exc, BigCommerceError) else str(exc)
        message = f"sync failed: {text or type(exc).__name__}"
        try:
            self._save(
                store_hash,
                {
                    "status": "error",
                    "checked_at": timeutil.now(),
                    "last_error": message,
                },
            )
        except Exception:
            log.exception("Recording the failure of store %s failed too", store_hash)
        return SyncOutcome(store_hash, "error", message=message, errors=(message,))

    # The three passes

    async def _sync(self, store: StoreRow) -> SyncOutcome:
        if store.uninstalled:
            return _uninstalled_outcome(store)
        destination = self._destination()
        try:
            validate_destination(destination, store.api_url)
            desired = sorted(self._desired_scopes())
        except ValueError as exc:
            return self._refuse(store, str(exc))
        except ActionsFolderUnavailable as exc:
            return self._refuse(store, f"{exc}; {HOOKS_LEFT}")

        try:
            client = await self._stores.client_for(store.store_hash)
            state = PassState(await hook_api.own_hooks(client, destination))
            # Read after the hooks: the freshest secret is the one written.
            secret = await self._stores.webhook_secret(store.store_hash)
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc)

        rotating = bool(_digests(store.store_hash)[1])
        await self._apply(client, state, desired, destination, secret, rotating)
        if rotating and not state.errors and state.fatal is None:
            await self._finish_rotation(client, state, store.store_hash, destination)
        return self._record(store, desired, destination, state, check=False)

    async def _check(self, store: StoreRow) -> SyncOutcome:
        if store.uninstalled:
            return _uninstalled_outcome(store)
        destination = self._destination()
        try:
            desired = sorted(self._desired_scopes())
        except ActionsFolderUnavailable as exc:
            return self._refuse(store, f"{exc}; {HOOKS_LEFT}")
        try:
            client = await self._stores.client_for(store.store_hash)
            state = PassState(await hook_api.own_hooks(client, destination))
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc)

        admin, warning = await hook_api.admin_report(client, destination)
        if warning:
            state.first_problem = warning
        return self._record(store, desired, destination, state, check=True, admin=admin)

    async def _unregister(self, store_hash: str) -> SyncOutcome:
        store = self._stores.get_store(store_hash)
        destination = self._destination()
        try:
            client = await self._stores.client_for(store_hash)
            state = PassState(await hook_api.own_hooks(client, destination))
        except errors.BigCommerceError as exc:
            return self._record_failure(store, exc)
        for hook in list(state.hooks):
            step = Step("delete", str(hook.get("scope")), hook.get("id"))
            if not await self._run_step(client, state, step, destination, ""):
                break
        return self._record(store, [], destination, state, check=False)

    # Applying the plan

    async def _apply(
        self,
        client: BigCommerceClient,
        state: PassState,
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
            plan = hook_plan.plan(state.hooks, desired, destination, secret, rotating)
            steps = [step for step in plan if step.key not in tried]
            if not steps:
                return
            tried.add(steps[0].key)
            if not await self._run_step(client, state, steps[0], destination, secret):
                return

    async def _run_step(
        self,
        client: BigCommerceClient,
        state: PassState,
        step: Step,
        destination: str,
        secret: str,
    ) -> bool:
        """Do one step; False when the pass must stop."""
        refused: errors.BigCommerceError | None = None
        try:
            await hook_api.do_step(client, state, step, destination, secret)
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
            # Maybe another sync (the console and `storehook hooks sync` at
            # once) did it first ("already exists"): decide on a fresh read.
            refused = exc
            log.warning("%s %s refused: %s", step.kind, step.scope, exc)

        try:
            state.hooks = await hook_api.own_hooks(client, destination)
        except errors.BigCommerceError as exc:
            if refused is not None:
                state.fail(step.scope, refused)
            state.fatal = exc
            return False
        if refused is not None:
            if hook_plan.goal_met(step, state.hooks, destination, secret):
                log.info("%s %s: already done on BigCommerce", step.kind, step.scope)
            else:
                state.fail(step.scope, refused)
        return True

    async def _finish_rotation(
        self,
        client: BigCommerceClient,
        state: PassState,
        store_hash: str,
        destination: str,
    ) -> None:
        """Retire the previous secret if every hook carries the current one now."""
        try:
            current = await self._stores.webhook_secret(store_hash)
            state.hooks = await hook_api.own_hooks(client, destination)
        except errors.BigCommerceError as exc:
            log.warning("Store %s: rotation not confirmed: %s", store_hash, exc)
            return
        unconfirmed = [
            h for h in state.hooks if not hook_api.carries(h, current, state.sent)
        ]
        if unconfirmed:
            log.info(
                "Store %s: %d hook(s) do not carry the current secret yet; the "
                "previous one stays accepted",
                store_hash,
                len(unconfirmed),
            )
            return
        await self._stores.finish_rotation(store_hash, webhook_secret.digest(current))

    # Recording

    def _record(
        self,
        store: StoreRow,
        desired: Sequence[str],
        destination: str,
        state: PassState,
        *,
        check: bool,
        admin: dict[str, Any] | None = None,
    ) -> SyncOutcome:
        self._rejections.pop(store.store_hash, None)
        digests = _digests(store.store_hash)
        topics = hook_plan.topics(desired, state.hooks, destination, digests)
        status = hook_plan.status(topics, state.fatal, bool(state.errors))
        if state.first_problem and status == "registered":
            status = "partial"
        message = hook_plan.message(topics, state.first_problem)
        if check and not message and status != "registered":
            # A read-only check keeps the reason the last sync gave.
            message = store.last_error
        fields: dict[str, Any] = {
            "status": status,
            "topics": json.dumps([dataclasses.asdict(t) for t in topics]),
            "hooks_snapshot": json.dumps([hook_plan.public(h) for h in state.hooks]),
            "checked_at": timeutil.now(),
            "last_error": message,
        }
        if admin is not None:
            fields["admin_report"] = json.dumps(admin)
        self._save(store.store_hash, fields)
        changes = [
            f"{verb} {', '.join(scopes)}"
            for verb, scopes in (
                ("created", state.created),
                ("reactivated", state.reactivated),
                ("deleted", state.deleted),
            )
            if scopes
        ]
        log.info(
            "Store %s hooks: %s%s; %s",
            store.store_hash,
            status,
            f" ({message})" if message else "",
            "; ".join(changes) or "nothing to change",
        )
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

    def _refuse(self, store: StoreRow, message: str) -> SyncOutcome:
        # Nothing was sent; the row says why, its topics stay as last seen.
        log.warning("Not syncing store %s: %s", store.store_hash, message)
        self._save(store.store_hash, {"last_error": message})
        return SyncOutcome(
            store.store_hash,
            store.status,
            store.topics,
            message,
            (message,),
            refused=True,
        )

    def _record_failure(
        self, store: StoreRow, exc: errors.BigCommerceError
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

    def _active_hashes(self) -> list[str]:
        query = Store.select(Store.store_hash).where(Store.uninstalled_at.is_null())
        return [store.store_hash for store in query.order_by(Store.store_hash)]


def _digests(store_hash: str) -> tuple[str, str]:
    """The store's (current, previous) secret digests, fresh from the database."""
    store = Store.get_or_none(Store.store_hash == store_hash)
    if store is None:
        return "", ""
    return str(store.secret_digest), str(store.previous_secret_digest)


def _uninstalled_outcome(store: StoreRow) -> SyncOutcome:
    message = store.last_error or "app uninstalled from the store"
    return SyncOutcome(
        store.store_hash, "uninstalled", store.topics, message, (message,)
    )
