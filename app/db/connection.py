# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening the SQLite file: WAL, a generous busy timeout, migrations."""

import contextlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import peewee as pw

from app.db import migrations
from app.db.models import database_proxy

log = logging.getLogger(__name__)

DATABASE_FILE = "storehook.sqlite3"

# Writers wait for each other this long before SQLite gives up with "database
# is locked". Write transactions are a few milliseconds, so this is never
# reached in practice; it only has to outlast a checkpoint on a slow disk.
BUSY_TIMEOUT_S = 30.0

_PRAGMAS = {
    "journal_mode": "wal",
    # NORMAL in WAL mode survives a killed process; only a power cut can lose
    # the last commits. FULL costs an fsync per delivery.
    "synchronous": "normal",
    "foreign_keys": 1,
    "busy_timeout": int(BUSY_TIMEOUT_S * 1000),
    "cache_size": -16000,
}


def open_database(data_dir: Path) -> pw.SqliteDatabase:
    """Open (creating if needed) the database in data_dir and bring it up to date.

    The returned database is also bound to the models' proxy.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DATABASE_FILE
    database = pw.SqliteDatabase(
        str(path),
        pragmas=_PRAGMAS,
        timeout=BUSY_TIMEOUT_S,
        check_same_thread=False,
    )
    database_proxy.initialize(database)
    database.connect(reuse_if_open=True)
    migrations.migrate(database, path)
    log.debug("Opened database %s", path)
    return database


# Writers of this process queue here before they ask SQLite for its lock.
# SQLite's own busy handler sleeps in growing steps (up to 100 ms), so a thread
# that writes back to back can keep winning while another starves; a blocking
# lock hands the database over as soon as it is free. Re-entrant, so that a
# nested write_transaction becomes a savepoint as usual.
_process_write_lock = threading.RLock()


class WriteBusy(Exception):
    """Another writer holds the database; raised only when asked not to wait."""


# How long a writer that must not block waits for SQLite's lock before it
# gives up; long enough for another process's typical short transaction.
_NON_BLOCKING_BUSY_MS = 50


_thread_state = threading.local()


def _set_busy_timeout(database: pw.SqliteDatabase, blocking: bool) -> None:
    # Each thread has its own connection; only change its timeout when the
    # kind of write changes, which for a given thread is practically never.
    busy_ms = int(BUSY_TIMEOUT_S * 1000) if blocking else _NON_BLOCKING_BUSY_MS
    key = (id(database.connection()), busy_ms)
    if getattr(_thread_state, "busy_timeout", None) != key:
        database.execute_sql(f"PRAGMA busy_timeout = {busy_ms}")
        _thread_state.busy_timeout = key


@contextlib.contextmanager
def write_transaction(database: Any, *, blocking: bool = True) -> Iterator[Any]:
    """Run a block as one write transaction that takes the write lock at once.

    A deferred transaction that reads first and writes later can fail with
    "database is locked" without waiting, when another writer got in between;
    BEGIN IMMEDIATE waits for the lock up front instead. Other processes (the
    CLI beside a running console) still wait on SQLite's busy timeout.

    With blocking=False, WriteBusy is raised at once when another writer has
    the database, before anything is written; the receiver uses this to keep
    its event loop free and hand the write to a thread instead.
    """
    if isinstance(database, pw.DatabaseProxy):
        database = database.obj
    if not isinstance(database, pw.SqliteDatabase):
        with database.atomic() as transaction:
            yield transaction
        return

    if not _process_write_lock.acquire(blocking=blocking):
        raise WriteBusy("another writer of this process holds the database")
    with contextlib.ExitStack() as held:
        held.callback(_process_write_lock.release)
        _set_busy_timeout(database, blocking)
        try:
            transaction = held.enter_context(database.atomic(lock_type="IMMEDIATE"))
        except pw.OperationalError as error:
            if blocking or "locked" not in str(error):
                raise
            raise WriteBusy("another process holds the database") from error
        yield transaction
