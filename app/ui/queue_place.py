# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping the Queue's rows in place for the user while jobs arrive and leave.

Rows are jobs newest first, so job ids fall strictly down the table: a job's
row can be found again by bisection after the table was re-read, reading only
the few blocks on the way.
"""

import contextlib
import dataclasses
import logging
from collections.abc import Iterator

from PySide6.QtCore import QItemSelection, QItemSelectionModel
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QTableView

from app.queue.browse import JobFilter
from app.ui.models.job_table_model import JobTableModel

log = logging.getLogger(__name__)

EMPTY_QUEUE_TEXT = "No jobs yet. Deliveries from BigCommerce appear here."
NO_MATCH_TEXT = "No job matches this filter."


def empty_text(job_filter: JobFilter) -> str:
    """What the Queue says instead of an empty table."""
    return NO_MATCH_TEXT if job_filter.text or job_filter.state else EMPTY_QUEUE_TEXT


def user_is_looking(table: QTableView) -> bool:
    """True while the pointer is over the rows or a row is selected."""
    viewport = table.viewport()
    # underMouse alone can miss a leave; the pointer must be on the rows.
    hovered = viewport.underMouse() and viewport.rect().contains(
        viewport.mapFromGlobal(QCursor.pos())
    )
    return hovered or table.selectionModel().hasSelection()


@contextlib.contextmanager
def rows_kept_in_place(table: QTableView) -> Iterator[None]:
    """Keep the rows on screen where they are while rows are inserted on top.

    Idle at the very top, the view stays there and the new rows show; once
    scrolled down, hovering the rows or with a selection, what the user looks
    at does not move.
    """
    scrollbar = table.verticalScrollBar()
    position = scrollbar.value()
    anchored = position > 0 or user_is_looking(table)
    rows_before = table.model().rowCount()
    yield
    added = table.model().rowCount() - rows_before
    if added > 0 and anchored:
        # The range follows the new rows only on the next layout: make room
        # now, or a view scrolled to the bottom is clamped and jumps.
        scrollbar.setMaximum(scrollbar.maximum() + added)
        scrollbar.setValue(position + added)


def find_row(model: JobTableModel, job_id: int, hint: int = 0) -> int | None:
    """The row showing job_id, or None when the table does not hold it."""
    count = model.rowCount()
    if count == 0:
        return None
    # The row it had, less the rows removed above it, is usually exact.
    guess = min(max(hint, 0), count - 1)
    job = model.job_at(guess)
    if job is not None and job.id == job_id:
        return guess
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        found = model.job_at(middle)
        if found is None:
            return None
        if found.id == job_id:
            return middle
        if found.id > job_id:
            low = middle + 1
        else:
            high = middle
    return None


def first_row_at_or_below(model: JobTableModel, job_id: int) -> int | None:
    """The row of job_id, or of the next older job shown when it is gone."""
    low, high = 0, model.rowCount()
    while low < high:
        middle = (low + high) // 2
        found = model.job_at(middle)
        if found is None:
            return None
        if found.id > job_id:
            low = middle + 1
        else:
            high = middle
    return low if low < model.rowCount() else None


@dataclasses.dataclass(frozen=True)
class ViewPlace:
    """What the user looks at: the top visible job and the selected jobs.

    rows_of holds the row each of those jobs had, as a hint for finding it.
    """

    top_id: int | None
    selected_ids: tuple[int, ...]
    rows_of: dict[int, int]


def capture(table: QTableView, model: JobTableModel, leaving: set[int]) -> ViewPlace:
    """Note the view's place; jobs in leaving are about to drop out of the table."""
    top_row = table.rowAt(0)
    top = model.job_at(top_row) if top_row >= 0 else None
    rows = sorted(index.row() for index in table.selectionModel().selectedRows())
    selected = [(row, model.job_at(row)) for row in rows]
    kept = [(row, job) for row, job in selected if job and job.id not in leaving]
    removed_above = sorted(
        row for row in (model.row_of(job_id) for job_id in leaving) if row is not None
    )

    def hint(row: int) -> int:
        return row - sum(1 for removed in removed_above if removed < row)

    rows_of = {job.id: hint(row) for row, job in kept if job}
    if top is not None:
        rows_of[top.id] = hint(top_row)
    return ViewPlace(top.id if top else None, tuple(j.id for _, j in kept), rows_of)


def restore(table: QTableView, model: JobTableModel, place: ViewPlace) -> None:
    """Scroll and select as before, on the rows those jobs have now."""
    if place.top_id is not None:
        row = find_row(model, place.top_id, place.rows_of.get(place.top_id, 0))
        if row is None:
            row = first_row_at_or_below(model, place.top_id)
        if row is not None:
            table.verticalScrollBar().setValue(row)
    selection = QItemSelection()
    last = model.columnCount() - 1
    for job_id in place.selected_ids:
        row = find_row(model, job_id, place.rows_of.get(job_id, 0))
        if row is not None:
            selection.select(model.index(row, 0), model.index(row, last))
    flags = QItemSelectionModel.SelectionFlag
    table.selectionModel().select(selection, flags.ClearAndSelect)
