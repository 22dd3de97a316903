# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Add store dialog: connect a store by its hash and an API account's token.

The token and client secret go from the fields straight to the service (and
from there to the keyring); they are never shown unless the user reveals
them, and never logged.
"""

import logging

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from app.bigcommerce.client import DEFAULT_API_URL
from app.bigcommerce.errors import BigCommerceError
from app.stores.service import (
    StoreRow,
    StoreService,
    normalize_api_url,
    normalize_store_hash,
)

log = logging.getLogger(__name__)

_ERROR_STYLE = "color: #c62828;"


def hash_problem(text: str) -> str:
    """Why text is not a usable store hash ("" when it is)."""
    if not text.strip():
        return "Enter the store hash (the letters and digits after /stores/)."
    try:
        normalize_store_hash(text)
    except ValueError as error:
        return f"{error}: use the letters and digits after /stores/ in the API path."
    return ""


def api_url_problem(text: str) -> str:
    """Why text is not a usable API base URL ("" when it is)."""
    try:
        normalize_api_url(text)
    except ValueError as error:
        text = str(error)
        return text[:1].upper() + text[1:] + "."
    return ""


def error_text(error: Exception) -> str:
    """What to show for a failed connection: the service's own words."""
    text = str(error).strip()
    if isinstance(error, BigCommerceError):
        return text or error.summary
    return text or type(error).__name__


class AddStoreDialog(QDialog):
    """Collects a store's hash and credentials and connects it.

    The dialog stays open on failure and shows why next to the form.

    Signals:
        store_added(object): the StoreRow of the store just connected.
    """

    store_added = Signal(object)

    def __init__(self, stores: StoreService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add store")
        self._stores = stores
        self._busy = False
        self._touched: set[QLineEdit] = set()
        self._init_fields()
        self._init_layout()
        self._validate()

    # Building

    def _init_fields(self) -> None:
        self.hash_edit = self._field("store_hash", "e.g. t3stab9x1q")
        self.token_edit = self._field("access_token", "API account access token")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_button = QToolButton(self)
        self.reveal_button.setText("Show")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setToolTip("Show the access token while typing it")
        self.reveal_button.toggled.connect(self._on_reveal_button_toggled)
        self.client_id_edit = self._field("client_id", "optional")
        self.client_secret_edit = self._field("client_secret", "optional")
        self.client_secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_url_edit = self._field("api_url", DEFAULT_API_URL)
        self.api_url_edit.setText(DEFAULT_API_URL)

        self.hash_error = self._error_label()
        self.token_error = self._error_label()
        self.api_url_error = self._error_label()
        self.service_error = self._error_label()
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
            self,
        )
        self.connect_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.connect_button.setText("Connect")
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)

    def _field(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        edit.textEdited.connect(self._on_field_edited)
        return edit

    def _error_label(self) -> QLabel:
        label = QLabel(self)
        label.setStyleSheet(_ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        return label

    def _init_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Store hash", self._with_error(self.hash_edit, self.hash_error))
        token_row = QHBoxLayout()
        token_row.addWidget(self.token_edit)
        token_row.addWidget(self.reveal_button)
        token = QWidget(self)
        token_row.setContentsMargins(0, 0, 0, 0)
        token.setLayout(token_row)
        form.addRow("Access token", self._with_error(token, self.token_error))
        form.addRow("Client id", self.client_id_edit)
        form.addRow("Client secret", self.client_secret_edit)
        form.addRow("API URL", self._with_error(self.api_url_edit, self.api_url_error))

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.service_error)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def _with_error(self, field: QWidget, error: QLabel) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field)
        column.addWidget(error)
        return box

    # Validation

    @Slot(str)
    def _on_field_edited(self, _text: str) -> None:
        sender = self.sender()
        if isinstance(sender, QLineEdit):
            self._touched.add(sender)
        self.service_error.hide()
        self._validate()

    def _validate(self) -> bool:
        """Say what is wrong next to each edited field; True when all is fine."""
        token = "" if self.token_edit.text().strip() else "Enter the access token."
        problems = (
            (self.hash_edit, self.hash_error, hash_problem(self.hash_edit.text())),
            (self.token_edit, self.token_error, token),
            (
                self.api_url_edit,
                self.api_url_error,
                api_url_problem(self.api_url_edit.text()),
            ),
        )
        for edit, label, problem in problems:
            shown = problem if edit in self._touched else ""
            label.setText(shown)
            label.setVisible(bool(shown))
        valid = not any(problem for _edit, _label, problem in problems)
        self.connect_button.setEnabled(valid and not self._busy)
        return valid

    @Slot(bool)
    def _on_reveal_button_toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.token_edit.setEchoMode(mode)
        self.reveal_button.setText("Hide" if shown else "Show")

    # Connecting

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self._busy or not self._validate():
            return
        self._set_busy(True)
        self._connect_store()

    @asyncSlot()  # type: ignore[untyped-decorator]
    async def _connect_store(self) -> None:
        # Whatever happens, the dialog leaves its busy state: a surprise
        # exception must not leave it locked with Cancel disabled.
        row: StoreRow | None = None
        store_hash = self.hash_edit.text().strip()
        try:
            store_hash = normalize_store_hash(store_hash)
            log.info("Connecting store %s", store_hash)
            row = await self._stores.add_store(
                store_hash,
                self.token_edit.text(),
                api_url=normalize_api_url(self.api_url_edit.text()),
                client_id=self.client_id_edit.text().strip(),
                client_secret=self.client_secret_edit.text(),
            )
        except (BigCommerceError, ValueError) as error:
            # ERROR: the user is told, right here in the dialog.
            log.error("Could not connect store %s: %s", store_hash, error_text(error))
            self._show_service_error(error_text(error))
        except Exception as error:
            log.exception("Connecting store %s failed unexpectedly", store_hash)
            self._show_service_error(
                f"Could not connect the store ({type(error).__name__}): "
                f"{error_text(error)}"
            )
        finally:
            self._set_busy(False)
        if row is not None:
            self.store_added.emit(row)
            self.accept()

    def _show_service_error(self, text: str) -> None:
        self.service_error.setText(text)
        self.service_error.show()

    def reject(self) -> None:
        """Close, unless a connection attempt is still running (Esc included)."""
        if not self._busy:
            super().reject()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for edit in (
            self.hash_edit,
            self.token_edit,
            self.client_id_edit,
            self.client_secret_edit,
            self.api_url_edit,
        ):
            edit.setReadOnly(busy)
        self.progress.setVisible(busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setEnabled(not busy)
        self._validate()
        self.setCursor(
            Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor
        )
