# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the console's widgets: jobs inserted through the peewee models."""

import asyncio
import gc
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import qasync

from app.db.models import QUEUE_BIGCOMMERCE, Attempt, Delivery, Job, JobState
from app.events import EventHub
from app.ui.event_bridge import EventBridge
from app.ui.queue_view import QueueView

JobFactory = Callable[..., Job]


@pytest.fixture
def make_job(database: Any) -> JobFactory:
    """Insert a delivery and its job; keyword arguments override the defaults."""
    counter = iter(range(1, 1_000_000))

    def make(
        *,
        scope: str = "store/order/created",
        resource_type: str = "order",
        resource_id: str = "100",
        action: str = "tag_orders",
        state: str = JobState.QUEUED,
        received_at: float | None = None,
        created_at: int | None = None,
        data: dict[str, Any] | None = None,
        store_hash: str = "abc123",
        **fields: Any,
    ) -> Job:
        number = next(counter)
        received = time.time() if received_at is None else received_at
        body = {
            "producer": f"stores/{store_hash}",
            "hash": f"{number:040x}",
            "created_at": int(received) if created_at is None else created_at,
            "store_id": "1000001",
            "scope": scope,
            "data": data or {"type": resource_type, "id": int(resource_id)},
        }
        delivery = Delivery.create(
            store_hash=store_hash,
            hash=body["hash"],
            scope=scope,
            resource_type=resource_type,
            resource_id=resource_id,
            created_at=body["created_at"],
            received_at=received,
            body=json.dumps(body),
        )
        return Job.create(
            queue=QUEUE_BIGCOMMERCE,
            delivery=delivery,
            action=action,
            scope=scope,
            store_hash=store_hash,
            resource_type=resource_type,
            resource_id=resource_id,
            state=state,
            created_at=received,
            updated_at=received,
            **fields,
        )

    return make


@pytest.fixture
def add_attempt(database: Any) -> Callable[..., Attempt]:
    """Record a finished attempt of a job."""

    def add(job: Job, **fields: Any) -> Attempt:
        number = Attempt.select().where(Attempt.job == job).count() + 1
        fields.setdefault("started_at", time.time())
        fields.setdefault("ended_at", fields["started_at"] + 0.5)
        return Attempt.create(job=job, number=number, **fields)

    return add


@pytest.fixture
def timezone() -> Iterator[Callable[[str], None]]:
    """Switch the process's local time zone; the original is restored after."""
    import os

    previous = os.environ.get("TZ")

    def switch(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield switch
    if previous is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = previous
    time.tzset()


_LOOPS: list[qasync.QEventLoop] = []


@pytest.fixture
def loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """A qasync loop that runs whenever Qt processes events; errors fail the test.

    already_running makes asyncio treat Qt's event processing (qtbot.waitUntil)
    as the running loop, so @asyncSlot tasks progress under qtbot. The loop is
    made once and never stopped: stopping calls QApplication.exit(), after
    which qtbot's waits return at once. Between tests it is unregistered, so
    that other tests can use asyncio.run().
    """
    if not _LOOPS:
        _LOOPS.append(qasync.QEventLoop(qapp, already_running=True))
        # Plain threads, joined at exit; qasync's own QThreads would be
        # destroyed still running, since this loop is never closed.
        _LOOPS[0].set_default_executor(ThreadPoolExecutor(thread_name_prefix="gui"))
    event_loop = _LOOPS[0]
    asyncio._set_running_loop(event_loop)
    asyncio.set_event_loop(event_loop)
    problems: list[dict[str, Any]] = []
    event_loop.set_exception_handler(lambda _loop, context: problems.append(context))
    yield event_loop
    event_loop.set_exception_handler(None)
    asyncio.set_event_loop(None)
    asyncio._set_running_loop(None)
    assert not problems


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Keep Python's collector off other threads while Qt objects are alive.

    The same rule the console follows (app/ui/collector.py): a Qt object in a
    reference cycle must be destroyed on the GUI thread, never on a receiver
    or worker thread that happened to trigger a collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture
def hub() -> EventHub:
    return EventHub()


@pytest.fixture
def open_view(
    qtbot: Any, database: Any, hub: EventHub
) -> Iterator[Callable[[], QueueView]]:
    views: list[tuple[QueueView, EventBridge]] = []

    def open_() -> QueueView:
        bridge = EventBridge(hub, interval_ms=10)
        view = QueueView(database, events=hub, bridge=bridge)
        qtbot.add_widget(view)
        view.resize(1200, 700)
        view.show()
        qtbot.wait_until(lambda: not view.is_busy())
        views.append((view, bridge))
        return view

    yield open_
    for view, bridge in views:
        bridge.close()
        view.shutdown()
