# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for queue and action tests: action files, jobs, a running pool."""

import contextlib
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app import timeutil
from app.actions.loader import ActionRegistry
from app.actions.runtime import ActionRuntime
from app.bigcommerce.errors import CredentialsUnavailable
from app.db.models import QUEUE_BIGCOMMERCE, Delivery, Job, JobState
from app.events import EventHub
from app.queue.policy import RetryPolicy
from app.queue.worker import WorkerPool
from tests.helpers.wait import wait_until

STORE = "t3stab9x1q"
FAST_POLICY = RetryPolicy(base_s=0.05)


def write_action(folder: Path, name: str, source: str) -> Path:
    """Write an action file (dedented) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    return path


def add_job(
    action: str,
    *,
    scope: str = "store/product/updated",
    data: dict[str, Any] | None = None,
    store_hash: str = STORE,
    max_attempts: int = 7,
    timeout: float = 60.0,
    body: str | None = None,
) -> int:
    """Store a delivery and one queued job for it, the way ingest does."""
    now = timeutil.now()
    data = data if data is not None else {"type": "product", "id": 77}
    if body is None:
        body = json.dumps(
            {
                "scope": scope,
                "store_id": "1009876",
                "data": data,
                "hash": f"h{now!r}{action}{id(data)}",
                "created_at": 1717243260,
                "producer": f"stores/{store_hash}",
            }
        )
    envelope = json.loads(body)
    delivery = Delivery.create(
        store_hash=store_hash,
        hash=envelope["hash"],
        scope=scope,
        resource_type=str(data.get("type", "")),
        resource_id=str(data.get("id", "")),
        created_at=envelope["created_at"],
        received_at=now,
        body=body,
    )
    job: Job = Job.create(
        queue=QUEUE_BIGCOMMERCE,
        delivery=delivery.id,
        action=action,
        scope=scope,
        store_hash=store_hash,
        resource_type=str(data.get("type", "")),
        resource_id=str(data.get("id", "")),
        max_attempts=max_attempts,
        timeout=timeout,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    return int(job.id)


def job(job_id: int) -> Job:
    """The job row as stored now."""
    row: Job = Job.get_by_id(job_id)
    return row


def wait_state(job_id: int, state: str, timeout: float = 10.0) -> Job:
    """Wait until the job reaches state; returns its row."""
    wait_until(
        lambda: job(job_id).state == state,
        timeout,
        f"job {job_id} never became {state} (is {job(job_id).state})",
    )
    return job(job_id)


def wait_finished(job_id: int, timeout: float = 10.0) -> Job:
    """Wait until the job is succeeded, failed, cancelled or held."""
    finished = (*JobState.FINISHED, JobState.HELD)
    wait_until(lambda: job(job_id).state in finished, timeout)
    return job(job_id)


class FakeApi:
    """One API version of a fake client: records calls, answers with the path."""

    def __init__(self, calls: list[tuple[str, str, str]], store_hash: str) -> None:
        self._calls = calls
        self._store_hash = store_hash

    async def get(self, template: str, **kwargs: Any) -> dict[str, Any]:
        self._calls.append((self._store_hash, "GET", template))
        return {"store": self._store_hash, "template": template, **kwargs}


class FakeClient:
    """A stand-in for app.bigcommerce's client (no network)."""

    def __init__(self, store_hash: str) -> None:
        self.store_hash = store_hash
        self.calls: list[tuple[str, str, str]] = []
        self.v2 = FakeApi(self.calls, store_hash)
        self.v3 = FakeApi(self.calls, store_hash)
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


class FakeProvider:
    """A ClientProvider that knows some stores and has no credentials for others."""

    def __init__(self, stores: tuple[str, ...] = (STORE, "other")) -> None:
        self.stores = stores
        self.opened: list[FakeClient] = []

    async def open_client(self, store_hash: str) -> FakeClient:
        if store_hash not in self.stores:
            raise CredentialsUnavailable(f"no credentials for store {store_hash}")
        client = FakeClient(store_hash)
        self.opened.append(client)
        return client


@contextlib.contextmanager
def running_pool(
    database: Any,
    actions_dir: Path,
    *,
    provider: Any = None,
    policy: RetryPolicy = FAST_POLICY,
    concurrency: int = 8,
    events: EventHub | None = None,
    **pool_options: Any,
) -> Iterator[WorkerPool]:
    """A started WorkerPool over the actions in actions_dir, stopped afterwards."""
    registry = ActionRegistry(actions_dir, events)
    runtime = ActionRuntime(
        database, provider or FakeProvider(), registry=registry, events=events
    )
    pool = WorkerPool(
        database,
        registry,
        runtime,
        events=events,
        concurrency=concurrency,
        poll_interval_s=0.05,
        policy=policy,
        **pool_options,
    )
    pool.start()
    try:
        yield pool
    finally:
        pool.stop(timeout_s=10)
