# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opening the SQLite file: WAL, a generous busy timeout, migrations."""

import logging
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


def write_transaction(database: Any) -> Any:
    """Start a write transaction that takes the write lock at once.

    A deferred transaction that reads first and writes later can fail with
    "database is locked" without waiting, when another writer got in between;
    BEGIN IMMEDIATE waits for the lock up front instead.
    """
    if isinstance(database, pw.SqliteDatabase):
        return database.atomic(lock_type="IMMEDIATE")
    return database.atomic()
