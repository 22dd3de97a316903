# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""How many no-op jobs a second the real WorkerPool runs through SQLite.

Run: ``.venv/bin/python benchmarks/queue_throughput.py`` (with the project
installed in the venv, ``pip install -e .``) (``--jobs N``,
``--concurrency N``, ``--sync`` for a plain ``def run``). Each job is a stored
delivery with its job row, as the receiver makes them; the clock runs from
the pool's start to the last job's success. It prints figures; it is not a test.
"""

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app import timeutil
from app.actions.loader import ActionRegistry
from app.actions.runtime import ActionRuntime
from app.db import connection
from app.db.connection import write_transaction
from app.db.models import QUEUE_BIGCOMMERCE, Delivery, Job, JobState
from app.events import JOB_CHANGED, Event, EventHub
from app.queue.worker import WorkerPool

TARGET_JOBS_PER_S = 1000
STORE = "bench00001"


class _NoClients:
    """A ClientProvider for actions that never reach a store."""

    async def open_client(self, store_hash: str) -> Any:
        raise RuntimeError("the benchmark has no stores")


def _insert_jobs(database: Any, count: int) -> None:
    now = timeutil.now()
    with write_transaction(database):
        for number in range(count):
            body = json.dumps(
                {
                    "scope": "store/order/created",
                    "store_id": "1",
                    "data": {"type": "order", "id": number},
                    "hash": f"bench{number}",
                    "created_at": int(now),
                    "producer": f"stores/{STORE}",
                }
            )
            delivery = Delivery.insert(
                store_hash=STORE,
                hash=f"bench{number}",
                scope="store/order/created",
                resource_type="order",
                resource_id=str(number),
                received_at=now,
                body=body,
            ).execute()
            Job.insert(
                queue=QUEUE_BIGCOMMERCE,
                delivery=delivery,
                action="noop",
                scope="store/order/created",
                store_hash=STORE,
                resource_type="order",
                resource_id=str(number),
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
            ).execute()


class _Counter:
    """Counts succeeded jobs from job_changed events and says when all are done."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.succeeded = 0
        self.done = threading.Event()

    def __call__(self, event: Event) -> None:
        if event.kind == JOB_CHANGED and event.fields["state"] == JobState.SUCCEEDED:
            self.succeeded += 1
            if self.succeeded >= self.total:
                self.done.set()


def main() -> None:
    """Run the benchmark and print jobs per second against the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--sync", action="store_true", help="plain def run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        actions = root / "actions"
        actions.mkdir()
        keyword = "def" if args.sync else "async def"
        (actions / "noop.py").write_text(
            'options = {"triggers": {"bigcommerce": {"webhooks": ["store/order/*"]}}}\n'
            f"{keyword} run(params):\n    pass\n"
        )
        database = connection.open_database(root / "data")
        _insert_jobs(database, args.jobs)
        registry = ActionRegistry(actions)
        events = EventHub()
        counter = _Counter(args.jobs)
        events.subscribe(counter)
        pool = WorkerPool(
            database,
            registry,
            ActionRuntime(database, _NoClients(), registry=registry),
            events=events,
            concurrency=args.concurrency,
        )

        began = time.perf_counter()
        pool.start()
        counter.done.wait()
        elapsed = time.perf_counter() - began
        pool.stop()
        database.close()

    rate = args.jobs / elapsed
    verdict = "OK" if rate >= TARGET_JOBS_PER_S else "BELOW TARGET"
    print(
        f"queue: {args.jobs} no-op jobs ({'plain' if args.sync else 'async'} run, "
        f"{args.concurrency} at a time) in {elapsed:.2f} s = {rate:,.0f} jobs/s "
        f"(target >= {TARGET_JOBS_PER_S:,} jobs/s): {verdict}"
    )


if __name__ == "__main__":
    main()
