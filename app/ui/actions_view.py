# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Actions view: each action file, its triggers and load error; trigger editing."""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import libcst as cst

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
from app.ui.empty_state import EmptyStateStack
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
_HOW_TO_ADD = (
    "Add a Python file there, for example log_orders.py, that sets options "
    "(the webhooks that trigger it) and defines run(params, logger). It shows "
    "here without a restart."
)
# The loader names the line Python reports; the rewriter's parser may point
# at another one, so the read-only reason does not repeat it.
_SYNTAX_ERROR_REASON = "the file has a syntax error (shown above); fix it to edit"

# A file's (modification time, size): tells a change on disk from our save.
FileStamp = tuple[int, int]


def empty_hint(folder: Path, folder_error: str) -> str:
    """What the Actions view says instead of an empty table."""
    if folder_error:
        # The error itself shows in red above; the hint says what to do.
        return (
            f"Create the folder {folder} (or start Storehook with --actions DIR). "
            + _HOW_TO_ADD
        )
    return f"No action scripts yet in {folder}. {_HOW_TO_ADD}"


def _file_stamp(path: Path) -> FileStamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


@dataclasses.dataclass(frozen=True)
class _Written:
    """What writing a file's triggers did; refused or error say why it did not."""

    stamp: FileStamp | None
    refused: OptionsNotEditable | None = None
    error: str = ""


def _write_triggers(path: Path, triggers: list[str]) -> _Written:
    # Runs on a worker thread: the write and the stamp of what it left.
    try:
        rewrite_triggers(path, triggers)
    except OptionsNotEditable as refused:
        return _Written(_file_stamp(path), refused=refused)
    except OSError as error:
        return _Written(_file_stamp(path), error=str(error.strerror or error))
    return _Written(_file_stamp(path))


class ActionSource(Protocol):
    """What the view needs of the action registry."""

    actions_dir: Path

    @property
    def folder_error(self) -> str:
        """Why the actions folder cannot be read ("" when it can)."""
        ...

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
        # The file as the last save outcome left it; a change clears the outcome.
        self._outcome_stamp: FileStamp | None = None
        self._model = ActionTableModel(self)
        self._init_table()
        self._init_folder()
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

    def _init_folder(self) -> None:
        self.folder_label = QLabel(self)
        self.folder_label.setObjectName("actions_folder")
        self.folder_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.folder_error_label = self._message_label("folder_error", _ERROR_STYLE)
        self.stack = EmptyStateStack(self.table, "actions_empty", self)
        self.empty_label = self.stack.hint_label

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
        splitter.addWidget(self.stack)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        folder = QVBoxLayout()
        folder.setContentsMargins(9, 6, 9, 0)
        folder.addWidget(self.folder_label)
        folder.addWidget(self.folder_error_label)
        layout.addLayout(folder)
        layout.addWidget(splitter, 1)
        self._toggle_buttons()

    # Public

    @Slot()
    def refresh(self) -> None:
        """Show the registry's actions again (files changed on disk)."""
        actions = self._registry.actions()
        self._model.set_actions(actions)
        self._show_folder(bool(actions))
        if self._path is None:
            return
        if not self.outcome_label.isHidden() and not self._busy:
            self._forget_outcome_if_changed(self._path)
        row = self._model.row_of(self._path)
        if row < 0:
            self._show_action(None)
            return
        self._show_error(self._model.action_at(row))
        # Edits in progress win over the file; otherwise show what is on disk.
        if not self._busy and self._pending == self._saved:
            self._load_triggers()

    def _show_folder(self, has_actions: bool) -> None:
        folder = Path(self._registry.actions_dir).absolute()
        problem = self._registry.folder_error
        self.folder_label.setText(f"Actions folder: {folder}")
        self.folder_error_label.setText(problem)
        self.folder_error_label.setVisible(bool(problem))
        self.stack.show_content(has_actions, empty_hint(folder, problem))

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _forget_outcome_if_changed(self, path: Path) -> None:
        stamp = await asyncio.to_thread(_file_stamp, path)
        if path == self._path and not self._busy and stamp != self._outcome_stamp:
            # Changed on disk since: "Saved…" would describe another file.
            self.outcome_label.hide()

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
        self._outcome_stamp = None
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
                self._set_read_only(self._read_only_reason(path, refused))
            return
        if path != self._path or self._busy:
            return
        self._editable = True
        self._saved, self._pending = list(triggers), list(triggers)
        self.reason_label.hide()
        self._show_triggers()

    def _read_only_reason(self, path: Path, refused: OptionsNotEditable) -> str:
        row = self._model.row_of(path)
        load_error = self._model.action_at(row).error if row >= 0 else None
        if load_error and isinstance(refused.__cause__, cst.ParserSyntaxError):
            return _SYNTAX_ERROR_REASON
        return refused.reason

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
        self._show_outcome(self._path, "Saving…")
        self._save_and_sync(self._path, list(self._pending))

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _save_and_sync(self, path: Path, triggers: list[str]) -> None:
        try:
            await self._save(path, triggers)
        finally:
            self._busy = False
            self._toggle_buttons()

    async def _save(self, path: Path, triggers: list[str]) -> None:
        written = await asyncio.to_thread(_write_triggers, path, triggers)
        if path == self._path:
            self._outcome_stamp = written.stamp
        if written.refused is not None:
            reason = self._read_only_reason(path, written.refused)
            log.error("Cannot save the triggers of %s: %s", path, reason)
            if path == self._path:
                self._set_read_only(reason)
            self._show_outcome(path, f"Not saved: {reason}.", error=True)
            return
        if written.error:
            log.error("Cannot write %s: %s", path, written.error)
            self._show_outcome(path, f"Not saved: {written.error}.", error=True)
            return
        if path == self._path:
            self._saved = list(triggers)
        log.info("Saved the triggers of %s: %s", path.name, ", ".join(triggers))

        # The sync reads the registry, so it must see the new file first.
        await asyncio.to_thread(self._registry.refresh)
        self.refresh()
        await self._sync_after_save(path)

    async def _sync_after_save(self, path: Path) -> None:
        if self._on_saved is None:
            self._show_outcome(path, "Saved.")
            return
        self._show_outcome(path, "Saved. Syncing webhooks…")
        try:
            outcome = await self._on_saved()
        except Exception as error:
            log.error("Webhook sync after saving triggers failed: %s", error)
            text = f"Saved, but webhook sync failed: {error}"
            self._show_outcome(path, text, error=True)
            return
        text = f"Saved. {outcome}" if outcome else "Saved; webhooks synced."
        self._show_outcome(path, text)

    def _show_outcome(self, path: Path, text: str, *, error: bool = False) -> None:
        # Another action may be selected by the time a save ends: its outcome
        # belongs to its own file, never under someone else's triggers.
        if path != self._path:
            return
        self.outcome_label.setText(text)
        self.outcome_label.setStyleSheet(_ERROR_STYLE if error else "")
        self.outcome_label.show()
