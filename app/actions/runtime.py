# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What an action's run() receives: params, trigger, logger, api, connections.

run() gets, by parameter name, any of:

- ``params``: the delivery's ``data`` fields plus ``storeHash``; for a job
  queued by ``api.enqueue``, the params it was queued with (plus ``storeHash``
  when it has a store).
- ``trigger``: the whole callback as BigCommerce sent it (None for an
  enqueued job).
- ``logger``: a logging.Logger; its lines are kept with the attempt and also
  go to the app log under ``storehook.action.<name>``.
- ``api``: ``api.records`` (change-tracked records) and
  ``api.enqueue(action_name, params, store_hash=None, delay=None)``.
- ``connections``: ``connections.bigcommerce.current`` (the client of the
  store that sent the webhook), ``current_store_hash`` and
  ``for_store_hash(hash)``.

In an ``async def run`` the api methods and ``for_store_hash`` are awaited;
in a plain ``def run`` they are plain calls, and the API clients' methods
block until their answer comes. Either runs on an attempt thread with a loop
of its own (app.queue.attempts), while the API clients live on the worker
pool's loop: one client per store, reused across jobs and threads, reached
through a thin wrapper that runs each call on the client's loop.
"""

import asyncio
import dataclasses
import inspect
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from app import timeutil
from app.actions.loader import ActionRegistry, LoadedAction
from app.actions.model import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S
from app.actions.records import AsyncRecords, Records
from app.events import EventHub
from app.queue import jobs
from app.queue.jobs import ClaimedJob

log = logging.getLogger(__name__)

# An attempt keeps at most this many log lines; a chatty loop must not fill
# the database.
MAX_LOG_LINES = 1000
MAX_LINE_CHARS = 4000
# At most this many lines of one attempt go on to the application log: a
# chatty action must not rotate earlier warnings out of it.
MAX_APP_LOG_LINES = 200


class ClientProvider(Protocol):
    """Opens BigCommerce API clients (implemented by the store service)."""

    async def open_client(self, store_hash: str) -> Any:
        """A new client for the store, bound to the calling loop.

        Raises app.bigcommerce.errors.CredentialsUnavailable (or another
        clear error) when the store is unknown or has no usable credentials.
        """
        ...


class NoCurrentStore(RuntimeError):
    """The job has no store, so there is no current client."""


class LogCapture(logging.Handler):
    """Keeps the lines one attempt logged, formatted for the Queue view."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one line (and its traceback, if any), up to MAX_LOG_LINES."""
        if len(self.lines) >= MAX_LOG_LINES:
            self.dropped += 1
            return
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        stamp = timeutil.iso_utc(record.created)
        self.lines.append(f"{stamp} {record.levelname} {text}"[:MAX_LINE_CHARS])

    def result(self) -> list[str]:
        """The kept lines, with a note when some were dropped."""
        if self.dropped:
            return [*self.lines, f"({self.dropped} more lines were not kept)"]
        return list(self.lines)


class _Forward(logging.Handler):
    """Passes an attempt's first records on to the app log, honouring its level."""

    def __init__(self, target: logging.Logger) -> None:
        super().__init__(logging.DEBUG)
        self._target = target
        self.forwarded = 0
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not self._target.isEnabledFor(record.levelno):
            return
        if self.forwarded >= MAX_APP_LOG_LINES:
            self.dropped += 1
            return
        self.forwarded += 1
        self._target.handle(record)

    def summarise(self) -> None:
        """Say in the app log how many lines were not passed on, once."""
        dropped, self.dropped = self.dropped, 0
        if dropped:
            self._target.warning(
                "(%d more lines of this attempt are not in the application log; "
                "the job's log keeps the first %d)",
                dropped,
                MAX_LOG_LINES,
            )


class AttemptLog(LogCapture):
    """The capture of one attempt's lines, which also caps what reaches the app log."""

    def __init__(self, forward: _Forward) -> None:
        super().__init__()
        self._forward = forward

    def result(self) -> list[str]:
        """The kept lines; the app log learns how many of its lines were dropped."""
        self._forward.summarise()
        return super().result()


def action_logger(action: str) -> tuple[logging.Logger, LogCapture]:
    """A logger of its own for one attempt, and the capture of its lines.

    A separate Logger object (not registered by name) keeps two concurrent
    attempts of the same action from collecting each other's lines.
    """
    name = f"storehook.action.{action}"
    forward = _Forward(logging.getLogger(name))
    capture = AttemptLog(forward)
    logger = logging.Logger(name, logging.DEBUG)
    logger.propagate = False
    logger.addHandler(capture)
    logger.addHandler(forward)
    return logger, capture


# Attribute values handed through as they are; anything else is wrapped.
_PLAIN_VALUES = (str, int, float, bool, dict, list, tuple, type(None))


class _LoopProxy:
    """Passes attribute access through to an async API client on another loop.

    Calling a method that returns an awaitable hands the awaitable to
    _resolve, which subclasses define for the caller's kind of run().
    """

    def __init__(self, target: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):
            return self._call_through(value)
        if isinstance(value, _PLAIN_VALUES):
            return value
        return type(self)(value, self._loop)

    def _call_through(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isawaitable(result):
                return self._resolve(result)
            return result

        return call

    def _resolve(self, awaitable: Any) -> Any:
        raise NotImplementedError


class _Blocking(_LoopProxy):
    """For a plain run() in another thread: waits for each call's result."""

    def _resolve(self, awaitable: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(_wait(awaitable), self._loop).result()


class _OnLoop(_LoopProxy):
    """For an async run() on another loop.

    The client's connections belong to the worker pool's loop; each call
    that returns an awaitable is run there, and awaited from the attempt's
    own loop.
    """

    def _resolve(self, awaitable: Any) -> Any:
        return _run_on(awaitable, self._loop)


async def _wait(awaitable: Any) -> Any:
    return await awaitable


async def _run_on(awaitable: Any, loop: asyncio.AbstractEventLoop) -> Any:
    """Await awaitable on loop, from whatever loop is running."""
    if asyncio.get_running_loop() is loop:
        return await awaitable
    future = asyncio.run_coroutine_threadsafe(_wait(awaitable), loop)
    return await asyncio.wrap_future(future)


class BigCommerceConnections:
    """``connections.bigcommerce`` for an ``async def run``."""

    def __init__(
        self,
        runtime: "ActionRuntime",
        loop: asyncio.AbstractEventLoop,
        store_hash: str,
        client: Any = None,
        error: BaseException | None = None,
    ) -> None:
        self._runtime = runtime
        self._loop = loop
        self.current_store_hash = store_hash
        self._client = client
        self._error = error

    def _current_client(self) -> Any:
        if not self.current_store_hash:
            raise NoCurrentStore(
                "This job has no store (it was queued by api.enqueue without "
                "store_hash), so connections.bigcommerce.current is not set; use "
                "`await connections.bigcommerce.for_store_hash(store_hash)`."
            )
        if self._error is not None:
            raise self._error
        return self._client

    @property
    def current(self) -> Any:
        """The API client of the store that sent the webhook."""
        client = self._current_client()
        return self._runtime.client_view(self.current_store_hash, client, self._loop)

    async def for_store_hash(self, store_hash: str) -> Any:
        """The API client of any connected store."""
        client = await _run_on(self._runtime.client_for(store_hash), self._loop)
        return self._runtime.client_view(store_hash, client, self._loop)


class BlockingBigCommerceConnections(BigCommerceConnections):
    """``connections.bigcommerce`` for a plain ``def run`` (blocking calls)."""

    @property
    def current(self) -> Any:
        """The API client of the store that sent the webhook (blocking calls)."""
        return _Blocking(self._current_client(), self._loop)

    def for_store_hash(self, store_hash: str) -> Any:
        """The API client of any connected store (blocking calls)."""
        future = asyncio.run_coroutine_threadsafe(
            self._runtime.client_for(store_hash), self._loop
        )
        return _Blocking(future.result(), self._loop)


@dataclasses.dataclass(frozen=True)
class Connections:
    """``connections``: the external systems an action can reach."""

    bigcommerce: BigCommerceConnections

    @property
    def current_store_hash(self) -> str:
        """The store that sent the webhook ("" for a job without store)."""
        return self.bigcommerce.current_store_hash


class Api:
    """``api`` for a plain ``def run``: records and enqueue as plain calls."""

    def __init__(self, runtime: "ActionRuntime", store_hash: str) -> None:
        self._runtime = runtime
        self._store_hash = store_hash
        self.records = Records(runtime.database, store_hash)

    def enqueue(
        self,
        action_name: str,
        params: dict[str, Any],
        store_hash: str | None = None,
        delay: float | None = None,
    ) -> int:
        """Queue a job of action_name with params; returns the job id.

        store_hash None means the current job's store; "" means no store.
        delay is in seconds.
        """
        store = self._store_hash if store_hash is None else store_hash
        return self._runtime.enqueue(action_name, params, store, delay)


class AsyncApi:
    """``api`` for an ``async def run``: ``await api.records.upsert(...)``."""

    def __init__(self, runtime: "ActionRuntime", store_hash: str) -> None:
        self._api = Api(runtime, store_hash)
        self.records = AsyncRecords(self._api.records)

    async def enqueue(
        self,
        action_name: str,
        params: dict[str, Any],
        store_hash: str | None = None,
        delay: float | None = None,
    ) -> int:
        """Queue a job (awaitable); see Api.enqueue."""
        return await asyncio.to_thread(
            self._api.enqueue, action_name, params, store_hash, delay
        )


def _parse(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def job_params(job: ClaimedJob) -> dict[str, Any]:
    """The params an action gets for a job."""
    if job.body is not None:
        envelope = _parse(job.body)
        data = envelope.get("data") if isinstance(envelope, dict) else None
        params = dict(data) if isinstance(data, dict) else {}
    else:
        loaded = _parse(job.params)
        params = dict(loaded) if isinstance(loaded, dict) else {}
    if job.store_hash:
        params.setdefault("storeHash", job.store_hash)
    return params


class ActionRuntime:
    """Builds run()'s arguments and keeps one API client per store.

    Used from the worker's loop, where the clients live: they are opened on
    first use through the ClientProvider and closed by aclose() when the
    worker stops. Actions on attempt threads reach them through wrappers.
    """

    def __init__(
        self,
        database: Any,
        client_provider: ClientProvider,
        *,
        registry: ActionRegistry | None = None,
        events: EventHub | None = None,
        enqueue_hook: Callable[[int], None] | None = None,
    ) -> None:
        self.database = database
        self._provider = client_provider
        self._registry = registry
        self._events = events
        self._enqueue_hook = enqueue_hook
        self._clients: dict[str, Any] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        # One wrapper per client, so that an action sees the same object
        # from job to job (attempt threads ask for it concurrently).
        self._views: dict[str, tuple[Any, _OnLoop]] = {}
        self._views_lock = threading.Lock()

    def set_enqueue_hook(self, hook: Callable[[int], None] | None) -> None:
        """Call hook(job_id) after each api.enqueue (the worker pool wakes up)."""
        self._enqueue_hook = hook

    async def client_for(self, store_hash: str) -> Any:
        """The cached client of a store, opened on first use."""
        lock = self._locks.setdefault(store_hash, asyncio.Lock())
        async with lock:
            client = self._clients.get(store_hash)
            if client is None:
                client = await self._provider.open_client(store_hash)
                self._clients[store_hash] = client
            return client

    def client_view(
        self, store_hash: str, client: Any, loop: asyncio.AbstractEventLoop
    ) -> Any:
        """The wrapper through which an async run() uses a store's client."""
        with self._views_lock:
            cached = self._views.get(store_hash)
            if cached is None or cached[0] is not client:
                cached = (client, _OnLoop(client, loop))
                self._views[store_hash] = cached
            return cached[1]

    async def forget_client(self, store_hash: str) -> None:
        """Close and drop a store's cached client, so the next use reopens it."""
        with self._views_lock:
            self._views.pop(store_hash, None)
        client = self._clients.pop(store_hash, None)
        if client is None:
            return
        try:
            await client.aclose()
        except Exception:
            log.warning(
                "Closing the API client of %s failed", store_hash, exc_info=True
            )

    async def aclose(self) -> None:
        """Close every cached client."""
        for store_hash in list(self._clients):
            await self.forget_client(store_hash)
        self._locks = {}

    def enqueue(
        self, action: str, params: dict[str, Any], store_hash: str, delay: float | None
    ) -> int:
        """Queue a job of action (blocking); used by api.enqueue."""
        if not isinstance(params, dict):
            raise TypeError(
                f"enqueue params must be a dict, got {type(params).__name__}"
            )
        info = self._registry.info(action) if self._registry else None
        if self._registry is not None and info is None:
            raise ValueError(
                f"api.enqueue: there is no action named {action!r} "
                f"in {self._registry.actions_dir}"
            )
        job_id = jobs.enqueue(
            self.database,
            action,
            params,
            store_hash=store_hash,
            delay_s=delay,
            max_attempts=(info.retries if info else DEFAULT_RETRIES) + 1,
            timeout=info.timeout if info else DEFAULT_TIMEOUT_S,
            events=self._events,
        )
        log.info("Queued job %d of action %s", job_id, action)
        if self._enqueue_hook is not None:
            self._enqueue_hook(job_id)
        return job_id

    async def arguments(
        self, action: LoadedAction, job: ClaimedJob, logger: logging.Logger
    ) -> dict[str, Any]:
        """The keyword arguments for action.run, by the names it asks for."""
        values: dict[str, Any] = {}
        for name in action.wants:
            if name == "params":
                values[name] = job_params(job)
            elif name == "trigger":
                values[name] = _parse(job.body)
            elif name == "logger":
                values[name] = logger
            elif name == "api":
                api_class = AsyncApi if action.is_async else Api
                values[name] = api_class(self, job.store_hash)
            elif name == "connections":
                values[name] = await self._connections(action, job)
        return values

    async def _connections(self, action: LoadedAction, job: ClaimedJob) -> Connections:
        client, error = None, None
        if job.store_hash:
            # Opened now because .current is a plain property; a failure is
            # raised only if the action uses .current.
            try:
                client = await self.client_for(job.store_hash)
            except Exception as problem:
                error = problem
        kind = (
            BigCommerceConnections
            if action.is_async
            else (BlockingBigCommerceConnections)
        )
        loop = asyncio.get_running_loop()
        return Connections(kind(self, loop, job.store_hash, client, error))
