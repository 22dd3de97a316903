# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The main window: its views in order, its status bar, its remembered state."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel, QTabWidget

from app import config
from app.application import Application
from app.db.models import JobState
from app.ui.main_window import MainWindow
from app.ui.wiring import StatusUpdater
from tests.end_to_end.harness import free_port
from tests.gui.conftest import JobFactory


def settings_in(tmp_path: Path) -> QSettings:
    """Window state in a file of the test's own."""
    return QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)


def open_window(qtbot: Any, settings: QSettings) -> MainWindow:
    views = [(title, QLabel(title)) for title in ("Installs", "Queue", "Actions")]
    window = MainWindow(views, settings=settings)
    qtbot.addWidget(window)
    window.restore_window_state()
    window.show()
    qtbot.waitExposed(window)
    return window


def current_title(window: MainWindow) -> str:
    tabs = window.centralWidget()
    assert isinstance(tabs, QTabWidget)
    return tabs.tabText(tabs.currentIndex())


@pytest.fixture(autouse=True)
def user_settings(tmp_path: Path) -> Iterator[None]:
    """QSettings() writes under tmp_path, never in the user's own config."""
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path)
    )
    yield
    default = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, default)


@pytest.fixture
def application(
    tmp_path: Path, data_dir: Path, database: Any, memory_keyring: Any
) -> Iterator[Application]:
    """An Application over the test's data folder, its receiver on a free port."""
    settings = config.Settings(
        data_dir=data_dir,
        actions_dir=tmp_path / "actions",
        listen_port=free_port(),
    )
    built = Application(settings)
    yield built
    built.receiver.stop()
    built.database.close()


def test_a_new_window_opens_at_1280_by_800_on_the_first_view(
    qtbot: Any, tmp_path: Path
) -> None:
    window = open_window(qtbot, settings_in(tmp_path))

    assert (window.width(), window.height()) == (1280, 800)
    assert current_title(window) == "Installs"


def test_size_and_open_view_are_restored_on_the_next_launch(
    qtbot: Any, tmp_path: Path
) -> None:
    window = open_window(qtbot, settings_in(tmp_path))
    window.resize(700, 500)
    window.show_view("Actions")
    with qtbot.waitSignal(window.close_requested):
        window.close()

    reopened = open_window(qtbot, settings_in(tmp_path))

    assert (reopened.width(), reopened.height()) == (700, 500)
    assert current_title(reopened) == "Actions"


def test_a_view_that_no_longer_exists_leaves_the_first_one_open(
    qtbot: Any, tmp_path: Path
) -> None:
    settings = settings_in(tmp_path)
    settings.setValue("main_window/tab", "Reports")

    window = open_window(qtbot, settings)

    assert current_title(window) == "Installs"


def test_status_bar_shows_the_receiver_and_job_counts(
    qtbot: Any, application: Application, make_job: JobFactory
) -> None:
    make_job(state=JobState.RUNNING)
    make_job(state=JobState.RUNNING)
    make_job(state=JobState.FAILED)
    make_job(state=JobState.SUCCEEDED)
    window = MainWindow()
    qtbot.addWidget(window)
    StatusUpdater(application, window, refresh_ms=20)

    qtbot.waitUntil(lambda: window.counts_text() != "")
    assert window.receiver_state_text() == "Receiver: starting…"
    assert window.counts_text() == "2 running · 1 failed in the last hour"

    application.receiver.start()
    port = application.receiver.bound_port
    qtbot.waitUntil(lambda: "listening" in window.receiver_state_text())
    assert window.receiver_state_text() == (
        f"Receiver: listening on 127.0.0.1:{port}, hooks point to "
        f"http://127.0.0.1:{port}{config.RECEIVER_PATH}"
    )
