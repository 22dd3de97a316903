# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Queue view: every job newest first, a filter, the detail pane, job actions.

Database reads that can take long (a filter over a million jobs, a payload)
and every write run on a TaskRunner; each request carries a generation
number so that a result overtaken by a newer request is dropped.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QPoint, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.db.models import JobState
from app.events import EventHub
from app.queue import browse, jobs, policy
from app.queue.browse import JobRow
from app.ui.empty_state import EmptyStateStack
from app.ui.event_bridge import EventBridge
from app.ui.job_detail import JobDetailPane
from app.ui.models import job_table_model as jtm
from app.ui.models.job_table_model import JobTableModel
from app.ui.queue_place import (
    EMPTY_QUEUE_TEXT,
    ViewPlace,
    capture,
    empty_text,
    rows_kept_in_place,
)
from app.ui.queue_place import restore as restore_place
from app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

ICON_DIR = Path(__file__).resolve().parents[2] / "resources" / "icons"
FILTER_DELAY_MS = 200
# Which operations the menu offers for which states: exactly the states
# app.queue.jobs accepts (retry_now, release), so that nothing offered is
# refused; Cancel leaves out finished jobs (failed ones stay failed).
RETRY_STATES = frozenset(JobState.ALL) - {JobState.RUNNING, JobState.SUCCEEDED}
CANCEL_STATES = frozenset({JobState.QUEUED, JobState.RETRYING, JobState.HELD})
RELEASE_STATES = frozenset({JobState.HELD})
# Everything up to BigCommerce's created_at fits a 1280-pixel window; the next
# attempt and the last error are a scroll away.
_COLUMN_WIDTHS = {
    jtm.COL_ID: 50,
    jtm.COL_STATE: 100,
    jtm.COL_ACTION: 170,
    jtm.COL_SCOPE: 190,
    jtm.COL_STORE: 95,
    jtm.COL_RESOURCE: 95,
    jtm.COL_ATTEMPTS: 70,
    jtm.COL_RECEIVED: 185,
    jtm.COL_BC_CREATED: 210,
    jtm.COL_NEXT_ATTEMPT: 185,
}

Operation = Callable[..., list[int]]


def load_icon(name: str) -> QIcon:
    """One of Storehook's SVG icons, or an empty icon when it is missing."""
    path = ICON_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


class QueueView(QWidget):
    """The Queue: a filterable, live table of jobs with their detail below."""

    def __init__(
        self,
        database: Any,
        parent: QWidget | None = None,
        *,
        events: EventHub | None = None,
        bridge: EventBridge | None = None,
        runner: TaskRunner | None = None,
        retry_policy: policy.RetryPolicy | None = None,
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._events = events
        self._runner = runner or TaskRunner(self)
        self._filter_generation = 0
        self._detail_generation = 0
        self._filter_busy = False
        # Where to put the user back once a reload (after an operation) lands.
        self._place_to_restore: ViewPlace | None = None

        self._model = JobTableModel(database, self)
        self._init_filter_bar()
        self._init_table()
        self._init_actions()
        self._detail = JobDetailPane(retry_policy=retry_policy)
        self._init_layout()
        if bridge is not None:
            bridge.jobs_added.connect(self._on_bridge_jobs_added)
            bridge.jobs_changed.connect(self._on_bridge_jobs_changed)
        self._detail.clear()
        self.refresh()

    # Construction ---------------------------------------------------------

    def _init_filter_bar(self) -> None:
        self._filter_edit = QLineEdit()
        self._filter_edit.setClearButtonEnabled(True)
        self._filter_edit.setPlaceholderText(
            "Filter: queue, scope, action, store, state, resource id or payload text"
        )
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._on_filter_timer_timeout)
        self._filter_edit.textChanged.connect(self._on_filter_edit_text_changed)

        self._state_combo = QComboBox()
        self._state_combo.addItem("All states", "")
        for state in JobState.ALL:
            self._state_combo.addItem(state.capitalize(), state)
        self._state_combo.currentIndexChanged.connect(self._on_state_combo_changed)

        self._count_label = QLabel()
        self._loop_guard_label = QLabel()
        self._loop_guard_label.setWordWrap(True)
        self._loop_guard_label.setVisible(False)

    def _init_table(self) -> None:
        table = QTableView()
        table.setModel(self._model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._on_table_context_menu)
        # A million rows: never measure them, every row has one height.
        vertical = table.verticalHeader()
        vertical.setVisible(False)
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 8)
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in _COLUMN_WIDTHS.items():
            header.resizeSection(column, width)
        table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._table = table

        self._table_stack = EmptyStateStack(table, "queue_empty")
        self._table_stack.hint_label.setText(EMPTY_QUEUE_TEXT)

    def _init_actions(self) -> None:
        self._retry_action = self._make_action(
            "Retry now", "retry", self._on_retry_action_triggered
        )
        self._cancel_action = self._make_action(
            "Cancel", "cancel", self._on_cancel_action_triggered
        )
        self._release_action = self._make_action(
            "Release", "release", self._on_release_action_triggered
        )
        self._refresh_action = self._make_action(
            "Refresh", "refresh", self._on_refresh_action_triggered
        )
        self._refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.addAction(self._refresh_action)

        self._menu_button = QToolButton()
        self._menu_button.setText("⋮")
        self._menu_button.setIcon(load_icon("more-vertical"))
        self._menu_button.setToolTip("Job actions")
        self._menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button_menu = QMenu(self._menu_button)
        button_menu.aboutToShow.connect(self._on_button_menu_about_to_show)
        self._menu_button.setMenu(button_menu)

    def _make_action(self, text: str, icon: str, slot: Callable[[], None]) -> QAction:
        action = QAction(load_icon(icon), text, self)
        action.triggered.connect(slot)
        return action

    def _init_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self._filter_edit, 1)
        bar.addWidget(self._state_combo)
        bar.addWidget(self._count_label)
        bar.addWidget(self._menu_button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table_stack)
        splitter.addWidget(self._detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self._splitter = splitter

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self._loop_guard_label)
        layout.addWidget(splitter, 1)

    # Public API -----------------------------------------------------------

    def model(self) -> JobTableModel:
        """The table model behind the view."""
        return self._model

    def table(self) -> QTableView:
        """The jobs table."""
        return self._table

    def empty_label(self) -> QLabel:
        """The hint shown instead of the table when no job is shown."""
        return self._table_stack.hint_label

    def detail(self) -> JobDetailPane:
        """The detail pane of the selected job."""
        return self._detail

    def splitter(self) -> QSplitter:
        """The splitter between table and detail (its state is worth saving)."""
        return self._splitter

    def is_busy(self) -> bool:
        """True while a filter is being applied."""
        return self._filter_busy

    def set_filter_text(self, text: str) -> None:
        """Filter at once by text, as if typed and paused."""
        self._filter_edit.blockSignals(True)
        self._filter_edit.setText(text)
        self._filter_edit.blockSignals(False)
        self.refresh()

    def set_state_filter(self, state: str) -> None:
        """Show only jobs in state ("" for every state)."""
        self._state_combo.setCurrentIndex(max(self._state_combo.findData(state), 0))

    def select_rows(self, rows: Iterable[int]) -> None:
        """Select the given rows (the detail shows the current one)."""
        selection = QItemSelection()
        last = self._model.columnCount() - 1
        for row in rows:
            selection.select(self._model.index(row, 0), self._model.index(row, last))
        flags = self._table.selectionModel().SelectionFlag
        self._table.selectionModel().select(selection, flags.ClearAndSelect)

    def selected_jobs(self) -> list[JobRow]:
        """The jobs of the selected rows, top to bottom."""
        rows = sorted(i.row() for i in self._table.selectionModel().selectedRows())
        found = (self._model.job_at(row) for row in rows)
        return [job for job in found if job is not None]

    def context_menu(self) -> QMenu:
        """A menu of the actions that fit the selected jobs."""
        menu = QMenu(self)
        self._fill_menu(menu)
        return menu

    def refresh(self) -> None:
        """Read the jobs again for the current filter, off the GUI thread."""
        self._filter_timer.stop()
        job_filter = browse.parse_filter(
            self._filter_edit.text(), self._state_combo.currentData() or ""
        )
        self._filter_generation += 1
        generation = self._filter_generation
        self._set_filter_busy(True)
        task = functools.partial(browse.open_snapshot, self._database, job_filter)
        done = functools.partial(self._on_snapshot_done, generation)
        self._runner.run(task, done)

    def shutdown(self) -> None:
        """Wait for background reads and writes before the database closes."""
        self._filter_generation += 1
        self._detail_generation += 1
        self._runner.wait_for_done()

    # Filtering ------------------------------------------------------------

    def _on_snapshot_done(
        self, generation: int, result: Any, error: BaseException | None
    ) -> None:
        if generation != self._filter_generation:
            return
        self._set_filter_busy(False)
        if error is not None:
            log.error("Could not read the queue: %s", error)
            self._count_label.setText("Could not read the queue")
            return
        place, self._place_to_restore = self._place_to_restore, None
        self._model.apply_snapshot(result)
        self._update_count()
        self._detail.clear()
        if place is not None:
            # The reset forgot the scroll position and selection: set both
            # again on the rows those jobs have now.
            self._table.updateGeometries()
            restore_place(self._table, self._model, place)
        self._refresh_loop_guard_holds()

    def _refresh_loop_guard_holds(self) -> None:
        task = functools.partial(browse.loop_guard_holds, self._database)
        self._runner.run(task, self._on_loop_guard_holds_read)

    def _on_loop_guard_holds_read(
        self, result: Any, error: BaseException | None
    ) -> None:
        if error is None:
            self._show_loop_guard_holds(result)

    def _set_filter_busy(self, busy: bool) -> None:
        self._filter_busy = busy
        if busy:
            self._count_label.setText("Filtering…")

    def _update_count(self) -> None:
        count = self._model.rowCount()
        self._count_label.setText(f"{count:,} job{'s' if count != 1 else ''}")
        hint = empty_text(self._model.job_filter())
        self._table_stack.show_content(count > 0, hint)

    def _show_loop_guard_holds(self, holds: list[browse.LoopGuardHold]) -> None:
        lines = [
            f"⚠ Loop guard holds {hold.count} job(s) of {hold.action} for "
            f"{hold.resource or 'a resource'} ({hold.scope}, store {hold.store_hash})"
            for hold in holds
        ]
        if lines:
            lines.append("Select them (state: held) to release or cancel them.")
        self._loop_guard_label.setText("\n".join(lines))
        self._loop_guard_label.setVisible(bool(holds))

    @Slot(str)
    def _on_filter_edit_text_changed(self, text: str) -> None:
        self._filter_timer.start()

    @Slot()
    def _on_filter_timer_timeout(self) -> None:
        self.refresh()

    @Slot(int)
    def _on_state_combo_changed(self, index: int) -> None:
        self.refresh()

    @Slot()
    def _on_refresh_action_triggered(self) -> None:
        self.refresh()

    # Detail ---------------------------------------------------------------

    @Slot(QItemSelection, QItemSelection)
    def _on_selection_changed(
        self, selected: QItemSelection, deselected: QItemSelection
    ) -> None:
        self._load_detail()

    def _load_detail(self) -> None:
        chosen = self.selected_jobs()
        self._detail_generation += 1
        if len(chosen) != 1:
            self._detail.clear()
            if chosen:
                self._detail.show_message(f"{len(chosen)} jobs selected.")
            return
        generation = self._detail_generation
        task = functools.partial(browse.job_detail, self._database, chosen[0].id)
        self._runner.run(task, functools.partial(self._on_detail_done, generation))

    def _on_detail_done(
        self, generation: int, result: Any, error: BaseException | None
    ) -> None:
        if generation != self._detail_generation:
            return
        if error is not None:
            log.error("Could not read the job's detail: %s", error)
            self._detail.show_message(f"Could not read this job: {error}")
            return
        self._detail.show_detail(result)

    # Job operations -------------------------------------------------------

    def _fill_menu(self, menu: QMenu) -> None:
        states = {job.state for job in self.selected_jobs()}
        offered = (
            (self._retry_action, RETRY_STATES),
            (self._cancel_action, CANCEL_STATES),
            (self._release_action, RELEASE_STATES),
        )
        for action, fitting in offered:
            if states & fitting:
                menu.addAction(action)
        if menu.actions():
            menu.addSeparator()
        menu.addAction(self._refresh_action)

    @Slot()
    def _on_button_menu_about_to_show(self) -> None:
        menu = self._menu_button.menu()
        menu.clear()
        self._fill_menu(menu)

    @Slot(QPoint)
    def _on_table_context_menu(self, position: QPoint) -> None:
        menu = self.context_menu()
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(self._table.viewport().mapToGlobal(position))

    @Slot()
    def _on_retry_action_triggered(self) -> None:
        self._run_operation("Retry now", jobs.retry_now, RETRY_STATES)

    @Slot()
    def _on_cancel_action_triggered(self) -> None:
        self._run_operation("Cancel", jobs.cancel, CANCEL_STATES)

    @Slot()
    def _on_release_action_triggered(self) -> None:
        self._run_operation("Release", jobs.release, RELEASE_STATES)

    def _run_operation(
        self, name: str, operation: Operation, fitting: frozenset[str]
    ) -> None:
        ids = [job.id for job in self.selected_jobs() if job.state in fitting]
        if not ids:
            return
        log.info("%s on job(s) %s", name, ids)
        self._set_operations_enabled(False)
        task = functools.partial(operation, self._database, ids, events=self._events)
        self._runner.run(task, functools.partial(self._on_operation_done, name, ids))

    def _on_operation_done(
        self, name: str, ids: list[int], result: Any, error: BaseException | None
    ) -> None:
        self._set_operations_enabled(True)
        if error is not None:
            log.error("%s failed for job(s) %s: %s", name, ids, error)
            self._count_label.setText(f"{name} failed: {error}")
        self._refresh_jobs(ids, after_operation=True)

    def _set_operations_enabled(self, enabled: bool) -> None:
        for action in (self._retry_action, self._cancel_action, self._release_action):
            action.setEnabled(enabled)

    # Live updates ---------------------------------------------------------

    def _refresh_jobs(
        self, ids: Iterable[int], *, after_operation: bool = False
    ) -> None:
        wanted = set(ids) & self._model.loaded_ids()
        if not wanted:
            return
        task = functools.partial(browse.fetch_rows, self._database, wanted)
        done = functools.partial(
            self._on_rows_read, self._filter_generation, after_operation
        )
        self._runner.run(task, done)

    def _on_rows_read(
        self,
        generation: int,
        after_operation: bool,
        result: Any,
        error: BaseException | None,
    ) -> None:
        if generation != self._filter_generation or error is not None:
            return
        wanted = self._model.job_filter().state
        leaving = {i for i, job in result.items() if wanted and job.state != wanted}
        if after_operation and leaving:
            # The user moved these jobs out of the state on show: they go,
            # instead of lingering in a state the filter does not match.
            self._reload_without(leaving)
            return
        self._model.update_jobs(result)
        selected = self.selected_jobs()
        if len(selected) == 1 and selected[0].id in result:
            self._load_detail()

    @Slot(list)
    def _on_bridge_jobs_added(self, job_ids: list[int]) -> None:
        if self._filter_busy:
            return
        task = functools.partial(
            browse.fetch_page,
            self._database,
            self._model.job_filter(),
            above_id=self._model.newest_known_id(),
            limit=5000,
        )
        done = functools.partial(self._on_newer_read, self._filter_generation)
        self._runner.run(task, done)

    def _on_newer_read(
        self, generation: int, result: Any, error: BaseException | None
    ) -> None:
        if generation != self._filter_generation or error is not None:
            return
        with rows_kept_in_place(self._table):
            self._model.insert_newer(result)
        self._update_count()

    def _reload_without(self, leaving: set[int]) -> None:
        """Read the table again once jobs left the filter, keeping the user's place."""
        self._place_to_restore = capture(self._table, self._model, leaving)
        self.refresh()

    @Slot(list)
    def _on_bridge_jobs_changed(self, job_ids: list[int]) -> None:
        self._refresh_jobs(job_ids)
        self._refresh_loop_guard_holds()
