# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of connected stores shown in the Installs view."""

import enum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app import timeutil
from app.stores.service import StoreRow
from app.stores.status import status_summary, tooltip_lines
from app.ui.models.base import AnyIndex, SnapshotTableModel

COL_NAME = 0
COL_HASH = 1
COL_CONNECTED = 2
COL_STATUS = 3
COL_CHECKED = 4
_HEADERS = ("Store", "Store hash", "Connected", "Webhook status", "Last checked")

BUSY_TEXT = "registering webhooks…"
_PROBLEM_BRUSH = QBrush(QColor("#c62828"))
_WARNING_BRUSH = QBrush(QColor("#b26a00"))


class StoreRole(enum.IntEnum):
    """Custom roles of StoreTableModel."""

    SortRole = Qt.ItemDataRole.UserRole + 1
    # The row's StoreRow, safe to read through a proxy.
    StoreRole = Qt.ItemDataRole.UserRole + 2


def row_status_text(row: StoreRow) -> str:
    """The status cell: a credentials problem first, since it blocks everything."""
    return row.credentials_error or status_summary(row)


def has_problem(row: StoreRow) -> bool:
    """True when the store cannot be synced as it is (error, credentials)."""
    return bool(
        row.credentials_error
        or row.uninstalled
        or row.status in ("error", "uninstalled")
    )


def needs_sync(row: StoreRow) -> bool:
    """True when Register webhooks has something to do, or to retry."""
    if row.status != "registered" or row.last_error or row.credentials_error:
        return True
    return any(topic.state != "active" for topic in row.topics)


class StoreTableModel(SnapshotTableModel[StoreRow]):
    """One row per connected store, from StoreRow snapshots.

    A store whose hooks are being registered shows BUSY_TEXT as its status.
    """

    HEADERS = _HEADERS

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._busy: set[str] = set()

    def set_stores(self, rows: list[StoreRow]) -> None:
        """Show rows (in the given order); unchanged rows are not repainted."""
        self.replace_rows(rows, lambda row: row.store_hash)

    def set_busy(self, store_hash: str, busy: bool) -> None:
        """Mark a store as being synced (or not) and repaint its status."""
        if busy:
            self._busy.add(store_hash)
        else:
            self._busy.discard(store_hash)
        position = self.row_of(store_hash)
        if position >= 0:
            index = self.index(position, COL_STATUS)
            self.dataChanged.emit(index, index)

    def is_busy(self, store_hash: str) -> bool:
        """True while the store's hooks are being registered."""
        return store_hash in self._busy

    def store_at(self, position: int) -> StoreRow:
        """The store shown on row position."""
        return self.row_at(position)

    def row_of(self, store_hash: str) -> int:
        """The row of the store, or -1."""
        for position, row in enumerate(self._rows):
            if row.store_hash == store_hash:
                return position
        return -1

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display_data(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip_data(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATUS:
            return self._status_brush(row)
        if role == StoreRole.SortRole:
            return self._sort_data(row, column)
        if role == StoreRole.StoreRole:
            return row
        return None

    def _display_data(self, row: StoreRow, column: int) -> str:
        if column == COL_NAME:
            return row.name or row.store_hash
        if column == COL_HASH:
            return row.store_hash
        if column == COL_CONNECTED:
            return timeutil.local_with_offset(row.connected_at)
        if column == COL_STATUS:
            return BUSY_TEXT if row.store_hash in self._busy else row_status_text(row)
        return timeutil.local_with_offset(row.checked_at) or "never"

    def _tooltip_data(self, row: StoreRow, column: int) -> str | None:
        if column == COL_STATUS:
            return "\n".join(tooltip_lines(row))
        if column == COL_NAME:
            return f"{row.name} (store id {row.store_id}) at {row.api_url}"
        if column in (COL_CONNECTED, COL_CHECKED):
            moment = row.connected_at if column == COL_CONNECTED else row.checked_at
            return timeutil.iso_utc(moment)
        return None

    def _status_brush(self, row: StoreRow) -> QBrush | None:
        if row.store_hash in self._busy:
            return None
        if has_problem(row) or row.last_error:
            return _PROBLEM_BRUSH
        if needs_sync(row):
            return _WARNING_BRUSH
        return None

    def _sort_data(self, row: StoreRow, column: int) -> Any:
        if column == COL_CONNECTED:
            return row.connected_at
        if column == COL_CHECKED:
            return row.checked_at or 0.0
        return self._display_data(row, column)
