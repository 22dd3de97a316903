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


@contextlib.contextmanager
def write_transaction(database: Any) -> Iterator[Any]:
    """Run a block as one write transaction that takes the write lock at once.

    A deferred transaction that reads first and writes later can fail with
    "database is locked" without waiting, when another writer got in between;
    BEGIN IMMEDIATE waits for the lock up front instead. Other processes (the
    CLI beside a running console) still wait on SQLite's busy timeout.
    """
    if isinstance(database, pw.DatabaseProxy):
        database = database.obj
    if not isinstance(database, pw.SqliteDatabase):
        with database.atomic() as transaction:
            yield transaction
        return

    with _process_write_lock, database.atomic(lock_type="IMMEDIATE") as transaction:
        yield transaction
