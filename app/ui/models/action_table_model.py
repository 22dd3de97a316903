# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The table of action files shown in the Actions view."""

import enum
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from app.actions.model import ActionInfo
from app.ui.models.base import AnyIndex, SnapshotTableModel

COL_NAME = 0
COL_TRIGGERS = 1
COL_RETRIES = 2
COL_TIMEOUT = 3
COL_ERROR = 4
_HEADERS = ("Action", "Triggers", "Retries", "Timeout", "Load error")

_ERROR_BRUSH = QBrush(QColor("#c62828"))


class ActionRole(enum.IntEnum):
    """Custom roles of ActionTableModel."""

    SortRole = Qt.ItemDataRole.UserRole + 1
    # The row's ActionInfo, safe to read through a proxy.
    ActionRole = Qt.ItemDataRole.UserRole + 2


def format_timeout(seconds: float) -> str:
    """A per-attempt timeout as ops staff read it: "60 s", "1.5 s"."""
    return f"{seconds:g} s"


class ActionTableModel(SnapshotTableModel[ActionInfo]):
    """One row per action file, from ActionInfo snapshots."""

    HEADERS = _HEADERS

    def set_actions(self, actions: list[ActionInfo]) -> None:
        """Show actions, sorted by name; a row that did not change stays put."""
        ordered = sorted(actions, key=lambda action: action.name)
        self.replace_rows(ordered, lambda action: action.path)

    def action_at(self, row: int) -> ActionInfo:
        """The action shown on row."""
        return self.row_at(row)

    def row_of(self, path: Any) -> int:
        """The row of the action file at path, or -1."""
        for row, action in enumerate(self._rows):
            if action.path == path:
                return row
        return -1

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        action = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display_data(action, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip_data(action, column)
        if role == Qt.ItemDataRole.ForegroundRole and action.error:
            return _ERROR_BRUSH if column in (COL_NAME, COL_ERROR) else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignment_data(column)
        if role == ActionRole.SortRole:
            return self._sort_data(action, column)
        if role == ActionRole.ActionRole:
            return action
        return None

    def _display_data(self, action: ActionInfo, column: int) -> str:
        if column == COL_NAME:
            return action.name
        if column == COL_TRIGGERS:
            return ", ".join(action.triggers)
        if column == COL_RETRIES:
            return str(action.retries)
        if column == COL_TIMEOUT:
            return format_timeout(action.timeout)
        return _gist(action.error or "")

    def _tooltip_data(self, action: ActionInfo, column: int) -> str | None:
        if column == COL_ERROR and action.error:
            return action.error
        if column == COL_NAME:
            return str(action.path)
        if column == COL_TRIGGERS and action.triggers:
            return "\n".join(action.triggers)
        return None

    def _alignment_data(self, column: int) -> Any:
        if column in (COL_RETRIES, COL_TIMEOUT):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _sort_data(self, action: ActionInfo, column: int) -> Any:
        if column == COL_RETRIES:
            return action.retries
        if column == COL_TIMEOUT:
            return action.timeout
        return self._display_data(action, column)


def _gist(text: str) -> str:
    # The cell shows the last line (a traceback ends with the error itself);
    # the tooltip has the whole message.
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
