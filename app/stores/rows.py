# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A store as the console and the command line show it, built from its table row."""

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from app.db.models import Store


@dataclasses.dataclass(frozen=True)
class TopicState:
    """One webhook scope of a store and its state.

    state is "active", "inactive" (registered but switched off), "missing"
    (wanted but not registered) or "unused" (registered, no action wants it).
    """

    scope: str
    state: str


@dataclasses.dataclass(frozen=True)
class StoreRow:
    """A store as the console and the command line show it (no secrets)."""

    store_hash: str
    name: str
    store_id: str
    api_url: str
    connected_at: float
    status: str
    topics: tuple[TopicState, ...]
    checked_at: float | None
    last_error: str
    admin_report: Mapping[str, Any]
    uninstalled: bool
    credentials_error: str = ""


def topics_from_json(text: str) -> tuple[TopicState, ...]:
    """Parse the Store.topics column, tolerating a damaged value."""
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return ()
    return tuple(
        TopicState(str(item.get("scope", "")), str(item.get("state", "")))
        for item in items
        if isinstance(item, dict)
    )


def row_from_model(store: Store, credentials_error: str = "") -> StoreRow:
    """A frozen StoreRow from a Store table row."""
    try:
        admin = json.loads(store.admin_report or "{}")
    except ValueError:
        admin = {}
    return StoreRow(
        store_hash=store.store_hash,
        name=store.name,
        store_id=store.store_id,
        api_url=store.api_url,
        connected_at=store.connected_at,
        status=store.status,
        topics=topics_from_json(store.topics),
        checked_at=store.checked_at,
        last_error=store.last_error,
        admin_report=admin if isinstance(admin, dict) else {},
        uninstalled=store.uninstalled_at is not None,
        credentials_error=credentials_error,
    )
