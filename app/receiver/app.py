# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver's ASGI app: check a callback, store it durably, answer at once.

A 2xx goes out only after the delivery and its jobs are committed; anything
that keeps them from being committed answers 503, so BigCommerce sends the
delivery again. Actions never run here.
"""

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import events as event_kinds
from app import timeutil
from app.actions.model import TriggerIndex
from app.config import MAX_BODY_BYTES, RECEIVER_PATH
from app.db.connection import WriteBusy, write_transaction
from app.db.models import database_proxy
from app.events import EventHub
from app.queue.ingest import IngestResult, store_delivery
from app.queue.loopguard import LoopGuard
from app.receiver import stats as reasons
from app.receiver.batch import BatchWriter
from app.receiver.stats import ReceiverStats
from app.receiver.verify import (
    Callback,
    Rejected,
    StoreAuth,
    check_secret,
    check_signature,
    has_signature,
    parse_callback,
)

log = logging.getLogger(__name__)

HEALTH_PATH = RECEIVER_PATH + "/health"
# Runs for every delivery; plain SQL for the reason given in app.queue.ingest.
_STORE_AUTH = (
    'SELECT "secret_digest", "previous_secret_digest", "require_signature" '
    'FROM "store" WHERE "store_hash" = ?'
)
# How long BigCommerce (or any sender) should wait before sending again
# after a 503.
RETRY_AFTER_S = 10


@dataclasses.dataclass(frozen=True)
class _Arrival:
    """A callback waiting to be checked against its store and stored."""

    callback: Callback
    headers: Mapping[str, str]
    received_at: float


Outcome = IngestResult | Rejected


class _Receiver:
    """The request handlers, holding the services they were built with."""

    def __init__(
        self,
        database: Any,
        triggers: TriggerIndex,
        events: EventHub,
        stats: ReceiverStats,
        loop_guard: LoopGuard,
        signing_secret: Callable[[str], str | None],
        wake_workers: Callable[[], None],
    ) -> None:
        self._database = database
        self._triggers = triggers
        self._events = events
        self._stats = stats
        self._loop_guard = loop_guard
        self._signing_secret = signing_secret
        self._wake_workers = wake_workers
        self._writer: BatchWriter[_Arrival, Outcome] = BatchWriter(self._store_batch)

    async def receive(self, request: Request) -> Response:
        """POST /webhooks/bigcommerce: one delivery."""
        self._stats.record_received()
        received_at = timeutil.now()
        try:
            callback = parse_callback(await _read_body(request))
            arrival = _Arrival(callback, request.headers, received_at)
            outcome = await self._writer.submit(arrival)
            if isinstance(outcome, Rejected):
                raise outcome
        except Rejected as rejected:
            return self._reject(request, rejected)
        except ClientDisconnect:
            log.debug("A sender hung up before its delivery was read")
            return Response(status_code=400)
        except Exception:
            log.exception("The receiver failed on a delivery; answering 503")
            failure = Rejected(reasons.INTERNAL_ERROR, 503, "see the log")
            return self._reject(request, failure)
        return self._accept(callback, outcome)

    async def health(self, request: Request) -> Response:
        """GET /webhooks/bigcommerce/health: for tunnels and probes."""
        return JSONResponse({"status": "ok"})

    def _store_batch(
        self, arrivals: list[_Arrival], blocking: bool = True
    ) -> list[Outcome]:
        # One transaction for the whole batch; if it fails, each arrival gets
        # a transaction of its own, so that one bad delivery cannot cost the
        # others their place. WriteBusy (blocking=False only) means nothing
        # was written: the batch writer retries in a thread.
        try:
            with write_transaction(self._database, blocking=blocking):
                return [self._check_and_store(arrival) for arrival in arrivals]
        except WriteBusy:
            raise
        except Exception as exc:
            if len(arrivals) == 1:
                return [self._storage_failed(arrivals[0], exc)]
        return [self._store_batch([arrival])[0] for arrival in arrivals]

    def _check_and_store(self, arrival: _Arrival) -> Outcome:
        # Inside the write transaction: a rejection writes nothing, any other
        # exception rolls the transaction back.
        callback, headers = arrival.callback, arrival.headers
        try:
            store = self._store_auth(callback.store_hash)
            check_secret(headers, store)
            if has_signature(headers) or store.require_signature:
                check_signature(
                    callback.body_text,
                    headers,
                    self._signing_secret(callback.store_hash),
                    required=store.require_signature,
                )
        except Rejected as rejected:
            return rejected

        return store_delivery(
            store_hash=callback.store_hash,
            envelope=callback.envelope,
            body_text=callback.body_text,
            actions=self._triggers.actions_for(str(callback.envelope["scope"])),
            loop_guard=self._loop_guard,
            received_at=arrival.received_at,
        )

    def _storage_failed(self, arrival: _Arrival, exc: Exception) -> Rejected:
        envelope = arrival.callback.envelope
        log.error(
            "Could not store a %s delivery of store %s (hash %s): %s: %s",
            envelope["scope"],
            arrival.callback.store_hash,
            envelope["hash"],
            type(exc).__name__,
            exc,
        )
        return Rejected(reasons.STORAGE_FAILED, 503, type(exc).__name__)

    def _store_auth(self, store_hash: str) -> StoreAuth:
        sql = _STORE_AUTH.replace("?", database_proxy.param)
        rows = database_proxy.execute_sql(sql, (store_hash,)).fetchall()
        row = rows[0] if rows else None
        if row is None:
            raise Rejected(reasons.UNKNOWN_STORE, 404, f"store {store_hash}")
        return StoreAuth(row[0] or "", row[1] or "", bool(row[2]))

    def _accept(self, callback: Callback, result: IngestResult) -> Response:
        if result.duplicate:
            status = "duplicate"
            self._stats.record_duplicate()
            log.info(
                "Delivery %s of store %s arrived again; counted on delivery %d",
                callback.envelope["hash"],
                callback.store_hash,
                result.delivery_id,
            )
        else:
            status = "held" if result.held else "queued"
            jobs = len(result.job_ids)
            self._stats.record_stored(
                queued=0 if result.held else jobs, held=jobs if result.held else 0
            )

        self._events.publish(
            event_kinds.DELIVERY_RECEIVED,
            delivery_id=result.delivery_id,
            job_ids=list(result.job_ids),
            duplicate=result.duplicate,
            held=result.held,
            store_hash=callback.store_hash,
            scope=callback.envelope["scope"],
        )
        if status == "queued" and result.job_ids:
            self._wake_workers()
        body = {
            "status": status,
            "delivery_id": result.delivery_id,
            "jobs": list(result.job_ids),
        }
        return JSONResponse(body)

    def _reject(self, request: Request, rejected: Rejected) -> Response:
        remote = request.client.host if request.client else ""
        self._stats.record_rejection(
            rejected.reason, rejected.status, remote, rejected.detail
        )
        log.warning(
            "Rejected a delivery from %s with HTTP %d: %s (%s)",
            remote or "an unknown address",
            rejected.status,
            rejected.reason,
            rejected.detail,
        )
        self._events.publish(
            event_kinds.DELIVERY_REJECTED,
            reason=rejected.reason,
            status=rejected.status,
            detail=rejected.detail,
        )
        headers = {}
        if rejected.status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_S)
        body = {"status": "rejected", "reason": rejected.reason}
        return JSONResponse(body, status_code=rejected.status, headers=headers)


async def _read_body(request: Request) -> bytes:
    # The declared length is checked first, then the bytes actually sent:
    # a chunked body has no length, and a declared one can lie.
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Rejected(reasons.TOO_LARGE, 413, f"Content-Length {declared}")

    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Rejected(reasons.TOO_LARGE, 413, f"over {MAX_BODY_BYTES} bytes")
    return bytes(body)


def build_receiver_app(
    database: Any,
    *,
    triggers: TriggerIndex,
    events: EventHub,
    stats: ReceiverStats,
    loop_guard: LoopGuard,
    signing_secret: Callable[[str], str | None] = lambda store_hash: None,
    wake_workers: Callable[[], None] = lambda: None,
) -> Starlette:
    """The receiver's ASGI app.

    signing_secret returns a store's API client secret (or None), which keys
    Standard Webhooks signatures; it is called in the thread that writes
    deliveries, only for signed deliveries or stores that require
    signatures, so it must be quick (cache keyring reads). wake_workers is
    called on the event loop after new jobs were committed.
    """
    receiver = _Receiver(
        database, triggers, events, stats, loop_guard, signing_secret, wake_workers
    )
    routes = [
        Route(RECEIVER_PATH, receiver.receive, methods=["POST"]),
        Route(HEALTH_PATH, receiver.health, methods=["GET"]),
    ]
    return Starlette(routes=routes)
