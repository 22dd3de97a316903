# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the Queue view copes with 1,000,000 jobs: first paint, filter, select, memory.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/queue_view.py``
(``--jobs N`` for another size). The database is built once, with realistic
callback payloads, and cached in the system's temp folder between runs.
"""

import argparse
import json
import logging
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from app.db import connection
from app.db.models import QUEUE_BIGCOMMERCE
from app.queue import browse
from app.queue.search_index import index_all_jobs
from app.ui.queue_view import QueueView

log = logging.getLogger(__name__)

TARGET_OPEN_MS = 300
TARGET_FILTER_MS = 200
TARGET_MEMORY_MB = 400
BATCH = 20_000
# The payload value the filter benchmark looks for: one order's id.
NEEDLE_ORDER_ID = 987_654

_SCOPES = (
    ("store/order/created", "order"),
    ("store/order/updated", "order"),
    ("store/order/statusUpdated", "order"),
    ("store/product/updated", "product"),
    ("store/product/inventory/updated", "product"),
    ("store/customer/updated", "customer"),
)
_STATES = ("succeeded",) * 90 + ("failed",) * 5 + ("retrying", "queued", "held") * 1
_ACTIONS = ("tag_orders", "sync_inventory", "notify_slack")


def _payload(number: int, scope: str, kind: str, resource_id: int, created: int) -> str:
    data: dict[str, Any] = {"type": kind, "id": resource_id}
    if scope == "store/order/statusUpdated":
        data["status"] = {"previous_status_id": 0, "new_status_id": 11}
    if kind == "product" and "inventory" in scope:
        data["inventory"] = {
            "product_id": resource_id,
            "method": "absolute",
            "value": 5,
        }
    body = {
        "producer": "stores/t3st5h0p",
        "hash": f"{number:040x}",
        "created_at": created,
        "store_id": "1000001",
        "scope": scope,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"))


def _rows(start: int, count: int, now: int) -> tuple[list[tuple[Any, ...]], list[Any]]:
    rng = random.Random(start)
    deliveries, jobs = [], []
    for number in range(start, start + count):
        scope, kind = _SCOPES[number % len(_SCOPES)]
        resource_id = (
            NEEDLE_ORDER_ID if number == start + count // 2 else number % 50_000
        )
        created = now - 3_000_000 + number * 3
        body = _payload(number, scope, kind, resource_id, created)
        deliveries.append(
            (
                number,
                "t3st5h0p",
                f"{number:040x}",
                scope,
                kind,
                str(resource_id),
                created,
                created + 0.4,
                body,
            )
        )
        state = rng.choice(_STATES)
        error = (
            "HTTP 502 from BigCommerce: Bad Gateway"
            if state in ("failed", "retrying")
            else ""
        )
        jobs.append(
            (
                number,
                QUEUE_BIGCOMMERCE,
                number,
                _ACTIONS[number % 3],
                scope,
                "t3st5h0p",
                kind,
                str(resource_id),
                state,
                1 if state == "succeeded" else 3,
                7,
                60.0,
                created + 0.4,
                created + 1.0,
                None,
                error,
                "",
            )
        )
    return deliveries, jobs


def build_database(folder: Path, total: int) -> None:
    """Fill folder's database with total deliveries and one job each."""
    database = connection.open_database(folder)
    now = int(time.time())
    with database.atomic():
        for start in range(1, total + 1, BATCH):
            deliveries, jobs = _rows(start, min(BATCH, total + 1 - start), now)
            database.execute_sql("SELECT 1")
            database.connection().executemany(
                "INSERT INTO delivery (id, store_hash, hash, scope, resource_type, "
                "resource_id, created_at, received_at, body, duplicates) "
                "VALUES (?,?,?,?,?,?,?,?,?,0)",
                deliveries,
            )
            database.connection().executemany(
                "INSERT INTO job (id, queue, delivery_id, action, scope, store_hash, "
                "resource_type, resource_id, state, attempts, max_attempts, timeout, "
                "created_at, updated_at, next_attempt_at, last_error, hold_reason, "
                "params, worker) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','')",
                jobs,
            )
            print(f"\r  {start + len(jobs) - 1:,} / {total:,} jobs", end="", flush=True)
    print()
    print("  indexing the jobs for the Queue filter ...")
    index_all_jobs(database)
    database.execute_sql("ANALYZE")
    database.close()


def cached_database(total: int, rebuild: bool) -> Path:
    """The folder holding a database of total jobs, built if missing."""
    folder = Path(tempfile.gettempdir()) / f"storehook-bench-queue-{total}"
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    if not (folder / connection.DATABASE_FILE).exists():
        print(f"Building a database of {total:,} jobs in {folder} (once) ...")
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        began = time.perf_counter()
        build_database(partial, total)
        partial.rename(folder)
        print(f"  built in {time.perf_counter() - began:.0f} s")
    return folder


def _wait(condition: Any, timeout_s: float = 30.0) -> None:
    # A nested event loop: the view's background tasks report through queued
    # signals, which only a running event loop delivers.
    deadline = time.perf_counter() + timeout_s
    loop = QEventLoop()
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the Queue view did not finish in time")
        QTimer.singleShot(1, loop.quit)
        loop.exec()


def _first_paint_ms(view: QueueView) -> float:
    began = time.perf_counter()
    view.show()
    _wait(lambda: view.model().rowCount() > 0)
    view.table().viewport().grab()
    return (time.perf_counter() - began) * 1000


def _filter_ms(view: QueueView) -> float:
    began = time.perf_counter()
    view.set_filter_text(str(NEEDLE_ORDER_ID))
    _wait(lambda: not view.is_busy() and view.model().rowCount() > 0)
    view.table().viewport().grab()
    return (time.perf_counter() - began) * 1000


def _select_ms(view: QueueView) -> float:
    began = time.perf_counter()
    view.select_rows([0])
    _wait(lambda: str(NEEDLE_ORDER_ID) in view.detail().payload_text())
    view.detail().grab()
    return (time.perf_counter() - began) * 1000


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _report(name: str, value: float, target: float, unit: str) -> None:
    verdict = "ok" if value < target else "OVER TARGET"
    print(f"{name:<34} {value:9.1f} {unit:<3} (target < {target} {unit}) {verdict}")


def main() -> int:
    """Build or reuse the database, then time the Queue view on it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    folder = cached_database(args.jobs, args.rebuild)
    app = QApplication.instance() or QApplication(sys.argv)
    database = connection.open_database(folder)
    print(f"Queue view on {browse.newest_id(database):,} jobs")

    began = time.perf_counter()
    view = QueueView(database)
    view.resize(1400, 800)
    open_ms = (time.perf_counter() - began) * 1000 + _first_paint_ms(view)
    _report("open (construct + first paint)", open_ms, TARGET_OPEN_MS, "ms")
    _report("filter on a payload value", _filter_ms(view), TARGET_FILTER_MS, "ms")
    _report("select a row, show its payload", _select_ms(view), TARGET_OPEN_MS, "ms")
    _report("peak memory (RSS)", _peak_mb(), TARGET_MEMORY_MB, "MB")

    view.close()
    view.shutdown()
    database.close()
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
