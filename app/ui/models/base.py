# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared plumbing of the console's table models over frozen rows."""

from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

AnyIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()

RowT = TypeVar("RowT")


class SnapshotTableModel(QAbstractTableModel, Generic[RowT]):
    """A flat table of immutable row snapshots with fixed column headers.

    Subclasses set HEADERS and implement data(); replacing the rows repaints
    only the rows that changed when the same items are shown in the same
    order, so that selection and scroll position survive a refresh.
    """

    HEADERS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RowT] = []

    def replace_rows(
        self, rows: Sequence[RowT], identity: Callable[[RowT], Hashable]
    ) -> None:
        """Show rows; rows with an unchanged identity are updated in place."""
        if [identity(r) for r in rows] != [identity(r) for r in self._rows]:
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
            return
        for position, row in enumerate(rows):
            if row != self._rows[position]:
                self._rows[position] = row
                self.emit_row_changed(position)

    def row_at(self, position: int) -> RowT:
        """The snapshot shown on row position."""
        return self._rows[position]

    def emit_row_changed(self, position: int) -> None:
        """Tell views that every cell of one row changed."""
        left = self.index(position, 0)
        right = self.index(position, len(self.HEADERS) - 1)
        self.dataChanged.emit(left, right)

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None
