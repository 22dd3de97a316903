# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The database file: WAL, migrations, uniqueness the schema enforces."""

from pathlib import Path
from typing import Any

import peewee as pw
import pytest

from app import timeutil
from app.db import connection, migrations
from app.db.models import Delivery, database_proxy


def test_journal_mode_is_wal(database: Any) -> None:
    mode = database.execute_sql("PRAGMA journal_mode").fetchone()[0]

    assert mode == "wal"


def test_schema_is_at_latest_version(database: Any) -> None:
    assert migrations.current_version(database) == migrations.LATEST_VERSION


def test_delivery_is_unique_per_store_and_hash(database: Any) -> None:
    fields = {"scope": "store/order/created", "received_at": timeutil.now()}
    Delivery.create(store_hash="abc", hash="h1", body="{}", **fields)
    Delivery.create(store_hash="other", hash="h1", body="{}", **fields)

    with pytest.raises(pw.IntegrityError):
        Delivery.create(store_hash="abc", hash="h1", body="{}", **fields)


def test_reopening_keeps_data_and_does_not_migrate_again(data_dir: Path) -> None:
    db = connection.open_database(data_dir)
    Delivery.create(store_hash="abc", hash="h", scope="s", received_at=1.0, body="{}")
    db.close()

    db = connection.open_database(data_dir)
    assert Delivery.select().count() == 1
    assert not list(data_dir.glob("*.bak"))
    db.close()
    database_proxy.initialize(None)


def test_older_schema_is_backed_up_then_upgraded(data_dir: Path) -> None:
    db = connection.open_database(data_dir)
    db.execute_sql("DELETE FROM schema_version WHERE version > 1")
    db.execute_sql("DROP TABLE job_search")
    db.close()

    db = connection.open_database(data_dir)

    assert migrations.current_version(db) == migrations.LATEST_VERSION
    assert list(data_dir.glob("*.schema1.bak"))
    db.close()
    database_proxy.initialize(None)
