# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeps the Queue filter's full-text index up with the job table.

Jobs are indexed after they are stored, not while: the receiver's write stays
short, and the index is at most a second behind (the Queue view catches it
up before every text search, so a search never misses a stored job).
"""

import logging
from typing import Any

from app.db.connection import write_transaction

log = logging.getLogger(__name__)

# Enough to keep up with any burst, small enough to keep the write lock short.
BATCH = 500

_DOCUMENT = (
    "j.queue || ' ' || j.scope || ' ' || j.action || ' ' || j.store_hash || ' ' "
    "|| j.resource_type || ' ' || j.resource_id || ' ' "
    "|| coalesce(d.body, j.params)"
)


def index_new_jobs(database: Any, batch: int = BATCH) -> int:
    """Index up to batch jobs stored since the last call; returns how many."""
    with write_transaction(database):
        [(last,)] = database.execute_sql(
            "SELECT last_job_id FROM job_search_progress WHERE id = 1"
        ).fetchall()
        [(newest, count)] = database.execute_sql(
            "SELECT max(id), count(*) FROM (SELECT id FROM job WHERE id > ? "
            "ORDER BY id LIMIT ?)",
            (last, batch),
        ).fetchall()
        if not count:
            return 0
        database.execute_sql(
            f"INSERT INTO job_search (rowid, doc) SELECT j.id, {_DOCUMENT} "
            "FROM job AS j LEFT JOIN delivery AS d ON d.id = j.delivery_id "
            "WHERE j.id > ? AND j.id <= ?",
            (last, newest),
        )
        database.execute_sql(
            "UPDATE job_search_progress SET last_job_id = ? WHERE id = 1", (newest,)
        )
    log.debug("Indexed %d job(s) for the Queue filter, up to id %d", count, newest)
    return int(count)


def index_all_jobs(database: Any) -> int:
    """Index every job not yet indexed; returns how many."""
    total = 0
    while indexed := index_new_jobs(database):
        total += indexed
    return total
