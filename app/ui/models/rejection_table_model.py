# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of recently rejected deliveries shown in the Receiver view."""

from typing import Any

from PySide6.QtCore import Qt

from app import timeutil
from app.ui.models.base import AnyIndex, SnapshotTableModel

COL_TIME = 0
COL_REASON = 1
COL_STATUS = 2
COL_REMOTE = 3
COL_DETAIL = 4
_HEADERS = ("Time", "Reason", "Answer", "From", "Detail")


class RejectionTableModel(SnapshotTableModel[dict[str, Any]]):
    """The most recent rejected deliveries (dicts from ReceiverStats), newest first."""

    HEADERS = _HEADERS

    def set_rejections(self, rows: list[dict[str, Any]]) -> None:
        """Show rows; nothing is repainted when they did not change."""
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display_data(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == COL_DETAIL:
            return str(row.get("detail", "")) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == COL_STATUS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display_data(self, row: dict[str, Any], column: int) -> str:
        if column == COL_TIME:
            return timeutil.local_with_offset(row.get("at"))
        key = ("", "reason", "status", "remote", "detail")[column]
        return str(row.get(key, ""))
