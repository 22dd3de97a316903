# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver's acceptance scenarios (BR-07, 09, 11, 21, 25) and loop guard."""

import json
import logging
import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app import timeutil
from app.config import SECRET_HEADER
from app.db.connection import write_transaction
from app.db.models import Delivery, Job, JobState
from app.queue.loopguard import LoopGuard
from app.receiver import stats as reasons
from tests.receiver.conftest import (
    SECRET,
    FakeTriggers,
    Receiver,
    add_store,
    envelope,
    start_receiver,
)

BR07_BODY = (
    '{"scope":"store/product/updated","store_id":"1009876","data":{"type":"product",'
    '"id":77},"hash":"e4183910bafb1666bc796d5373970efa7ef02306",'
    '"created_at":1717243260,"producer":"stores/t3stab9x1q"}'
)


def test_br07_exact_body_kept_byte_for_byte(receiver: Receiver) -> None:
    # Odd spacing, key order and escapes must all survive untouched.
    odd = BR07_BODY.replace(',"data"', ' ,\n  "data"').replace(
        "}", ' , "note": "caf\\u00e9 ü" }', 1
    )

    plain = receiver.post(BR07_BODY)
    spaced = receiver.post(odd.replace("e4183910", "f4183910"))

    assert (plain.status_code, spaced.status_code) == (200, 200)
    bodies = [d.body for d in Delivery.select().order_by(Delivery.id)]
    assert bodies == [BR07_BODY, odd.replace("e4183910", "f4183910")]
    job = Job.get(Job.action == "product_updated")
    assert (job.resource_type, job.resource_id) == ("product", "77")


def test_br09_refund_and_status_update_are_two_jobs(
    database: Any,
) -> None:
    add_store()
    triggers = FakeTriggers(
        {
            "R": ("store/order/refund/created",),
            "S": ("store/order/statusUpdated",),
            "W": ("store/order/*",),
        }
    )
    running = start_receiver(database, triggers)
    status = envelope(
        "store/order/statusUpdated",
        5003,
        "47d809b6c753d19184255eff14c5e2332c613803",
        status={"previous_status_id": 10, "new_status_id": 4},
    )
    refund = envelope(
        "store/order/refund/created",
        5003,
        "ecb8bba0d1b33aa26cb12f3eccab5e66465f0233",
        refund_id=7,
    )
    try:
        answers = [running.post(status).json(), running.post(refund).json()]
    finally:
        running.client.close()
        running.server.stop()

    assert [a["status"] for a in answers] == ["queued", "queued"]
    runs = {(job.action, job.scope) for job in Job.select()}
    assert runs == {
        ("S", "store/order/statusUpdated"),
        ("R", "store/order/refund/created"),
        ("W", "store/order/statusUpdated"),
        ("W", "store/order/refund/created"),
    }
    assert Delivery.select().count() == 2


def test_br11_answers_stay_fast(receiver: Receiver) -> None:
    scopes = ["store/order/created", "store/product/updated", "store/order/updated"]
    latencies = []
    for number in range(50):
        body = envelope(scopes[number % 3], number, f"br11-{number}")
        started = time.perf_counter()
        response = receiver.post(body)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200

    p99 = statistics.quantiles(latencies, n=100)[98]
    assert p99 < 1.0
    assert Job.select().count() == 50


def test_br21_concurrent_writers_never_see_a_locked_database(
    receiver: Receiver, database: Any, caplog: Any
) -> None:
    caplog.set_level(logging.WARNING)
    stop = threading.Event()
    answers: list[tuple[int, str]] = []
    side_errors: list[BaseException] = []

    def client(number: int) -> None:
        with httpx.Client(timeout=60.0) as http:
            for index in range(125):
                body = json.dumps(
                    envelope(hash_=f"br21-{number}-{index}", resource_id=index)
                )
                response = http.post(
                    receiver.url, content=body, headers={SECRET_HEADER: SECRET}
                )
                answers.append((response.status_code, response.text))

    def worker() -> None:
        # Stands in for the job runner: keeps moving jobs between states.
        try:
            while not stop.is_set():
                with write_transaction(database):
                    Job.update(state=JobState.RUNNING, updated_at=timeutil.now()).where(
                        Job.state == JobState.QUEUED
                    ).execute()
                with write_transaction(database):
                    Job.update(state=JobState.SUCCEEDED).where(
                        Job.state == JobState.RUNNING
                    ).execute()
                # A worker's pace: a few transactions every few milliseconds.
                stop.wait(0.005)
        except BaseException as exc:
            side_errors.append(exc)
        finally:
            database.close()

    def reader() -> None:
        # Stands in for the Queue view refreshing itself.
        try:
            while not stop.is_set():
                list(Job.select().order_by(Job.id.desc()).limit(200))
                Job.select().count()
                stop.wait(0.005)
        except BaseException as exc:
            side_errors.append(exc)
        finally:
            database.close()

    side = [threading.Thread(target=worker), threading.Thread(target=reader)]
    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]
    for thread in side + clients:
        thread.start()
    for thread in clients:
        thread.join()
    stop.set()
    for thread in side:
        thread.join()

    assert side_errors == []
    assert len(answers) == 500
    assert {status for status, _ in answers} == {200}
    assert Job.select().count() == 500
    assert Delivery.select().count() == 500
    assert not any("locked" in text for _, text in answers)
    assert "locked" not in caplog.text
    assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.fixture(params=["America/New_York", "UTC"])
def local_zone(request: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The process runs in a given TZ for the test, and is restored after."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_br25_created_at_is_stored_as_the_exact_epoch(
    receiver: Receiver, local_zone: str
) -> None:
    epochs = [1730611800, 1730615400, 1710054000]
    for epoch in epochs:
        assert (
            receiver.post(envelope(hash_=f"tz-{epoch}", created_at=epoch)).status_code
            == 200
        )

    stored = [d.created_at for d in Delivery.select().order_by(Delivery.created_at)]
    assert stored == sorted(epochs)
    assert [timeutil.iso_utc(e) for e in stored] == [
        "2024-03-10T07:00:00Z",
        "2024-11-03T05:30:00Z",
        "2024-11-03T06:30:00Z",
    ]
    received = [d.received_at for d in Delivery.select()]
    assert all(abs(r - time.time()) < 60 for r in received)


def test_loop_guard_holds_the_eleventh_delivery_for_a_resource(
    receiver: Receiver,
) -> None:
    answers = [
        receiver.post(envelope("store/order/updated", 5001, f"loop-{n}")).json()
        for n in range(11)
    ]
    other = receiver.post(envelope("store/order/updated", 5002, "loop-other")).json()

    assert [a["status"] for a in answers] == ["queued"] * 10 + ["held"]
    assert other["status"] == "queued"
    held = Job.get(Job.id == answers[-1]["jobs"][0])
    assert held.state == JobState.HELD
    assert held.next_attempt_at is None
    assert held.hold_reason == (
        "loop guard: 11 store/order/updated deliveries for order 5001 in 5 min"
    )
    assert receiver.stats.snapshot()["held"] == 1
    assert len(receiver.wakes) == 11


def test_storage_failure_answers_503_and_acknowledges_nothing(
    receiver: Receiver, database: Any, caplog: Any
) -> None:
    database.execute_sql("DROP TABLE job")

    response = receiver.post(envelope(hash_="disk-full"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10"
    assert Delivery.select().count() == 0
    assert receiver.stats.snapshot()["rejected_by_reason"] == {
        reasons.STORAGE_FAILED: 1
    }
    assert "Could not store a store/order/created delivery" in caplog.text
    assert receiver.kinds() == ["delivery_rejected"]


def test_loop_guard_window_and_resourceless_deliveries(receiver: Receiver) -> None:
    guard = LoopGuard(threshold=1, window_s=30)
    now = timeutil.now()
    Delivery.create(
        store_hash="s",
        hash="h1",
        scope="store/order/updated",
        resource_id="9",
        received_at=now - 60,
        body="{}",
    )
    Delivery.create(
        store_hash="s",
        hash="h2",
        scope="store/order/updated",
        resource_id="9",
        received_at=now,
        body="{}",
    )
    Delivery.create(
        store_hash="s",
        hash="h3",
        scope="store/order/updated",
        resource_id="9",
        received_at=now,
        body="{}",
    )

    assert guard.hold_reason("s", "store/order/updated", "", now=now) is None
    assert guard.hold_reason("s", "store/order/created", "9", now=now) is None
    assert guard.hold_reason("s", "store/order/updated", "9", now=now) == (
        "loop guard: 2 store/order/updated deliveries for resource 9 in 30 s"
    )
