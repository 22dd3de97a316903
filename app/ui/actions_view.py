# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Actions view: each action file, its triggers and load error; trigger editing."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QItemSelection, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.actions.model import ActionInfo
from app.actions.rewrite import OptionsNotEditable, read_triggers, rewrite_triggers
from app.bigcommerce.scopes import all_scopes
from app.ui.models.action_table_model import (
    COL_ERROR,
    COL_TRIGGERS,
    ActionTableModel,
    format_timeout,
)
from app.ui.scope_picker import ScopePickerDialog

log = logging.getLogger(__name__)

# Returns a one-line outcome to show ("webhooks synced for 2 stores"), or None.
SavedCallback = Callable[[], Awaitable[str | None]]

_ERROR_STYLE = "color: #c62828;"


class ActionSource(Protocol):
    """What the view needs of the action registry."""

    def actions(self) -> list[ActionInfo]:
        """Every action file, loaded or not."""
        ...

    def refresh(self) -> bool:
        """Reload changed files now; True when something changed."""
        ...


class ActionsView(QWidget):
    """Lists the action files and edits the selected one's BigCommerce triggers.

    Saving rewrites only the file's options literal, reloads the registry,
    then awaits on_saved (the composition root syncs webhooks there).
    """

    def __init__(
        self,
        registry: ActionSource,
        *,
        on_saved: SavedCallback | None = None,
        scopes: Callable[[], list[str]] = all_scopes,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._registry = registry
        self._on_saved = on_saved
        self._scopes = scopes
        self._path: Path | None = None
        self._saved: list[str] = []
        self._pending: list[str] = []
        self._editable = False
        self._busy = False
        self._model = ActionTableModel(self)
        self._init_table()
        self._init_detail()
        self._init_layout()
        self.refresh()

    # Building

    def _init_table(self) -> None:
        self.table = QTableView(self)
        self.table.setObjectName("actions_table")
        self.table.setModel(self._model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # Action names are identifiers: never elide them.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_TRIGGERS, QHeaderView.ResizeMode.Stretch)
        # The full error is the cell's tooltip; the triggers need the room.
        header.setSectionResizeMode(COL_ERROR, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(COL_ERROR, 160)
        self.table.selectionModel().selectionChanged.connect(
            self._on_table_selection_changed
        )

    def _init_detail(self) -> None:
        self.title_label = QLabel("Select an action to see its triggers.", self)
        self.title_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.error_label = self._message_label("action_error", _ERROR_STYLE)
        self.reason_label = self._message_label("read_only_reason", "")
        self.outcome_label = self._message_label("save_outcome", "")

        self.trigger_list = QListWidget(self)
        self.trigger_list.setObjectName("trigger_list")
        self.trigger_list.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
        )
        self.trigger_list.itemSelectionChanged.connect(self._on_trigger_list_selection)
        self._init_buttons()

    def _message_label(self, name: str, style: str) -> QLabel:
        label = QLabel(self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setStyleSheet(style)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.hide()
        return label

    def _init_buttons(self) -> None:
        self.add_button = QToolButton(self)
        self.add_button.setText("+")
        self.add_button.setToolTip("Add a trigger")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        self.add_bigcommerce_action = menu.addAction("BigCommerce webhook…")
        self.add_bigcommerce_action.triggered.connect(self._on_add_bigcommerce)
        self.add_button.setMenu(menu)

        self.remove_button = QToolButton(self)
        self.remove_button.setText("Remove")
        self.remove_button.setToolTip("Remove the selected triggers")
        self.remove_button.clicked.connect(self._on_remove_button_clicked)

        self.save_button = QPushButton("Save", self)
        self.save_button.setToolTip("Write the triggers into the file and sync hooks")
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.clicked.connect(self._on_revert_button_clicked)

    def _init_layout(self) -> None:
        detail = QWidget(self)
        column = QVBoxLayout(detail)
        column.addWidget(self.title_label)
        column.addWidget(self.error_label)
        column.addWidget(QLabel("BigCommerce webhook triggers:", detail))
        column.addWidget(self.trigger_list, 1)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        column.addLayout(buttons)
        column.addWidget(self.reason_label)
        column.addWidget(self.outcome_label)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._toggle_buttons()

    # Public

    @Slot()
    def refresh(self) -> None:
        """Show the registry's actions again (files changed on disk)."""
        self._model.set_actions(self._registry.actions())
        if self._path is None:
            return
        row = self._model.row_of(self._path)
        if row < 0:
            self._show_action(None)
            return
        self._show_error(self._model.action_at(row))
        # Edits in progress win over the file; otherwise show what is on disk.
        if not self._busy and self._pending == self._saved:
            self._load_triggers()

    def pending_triggers(self) -> list[str]:
        """The triggers as edited, not yet saved."""
        return list(self._pending)

    def is_busy(self) -> bool:
        """True while a save (and the sync after it) is running."""
        return self._busy

    # Selection

    @Slot(QItemSelection, QItemSelection)
    def _on_table_selection_changed(
        self, selected: QItemSelection, deselected: QItemSelection
    ) -> None:
        indexes = selected.indexes()
        action = self._model.action_at(indexes[0].row()) if indexes else None
        self._show_action(action)

    def _show_action(self, action: ActionInfo | None) -> None:
        self._path = action.path if action else None
        self._saved, self._pending, self._editable = [], [], False
        self.outcome_label.hide()
        self.reason_label.hide()
        self._show_error(action)
        if action is None:
            self.title_label.setText("Select an action to see its triggers.")
            self._show_triggers()
            return
        self.title_label.setText(
            f"<b>{action.name}</b> — {action.retries} retries, "
            f"{format_timeout(action.timeout)} per attempt<br>"
            f"<small>{action.path}</small>"
        )
        self._show_triggers(list(action.triggers))
        self._load_triggers()

    def _show_error(self, action: ActionInfo | None) -> None:
        error = action.error if action else None
        self.error_label.setText(f"Failed to load: {error}" if error else "")
        self.error_label.setVisible(bool(error))

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _load_triggers(self) -> None:
        path = self._path
        if path is None:
            return
        try:
            triggers = await asyncio.to_thread(read_triggers, path)
        except OptionsNotEditable as refused:
            if path == self._path:
                self._set_read_only(refused.reason)
            return
        if path != self._path or self._busy:
            return
        self._editable = True
        self._saved, self._pending = list(triggers), list(triggers)
        self.reason_label.hide()
        self._show_triggers()

    def _set_read_only(self, reason: str) -> None:
        self._editable = False
        self._pending = list(self._saved)
        self.reason_label.setText(f"Read-only: {reason}.")
        self.reason_label.show()
        self._toggle_buttons()

    # Editing

    @Slot()
    def _on_add_bigcommerce(self) -> None:
        picker = ScopePickerDialog(self._scopes(), exclude=self._pending, parent=self)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.accepted.connect(self._on_picker_accepted)
        picker.open()

    @Slot()
    def _on_picker_accepted(self) -> None:
        picker = self.sender()
        if not isinstance(picker, ScopePickerDialog) or not self._editable:
            return
        added = [s for s in picker.selected_scopes() if s not in self._pending]
        self._pending.extend(added)
        self._show_triggers()

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        chosen = {item.text() for item in self.trigger_list.selectedItems()}
        self._pending = [t for t in self._pending if t not in chosen]
        self._show_triggers()

    @Slot()
    def _on_revert_button_clicked(self) -> None:
        self._pending = list(self._saved)
        self.outcome_label.hide()
        self._show_triggers()

    @Slot()
    def _on_trigger_list_selection(self) -> None:
        self._toggle_buttons()

    def _show_triggers(self, triggers: list[str] | None = None) -> None:
        self.trigger_list.clear()
        self.trigger_list.addItems(self._pending if triggers is None else triggers)
        self._toggle_buttons()

    def _toggle_buttons(self) -> None:
        editable = self._editable and not self._busy and self._path is not None
        changed = self._pending != self._saved
        self.add_button.setEnabled(editable)
        self.remove_button.setEnabled(
            editable and bool(self.trigger_list.selectedItems())
        )
        self.save_button.setEnabled(editable and changed)
        self.revert_button.setEnabled(editable and changed)
        self.save_button.setText("Saving…" if self._busy else "Save")

    # Saving

    @Slot()
    def _on_save_button_clicked(self) -> None:
        if self._path is None or self._busy:
            return
        # Disabled at once, not when the task first runs: no double saves.
        self._busy = True
        self._toggle_buttons()
        self._show_outcome("Saving…")
        self._save_and_sync(self._path, list(self._pending))

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _save_and_sync(self, path: Path, triggers: list[str]) -> None:
        try:
            await self._save(path, triggers)
        finally:
            self._busy = False
            self._toggle_buttons()

    async def _save(self, path: Path, triggers: list[str]) -> None:
        try:
            await asyncio.to_thread(rewrite_triggers, path, triggers)
        except OptionsNotEditable as refused:
            log.error("Cannot save the triggers of %s: %s", path, refused.reason)
            self._set_read_only(refused.reason)
            self._show_outcome(f"Not saved: {refused.reason}.", error=True)
            return
        except OSError as error:
            log.error("Cannot write %s: %s", path, error)
            self._show_outcome(f"Not saved: {error.strerror or error}.", error=True)
            return
        self._saved = list(triggers)
        log.info("Saved the triggers of %s: %s", path.name, ", ".join(triggers))

        # The sync reads the registry, so it must see the new file first.
        await asyncio.to_thread(self._registry.refresh)
        self._model.set_actions(self._registry.actions())
        await self._sync_after_save()

    async def _sync_after_save(self) -> None:
        if self._on_saved is None:
            self._show_outcome("Saved.")
            return
        self._show_outcome("Saved. Syncing webhooks…")
        try:
            outcome = await self._on_saved()
        except Exception as error:
            log.error("Webhook sync after saving triggers failed: %s", error)
            self._show_outcome(f"Saved, but webhook sync failed: {error}", error=True)
            return
        self._show_outcome(
            f"Saved. {outcome}" if outcome else "Saved; webhooks synced."
        )

    def _show_outcome(self, text: str, *, error: bool = False) -> None:
        self.outcome_label.setText(text)
        self.outcome_label.setStyleSheet(_ERROR_STYLE if error else "")
        self.outcome_label.show()
