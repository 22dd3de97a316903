# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A searchable list of every BigCommerce webhook scope, to pick triggers from."""

from collections.abc import Iterable

from PySide6.QtCore import QSortFilterProxyModel, QStringListModel, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)


class ScopePickerDialog(QDialog):
    """Lets the user filter the scope list by typing and pick one or more scopes.

    Scopes already chosen are left out of the list. Read the choice with
    selected_scopes() once the dialog is accepted.
    """

    def __init__(
        self,
        scopes: Iterable[str],
        *,
        exclude: Iterable[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add BigCommerce trigger")
        taken = set(exclude)
        self._source = QStringListModel([s for s in scopes if s not in taken], self)
        self._proxy = QSortFilterProxyModel(self)
        self._proxy.setSourceModel(self._source)
        self._proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._init_widgets()
        self._init_layout()
        self._update_buttons()

    def _init_widgets(self) -> None:
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("scope_filter")
        self.filter_edit.setPlaceholderText("Type to filter, e.g. order/created")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)

        self.scope_list = QListView(self)
        self.scope_list.setObjectName("scope_list")
        self.scope_list.setModel(self._proxy)
        self.scope_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.scope_list.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.scope_list.selectionModel().selectionChanged.connect(
            self._on_selection_changed
        )
        self.scope_list.doubleClicked.connect(self.accept)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _init_layout(self) -> None:
        layout = QVBoxLayout(self)
        hint = QLabel("Choose the webhook scopes that run this action.", self)
        layout.addWidget(hint)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.scope_list)
        layout.addWidget(self.buttons)
        self.resize(460, 520)

    def visible_scopes(self) -> list[str]:
        """The scopes the filter currently shows, in list order."""
        rows = range(self._proxy.rowCount())
        return [str(self._proxy.index(row, 0).data()) for row in rows]

    def select_scope(self, scope: str) -> None:
        """Select scope in the list (adding it to the selection)."""
        for row in range(self._proxy.rowCount()):
            index = self._proxy.index(row, 0)
            if index.data() == scope:
                self.scope_list.selectionModel().select(
                    index, self.scope_list.selectionModel().SelectionFlag.Select
                )
                return
        raise KeyError(scope)

    def selected_scopes(self) -> list[str]:
        """The selected scopes, in list order."""
        indexes = self.scope_list.selectionModel().selectedIndexes()
        return [str(index.data()) for index in sorted(indexes, key=lambda i: i.row())]

    @Slot(str)
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self._proxy.setFilterFixedString(text.strip())
        self._update_buttons()

    @Slot()
    def _on_selection_changed(self) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.scope_list.selectionModel().selectedIndexes()))
