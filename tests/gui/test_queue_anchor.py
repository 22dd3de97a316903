# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Queue keeps what the user looks at in place while jobs arrive and leave."""

from collections.abc import Callable
from typing import Any

import pytest

from PySide6.QtCore import QPoint

from app.db.models import Job, JobState
from app.events import DELIVERY_RECEIVED, EventHub
from app.ui.models import job_table_model as jtm
from app.ui.queue_view import QueueView

Factory = Callable[..., Any]


def top_job(view: QueueView) -> int:
    """The id of the job in the first visible row."""
    job = view.model().job_at(view.table().rowAt(0))
    assert job is not None
    return job.id


def arrive(
    qtbot: Any, hub: EventHub, view: QueueView, make_job: Factory, n: int
) -> None:
    before = view.model().rowCount()
    new = [make_job(resource_id=str(500 + i)) for i in range(n)]
    hub.publish(
        DELIVERY_RECEIVED, delivery_id=0, job_ids=[j.id for j in new], duplicate=False
    )
    qtbot.wait_until(lambda: view.model().rowCount() == before + n)


@pytest.mark.parametrize("where", ["middle", "bottom"])
def test_scrolled_down_the_rows_on_screen_stay_put_as_jobs_arrive(
    qtbot: Any,
    hub: EventHub,
    make_job: Factory,
    open_view: Callable[[], QueueView],
    where: str,
) -> None:
    for number in range(120):
        make_job(resource_id=str(number))
    view = open_view()
    table = view.table()
    scrollbar = table.verticalScrollBar()
    scrollbar.setValue(40 if where == "middle" else scrollbar.maximum())
    looked_at = top_job(view)

    arrive(qtbot, hub, view, make_job, 5)

    assert top_job(view) == looked_at
    assert view.model().job_at(table.rowAt(0)).id == looked_at


def test_selected_job_stays_under_the_pointer_at_the_top(
    qtbot: Any, hub: EventHub, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    for number in range(30):
        make_job(resource_id=str(number))
    view = open_view()
    table = view.table()
    view.select_rows([3])
    (selected,) = view.selected_jobs()
    spot = table.visualRect(view.model().index(3, jtm.COL_ACTION)).center()
    qtbot.mouseMove(table.viewport(), spot)

    arrive(qtbot, hub, view, make_job, 4)

    assert [job.id for job in view.selected_jobs()] == [selected.id]
    under_pointer = view.model().job_at(table.rowAt(spot.y()))
    assert under_pointer is not None and under_pointer.id == selected.id


def test_hovering_the_rows_keeps_them_still(
    qtbot: Any, hub: EventHub, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    for number in range(30):
        make_job(resource_id=str(number))
    view = open_view()
    table = view.table()
    spot = table.visualRect(view.model().index(5, jtm.COL_SCOPE)).center()
    qtbot.mouseMove(table.viewport(), spot)
    hovered = view.model().job_at(5)
    assert hovered is not None and not view.selected_jobs()

    arrive(qtbot, hub, view, make_job, 2)

    under_pointer = view.model().job_at(table.rowAt(spot.y()))
    assert under_pointer is not None and under_pointer.id == hovered.id
    assert view.model().rowCount() == 32


def test_at_the_top_and_idle_new_jobs_show_on_top(
    qtbot: Any, hub: EventHub, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    for number in range(30):
        make_job(resource_id=str(number))
    view = open_view()
    # The pointer rests outside the rows, nothing is selected.
    qtbot.mouseMove(view, QPoint(5, 5))

    arrive(qtbot, hub, view, make_job, 3)

    newest = max(view.model().loaded_ids())
    assert top_job(view) == newest
    assert view.table().verticalScrollBar().value() == 0


def test_a_row_moved_out_of_the_state_filter_goes_and_the_view_stays(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    failed = [make_job(state=JobState.FAILED, attempts=7) for _ in range(80)]
    make_job(state=JobState.SUCCEEDED)
    view = open_view()
    view.set_state_filter(JobState.FAILED)
    qtbot.wait_until(lambda: not view.is_busy() and view.model().rowCount() == 80)
    view.table().verticalScrollBar().setValue(30)
    looked_at = top_job(view)
    view.select_rows([35])
    (retried,) = view.selected_jobs()

    retry = next(a for a in view.context_menu().actions() if a.text() == "Retry now")
    retry.trigger()
    qtbot.wait_until(lambda: view.model().rowCount() == 79)

    assert Job.get_by_id(retried.id).state == JobState.QUEUED
    shown = [view.model().job_at(row) for row in range(79)]
    assert retried.id not in {job.id for job in shown if job}
    assert {job.state for job in shown if job} == {JobState.FAILED}
    assert top_job(view) == looked_at
    assert view.selected_jobs() == []
    assert view.model().rowCount() == len(failed) - 1


def test_the_last_row_moved_out_of_the_filter_leaves_the_hint(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    make_job(state=JobState.HELD, hold_reason="loop guard: 11 deliveries")
    make_job(state=JobState.QUEUED)
    view = open_view()
    view.set_state_filter(JobState.HELD)
    qtbot.wait_until(lambda: not view.is_busy() and view.model().rowCount() == 1)
    view.select_rows([0])

    release = next(a for a in view.context_menu().actions() if a.text() == "Release")
    release.trigger()
    qtbot.wait_until(lambda: view.model().rowCount() == 0)

    assert view.empty_label().isVisible()
    assert view.empty_label().text() == "No job matches this filter."
