# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The receiver stays responsive while someone else holds the database."""

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from app.db.connection import DATABASE_FILE, write_transaction
from app.db.models import Delivery
from tests.helpers.wait import wait_until
from tests.receiver.conftest import Receiver, envelope


def _post_in_background(receiver: Receiver, body: dict[str, Any]) -> list[int]:
    statuses: list[int] = []

    def post() -> None:
        statuses.append(receiver.post(body).status_code)

    threading.Thread(target=post, daemon=True).start()
    return statuses


def test_another_process_holding_the_lock_delays_only_the_delivery(
    receiver: Receiver, data_dir: Path
) -> None:
    other = sqlite3.connect(data_dir / DATABASE_FILE, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    statuses = _post_in_background(receiver, envelope(resource_id=1))

    # While the delivery waits for the lock, the receiver still answers.
    started = time.monotonic()
    health = httpx.get(receiver.url + "/health", timeout=5)
    assert health.status_code == 200
    assert time.monotonic() - started < 0.5
    assert statuses == []

    other.execute("COMMIT")
    other.close()
    wait_until(lambda: statuses)
    assert statuses == [200]
    assert Delivery.select().count() == 1


def test_a_long_writer_in_this_process_does_not_stall_the_receiver(
    receiver: Receiver, database: Any
) -> None:
    release = threading.Event()
    holding = threading.Event()

    def hold_the_lock() -> None:
        with write_transaction(database):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_lock, daemon=True)
    holder.start()
    holding.wait(5)
    statuses = _post_in_background(receiver, envelope(resource_id=2))

    started = time.monotonic()
    assert httpx.get(receiver.url + "/health", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.5

    release.set()
    holder.join(5)
    wait_until(lambda: statuses)
    assert statuses == [200]
