# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Puts the console's views together over one running Application."""

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Slot

from app import timeutil
from app.db.models import Job, JobState
from app.ui.actions_view import ActionsView
from app.ui.event_bridge import EventBridge
from app.ui.installs_view import InstallsView
from app.ui.main_window import MainWindow
from app.ui.queue_view import QueueView
from app.ui.receiver_view import ReceiverView
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.application import Application

log = logging.getLogger(__name__)

STATUS_REFRESH_MS = 2000


def job_counts(database: Any) -> tuple[int, int]:
    """Jobs running now, and jobs that failed in the last hour."""
    with database.connection_context():
        running = Job.select().where(Job.state == JobState.RUNNING).count()
        failed = (
            Job.select()
            .where(
                (Job.state == JobState.FAILED)
                & (Job.updated_at >= timeutil.now() - 3600)
            )
            .count()
        )
    return running, failed


class StatusUpdater(QObject):
    """Keeps the status bar's receiver state and job counts current."""

    def __init__(
        self,
        application: "Application",
        window: MainWindow,
        refresh_ms: int = STATUS_REFRESH_MS,
    ) -> None:
        super().__init__(window)
        self._application = application
        self._window = window
        self._runner = TaskRunner(self, max_threads=1)
        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        window.set_receiver_state("starting…")
        # The counts show at once, not one interval after the window opens.
        QTimer.singleShot(0, self, self._on_timer_timeout)

    @Slot()
    def _on_timer_timeout(self) -> None:
        receiver = self._application.receiver
        if receiver.is_running:
            self._window.set_receiver_state(
                f"listening on {self._application.settings.listen_host}:"
                f"{receiver.bound_port}, hooks point to "
                f"{self._application.destination_url()}"
            )
        if not self._runner.is_busy():
            database = self._application.database
            self._runner.run(lambda: job_counts(database), self._on_counts)

    def _on_counts(self, result: Any, error: BaseException | None) -> None:
        if error is not None:
            log.warning("Cannot count jobs for the status bar: %s", error)
            return
        running, failed = result
        self._window.set_counts(running, failed)


class ConsoleViews:
    """Builds Installs, Queue, Actions and Receiver and connects them."""

    def __init__(self, application: "Application") -> None:
        self._application = application

    def __call__(
        self, window: MainWindow, bridge: EventBridge, queue: QueueView
    ) -> None:
        application = self._application
        installs = InstallsView(application.stores, application.sync)
        actions = ActionsView(application.registry, on_saved=self._sync_after_save)
        receiver = ReceiverView(
            application.stats,
            application.stores,
            listen_address=(
                f"{application.settings.listen_host}:{application.settings.listen_port}"
            ),
            public_url=application.settings.public_url,
            on_public_url_changed=self._on_public_url_changed,
            after_rotation=application.sync.sync_store,
        )

        window.add_view("Installs", installs)
        window.add_view("Queue", queue)
        window.add_view("Actions", actions)
        window.add_view("Receiver", receiver)

        bridge.stores_changed.connect(installs.refresh)
        bridge.stores_changed.connect(receiver.refresh_stores)
        bridge.actions_changed.connect(actions.refresh)
        StatusUpdater(application, window)

    async def _sync_after_save(self) -> str:
        outcomes = await self._application.sync.sync_all()
        problems = [o for o in outcomes if o.message]
        if not problems:
            return f"Webhooks synced for {len(outcomes)} store(s)."
        return "; ".join(f"{o.store_hash}: {o.message}" for o in problems)

    def _on_public_url_changed(self, url: str) -> None:
        self._application.set_public_url(url)
        log.info("Public URL changed to %s; re-registering hooks", url)
        self._application.schedule_sync()
