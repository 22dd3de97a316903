# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Queue filter's full-text index catches up with stored jobs."""

import json
from pathlib import Path
from typing import Any

from app import timeutil
from app.actions.model import ActionInfo
from app.queue.browse import JobFilter, count_jobs, open_snapshot
from app.queue.ingest import ingest_delivery
from app.queue.loopguard import LoopGuard
from app.queue.search_index import index_all_jobs, index_new_jobs


def _deliver(database: Any, number: int, name: str) -> None:
    envelope = {
        "producer": "stores/abc123",
        "hash": f"{number:040x}",
        "created_at": 1717243200,
        "store_id": "1009876",
        "scope": "store/product/updated",
        "data": {"type": "product", "id": number, "name": name},
    }
    ingest_delivery(
        database,
        store_hash="abc123",
        envelope=envelope,
        body_text=json.dumps(envelope),
        actions=[ActionInfo("catalog", Path("catalog.py"), ("store/product/*",))],
        loop_guard=LoopGuard(),
        received_at=timeutil.now(),
    )


def test_jobs_are_searchable_once_indexed(database: Any) -> None:
    _deliver(database, 1, "Blue kettle")
    _deliver(database, 2, "Red teapot")
    kettle = JobFilter(text="kettle")

    assert count_jobs(database, kettle) == 0
    assert index_new_jobs(database) == 2
    assert index_new_jobs(database) == 0
    assert count_jobs(database, kettle) == 1


def test_a_text_search_never_misses_a_stored_job(database: Any) -> None:
    _deliver(database, 1, "Blue kettle")
    index_all_jobs(database)
    _deliver(database, 2, "Copper kettle")

    snapshot = open_snapshot(database, JobFilter(text="kettle"))

    assert snapshot.count == 2
    assert [row.resource_id for row in snapshot.first_page] == ["2", "1"]


def test_indexing_works_in_batches(database: Any) -> None:
    for number in range(1, 6):
        _deliver(database, number, f"item {number}")

    assert index_new_jobs(database, batch=2) == 2
    assert index_all_jobs(database) == 3
    assert count_jobs(database, JobFilter(text="item")) == 5
