# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Storing a delivery and creating its jobs, in one transaction, exactly once."""

import dataclasses
import functools
import logging
from collections.abc import Sequence
from typing import Any

from app.actions.model import ActionInfo
from app.db.connection import write_transaction
from app.db.models import QUEUE_BIGCOMMERCE, JobState, database_proxy
from app.queue.loopguard import LoopGuard

log = logging.getLogger(__name__)

# The receiver's hot path is written as SQL once rather than built by
# peewee's query builder for every delivery, which cost several times the
# database work itself. The statements are plain SQL that SQLite (3.35+)
# and PostgreSQL both accept; "?" is replaced by the driver's placeholder.
# Every column without a database default is listed, matching models.py.
_INSERT_DELIVERY = (
    'INSERT INTO "delivery" ("store_hash", "hash", "scope", "resource_type", '
    '"resource_id", "created_at", "received_at", "body", "duplicates") '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) "
    'ON CONFLICT ("store_hash", "hash") DO UPDATE SET '
    '"duplicates" = "delivery"."duplicates" + 1, "last_duplicate_at" = ? '
    'RETURNING "id", "duplicates"'
)
_INSERT_JOB = (
    'INSERT INTO "job" ("queue", "delivery_id", "action", "scope", "store_hash", '
    '"resource_type", "resource_id", "params", "state", "attempts", '
    '"max_attempts", "timeout", "created_at", "updated_at", "next_attempt_at", '
    '"last_error", "hold_reason", "worker") '
    "VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 0, ?, ?, ?, ?, ?, '', ?, '') "
    'RETURNING "id"'
)
_JOBS_OF_DELIVERY = (
    'SELECT "id", "state" FROM "job" WHERE "delivery_id" = ? ORDER BY "id"'
)


@functools.lru_cache(maxsize=32)
def _for_driver(sql: str, param: str) -> str:
    return sql if param == "?" else sql.replace("?", param)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run one statement on the models' database and read all its rows.

    Reading every row also finishes the statement, which SQLite needs before
    the transaction can commit.
    """
    cursor = database_proxy.execute_sql(_for_driver(sql, database_proxy.param), params)
    return list(cursor.fetchall())


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """What storing a delivery did.

    For a duplicate, delivery_id and job_ids are those of the first arrival.
    """

    delivery_id: int
    job_ids: tuple[int, ...]
    duplicate: bool
    held: bool


def resource_of(envelope: dict[str, Any]) -> tuple[str, str]:
    """The (type, id) of the resource a callback is about; empty when it has none."""
    data = envelope.get("data")
    if not isinstance(data, dict):
        return "", ""
    kind = data.get("type")
    ident = data.get("id")
    resource_type = kind if isinstance(kind, str) else ""
    if isinstance(ident, bool) or not isinstance(ident, int | str):
        return resource_type, ""
    return resource_type, str(ident)


def ingest_delivery(
    database: Any,
    *,
    store_hash: str,
    envelope: dict[str, Any],
    body_text: str,
    actions: Sequence[ActionInfo],
    loop_guard: LoopGuard,
    received_at: float,
) -> IngestResult:
    """Store a callback and one job per matching action, or count a duplicate.

    Everything happens in one write transaction: when this returns, the
    delivery and its jobs are committed; when it raises, nothing is. A second
    arrival of the same (store, hash) is detected by the table's unique index,
    so it holds across restarts and concurrent requests alike.
    """
    with write_transaction(database):
        return store_delivery(
            store_hash=store_hash,
            envelope=envelope,
            body_text=body_text,
            actions=actions,
            loop_guard=loop_guard,
            received_at=received_at,
        )


def store_delivery(
    *,
    store_hash: str,
    envelope: dict[str, Any],
    body_text: str,
    actions: Sequence[ActionInfo],
    loop_guard: LoopGuard,
    received_at: float,
) -> IngestResult:
    """ingest_delivery's work, inside a write transaction the caller holds.

    This lets the receiver commit several deliveries in one transaction;
    nothing is durable until the caller's transaction commits.
    """
    delivery_id, duplicate = _insert_delivery(
        store_hash, envelope, body_text, received_at
    )
    if duplicate:
        return _duplicate_result(delivery_id)

    resource_type, resource_id = resource_of(envelope)
    hold_reason = loop_guard.hold_reason(
        store_hash,
        str(envelope["scope"]),
        resource_id,
        now=received_at,
        resource_type=resource_type,
    )
    job_ids = _create_jobs(
        delivery_id, store_hash, envelope, actions, hold_reason, received_at
    )
    return IngestResult(delivery_id, job_ids, False, hold_reason is not None)


def _insert_delivery(
    store_hash: str, envelope: dict[str, Any], body_text: str, received_at: float
) -> tuple[int, bool]:
    # One statement both inserts and, on the unique (store_hash, hash)
    # conflict, counts the repeat on the existing row. A fresh row starts
    # at duplicates = 0, so a returned count above 0 means a repeat.
    resource_type, resource_id = resource_of(envelope)
    created_at = envelope.get("created_at")
    params = (
        store_hash,
        str(envelope["hash"]),
        str(envelope["scope"]),
        resource_type,
        resource_id,
        created_at if isinstance(created_at, int) else None,
        received_at,
        body_text,
        received_at,
    )
    [(delivery_id, duplicates)] = _rows(_INSERT_DELIVERY, params)
    return int(delivery_id), int(duplicates) > 0


def _duplicate_result(delivery_id: int) -> IngestResult:
    rows = _rows(_JOBS_OF_DELIVERY, (delivery_id,))
    held = any(state == JobState.HELD for _, state in rows)
    return IngestResult(
        delivery_id, tuple(int(job_id) for job_id, _ in rows), True, held
    )


def _create_jobs(
    delivery_id: int,
    store_hash: str,
    envelope: dict[str, Any],
    actions: Sequence[ActionInfo],
    hold_reason: str | None,
    now: float,
) -> tuple[int, ...]:
    resource_type, resource_id = resource_of(envelope)
    state = JobState.HELD if hold_reason else JobState.QUEUED
    job_ids: list[int] = []
    seen: set[str] = set()
    for action in actions:
        # One job per action even if the index named it twice: the table
        # allows one per (delivery, action), and a conflict would refuse the
        # whole delivery.
        if action.name in seen:
            continue
        seen.add(action.name)
        params = (
            QUEUE_BIGCOMMERCE,
            delivery_id,
            action.name,
            str(envelope["scope"]),
            store_hash,
            resource_type,
            resource_id,
            state,
            action.max_attempts,
            action.timeout,
            now,
            now,
            None if hold_reason else now,
            hold_reason or "",
        )
        [(job_id,)] = _rows(_INSERT_JOB, params)
        job_ids.append(int(job_id))
    return tuple(job_ids)
