# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pinned Qt binding must not corrupt Python's reference counts.

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every call of a
method returning void; after a few thousand UI updates the console died with
"Fatal Python error: none_dealloc". This keeps such a release out.
"""

import sys

from PySide6.QtWidgets import QPushButton


def test_void_calls_keep_none_alive(qtbot: object) -> None:
    button = QPushButton()
    before = sys.getrefcount(None)

    for _ in range(1000):
        button.setEnabled(True)

    assert sys.getrefcount(None) >= before - 50
