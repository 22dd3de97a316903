# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The composition root: builds each service once and runs them together.

`storehook serve` and the console run the same Application; the console only
adds a window on top.
"""

import asyncio
import dataclasses
import logging
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from app import config
from app.actions.loader import ActionRegistry
from app.actions.runtime import ActionRuntime
from app.datadir_lock import DataDirLock
from app.db.connection import open_database
from app.events import (
    ACTIONS_CHANGED,
    DELIVERY_RECEIVED,
    STORE_CHANGED,
    Event,
    EventHub,
)
from app.queue import jobs
from app.queue.loopguard import LoopGuard
from app.queue.policy import RetryPolicy
from app.queue.search_index import index_all_jobs
from app.queue.worker import WorkerPool
from app.receiver.app import build_receiver_app
from app.receiver.server import ReceiverServer
from app.receiver.stats import ReceiverStats
from app.stores.secrets import SecretStore
from app.stores.service import StoreService
from app.stores.sync import WebhookSync

log = logging.getLogger(__name__)

# Trigger edits come in bursts (an editor saves twice, a GUI saves several
# files); one sync after the burst is enough.
SYNC_DEBOUNCE_S = 1.0
SEARCH_INDEX_INTERVAL_S = 1.0
APP_UNINSTALLED_SCOPE = "store/app/uninstalled"
# How often hooks are checked for being deactivated by BigCommerce.
PERIODIC_SYNC_S = 300.0


def build_store_service(database: Any, events: EventHub | None = None) -> StoreService:
    """The store service over the OS keyring."""
    return StoreService(database, SecretStore(), events=events)


def build_sync(
    settings: config.Settings,
    database: Any,
    stores: StoreService,
    desired_scopes: Callable[[], set[str]],
    events: EventHub | None = None,
    destination: Callable[[], str] | None = None,
) -> WebhookSync:
    """Webhook sync for the configured destination."""
    return WebhookSync(
        database,
        stores,
        desired_scopes,
        destination or (lambda: settings.destination_url),
        events=events,
    )


def demo_actions_source() -> Path:
    """The demo action scripts shipped in resources/."""
    return Path(str(resources.files("app"))).parent / "resources" / "demo_actions"


class _SigningSecrets:
    """Caches each store's client secret for the receiver's signature check.

    The receiver runs in its own thread and must answer in milliseconds, so it
    never waits on the keyring; the cache is filled once per store.
    """

    def __init__(self, secrets: SecretStore) -> None:
        self._secrets = secrets
        self._lock = threading.Lock()
        self._cache: dict[str, str | None] = {}

    def __call__(self, store_hash: str) -> str | None:
        with self._lock:
            if store_hash in self._cache:
                return self._cache[store_hash]
        try:
            value = self._secrets.get(store_hash, "client_secret")
        except Exception as error:
            log.warning("Cannot read the client secret of %s: %s", store_hash, error)
            value = None
        with self._lock:
            self._cache[store_hash] = value
        return value

    def forget(self, store_hash: str) -> None:
        with self._lock:
            self._cache.pop(store_hash, None)


class Application:
    """Every service of one Storehook process, started and stopped together."""

    def __init__(self, settings: config.Settings) -> None:
        self.settings = settings
        self.events = EventHub()
        self.stats = ReceiverStats()
        self.sandbox: Any = None
        self._bound_port: int | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._sync_handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

        if settings.demo:
            self.settings = self._prepare_demo(settings)
        self.data_dir_lock = DataDirLock(self.settings.data_dir)
        self.data_dir_lock.acquire()
        self.database = open_database(self.settings.data_dir)
        self.secrets = SecretStore()
        self.stores = StoreService(self.database, self.secrets, events=self.events)
        self.registry = ActionRegistry(self.settings.actions_dir, self.events)
        self.runtime = ActionRuntime(
            self.database, self.stores, registry=self.registry, events=self.events
        )
        self.workers = WorkerPool(
            self.database,
            self.registry,
            self.runtime,
            events=self.events,
            policy=RetryPolicy(base_s=self.settings.retry_base_s),
        )
        self.runtime.set_enqueue_hook(self._on_job_enqueued)
        self.signing_secrets = _SigningSecrets(self.secrets)
        self.receiver = ReceiverServer(
            build_receiver_app(
                self.database,
                triggers=self.registry,
                events=self.events,
                stats=self.stats,
                loop_guard=LoopGuard(
                    self.settings.loop_guard_threshold,
                    self.settings.loop_guard_window_s,
                ),
                signing_secret=self.signing_secrets,
                wake_workers=self.workers.wake,
            ),
            self.settings.listen_host,
            self.settings.listen_port,
        )
        self.sync = build_sync(
            self.settings,
            self.database,
            self.stores,
            self.registry.desired_scopes,
            events=self.events,
            destination=self.destination_url,
        )

    def _on_job_enqueued(self, job_id: int) -> None:
        self.workers.wake()

    def destination_url(self) -> str:
        """The URL hooks are registered with: the public one, or the receiver's."""
        if self.settings.public_url:
            return self.settings.public_url
        port = self._bound_port or self.settings.listen_port
        host = self.settings.listen_host
        return f"http://{host}:{port}{config.RECEIVER_PATH}"

    def _prepare_demo(self, settings: config.Settings) -> config.Settings:
        import keyring

        from app.stores.memory_keyring import MemoryKeyring

        # The demo must never touch the user's real keyring or data.
        keyring.set_keyring(MemoryKeyring())
        data_dir = Path(tempfile.mkdtemp(prefix="storehook-demo-"))
        actions_dir = data_dir / "actions"
        shutil.copytree(demo_actions_source(), actions_dir)
        log.info("Demo data in %s", data_dir)
        return dataclasses.replace(
            settings,
            data_dir=data_dir,
            actions_dir=actions_dir,
            public_url="",
            demo=True,
        )

    async def start(self) -> None:
        """Start the receiver, the workers and the background syncs."""
        self._loop = asyncio.get_running_loop()
        self.registry.refresh()
        self.registry.start_watching()
        self.events.subscribe(self._on_event)

        await asyncio.to_thread(self.receiver.start)
        self._bound_port = self.receiver.bound_port
        self.workers.start()
        log.info(
            "Receiving on http://%s:%d%s; hooks point to %s",
            self.settings.listen_host,
            self._bound_port,
            config.RECEIVER_PATH,
            self.destination_url(),
        )

        if self.settings.demo:
            await self._start_demo_sandbox()
        self._tasks.append(asyncio.create_task(self._sync_periodically()))
        self._tasks.append(asyncio.create_task(self._index_periodically()))

    async def _start_demo_sandbox(self) -> None:
        from app.sandbox import Sandbox

        self.sandbox = Sandbox()
        await asyncio.to_thread(self.sandbox.start)
        for store in self.sandbox.stores:
            await self.stores.add_store(
                store.store_hash, store.access_token, api_url=self.sandbox.api_url
            )
        await self.sync.sync_all()
        self.sandbox.start_event_generator()

    async def _sync_periodically(self) -> None:
        # The first pass runs at start; later ones notice hooks that
        # BigCommerce deactivated behind our back.
        while True:
            try:
                await self.sync.sync_all()
            except Exception:
                log.exception("Webhook sync failed")
            await asyncio.sleep(PERIODIC_SYNC_S)

    async def _index_periodically(self) -> None:
        # The Queue filter's index trails the job table by at most this much;
        # a text search catches it up first anyway.
        while True:
            try:
                await asyncio.to_thread(index_all_jobs, self.database)
            except Exception:
                log.exception("Indexing jobs for the Queue filter failed")
            await asyncio.sleep(SEARCH_INDEX_INTERVAL_S)

    def _on_event(self, event: Event) -> None:
        # Called from any thread; sync runs on the main loop.
        if event.kind == STORE_CHANGED and "store_hash" in event.fields:
            self.signing_secrets.forget(event.fields["store_hash"])
        if event.kind == ACTIONS_CHANGED:
            self._release_jobs_of_loading_actions()
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._schedule_sync)
        if (
            event.kind == DELIVERY_RECEIVED
            and event.fields.get("scope") == APP_UNINSTALLED_SCOPE
            and not event.fields.get("duplicate")
        ):
            # The token is dead from now on: stop syncing the store until
            # someone adds it again with a new token.
            self.stores.mark_uninstalled(
                event.fields["store_hash"], "app uninstalled from the store"
            )

    def schedule_sync(self) -> None:
        """Sync every store's hooks soon, once, however often this is called."""
        self._schedule_sync()

    def _release_jobs_of_loading_actions(self) -> None:
        # Runs on the registry's watcher thread, never the GUI's.
        loading = [a.name for a in self.registry.actions() if not a.error]
        try:
            released = jobs.release_loaded_actions(
                self.database, loading, events=self.events
            )
        except Exception:
            log.exception("Could not release the jobs of reloaded actions")
            return
        if released:
            self.workers.wake()

    def _schedule_sync(self) -> None:
        assert self._loop is not None
        if self._sync_handle is not None:
            self._sync_handle.cancel()
        self._sync_handle = self._loop.call_later(SYNC_DEBOUNCE_S, self._start_sync)

    def _start_sync(self) -> None:
        log.info("Action triggers changed; syncing webhooks")
        self._tasks = [task for task in self._tasks if not task.done()]
        self._tasks.append(asyncio.create_task(self.sync.sync_all()))

    def set_public_url(self, url: str) -> None:
        """Point hooks at a new public URL (the next sync re-registers them)."""
        self.settings = dataclasses.replace(self.settings, public_url=url.strip())

    async def stop(self) -> None:
        """Stop everything; running jobs go back to the queue."""
        self.events.unsubscribe(self._on_event)
        if self._sync_handle is not None:
            self._sync_handle.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

        await asyncio.to_thread(self.receiver.stop)
        await asyncio.to_thread(self.workers.stop)
        self.registry.stop_watching()
        if self.sandbox is not None:
            await asyncio.to_thread(self.sandbox.stop)
        await self.stores.aclose()
        self.database.close()
        self.data_dir_lock.release()
        if self.settings.demo:
            # The demo's data is throwaway by design; leave no folder behind.
            shutil.rmtree(self.settings.data_dir, ignore_errors=True)
        log.info("Storehook stopped")


def run_headless(settings: config.Settings) -> int:
    """`storehook serve`: run until SIGINT or SIGTERM; return the exit status."""
    return asyncio.run(_serve(settings))


async def _serve(settings: config.Settings) -> int:
    application = Application(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    try:
        await application.start()
        print(
            f"Storehook is receiving on {application.settings.listen_host}:"
            f"{application.receiver.bound_port}; hooks point to "
            f"{application.destination_url()}. Stop with Ctrl+C.",
            flush=True,
        )
        await stopping.wait()
    finally:
        await application.stop()
    return 0


def run_console(settings: config.Settings) -> int:
    """Open the console window over a running Application."""
    from app.ui.console import run_console as run_window
    from app.ui.wiring import ConsoleViews

    application = Application(settings)
    return run_window(application, add_views=ConsoleViews(application))
