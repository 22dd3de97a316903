# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Receiver view: where deliveries arrive, live counts, rejections, secrets."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Slot,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.bigcommerce.client import DEFAULT_API_URL
from app.bigcommerce.errors import BigCommerceError
from app.stores.service import StoreRow, StoreService
from app.stores.sync import validate_destination
from app.ui.models.rejection_table_model import COL_DETAIL, RejectionTableModel

log = logging.getLogger(__name__)

REFRESH_MS = 1000
_ERROR_STYLE = "color: #c62828;"

AnyIndex = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


class StatsSource(Protocol):
    """What the view needs of the receiver's counters."""

    def snapshot(self) -> dict[str, Any]:
        """Every counter and the recent rejections, newest first."""
        ...


class ReceiverView(QWidget):
    """Shows the receiver's address and live counts; edits the public URL.

    Args:
        on_public_url_changed: called with a validated URL when the user
            applies it ("" means the local receiver URL).
        after_rotation: awaited after a store's secret was rotated; the
            composition root re-registers the store's hooks there.
    """

    def __init__(
        self,
        stats: StatsSource,
        stores: StoreService,
        *,
        listen_address: str,
        public_url: str = "",
        on_public_url_changed: Callable[[str], None] | None = None,
        after_rotation: Callable[[str], Awaitable[object]] | None = None,
        refresh_ms: int = REFRESH_MS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._stats = stats
        self._stores = stores
        self._public_url = public_url
        self._on_public_url_changed = on_public_url_changed
        self._after_rotation = after_rotation
        self._api_urls: list[str] = []
        self._last_snapshot: dict[str, Any] | None = None
        self._rotating = False
        self._rejections = RejectionTableModel(self)
        self._init_address(listen_address)
        self._init_counts()
        self._init_secrets()
        self._init_layout()

        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        self._on_timer_timeout()
        # Stores load once the event loop runs (never here: BR-18).
        QTimer.singleShot(0, self, self.refresh_stores)

    # Building

    def _init_address(self, listen_address: str) -> None:
        self.listen_label = QLabel(listen_address, self)
        self.listen_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.public_url_edit = QLineEdit(self._public_url, self)
        self.public_url_edit.setObjectName("public_url")
        self.public_url_edit.setPlaceholderText("https://hooks.example.com/bc")
        self.public_url_edit.textEdited.connect(self._on_public_url_edited)
        self.public_url_edit.returnPressed.connect(self._on_apply_button_clicked)
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        self.apply_button.setEnabled(False)
        self.public_url_error = QLabel(self)
        self.public_url_error.setObjectName("public_url_error")
        self.public_url_error.setWordWrap(True)
        self.public_url_error.setStyleSheet(_ERROR_STYLE)
        self.public_url_error.hide()

    def _init_counts(self) -> None:
        self.count_labels: dict[str, QLabel] = {}
        for key in ("received", "stored", "queued", "held", "duplicates", "rejected"):
            label = QLabel("0", self)
            label.setObjectName(f"count_{key}")
            # Digits line up in a narrow column right next to their titles.
            label.setAlignment(
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            )
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance("0,000,000"))
            self.count_labels[key] = label
        self.reasons_label = QLabel("none", self)
        self.reasons_label.setObjectName("rejected_by_reason")
        self.rejections_table = QTableView(self)
        self.rejections_table.setModel(self._rejections)
        self.rejections_table.verticalHeader().hide()
        self.rejections_table.setSelectionBehavior(
            QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.rejections_table.horizontalHeader().setSectionResizeMode(
            COL_DETAIL, QHeaderView.ResizeMode.Stretch
        )

    def _init_secrets(self) -> None:
        self.store_combo = QComboBox(self)
        self.store_combo.currentIndexChanged.connect(self._on_store_combo_changed)
        self.rotate_button = QPushButton("Rotate webhook secret", self)
        self.rotate_button.setToolTip(
            "Make a new secret; the old one is accepted until the hooks carry "
            "the new one"
        )
        self.rotate_button.clicked.connect(self._on_rotate_button_clicked)
        self.rotate_message = QLabel(self)
        self.rotate_message.setWordWrap(True)
        self._toggle_rotate()

    def _init_layout(self) -> None:
        address = QFormLayout()
        address.addRow("Listening on:", self.listen_label)
        url_row = QHBoxLayout()
        url_row.addWidget(self.public_url_edit, 1)
        url_row.addWidget(self.apply_button)
        address.addRow("Public URL:", url_row)
        address.addRow("", self.public_url_error)

        counts = QFormLayout()
        # A compact label: value column on the left, not values far right.
        counts.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        counts.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        counts.setFormAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        titles = {
            "received": "Received:",
            "stored": "Stored (new):",
            "queued": "Jobs queued:",
            "held": "Jobs held:",
            "duplicates": "Duplicates:",
            "rejected": "Rejected:",
        }
        for key, title in titles.items():
            counts.addRow(title, self.count_labels[key])
        counts.addRow("Rejected by reason:", self.reasons_label)
        counts_box = QGroupBox("Since start", self)
        counts_box.setLayout(counts)

        secrets = QHBoxLayout()
        secrets.addWidget(self.store_combo, 1)
        secrets.addWidget(self.rotate_button)
        secrets_box = QGroupBox("Webhook secret", self)
        secrets_column = QVBoxLayout(secrets_box)
        secrets_column.addLayout(secrets)
        secrets_column.addWidget(self.rotate_message)

        layout = QVBoxLayout(self)
        layout.addLayout(address)
        layout.addWidget(counts_box)
        layout.addWidget(QLabel("Recent rejections", self))
        layout.addWidget(self.rejections_table, 1)
        layout.addWidget(secrets_box)

    # Counts

    @Slot()
    def _on_timer_timeout(self) -> None:
        snapshot = self._stats.snapshot()
        if snapshot == self._last_snapshot:
            return
        self._last_snapshot = snapshot
        for key, label in self.count_labels.items():
            label.setText(f"{int(snapshot.get(key, 0)):,}")
        reasons = snapshot.get("rejected_by_reason") or {}
        lines = [f"{reason}: {count:,}" for reason, count in sorted(reasons.items())]
        self.reasons_label.setText("\n".join(lines) or "none")
        self._rejections.set_rejections(list(snapshot.get("recent_rejections") or []))

    # Public URL

    def public_url_problem(self, url: str) -> str:
        """Why BigCommerce would refuse url as a destination ("" when it is fine)."""
        if not url:
            return ""
        for api_url in self._api_urls or [DEFAULT_API_URL]:
            try:
                validate_destination(url, api_url)
            except ValueError as error:
                return str(error)
        return ""

    @Slot(str)
    def _on_public_url_edited(self, text: str) -> None:
        problem = self.public_url_problem(text.strip())
        self.public_url_error.setText(problem)
        self.public_url_error.setVisible(bool(problem))
        self.apply_button.setEnabled(not problem and text.strip() != self._public_url)

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        url = self.public_url_edit.text().strip()
        if self.public_url_problem(url) or url == self._public_url:
            return
        self._public_url = url
        self.apply_button.setEnabled(False)
        log.info("Public receiver URL set to %s", url or "the local receiver")
        if self._on_public_url_changed is not None:
            self._on_public_url_changed(url)

    # Stores and secrets

    @Slot()
    def refresh_stores(self) -> None:
        """Reload the store list (connect it to the store_changed signal)."""
        self._load_stores()

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _load_stores(self) -> None:
        rows = await asyncio.to_thread(self._stores.list_stores, check_keyring=False)
        self._show_stores(rows)

    def _show_stores(self, rows: list[StoreRow]) -> None:
        self._api_urls = sorted({row.api_url for row in rows})
        current = self.store_combo.currentData()
        self.store_combo.blockSignals(True)
        self.store_combo.clear()
        for row in rows:
            label = f"{row.name} ({row.store_hash})" if row.name else row.store_hash
            self.store_combo.addItem(label, row.store_hash)
        found = self.store_combo.findData(current)
        self.store_combo.setCurrentIndex(found if found >= 0 else 0)
        self.store_combo.blockSignals(False)
        self._toggle_rotate()
        self._on_public_url_edited(self.public_url_edit.text())

    @Slot(int)
    def _on_store_combo_changed(self, _index: int) -> None:
        self.rotate_message.clear()
        self._toggle_rotate()

    def _toggle_rotate(self) -> None:
        has_store = self.store_combo.currentData() is not None
        self.rotate_button.setEnabled(has_store and not self._rotating)

    @Slot()
    def _on_rotate_button_clicked(self) -> None:
        store_hash = self.store_combo.currentData()
        if store_hash is None or self._rotating:
            return
        self._rotating = True
        self._toggle_rotate()
        self._show_rotation(f"{store_hash}: rotating the webhook secret…")
        self._rotate(str(store_hash))

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _rotate(self, store_hash: str) -> None:
        try:
            await self._stores.rotate_webhook_secret(store_hash)
            if self._after_rotation is not None:
                self._show_rotation(f"{store_hash}: new secret made; updating hooks…")
                await self._after_rotation(store_hash)
        except (BigCommerceError, ValueError) as error:
            log.error("Rotating the secret of %s failed: %s", store_hash, error)
            self._show_rotation(f"{store_hash}: {error}", error=True)
        else:
            self._show_rotation(
                f"{store_hash}: webhook secret rotated; the previous one is "
                "accepted until every hook carries the new one."
            )
        finally:
            self._rotating = False
            self._toggle_rotate()

    def _show_rotation(self, text: str, *, error: bool = False) -> None:
        self.rotate_message.setText(text)
        self.rotate_message.setStyleSheet(_ERROR_STYLE if error else "")
