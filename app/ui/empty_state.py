# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A table that gives way to a centred hint while it has nothing to show."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget


class EmptyStateStack(QStackedWidget):
    """Shows either its content (a table) or a hint saying why it is empty.

    The hint replaces the table instead of sitting in it as a fake row, so
    models, selections and row counts stay honest.
    """

    def __init__(
        self, content: QWidget, name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName(name)
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint_label.setWordWrap(True)
        self.hint_label.setMargin(24)
        self.hint_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self._content = content
        self.addWidget(content)
        self.addWidget(self.hint_label)

    def show_content(self, has_content: bool, hint: str = "") -> None:
        """Show the content, or else the hint (when given, a new text)."""
        if hint:
            self.hint_label.setText(hint)
        self.setCurrentWidget(self._content if has_content else self.hint_label)
