# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The console's one main window: a tab per view and a status bar."""

import logging
from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QSettings, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

log = logging.getLogger(__name__)

_GEOMETRY_KEY = "main_window/geometry"
_STATE_KEY = "main_window/state"
_TAB_KEY = "main_window/tab"


class MainWindow(QMainWindow):
    """Hosts the views (Installs, Queue, Actions, Receiver) as tabs.

    Views are plugged in by the composition root with add_view; the window
    knows none of them. Geometry and the open tab live in QSettings.

    Signals:
        close_requested(): the user closed the window; services should stop.
    """

    close_requested = Signal()

    def __init__(
        self,
        views: Sequence[tuple[str, QWidget]] | None = None,
        parent: QWidget | None = None,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Storehook")
        self.setObjectName("main_window")
        self._settings = settings or QSettings()
        self._tabs = QTabWidget()
        self._tabs.setDocumentMode(True)
        self.setCentralWidget(self._tabs)
        self._init_status_bar()
        for title, widget in views or []:
            self.add_view(title, widget)
        self.resize(1280, 800)

    def _init_status_bar(self) -> None:
        self._receiver_label = QLabel("Receiver: not started")
        self._counts_label = QLabel()
        bar = self.statusBar()
        bar.addWidget(self._receiver_label, 1)
        bar.addPermanentWidget(self._counts_label)

    def add_view(self, title: str, widget: QWidget) -> None:
        """Add a view as a tab titled title."""
        widget.setObjectName(widget.objectName() or title.lower().replace(" ", "_"))
        self._tabs.addTab(widget, title)

    def view_titles(self) -> list[str]:
        """The titles of the views, in tab order."""
        return [self._tabs.tabText(i) for i in range(self._tabs.count())]

    def show_view(self, title: str) -> None:
        """Bring the view titled title to the front."""
        if title in self.view_titles():
            self._tabs.setCurrentIndex(self.view_titles().index(title))

    def set_receiver_state(self, text: str) -> None:
        """Show the receiver's state ("Listening on 127.0.0.1:8787", an error)."""
        self._receiver_label.setText(f"Receiver: {text}")

    def set_counts(self, running: int, failed_last_hour: int) -> None:
        """Show how many jobs run now and how many failed in the last hour."""
        self._counts_label.setText(
            f"{running} running · {failed_last_hour} failed in the last hour"
        )

    def receiver_state_text(self) -> str:
        """The receiver text as shown."""
        return self._receiver_label.text()

    def counts_text(self) -> str:
        """The counts text as shown."""
        return self._counts_label.text()

    def restore_window_state(self) -> None:
        """Restore geometry, dock/toolbar state and the open tab from QSettings."""
        geometry = self._settings.value(_GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self._settings.value(_STATE_KEY)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        tab = self._settings.value(_TAB_KEY)
        if isinstance(tab, str):
            self.show_view(tab)

    def save_window_state(self) -> None:
        """Keep geometry, dock/toolbar state and the open tab in QSettings."""
        self._settings.setValue(_GEOMETRY_KEY, self.saveGeometry())
        self._settings.setValue(_STATE_KEY, self.saveState())
        self._settings.setValue(_TAB_KEY, self._tabs.tabText(self._tabs.currentIndex()))
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the window's state and ask the application to shut down."""
        self.save_window_state()
        log.info("Main window closed; shutting down")
        self.close_requested.emit()
        super().closeEvent(event)
