# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A read-only, copyable JSON view highlighted by Pygments.

The text stays plain (what is copied is exactly the JSON); colours come from a
QSyntaxHighlighter that asks Pygments' JSON lexer for each line's tokens and
Pygments' styles for their look, light or dark with the system palette.
"""

import logging

from pygments.lexers.data import JsonLexer
from pygments.styles import get_style_by_name
from pygments.token import _TokenType

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

log = logging.getLogger(__name__)

LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"


def is_dark_palette() -> bool:
    """True when the application's palette has a dark window background."""
    hints = QGuiApplication.styleHints()
    if hints.colorScheme() == Qt.ColorScheme.Dark:
        return True
    if hints.colorScheme() == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().window().color().lightness() < 128


class JsonHighlighter(QSyntaxHighlighter):
    """Colours JSON text line by line with Pygments tokens."""

    def __init__(self, document: QTextDocument, dark: bool = False) -> None:
        super().__init__(document)
        self._lexer = JsonLexer(stripnl=False, ensurenl=False)
        self._formats: dict[_TokenType, QTextCharFormat] = {}
        self._style_name = ""
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        """Switch between the light and the dark Pygments style."""
        name = DARK_STYLE if dark else LIGHT_STYLE
        if name == self._style_name:
            return
        self._style_name = name
        self._formats.clear()
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        """Apply the format of each Pygments token of one line."""
        position = 0
        for token, value in self._lexer.get_tokens(text):
            length = len(value)
            if length and value.strip():
                self.setFormat(position, length, self._format_for(token))
            position += length

    def _format_for(self, token: _TokenType) -> QTextCharFormat:
        cached = self._formats.get(token)
        if cached is not None:
            return cached
        look = get_style_by_name(self._style_name).style_for_token(token)
        text_format = QTextCharFormat()
        if look["color"]:
            text_format.setForeground(QColor(f"#{look['color']}"))
        if look["bold"]:
            text_format.setFontWeight(QFont.Weight.Bold)
        if look["italic"]:
            text_format.setFontItalic(True)
        self._formats[token] = text_format
        return text_format


class JsonView(QPlainTextEdit):
    """Shows formatted JSON, highlighted, read-only and selectable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self._highlighter = JsonHighlighter(self.document(), is_dark_palette())
        QGuiApplication.styleHints().colorSchemeChanged.connect(
            self._on_style_hints_color_scheme_changed
        )

    def set_json_text(self, text: str) -> None:
        """Show text (already formatted JSON, or anything else as it is)."""
        self.setPlainText(text)

    @Slot(Qt.ColorScheme)
    def _on_style_hints_color_scheme_changed(self, scheme: Qt.ColorScheme) -> None:
        self._highlighter.set_dark(is_dark_palette())
