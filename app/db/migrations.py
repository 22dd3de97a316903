# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Schema migrations: each version upgrades the previous one, in order.

Before an existing file is migrated it is copied next to itself, so that a
failed upgrade never costs the user their queue history.
"""

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

import peewee as pw

from app import timeutil
from app.db.models import ALL_TABLES, SchemaVersion

log = logging.getLogger(__name__)


def _create_base_schema(database: pw.Database) -> None:
    database.create_tables(ALL_TABLES, safe=True)


def _create_job_search(database: pw.Database) -> None:
    # Full-text index over what the Queue filter matches: queue, scope, action,
    # store, resource and the payload. Kept in step with the job table by a
    # trigger, so no code path can forget it.
    database.execute_sql(
        "CREATE VIRTUAL TABLE IF NOT EXISTS job_search USING fts5("
        "doc, tokenize = 'unicode61')"
    )
    database.execute_sql(
        "CREATE TRIGGER IF NOT EXISTS job_search_insert AFTER INSERT ON job BEGIN "
        "INSERT INTO job_search(rowid, doc) VALUES (new.id, "
        "new.queue || ' ' || new.scope || ' ' || new.action || ' ' || "
        "new.store_hash || ' ' || new.resource_type || ' ' || new.resource_id "
        "|| ' ' || coalesce((SELECT body FROM delivery "
        "WHERE delivery.id = new.delivery_id), new.params)); END"
    )
    database.execute_sql(
        "CREATE TRIGGER IF NOT EXISTS job_search_delete AFTER DELETE ON job BEGIN "
        "DELETE FROM job_search WHERE rowid = old.id; END"
    )


def _index_job_state_by_id(database: pw.Database) -> None:
    # The Queue's state selector pages newest first within one state; an
    # index on state alone keeps its entries in id order within each state.
    database.execute_sql("CREATE INDEX IF NOT EXISTS job_state_id ON job (state, id)")


def _index_jobs_in_background(database: pw.Database) -> None:
    # Tokenising each payload inside the receiver's transaction doubled the
    # cost of storing a delivery; app.queue.search_index catches up instead,
    # from where this table says it stopped.
    database.execute_sql("DROP TRIGGER IF EXISTS job_search_insert")
    database.execute_sql(
        "CREATE TABLE IF NOT EXISTS job_search_progress ("
        "id INTEGER PRIMARY KEY CHECK (id = 1), last_job_id INTEGER NOT NULL)"
    )
    database.execute_sql(
        "INSERT OR REPLACE INTO job_search_progress (id, last_job_id) "
        "SELECT 1, coalesce(max(id), 0) FROM job"
    )


MIGRATIONS: dict[int, Callable[[pw.Database], None]] = {
    1: _create_base_schema,
    2: _create_job_search,
    3: _index_job_state_by_id,
    4: _index_jobs_in_background,
}

LATEST_VERSION = max(MIGRATIONS)


def current_version(database: pw.Database) -> int:
    """Return the newest applied schema version, 0 for an empty database."""
    if not database.table_exists(SchemaVersion._meta.table_name):
        return 0
    newest = SchemaVersion.select(pw.fn.MAX(SchemaVersion.version)).scalar()
    return int(newest or 0)


def migrate(database: pw.Database, path: Path | None = None) -> None:
    """Apply every migration newer than the database's version."""
    version = current_version(database)
    if version > LATEST_VERSION:
        raise RuntimeError(
            f"The database {path} was written by a newer Storehook "
            f"(schema {version}, this one knows {LATEST_VERSION})."
        )
    if version == LATEST_VERSION:
        return
    if version > 0 and path is not None:
        _backup(database, path, version)

    for number in range(version + 1, LATEST_VERSION + 1):
        with database.atomic():
            MIGRATIONS[number](database)
            SchemaVersion.create(version=number, applied_at=timeutil.now())
        log.info("Database schema upgraded to version %d", number)


def _backup(database: pw.Database, path: Path, version: int) -> None:
    target = path.with_name(f"{path.name}.schema{version}.bak")
    source = database.connection()
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    log.info("Backed up the database to %s before upgrading it", target)
