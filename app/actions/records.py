# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change-tracked records that actions keep through ``api.records``.

A record is a JSON object stored under (model, store hash, key). ``upsert``
merges fields into it and remembers which ones its last update changed, so
that an action can skip writing back what it just wrote (webhook loops).

In a plain ``def run`` the methods are plain calls (Records); in an
``async def run`` they are awaitable (AsyncRecords) and do the database work
in a thread, so that the worker's loop keeps running other actions.
"""

import asyncio
import dataclasses
import json
from typing import Any

from app import timeutil
from app.db.connection import write_transaction
from app.db.models import Record as RecordRow


@dataclasses.dataclass(frozen=True)
class Record:
    """A record as stored after its last update."""

    model: str
    key: str
    store_hash: str
    data: dict[str, Any]
    version: int
    _changes: dict[str, tuple[Any, Any]] = dataclasses.field(repr=False)

    def changed(self, field: str | None = None) -> bool:
        """Whether the last update changed field (any field when None)."""
        if field is None:
            return bool(self._changes)
        return field in self._changes

    def changes(self) -> dict[str, tuple[Any, Any]]:
        """The fields the last update changed, as {field: (previous, current)}."""
        return dict(self._changes)


def _to_record(row: Any) -> Record:
    changes = {f: (pair[0], pair[1]) for f, pair in json.loads(row.changes).items()}
    return Record(
        model=row.model,
        key=row.key,
        store_hash=row.store_hash,
        data=json.loads(row.data),
        version=row.version,
        _changes=changes,
    )


def _normalised(data: dict[str, Any]) -> dict[str, Any]:
    # Compare what will be read back, not what was passed: tuples become
    # lists and keys become strings once stored as JSON.
    if not isinstance(data, dict):
        raise TypeError(f"record data must be a dict, got {type(data).__name__}")
    result: dict[str, Any] = json.loads(json.dumps(data))
    return result


class Records:
    """Plain (blocking) access to records; store_hash defaults to the job's store."""

    def __init__(self, database: Any, default_store_hash: str = "") -> None:
        self._database = database
        self._default_store_hash = default_store_hash

    def _store(self, store_hash: str | None) -> str:
        return self._default_store_hash if store_hash is None else store_hash

    def get(self, model: str, key: Any, store_hash: str | None = None) -> Record | None:
        """The stored record, or None."""
        row = RecordRow.get_or_none(
            (RecordRow.model == model)
            & (RecordRow.store_hash == self._store(store_hash))
            & (RecordRow.key == str(key))
        )
        return _to_record(row) if row else None

    def upsert(
        self, model: str, key: Any, data: dict[str, Any], store_hash: str | None = None
    ) -> Record:
        """Merge data into the record (creating it); returns it with its changes.

        The read, compare and write happen in one BEGIN IMMEDIATE transaction,
        so concurrent jobs updating the same record never lose an update.
        """
        fields = _normalised(data)
        store = self._store(store_hash)
        now = timeutil.now()
        with write_transaction(self._database):
            row = RecordRow.get_or_none(
                (RecordRow.model == model)
                & (RecordRow.store_hash == store)
                & (RecordRow.key == str(key))
            )
            previous = json.loads(row.data) if row else {}
            changes = {
                field: [previous.get(field), value]
                for field, value in fields.items()
                if field not in previous or previous[field] != value
            }
            merged = {**previous, **fields}
            if row is None:
                row = RecordRow.create(
                    model=model,
                    store_hash=store,
                    key=str(key),
                    data=json.dumps(merged),
                    changes=json.dumps(changes),
                    version=1,
                    updated_at=now,
                )
            else:
                updated = (
                    RecordRow.update(
                        data=json.dumps(merged),
                        changes=json.dumps(changes),
                        version=RecordRow.version + 1,
                        updated_at=now,
                    )
                    .where(
                        (RecordRow.id == row.id) & (RecordRow.version == row.version)
                    )
                    .execute()
                )
                if updated != 1:
                    raise RuntimeError(
                        f"record {model}/{key} changed under a write lock"
                    )
                row = RecordRow.get_by_id(row.id)
        return _to_record(row)


class AsyncRecords:
    """Awaitable access to records for ``async def run``: ``await api.records.get``."""

    def __init__(self, records: Records) -> None:
        self._records = records

    async def get(
        self, model: str, key: Any, store_hash: str | None = None
    ) -> Record | None:
        """The stored record, or None (awaitable)."""
        return await asyncio.to_thread(self._records.get, model, key, store_hash)

    async def upsert(
        self, model: str, key: Any, data: dict[str, Any], store_hash: str | None = None
    ) -> Record:
        """Merge data into the record (awaitable); see Records.upsert."""
        return await asyncio.to_thread(
            self._records.upsert, model, key, data, store_hash
        )
