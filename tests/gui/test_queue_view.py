# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Queue view on a real SQLite file: filter, detail, job actions, live rows."""

from collections.abc import Callable
from typing import Any

import pytest

from app.db.models import Job, JobState
from app.events import DELIVERY_RECEIVED, JOB_CHANGED, EventHub
from app.queue import jobs
from app.ui.models import job_table_model as jtm
from app.ui.queue_view import QueueView

Factory = Callable[..., Any]


def ids_shown(view: QueueView) -> list[int]:
    model = view.model()
    return [
        int(model.data(model.index(row, jtm.COL_ID))) for row in range(model.rowCount())
    ]


def cell(view: QueueView, row: int, column: int) -> Any:
    return view.model().data(view.model().index(row, column))


def apply_filter(qtbot: Any, view: QueueView, text: str) -> None:
    view.set_filter_text(text)
    qtbot.wait_until(lambda: not view.is_busy())


def test_model_passes_qtmodeltester(
    qtmodeltester: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    for number in range(5):
        make_job(resource_id=str(number))
    view = open_view()

    qtmodeltester.check(view.model(), force_py=True)
    assert view.model().rowCount() == 5


def test_jobs_are_listed_newest_first_with_resource_and_attempts(
    make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    first = make_job(resource_type="product", resource_id="77", max_attempts=7)
    second = make_job()

    view = open_view()

    assert ids_shown(view) == [second.id, first.id]
    assert cell(view, 1, jtm.COL_RESOURCE) == "product 77"
    assert cell(view, 1, jtm.COL_ATTEMPTS) == "0 of 7"


def test_filter_narrows_by_scope_payload_text_and_state(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    order = make_job(scope="store/order/created", data={"type": "order", "id": 250})
    product = make_job(
        scope="store/product/updated",
        resource_type="product",
        resource_id="205",
        data={"type": "product", "id": 205, "sku": "RED-MUG"},
    )
    failed = make_job(state=JobState.FAILED, last_error="HTTPError: 502")
    view = open_view()

    apply_filter(qtbot, view, "store/product/updated")
    assert ids_shown(view) == [product.id]

    apply_filter(qtbot, view, "RED-MUG")
    assert ids_shown(view) == [product.id]

    apply_filter(qtbot, view, "bigcommerce-webhook")
    assert ids_shown(view) == [failed.id, product.id, order.id]

    apply_filter(qtbot, view, "")
    view.set_state_filter(JobState.FAILED)
    qtbot.wait_until(lambda: not view.is_busy() and ids_shown(view) == [failed.id])

    view.set_state_filter("")
    apply_filter(qtbot, view, "failed")
    assert ids_shown(view) == [failed.id]


def test_stale_filter_results_are_dropped(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    make_job(scope="store/order/created")
    wanted = make_job(scope="store/product/updated", resource_type="product")
    view = open_view()

    view.set_filter_text("store/order")
    apply_filter(qtbot, view, "store/product")

    assert ids_shown(view) == [wanted.id]


def test_selecting_a_job_shows_payload_and_traceback(
    qtbot: Any,
    make_job: Factory,
    add_attempt: Factory,
    open_view: Callable[[], QueueView],
) -> None:
    job = make_job(
        state=JobState.RETRYING,
        data={"type": "order", "id": 250},
        attempts=1,
        last_error="KeyError: 'status'",
    )
    add_attempt(
        job,
        outcome="failed",
        error_type="KeyError",
        error_message="'status'",
        traceback='Traceback (most recent call last):\n  File "tag.py"\nKeyError',
        log='["order 250 fetched"]',
    )
    view = open_view()

    view.select_rows([0])

    detail = view.detail()
    qtbot.wait_until(lambda: '"id": 250' in detail.payload_text())
    assert '  "scope": "store/order/created"' in detail.payload_text()
    assert 'File "tag.py"' in detail.attempts_text()
    assert "KeyError: 'status'" in detail.attempts_text()
    assert "7 attempts in all, back-off 2 s" in detail.facts()["Retries"]


def test_retry_now_and_cancel_change_the_rows(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    failed = make_job(state=JobState.FAILED, attempts=7)
    waiting = make_job(state=JobState.RETRYING, attempts=2)
    view = open_view()
    # Rows: waiting (newest) is row 0, failed is row 1.

    view.select_rows([1])
    menu = view.context_menu()
    retry = next(a for a in menu.actions() if a.text() == "Retry now")
    retry.trigger()
    qtbot.wait_until(lambda: cell(view, 1, jtm.COL_STATE) == JobState.QUEUED)
    assert Job.get_by_id(failed.id).state == JobState.QUEUED

    view.select_rows([0])
    cancel = next(a for a in view.context_menu().actions() if a.text() == "Cancel")
    cancel.trigger()
    qtbot.wait_until(lambda: cell(view, 0, jtm.COL_STATE) == JobState.CANCELLED)
    assert Job.get_by_id(waiting.id).state == JobState.CANCELLED


def test_context_menu_offers_only_fitting_actions(
    make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    make_job(state=JobState.SUCCEEDED)
    make_job(state=JobState.HELD, hold_reason="loop guard: 11 deliveries")
    make_job(state=JobState.FAILED)
    view = open_view()

    def offered(rows: list[int]) -> list[str]:
        view.select_rows(rows)
        return [a.text() for a in view.context_menu().actions() if a.text()]

    assert offered([2]) == ["Refresh"]
    assert offered([1]) == ["Retry now", "Cancel", "Release", "Refresh"]
    assert offered([0]) == ["Retry now", "Refresh"]  # failed: finished, no Cancel
    assert offered([0, 1, 2]) == ["Retry now", "Cancel", "Release", "Refresh"]
    assert cell(view, 1, jtm.COL_STATE) == "⚠ held (loop guard)"


def test_menu_never_offers_what_the_operation_refuses(
    database: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    # One job per state on show; the operations tried on twins of each.
    for state in reversed(JobState.ALL):
        make_job(state=state, hold_reason="auth failed" if state == "held" else "")
    view = open_view()
    operations = {
        "Retry now": jobs.retry_now,
        "Cancel": jobs.cancel,
        "Release": jobs.release,
    }

    for row, state in enumerate(JobState.ALL):
        view.select_rows([row])
        assert view.selected_jobs()[0].state == state
        offered = {a.text() for a in view.context_menu().actions()}
        for name, operation in operations.items():
            twin = make_job(state=state)
            accepted = operation(database, [twin.id]) == [twin.id]
            if name in offered:
                assert accepted, f"{name} offered for {state} but refused"
            elif name != "Cancel" or state not in JobState.FINISHED:
                assert not accepted, f"{name} accepted for {state} but not offered"
        if state in JobState.FINISHED:
            assert "Cancel" not in offered, f"Cancel offered for a {state} job"


def test_empty_queue_and_empty_filter_say_so(
    qtbot: Any, hub: EventHub, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    view = open_view()

    assert view.empty_label().isVisible() and not view.table().isVisible()
    assert view.empty_label().text() == (
        "No jobs yet. Deliveries from BigCommerce appear here."
    )
    assert view.model().rowCount() == 0  # a hint, not a fake row

    job = make_job()
    hub.publish(DELIVERY_RECEIVED, delivery_id=1, job_ids=[job.id], duplicate=False)
    qtbot.wait_until(lambda: view.table().isVisible())
    assert not view.empty_label().isVisible()

    apply_filter(qtbot, view, "store/product/deleted")
    assert view.empty_label().isVisible()
    assert view.empty_label().text() == "No job matches this filter."
    apply_filter(qtbot, view, "")
    assert view.table().isVisible() and ids_shown(view) == [job.id]


def test_release_queues_a_held_job(
    qtbot: Any, make_job: Factory, open_view: Callable[[], QueueView]
) -> None:
    held = make_job(state=JobState.HELD, hold_reason="loop guard: 11 deliveries")
    view = open_view()

    view.select_rows([0])
    release = next(a for a in view.context_menu().actions() if a.text() == "Release")
    release.trigger()

    qtbot.wait_until(lambda: cell(view, 0, jtm.COL_STATE) == JobState.QUEUED)
    assert Job.get_by_id(held.id).hold_reason == ""


def test_live_insert_and_state_change_keep_selection(
    qtbot: Any,
    database: Any,
    hub: EventHub,
    make_job: Factory,
    open_view: Callable[[], QueueView],
) -> None:
    selected = make_job()
    view = open_view()
    view.select_rows([0])

    newer = make_job(scope="store/product/updated", resource_type="product")
    hub.publish(DELIVERY_RECEIVED, delivery_id=2, job_ids=[newer.id], duplicate=False)
    qtbot.wait_until(lambda: ids_shown(view) == [newer.id, selected.id])

    assert [job.id for job in view.selected_jobs()] == [selected.id]
    jobs.cancel(database, [selected.id])
    hub.publish(JOB_CHANGED, job_id=selected.id, state=JobState.CANCELLED)
    qtbot.wait_until(lambda: cell(view, 1, jtm.COL_STATE) == JobState.CANCELLED)
    assert [job.id for job in view.selected_jobs()] == [selected.id]


def test_br25_dst_fall_back_times_are_distinct_and_ordered(
    qtbot: Any,
    timezone: Callable[[str], None],
    make_job: Factory,
    open_view: Callable[[], QueueView],
) -> None:
    timezone("America/New_York")
    early = make_job(received_at=1730611800, created_at=1730611800)
    late = make_job(received_at=1730615400, created_at=1730615400)
    view = open_view()

    assert ids_shown(view) == [late.id, early.id]
    assert cell(view, 0, jtm.COL_RECEIVED) == "2024-11-03 01:30:00 -0500"
    assert cell(view, 1, jtm.COL_RECEIVED) == "2024-11-03 01:30:00 -0400"
    assert cell(view, 1, jtm.COL_BC_CREATED) == "2024-11-03T05:30:00Z"
    headers = [
        view.model().headerData(column, jtm.Qt.Orientation.Horizontal)
        for column in (jtm.COL_RECEIVED, jtm.COL_BC_CREATED)
    ]
    assert headers == ["Received at (local)", "BigCommerce created_at (UTC)"]


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("America/New_York", "2024-03-10 03:00:00 -0400"),
        ("UTC", "2024-03-10 07:00:00 +0000"),
    ],
)
def test_br25_spring_forward_time_in_new_york_and_utc(
    qtbot: Any,
    timezone: Callable[[str], None],
    make_job: Factory,
    open_view: Callable[[], QueueView],
    zone: str,
    shown: str,
) -> None:
    timezone(zone)
    job = make_job(received_at=1710054000, created_at=1710054000)
    view = open_view()

    assert cell(view, 0, jtm.COL_RECEIVED) == shown
    view.select_rows([0])
    qtbot.wait_until(lambda: view.detail().facts()["Received at (local)"] == shown)
    assert (
        view.detail().facts()["BigCommerce created_at (UTC)"] == "2024-03-10T07:00:00Z"
    )
    assert Job.get_by_id(job.id).created_at == 1710054000
