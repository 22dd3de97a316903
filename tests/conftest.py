# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the whole suite."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Qt must never try to open a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db import connection
from app.db.models import database_proxy

REPO_ROOT = Path(__file__).resolve().parent.parent
# Copies of BigCommerce's reference material (OpenAPI specs, scopes, payloads)
# ship in resources/, so that a clone needs nothing from outside itself.
BIGCOMMERCE_REFERENCE = REPO_ROOT / "resources" / "bigcommerce"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data folder of its own for each test."""
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def database(data_dir: Path) -> Iterator[Any]:
    """A real SQLite file in the test's data folder, migrated and bound."""
    db = connection.open_database(data_dir)
    yield db
    db.close()
    database_proxy.initialize(None)


@pytest.fixture
def memory_keyring() -> Iterator[Any]:
    """An in-memory keyring backend installed for the duration of a test."""
    import keyring

    from app.stores.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)
