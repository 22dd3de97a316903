# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change-tracked records: what changed, and no lost update under concurrency."""

import asyncio
import threading
from typing import Any

from app.actions.records import AsyncRecords, Records


def test_upsert_tracks_which_fields_changed(database: Any) -> None:
    records = Records(database, "t3stab9x1q")

    created = records.upsert("order", 5001, {"status": "pending", "total": 10})
    assert created.changes() == {"status": (None, "pending"), "total": (None, 10)}

    updated = records.upsert("order", 5001, {"status": "shipped", "total": 10})
    assert updated.changed("status") and not updated.changed("total")
    assert updated.changes() == {"status": ("pending", "shipped")}
    assert updated.data == {"status": "shipped", "total": 10}

    same = records.upsert("order", "5001", {"status": "shipped"})
    assert not same.changed()
    stored = records.get("order", 5001)
    assert stored is not None and stored.version == 3 and not stored.changed()
    assert records.get("order", 5001, store_hash="elsewhere") is None


def test_eight_concurrent_updaters_lose_no_update(database: Any) -> None:
    records = Records(database, "t3stab9x1q")
    rounds = 25

    def updater(worker: int) -> None:
        for value in range(rounds):
            records.upsert("counter", "shared", {f"field{worker}": value})

    threads = [threading.Thread(target=updater, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    record = records.get("counter", "shared")
    assert record is not None
    assert record.data == {f"field{n}": rounds - 1 for n in range(8)}
    assert record.version == 8 * rounds


def test_async_records_are_awaitable(database: Any) -> None:
    records = AsyncRecords(Records(database, "t3stab9x1q"))

    async def scenario() -> Any:
        await records.upsert("product", 77, {"name": "Mug"})
        return await records.get("product", 77)

    record = asyncio.run(scenario())
    assert record is not None and record.data == {"name": "Mug"}
