# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dialog that shows an unexpected error, with a Copy button for reports."""

import logging
import traceback
from types import TracebackType

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)


def describe(
    error_type: type[BaseException] | None,
    error: BaseException | None,
    tb: TracebackType | None,
) -> str:
    """The full report of an exception, as text to copy."""
    if error is None:
        return "An unknown error occurred."
    return "".join(traceback.format_exception(error_type or type(error), error, tb))


class CrashDialog(QDialog):
    """Tells the user something went wrong and offers the details to copy."""

    def __init__(
        self, summary: str, details: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Storehook hit an unexpected error")
        self._details = details

        message = QLabel(
            f"{summary}\n\nStorehook keeps running, but the last operation may "
            "not have finished. Please copy the details into a bug report."
        )
        message.setWordWrap(True)
        text = QPlainTextEdit(details)
        text.setReadOnly(True)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy_button.clicked.connect(self._on_copy_button_clicked)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(text, 1)
        layout.addWidget(buttons)
        self.resize(720, 480)

    def details(self) -> str:
        """The report shown in the dialog."""
        return self._details

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._details)
