# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Receiver view: live counts, rejections, the public URL and secret rotation."""

from typing import Any

import pytest

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel

from app import timeutil
from app.db.models import Store
from app.events import EventHub
from app.receiver.stats import NOT_JSON, WRONG_SECRET, ReceiverStats
from app.stores.secrets import SecretStore
from app.stores.service import StoreService
from app.ui.models.rejection_table_model import (
    COL_REASON,
    COL_STATUS,
    RejectionTableModel,
)
from app.ui.receiver_view import ReceiverView


@pytest.fixture
def stores(database: Any, memory_keyring: Any) -> StoreService:
    Store.create(
        store_hash="t3stab9x1q",
        name="Test Outfitters",
        api_url="https://api.bigcommerce.com",
        connected_at=timeutil.now(),
    )
    return StoreService(database, SecretStore(), events=EventHub())


def make_view(
    qtbot: Any, stats: ReceiverStats, stores: StoreService, **kw: Any
) -> ReceiverView:
    view = ReceiverView(
        stats, stores, listen_address="127.0.0.1:8787", refresh_ms=20, **kw
    )
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.store_combo.count() == 1)
    return view


def test_rejection_table_model(qtmodeltester: Any) -> None:
    stats = ReceiverStats()
    stats.record_rejection(WRONG_SECRET, 401, "203.0.113.9", "header did not match")
    stats.record_rejection(NOT_JSON, 400, "203.0.113.9")
    model = RejectionTableModel()
    model.set_rejections(stats.snapshot()["recent_rejections"])

    qtmodeltester.check(model)
    assert model.index(0, COL_REASON).data() == NOT_JSON
    assert model.index(1, COL_REASON).data() == WRONG_SECRET
    assert model.index(1, COL_STATUS).data() == "401"


def test_counts_and_recent_rejections_refresh_live(
    qtbot: Any, loop: qasync.QEventLoop, stores: StoreService
) -> None:
    stats = ReceiverStats()
    view = make_view(qtbot, stats, stores)
    assert view.count_labels["received"].text() == "0"

    for _ in range(3):
        stats.record_received()
    stats.record_stored(queued=2, held=0)
    stats.record_duplicate()
    stats.record_rejection(WRONG_SECRET, 401, "203.0.113.9", "header did not match")
    qtbot.waitUntil(lambda: view.count_labels["received"].text() == "3")

    assert view.count_labels["queued"].text() == "2"
    assert view.count_labels["duplicates"].text() == "1"
    assert view.count_labels["rejected"].text() == "1"
    assert view.reasons_label.text() == "wrong secret: 1"
    model = view.rejections_table.model()
    assert model.index(0, COL_REASON).data() == "wrong secret"
    assert model.index(0, 4).data(Qt.ItemDataRole.ToolTipRole) == (
        "header did not match"
    )


def test_counts_sit_next_to_their_labels(
    qtbot: Any, loop: qasync.QEventLoop, stores: StoreService
) -> None:
    stats = ReceiverStats()
    for _ in range(1234):
        stats.record_received()
    view = make_view(qtbot, stats, stores)
    view.resize(1280, 800)
    view.show()
    qtbot.waitUntil(lambda: view.count_labels["received"].text() == "1,234")

    value = view.count_labels["received"]
    form = value.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    title = form.labelForField(value)
    assert isinstance(title, QLabel) and title.text() == "Received:"
    # label: value, a short step apart at the left, not across the window.
    title_left = title.mapTo(view, title.rect().topLeft()).x()
    title_right = title.mapTo(view, title.rect().topRight()).x()
    value_left = value.mapTo(view, value.rect().topLeft()).x()
    value_right = value.mapTo(view, value.rect().topRight()).x()
    assert title_right < value_left
    assert value_right - title_left < 260
    reasons = form.labelForField(view.reasons_label)
    assert reasons.mapTo(view, reasons.rect().topLeft()).x() == (
        title.mapTo(view, title.rect().topLeft()).x()
    )


def test_br04_http_public_url_is_refused_with_the_plain_message(
    qtbot: Any, loop: qasync.QEventLoop, stores: StoreService
) -> None:
    applied: list[str] = []
    view = make_view(
        qtbot, ReceiverStats(), stores, on_public_url_changed=applied.append
    )

    qtbot.keyClicks(view.public_url_edit, "http://hooks.example.test/bc")
    assert not view.public_url_error.isHidden()
    assert "BigCommerce needs an https URL on port 443" in view.public_url_error.text()
    assert not view.apply_button.isEnabled()

    view.public_url_edit.clear()
    qtbot.keyClicks(view.public_url_edit, "https://hooks.example.test:8443/bc")
    assert "https URL on port 443" in view.public_url_error.text()

    view.public_url_edit.clear()
    qtbot.keyClicks(view.public_url_edit, "https://hooks.example.test/bc")
    assert view.public_url_error.isHidden()
    view.apply_button.click()
    assert applied == ["https://hooks.example.test/bc"]


def test_rotating_a_store_secret(
    qtbot: Any, loop: qasync.QEventLoop, stores: StoreService, memory_keyring: Any
) -> None:
    rotated: list[str] = []

    async def after_rotation(store_hash: str) -> None:
        rotated.append(store_hash)

    view = make_view(qtbot, ReceiverStats(), stores, after_rotation=after_rotation)
    view.rotate_button.click()
    assert not view.rotate_button.isEnabled()
    qtbot.waitUntil(lambda: "rotated" in view.rotate_message.text())

    assert rotated == ["t3stab9x1q"]
    assert view.rotate_button.isEnabled()
    assert Store.get_by_id("t3stab9x1q").secret_digest
    secret = memory_keyring.passwords[("storehook", "t3stab9x1q/webhook_secret")]
    assert secret not in view.rotate_message.text()
