# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Installs view: connected stores, their webhook health, add/remove/register."""

import asyncio
import logging

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.bigcommerce.errors import BigCommerceError
from app.stores.service import StoreRow, StoreService
from app.stores.sync import SyncOutcome, WebhookSync
from app.ui.add_store_dialog import AddStoreDialog
from app.ui.empty_state import EmptyStateStack
from app.ui.models.store_table_model import (
    COL_STATUS,
    StoreTableModel,
    needs_sync,
)

log = logging.getLogger(__name__)

_ERROR_STYLE = "color: #c62828;"

EMPTY_TEXT = (
    "No stores yet. Add store connects one; you need its store hash and an API "
    "account's access token."
)
REGISTER_TIP = "Create missing hooks, reactivate inactive ones, remove unused ones"


def outcome_text(row_name: str, outcome: SyncOutcome) -> tuple[str, bool]:
    """What a Register webhooks click did, in one line; and whether it failed."""
    if outcome.refused or outcome.errors or outcome.status in ("error", "uninstalled"):
        problem = outcome.message or "; ".join(outcome.errors) or outcome.status
        return f"{row_name}: {problem}", True
    done = [
        f"{len(items)} {verb}"
        for items, verb in (
            (outcome.created, "created"),
            (outcome.reactivated, "reactivated"),
            (outcome.deleted, "removed"),
        )
        if items
    ]
    what = ", ".join(done) if done else "nothing to change"
    return f"{row_name}: webhooks {outcome.status} ({what}).", False


class InstallsView(QWidget):
    """The table of stores with Register webhooks, Add store and Remove store.

    refresh() reloads the rows (connect it to the store_changed signal).
    """

    def __init__(
        self,
        stores: StoreService,
        sync: WebhookSync,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stores = stores
        self._sync = sync
        self._loading = False
        self._reload_wanted = False
        self._removing: set[str] = set()
        # Stores whose hooks are being registered, shown or not yet loaded.
        self._registering: set[str] = set()
        # A store just added: selected once its row is loaded.
        self._select_when_loaded = ""
        self._model = StoreTableModel(self)
        self._init_table()
        self._init_empty_state()
        self._init_buttons()
        self._init_layout()
        # The first load runs once the event loop does, never in here: the
        # window may be built before the asyncio loop is running (BR-18).
        QTimer.singleShot(0, self, self.refresh)

    # Building

    def _init_table(self) -> None:
        self.table = QTableView(self)
        self.table.setObjectName("stores_table")
        self.table.setModel(self._model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        # A handful of stores: fit every column to its text, one line per row.
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_STATUS, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(
            self._on_table_selection_changed
        )
        self._model.modelReset.connect(self._on_model_reset)

    def _init_empty_state(self) -> None:
        self.stack = EmptyStateStack(self.table, "installs_empty", self)
        self.empty_label = self.stack.hint_label
        self.empty_label.setText(EMPTY_TEXT)

    def _init_buttons(self) -> None:
        self.register_button = QPushButton("Register webhooks", self)
        self.register_button.setToolTip(REGISTER_TIP)
        self.register_button.clicked.connect(self._on_register_button_clicked)
        self.add_button = QPushButton("Add store…", self)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.remove_button = QPushButton("Remove store…", self)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy indicator: no known end
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        self.message_label = QLabel(self)
        self.message_label.setObjectName("installs_message")
        self.message_label.setWordWrap(True)

    def _init_layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.register_button)
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)
        self._toggle_buttons()

    # Public

    @property
    def model(self) -> StoreTableModel:
        """The stores shown (for the composition root and tests)."""
        return self._model

    @Slot()
    def refresh(self) -> None:
        """Reload the stores; calls during a load are folded into one more."""
        if self._loading:
            self._reload_wanted = True
            return
        self._loading = True
        self._load_stores()

    def selected_store(self) -> StoreRow | None:
        """The store of the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self._model.store_at(rows[0].row()) if rows else None

    def select_store(self, store_hash: str) -> None:
        """Select the store's row."""
        position = self._model.row_of(store_hash)
        if position >= 0:
            self.table.selectRow(position)

    def show_message(self, text: str, *, error: bool = False) -> None:
        """Show one line under the table (the outcome of the last action)."""
        self.message_label.setText(text)
        self.message_label.setStyleSheet(_ERROR_STYLE if error else "")

    # Loading

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _load_stores(self) -> None:
        try:
            # list_stores reads the keyring, which may block or prompt.
            rows = await asyncio.to_thread(self._stores.list_stores)
            self._show_rows(rows)
        finally:
            self._loading = False
        if self._reload_wanted:
            self._reload_wanted = False
            self.refresh()

    def _show_rows(self, rows: list[StoreRow]) -> None:
        selected = self.selected_store()
        self._model.set_stores(rows)
        if selected is not None and self.selected_store() is None:
            self.select_store(selected.store_hash)
        if self._model.row_of(self._select_when_loaded) >= 0:
            self.select_store(self._select_when_loaded)
            self._select_when_loaded = ""
        if self.selected_store() is None and rows:
            self.table.selectRow(0)
        self.stack.show_content(bool(rows))
        self._toggle_buttons()

    @Slot()
    def _on_model_reset(self) -> None:
        self._toggle_buttons()

    @Slot()
    def _on_table_selection_changed(self) -> None:
        self._toggle_buttons()

    def _toggle_buttons(self) -> None:
        row = self.selected_store()
        idle = row is not None and not (
            self._model.is_busy(row.store_hash) or row.store_hash in self._removing
        )
        self.register_button.setEnabled(idle and row is not None and needs_sync(row))
        self.register_button.setToolTip(self._register_tip(row))
        self.remove_button.setEnabled(idle)
        busy = row is not None and self._model.is_busy(row.store_hash)
        self.register_button.setText("Registering…" if busy else "Register webhooks")
        self.progress.setVisible(bool(self._removing) or self._any_busy())

    def _register_tip(self, row: StoreRow | None) -> str:
        # A disabled button says why, so nobody hunts for what to do first.
        if row is None:
            return "Select a store"
        if self._model.is_busy(row.store_hash):
            return "Registering this store's webhooks…"
        if row.store_hash in self._removing:
            return "This store is being removed"
        if not needs_sync(row):
            return "All webhooks are registered"
        return REGISTER_TIP

    def _any_busy(self) -> bool:
        return bool(self._registering)

    # Register webhooks

    @Slot()
    def _on_register_button_clicked(self) -> None:
        row = self.selected_store()
        if row is not None:
            self._start_register(row, f"{_label(row)}: registering webhooks…")

    def _start_register(self, row: StoreRow, message: str) -> None:
        if self._model.is_busy(row.store_hash):
            return
        # Disabled at once, so that a double click cannot start two syncs.
        self._registering.add(row.store_hash)
        self._model.set_busy(row.store_hash, True)
        self._toggle_buttons()
        self.show_message(message)
        log.info("Registering webhooks for store %s", row.store_hash)
        self._register(row)

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _register(self, row: StoreRow) -> None:
        try:
            outcome = await self._sync.sync_store(row.store_hash)
        except (BigCommerceError, ValueError) as error:
            log.error("Registering webhooks for %s failed: %s", row.store_hash, error)
            self.show_message(f"{_label(row)}: {error}", error=True)
        else:
            text, failed = outcome_text(_label(row), outcome)
            if failed:
                log.error("Registering webhooks for %s: %s", row.store_hash, text)
            self.show_message(text, error=failed)
        finally:
            self._registering.discard(row.store_hash)
            self._model.set_busy(row.store_hash, False)
            self._toggle_buttons()
        self.refresh()

    # Add store

    @Slot()
    def _on_add_button_clicked(self) -> None:
        dialog = AddStoreDialog(self._stores, self)
        dialog.store_added.connect(self._on_dialog_store_added)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    @Slot(object)
    def _on_dialog_store_added(self, row: StoreRow) -> None:
        # A new store has no hooks yet: register them at once, as the
        # Register webhooks button would, and select its row to show it.
        self._select_when_loaded = row.store_hash
        self._start_register(row, f"Connected {_label(row)}; registering its webhooks…")
        self.refresh()

    # Remove store

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        row = self.selected_store()
        if row is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Remove store")
        box.setText(f"Remove {_label(row)}?")
        box.setInformativeText(
            "Storehook's webhooks are removed from the store and its secrets "
            "deleted from the keyring. Job history stays."
        )
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        remove.setObjectName("confirm_remove")
        box.setProperty("store_hash", row.store_hash)
        box.buttonClicked.connect(self._on_remove_box_button_clicked)
        box.finished.connect(box.deleteLater)
        box.open()

    @Slot(QAbstractButton)
    def _on_remove_box_button_clicked(self, button: QAbstractButton) -> None:
        if button.objectName() != "confirm_remove":
            return
        box = self.sender()
        store_hash = str(box.property("store_hash") or "") if box else ""
        position = self._model.row_of(store_hash)
        if position < 0 or store_hash in self._removing:
            return
        row = self._model.store_at(position)
        self._removing.add(store_hash)
        self._toggle_buttons()
        self.show_message(f"{_label(row)}: removing…")
        self._remove(row)

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _remove(self, row: StoreRow) -> None:
        try:
            warnings = await self._stores.remove_store(row.store_hash, sync=self._sync)
        except (BigCommerceError, ValueError) as error:
            log.error("Removing store %s failed: %s", row.store_hash, error)
            self.show_message(f"{_label(row)} not removed: {error}", error=True)
            return
        finally:
            self._removing.discard(row.store_hash)
            self._toggle_buttons()
        if warnings:
            details = "; ".join(warnings)
            log.warning("Store %s removed with warnings: %s", row.store_hash, details)
            self.show_message(f"Removed {_label(row)}, but: {details}", error=True)
        else:
            self.show_message(f"Removed {_label(row)}.")
        self.refresh()


def _label(row: StoreRow) -> str:
    return f"{row.name} ({row.store_hash})" if row.name else row.store_hash
