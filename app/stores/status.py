# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each store's webhook status in words: Installs row, tooltip and --json."""

from collections.abc import Sequence
from typing import Any

from app import timeutil
from app.db.models import Store
from app.stores.hook_plan import WRONG_SECRET
from app.stores.service import StoreRow, TopicState, row_from_model

_NOT_CHECKED = "not checked yet"


def status_summary(row: StoreRow) -> str:
    """One line for the Installs row, e.g. "2/3 active, store/order/created inactive".

    It says "registered" only when every wanted topic is registered, active
    and carries a secret the receiver accepts.
    """
    if row.uninstalled:
        return f"uninstalled: {row.last_error}" if row.last_error else "uninstalled"
    if row.status == "unknown" and not row.topics:
        return row.last_error or _NOT_CHECKED
    if row.status == "error" or not row.topics:
        return row.last_error or row.status
    return _topics_summary(row.topics, row.last_error)


def tooltip_lines(row: StoreRow) -> list[str]:
    """The lines shown when hovering a store's status: each topic, then why."""
    lines = [f"{topic.scope}: {topic.state}" for topic in row.topics]
    if row.last_error:
        lines.append(f"error: {row.last_error}")
    if row.credentials_error:
        lines.append(row.credentials_error)
    for entry in row.admin_report.get("blocked_domains") or []:
        lines.append(
            f"blocked by BigCommerce: {entry.get('destination', '?')} "
            f"for {entry.get('time_left', '?')} s"
        )
    for hook in row.admin_report.get("deactivated_hooks") or []:
        lines.append(f"deactivated by BigCommerce: {hook.get('scope', '?')}")
    checked = timeutil.iso_utc(row.checked_at)
    lines.append(f"last checked {checked}" if checked else _NOT_CHECKED)
    return lines


def status_dict(row: StoreRow) -> dict[str, Any]:
    """One store for ``storehook hooks status --json``."""
    return {
        "store_hash": row.store_hash,
        "name": row.name,
        "status": row.status,
        "checked_at": timeutil.iso_utc(row.checked_at),
        "error": row.last_error,
        "topics": [{"scope": t.scope, "state": t.state} for t in row.topics],
        "summary": status_summary(row),
        "tooltip_lines": tooltip_lines(row),
        "uninstalled": row.uninstalled,
        "admin": dict(row.admin_report),
    }


def store_statuses(database: Any) -> list[dict[str, Any]]:
    """Every store's webhook status, JSON-ready, ordered by store hash.

    Reads only the database (never the keyring or the network), so it works
    on a headless server without credentials.
    """
    stores = list(Store.select().order_by(Store.store_hash))
    return [status_dict(row_from_model(store)) for store in stores]


def _topics_summary(topics: Sequence[TopicState], last_error: str) -> str:
    wanted = [t for t in topics if t.state != "unused"]
    inactive = [t.scope for t in wanted if t.state == "inactive"]
    missing = [t.scope for t in wanted if t.state == "missing"]
    wrong = [t.scope for t in wanted if t.state == WRONG_SECRET]
    unused = [t.scope for t in topics if t.state == "unused"]
    active = sum(1 for t in wanted if t.state == "active")
    if not inactive and not missing and not wrong and not unused and not last_error:
        return f"registered ({active}/{len(wanted)} active)"

    word = "active" if inactive or wrong else "registered"
    counts = f"{active}/{len(wanted)} {word}"
    parts = [last_error if last_error.endswith(counts) else counts]
    if last_error and not last_error.endswith(counts):
        parts.insert(0, last_error)
    parts.extend(f"{scope} inactive" for scope in inactive)
    # Such a hook delivers, but the receiver rejects it (401): say so.
    parts.extend(f"{scope} {WRONG_SECRET}, deliveries rejected" for scope in wrong)
    if missing:
        parts.append("missing " + ", ".join(missing))
    if unused:
        parts.append("unused " + ", ".join(unused))
    return ", ".join(parts)
