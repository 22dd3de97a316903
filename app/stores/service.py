# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connecting, listing and removing stores, and handing out their API clients."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import httpx

from app import events as events_module
from app import timeutil
from app.bigcommerce import errors
from app.bigcommerce.client import DEFAULT_API_URL, BigCommerceClient
from app.db.connection import write_transaction
from app.db.models import Job, JobState, Store
from app.stores import secrets as names
from app.stores import webhook_secret
from app.stores.inputs import normalize_api_url as normalize_api_url
from app.stores.inputs import normalize_store_hash as normalize_store_hash
from app.stores.rows import StoreRow as StoreRow
from app.stores.rows import TopicState as TopicState
from app.stores.rows import row_from_model as row_from_model
from app.stores.rows import topics_from_json as topics_from_json
from app.stores.secrets import KeyringUnavailable, SecretStore

if TYPE_CHECKING:
    from app.stores.sync import WebhookSync

log = logging.getLogger(__name__)

# Jobs held with a reason starting with this wait for new credentials.
AUTH_FAILED = "auth failed"
CREDENTIALS_MISSING = "credentials missing from the keyring: add the store again"
ROTATION_PENDING = (
    "a secret rotation is still being registered; run Register webhooks first"
)


class RotationPending(ValueError):
    """A new webhook secret is not on every hook yet; another must wait.

    Rotating again before a sync has confirmed the last rotation would stop
    accepting the secret the hooks still carry.
    """


def _missing(store_hash: str, what: str) -> errors.CredentialsUnavailable:
    error = errors.CredentialsUnavailable(
        f"store {store_hash}: no {what} in the keyring; {CREDENTIALS_MISSING}"
    )
    # The store's row shows the summary: say what to do about it.
    error.summary = CREDENTIALS_MISSING
    return error


class StoreService:
    """Stores: their rows in the database, their secrets in the keyring.

    Args:
        http_factory: makes the httpx client for each new API client (tests
            and the sandbox pass one with their own transport).
        client_options: extra keyword arguments for every BigCommerceClient
            (timeouts, rate-limit waits, an injected sleep).
    """

    def __init__(
        self,
        database: Any,
        secrets: SecretStore,
        *,
        events: events_module.EventHub | None = None,
        http_factory: Callable[[], httpx.AsyncClient] | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._database = database
        self.secrets = secrets
        self._events = events
        self._http_factory = http_factory
        self._client_options = dict(client_options or {})
        self._clients: dict[str, tuple[asyncio.AbstractEventLoop, BigCommerceClient]]
        self._clients = {}

    # Reading

    def list_stores(self, *, check_keyring: bool = True) -> list[StoreRow]:
        """Every store, by hash. Never fails because of the keyring.

        With check_keyring each row says whether its token can be read
        (credentials_error); this touches the keyring, so call it off the GUI
        thread.
        """
        stores = list(Store.select().order_by(Store.store_hash))
        problem = self.secrets.problem() if check_keyring else ""
        rows = []
        for store in stores:
            error = ""
            if problem:
                error = f"credentials unavailable: {problem}"
            elif check_keyring:
                error = self._credentials_error(store.store_hash)
            rows.append(row_from_model(store, error))
        return rows

    def get_store(self, store_hash: str) -> StoreRow:
        """One store's row; StoreNotConnected when there is none."""
        return row_from_model(self._model(store_hash))

    # Adding and removing

    async def add_store(
        self,
        store_hash: str,
        access_token: str,
        *,
        api_url: str | None = None,
        client_id: str = "",
        client_secret: str = "",
    ) -> StoreRow:
        """Check the token, keep the secrets, then save the store.

        Adding a store that exists replaces its token (and client id and
        secret when given), which is how a new token is saved. Whatever
        fails, nothing is kept.
        """
        store_hash = normalize_store_hash(store_hash)
        access_token = access_token.strip()
        if not access_token:
            raise ValueError("an access token is needed to connect a store")
        base = normalize_api_url(api_url) if api_url and api_url.strip() else ""
        base = base or DEFAULT_API_URL
        problem = self.secrets.problem()
        if problem:
            raise KeyringUnavailable(problem)

        info = await self._store_information(store_hash, access_token, base)
        existing = Store.get_or_none(Store.store_hash == store_hash)
        new_secrets = {names.ACCESS_TOKEN: access_token}
        if client_id or existing is None:
            new_secrets[names.CLIENT_ID] = client_id
        if client_secret or existing is None:
            new_secrets[names.CLIENT_SECRET] = client_secret
        # A store re-added after its keyring entries were lost gets a new
        # webhook secret; the old digest stays accepted (as the previous one)
        # until a sync has put the new secret on every hook.
        secret = None
        kept = await asyncio.to_thread(
            self.secrets.get, store_hash, names.WEBHOOK_SECRET
        )
        if existing is None or not existing.secret_digest or not kept:
            secret = webhook_secret.generate()
            new_secrets[names.WEBHOOK_SECRET] = secret
        old_digest = existing.secret_digest if existing is not None else ""

        previous = await asyncio.to_thread(self._write_secrets, store_hash, new_secrets)
        try:
            await asyncio.to_thread(
                self._save_row, store_hash, base, info, secret, old_digest
            )
        except BaseException:
            await asyncio.to_thread(self._restore_secrets, store_hash, previous)
            raise
        released = self._release_auth_holds(store_hash) if existing else 0

        await self._drop_client(store_hash)
        log.info(
            "Store %s (%s) %s; %d held job(s) released",
            store_hash,
            info.get("name", ""),
            "token replaced" if existing else "connected",
            released,
        )
        self._publish(store_hash)
        return self.get_store(store_hash)

    async def remove_store(
        self, store_hash: str, *, sync: "WebhookSync | None" = None
    ) -> list[str]:
        """Unregister Storehook's hooks (best effort), forget secrets and row.

        Returns the warnings to show: hooks that could not be removed,
        secrets the keyring would not delete. Job history stays. Holds the
        store's sync lock throughout, so no sync of it runs meanwhile; a sync
        waiting for the lock then finds the store gone.
        """
        store_hash = normalize_store_hash(store_hash)
        self._model(store_hash)
        lock = sync.store_lock(store_hash) if sync is not None else None
        async with lock if lock is not None else contextlib.nullcontext():
            return await self._remove(store_hash, sync)

    async def _remove(self, store_hash: str, sync: "WebhookSync | None") -> list[str]:
        self._model(store_hash)
        warnings: list[str] = []
        if sync is not None:
            outcome = await sync.unregister_store(store_hash, lock_held=True)
            warnings.extend(f"hooks not removed: {e}" for e in outcome.errors)
        try:
            await asyncio.to_thread(self.secrets.delete_all, store_hash)
        except KeyringUnavailable as exc:
            warnings.append(f"secrets not deleted from the keyring: {exc.reason}")

        with write_transaction(self._database):
            Store.delete().where(Store.store_hash == store_hash).execute()
        await self._drop_client(store_hash)
        log.info("Store %s removed (%d warning(s))", store_hash, len(warnings))
        self._publish(store_hash)
        return warnings

    def mark_uninstalled(self, store_hash: str, reason: str = "") -> None:
        """Record that the app was uninstalled: syncing stops until re-added.

        Safe from any thread (the receiver calls it for store/app/uninstalled).
        """
        with write_transaction(self._database):
            Store.update(
                uninstalled_at=timeutil.now(),
                status="uninstalled",
                last_error=reason or "app uninstalled from the store",
            ).where(Store.store_hash == store_hash).execute()
        log.warning("Store %s marked uninstalled: %s", store_hash, reason)
        self._publish(store_hash)

    # Clients

    async def open_client(self, store_hash: str) -> BigCommerceClient:
        """A new API client for the store, bound to the calling loop.

        Raises StoreNotConnected, TokenRejected (store marked uninstalled) or
        CredentialsUnavailable (keyring unusable, or no token in it).
        """
        store = self._model(store_hash)
        if store.uninstalled_at is not None:
            raise errors.TokenRejected(
                f"store {store_hash} is marked uninstalled; save a new access "
                "token to connect it again"
            )
        token = await asyncio.to_thread(
            self.secrets.get, store.store_hash, names.ACCESS_TOKEN
        )
        if not token:
            raise _missing(store_hash, "access token")
        return self._make_client(store.store_hash, token, store.api_url)

    async def client_for(self, store_hash: str) -> BigCommerceClient:
        """The service's cached client for a store, on the running loop."""
        loop = asyncio.get_running_loop()
        cached = self._clients.get(store_hash)
        if cached is not None and cached[0] is loop:
            return cached[1]
        client = await self.open_client(store_hash)
        self._clients[store_hash] = (loop, client)
        return client

    async def webhook_secret(self, store_hash: str) -> str:
        """The store's current webhook secret, from the keyring."""
        secret = await asyncio.to_thread(
            self.secrets.get, store_hash, names.WEBHOOK_SECRET
        )
        if not secret:
            raise _missing(store_hash, "webhook secret")
        return secret

    async def rotate_webhook_secret(self, store_hash: str) -> None:
        """Make a new webhook secret current, still accepting the previous one.

        The previous secret stays valid until a sync has confirmed every hook
        carries the new one (WebhookSync then calls finish_rotation). Only one
        rotation is pending at a time: while one is, this raises
        RotationPending, since a second would stop accepting the secret the
        hooks may still carry.
        """
        store = self._model(store_hash)
        if store.previous_secret_digest:
            raise RotationPending(ROTATION_PENDING)
        old = await asyncio.to_thread(
            self.secrets.get, store_hash, names.WEBHOOK_SECRET
        )
        new = webhook_secret.generate()
        writes = {names.WEBHOOK_SECRET: new}
        if old:
            writes[names.PREVIOUS_WEBHOOK_SECRET] = old
        previous = await asyncio.to_thread(self._write_secrets, store_hash, writes)
        try:
            # Conditional, so that of two rotations racing only one wins.
            with write_transaction(self._database):
                updated = (
                    Store.update(
                        secret_digest=webhook_secret.digest(new),
                        previous_secret_digest=store.secret_digest,
                    )
                    .where(
                        (Store.store_hash == store_hash)
                        & (Store.secret_digest == store.secret_digest)
                        & (Store.previous_secret_digest == "")
                    )
                    .execute()
                )
            if not updated:
                raise RotationPending(ROTATION_PENDING)
        except BaseException:
            await asyncio.to_thread(self._restore_secrets, store_hash, previous)
            raise
        log.info("Store %s: webhook secret rotated", store_hash)
        self._publish(store_hash)

    async def finish_rotation(self, store_hash: str, confirmed_digest: str) -> bool:
        """Stop accepting the previous webhook secret; True when retired.

        confirmed_digest is the digest of the secret every hook was just seen
        carrying; the previous one is retired only while that is still the
        current one (a rotation meanwhile keeps it).
        """
        with write_transaction(self._database):
            retired = (
                Store.update(previous_secret_digest="")
                .where(
                    (Store.store_hash == store_hash)
                    & (Store.secret_digest == confirmed_digest)
                    & (Store.previous_secret_digest != "")
                )
                .execute()
            )
        if not retired:
            log.info(
                "Store %s: the secret changed during the sync; the previous one "
                "stays accepted until the next sync",
                store_hash,
            )
            return False
        try:
            await asyncio.to_thread(
                self.secrets.delete, store_hash, names.PREVIOUS_WEBHOOK_SECRET
            )
        except KeyringUnavailable as exc:
            log.warning("Store %s: previous secret not deleted: %s", store_hash, exc)
        log.info("Store %s: hooks carry the new secret; old one retired", store_hash)
        self._publish(store_hash)
        return True

    async def aclose(self) -> None:
        """Close every cached client."""
        clients, self._clients = self._clients, {}
        for _, client in clients.values():
            await client.aclose()

    def publish_changed(self, store_hash: str) -> None:
        """Tell listeners that a store's row changed."""
        self._publish(store_hash)

    # Helpers

    def _model(self, store_hash: str) -> Store:
        store = Store.get_or_none(Store.store_hash == store_hash)
        if store is None:
            raise errors.StoreNotConnected(
                f"store {store_hash} is not connected to Storehook"
            )
        return store

    def _make_client(
        self, store_hash: str, token: str, api_url: str
    ) -> BigCommerceClient:
        http = self._http_factory() if self._http_factory else None
        return BigCommerceClient(
            store_hash,
            token,
            api_url=api_url,
            http=http,
            owns_http=True,
            **self._client_options,
        )

    async def _store_information(
        self, store_hash: str, token: str, api_url: str
    ) -> dict[str, Any]:
        client = self._make_client(store_hash, token, api_url)
        try:
            info = await client.v2.get("/store")
        finally:
            await client.aclose()
        if not isinstance(info, dict):
            raise errors.BigCommerceError(
                f"store {store_hash}: the store information is not an object"
            )
        return info

    def _credentials_error(self, store_hash: str) -> str:
        try:
            token = self.secrets.get(store_hash, names.ACCESS_TOKEN)
            secret = self.secrets.get(store_hash, names.WEBHOOK_SECRET)
        except KeyringUnavailable as exc:
            return exc.summary
        if not token or not secret:
            return CREDENTIALS_MISSING
        return ""

    def _write_secrets(
        self, store_hash: str, values: Mapping[str, str]
    ) -> dict[str, str | None]:
        """Write values; return what was there before, for _restore_secrets."""
        previous: dict[str, str | None] = {}
        try:
            for name, value in values.items():
                previous[name] = self.secrets.get(store_hash, name)
                self.secrets.set(store_hash, name, value)
        except BaseException:
            self._restore_secrets(store_hash, previous)
            raise
        return previous

    def _restore_secrets(
        self, store_hash: str, previous: Mapping[str, str | None]
    ) -> None:
        for name, value in previous.items():
            try:
                if value is None:
                    self.secrets.delete(store_hash, name)
                else:
                    self.secrets.set(store_hash, name, value)
            except KeyringUnavailable as exc:
                log.error(
                    "Store %s: could not roll back keyring entry %s: %s",
                    store_hash,
                    name,
                    exc.reason,
                )

    def _save_row(
        self,
        store_hash: str,
        api_url: str,
        info: Mapping[str, Any],
        secret: str | None,
        old_digest: str = "",
    ) -> None:
        fields: dict[str, Any] = {
            "name": str(info.get("name") or ""),
            "store_id": str(info.get("store_id") or info.get("id") or ""),
            "api_url": api_url,
            "uninstalled_at": None,
            "last_error": "",
        }
        if secret is not None:
            fields["secret_digest"] = webhook_secret.digest(secret)
            fields["previous_secret_digest"] = old_digest
        with write_transaction(self._database):
            updated = (
                Store.update(**fields).where(Store.store_hash == store_hash).execute()
            )
            if not updated:
                Store.create(
                    store_hash=store_hash, connected_at=timeutil.now(), **fields
                )
            # A new token clears a rejected or uninstalled state; the next
            # check or sync says how the hooks really are.
            Store.update(status="unknown").where(
                (Store.store_hash == store_hash)
                & Store.status.in_(["error", "uninstalled"])
            ).execute()

    def _release_auth_holds(self, store_hash: str) -> int:
        now = timeutil.now()
        with write_transaction(self._database):
            count: int = (
                Job.update(
                    state=JobState.QUEUED,
                    hold_reason="",
                    next_attempt_at=now,
                    updated_at=now,
                )
                .where(
                    (Job.store_hash == store_hash)
                    & (Job.state == JobState.HELD)
                    & (Job.hold_reason.startswith(AUTH_FAILED))
                )
                .execute()
            )
        return count

    async def _drop_client(self, store_hash: str) -> None:
        cached = self._clients.pop(store_hash, None)
        if cached is None:
            return
        loop, client = cached
        if loop is asyncio.get_running_loop():
            await client.aclose()

    def _publish(self, store_hash: str) -> None:
        if self._events is not None:
            self._events.publish(events_module.STORE_CHANGED, store_hash=store_hash)
