# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A delivery sent again is counted, runs nothing twice, across restarts too."""

import threading
from pathlib import Path
from typing import Any

import httpx

from app.db import connection
from app.db.models import Delivery, Job
from tests.receiver.conftest import FakeTriggers, Receiver, start_receiver
from tests.receiver.test_receive import BR01_BODY


def test_sequential_duplicate_is_counted_and_creates_nothing(
    receiver: Receiver,
) -> None:
    first = receiver.post(BR01_BODY).json()
    second = receiver.post(BR01_BODY).json()

    assert second == {**first, "status": "duplicate"}
    delivery = Delivery.get()
    assert (delivery.duplicates, Job.select().count()) == (1, 1)
    assert delivery.last_duplicate_at is not None
    assert receiver.stats.snapshot()["duplicates"] == 1
    assert len(receiver.wakes) == 1


def test_five_concurrent_copies_store_one_delivery(receiver: Receiver) -> None:
    barrier = threading.Barrier(5)
    statuses: list[str] = []

    def send() -> None:
        with httpx.Client(timeout=30.0) as client:
            barrier.wait()
            response = client.post(
                receiver.url,
                content=BR01_BODY,
                headers={
                    "X-Storehook-Secret": "s3cret-value-for-tests-0123456789abcdef"
                },
            )
            statuses.append(response.json()["status"])

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == ["duplicate"] * 4 + ["queued"]
    assert Delivery.select().count() == 1
    assert Delivery.get().duplicates == 4
    assert Job.select().count() == 1


def test_br01_duplicate_after_restart(
    receiver: Receiver, database: Any, data_dir: Path, triggers: FakeTriggers
) -> None:
    first = receiver.post(BR01_BODY)
    second = receiver.post(BR01_BODY)
    receiver.client.close()
    receiver.server.stop()
    database.close()

    # A new process: a new database object and a new receiver on the same file.
    reopened = connection.open_database(data_dir)
    again = start_receiver(reopened, triggers)
    try:
        third = again.post(BR01_BODY)
    finally:
        again.client.close()
        again.server.stop()

    assert [r.status_code for r in (first, second, third)] == [200, 200, 200]
    assert [r.json()["status"] for r in (second, third)] == ["duplicate", "duplicate"]
    assert third.json()["jobs"] == first.json()["jobs"]
    assert Job.select().count() == 1
    assert Delivery.get().duplicates == 2
    reopened.close()
