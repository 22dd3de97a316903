# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Installs view and the Add store dialog, on the real services and sandbox."""

import asyncio
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.backends.fail
import pytest

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox

from app import timeutil
from app.db.models import Store
from app.events import EventHub
from app.sandbox import Sandbox
from app.stores.secrets import SecretStore
from app.stores.service import StoreRow, StoreService, TopicState
from app.stores.sync import WebhookSync
from app.ui.add_store_dialog import AddStoreDialog
from app.ui.installs_view import InstallsView
from app.ui.models.store_table_model import (
    BUSY_TEXT,
    COL_CHECKED,
    COL_CONNECTED,
    COL_HASH,
    COL_NAME,
    COL_STATUS,
    StoreRole,
    StoreTableModel,
)

SCOPES = {"store/order/created", "store/order/updated", "store/product/updated"}
LOCAL_DESTINATION = "http://127.0.0.1:8787/webhooks/bigcommerce"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    yield box
    box.stop()


class Services:
    """The real store service and webhook sync, as the console wires them."""

    def __init__(self, database: Any, destination: str = LOCAL_DESTINATION) -> None:
        self.destination = destination
        self.stores = StoreService(
            database,
            SecretStore(),
            events=EventHub(),
            client_options={"retry_backoff_s": 0.01},
        )
        self.sync = WebhookSync(
            database, self.stores, lambda: set(SCOPES), lambda: self.destination
        )


@pytest.fixture
def services(
    qtbot: Any, loop: qasync.QEventLoop, database: Any, memory_keyring: Any
) -> Iterator[Services]:
    wired = Services(database)
    yield wired
    # The API clients were made on the Qt loop; they are closed on it too.
    run_on(loop, qtbot, wired.stores.aclose())


def run_on(loop: qasync.QEventLoop, qtbot: Any, coroutine: Any) -> Any:
    """Run a coroutine on the Qt loop from a test, returning its result."""
    task = asyncio.ensure_future(coroutine)
    qtbot.waitUntil(task.done, timeout=10_000)
    return task.result()


def make_view(qtbot: Any, services: Services) -> InstallsView:
    view = InstallsView(services.stores, services.sync)
    qtbot.addWidget(view)
    return view


def status_of(view: InstallsView, row: int = 0) -> str:
    return str(view.model.index(row, COL_STATUS).data())


def sample_row(**changes: Any) -> StoreRow:
    fields: dict[str, Any] = {
        "store_hash": "t3stab9x1q",
        "name": "Test Outfitters",
        "store_id": "1009876",
        "api_url": "https://api.bigcommerce.com",
        "connected_at": 1_717_243_260.0,
        "status": "partial",
        "topics": (
            TopicState("store/order/created", "inactive"),
            TopicState("store/order/updated", "active"),
            TopicState("store/product/updated", "missing"),
        ),
        "checked_at": 1_717_243_320.0,
        "last_error": "",
        "admin_report": {},
        "uninstalled": False,
    }
    fields.update(changes)
    return StoreRow(**fields)


# The model


def test_store_table_model_rows_and_status_tooltip(qtmodeltester: Any) -> None:
    model = StoreTableModel()
    healthy = sample_row(
        store_hash="h3a1thy00",
        status="registered",
        topics=(TopicState("store/order/created", "active"),),
    )
    model.set_stores([sample_row(), healthy])

    qtmodeltester.check(model)
    assert model.index(0, COL_NAME).data() == "Test Outfitters"
    assert model.index(0, COL_HASH).data() == "t3stab9x1q"
    assert model.index(0, COL_CONNECTED).data() == timeutil.local_with_offset(
        1_717_243_260.0
    )
    assert model.index(0, COL_CHECKED).data(StoreRole.SortRole) == 1_717_243_320.0
    assert model.index(0, COL_STATUS).data() == (
        "1/3 active, store/order/created inactive, missing store/product/updated"
    )
    tooltip = model.index(0, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert tooltip.splitlines()[:3] == [
        "store/order/created: inactive",
        "store/order/updated: active",
        "store/product/updated: missing",
    ]
    assert model.index(1, COL_STATUS).data() == "registered (1/1 active)"
    assert model.index(1, COL_STATUS).data(Qt.ItemDataRole.ForegroundRole) is None

    model.set_busy("t3stab9x1q", True)
    assert model.index(0, COL_STATUS).data() == BUSY_TEXT
    assert model.index(0, COL_NAME).data(StoreRole.StoreRole).store_hash == (
        "t3stab9x1q"
    )


def test_status_tooltip_lists_the_last_error(qtmodeltester: Any) -> None:
    model = StoreTableModel()
    model.set_stores(
        [sample_row(status="error", last_error="BigCommerce server error")]
    )

    tooltip = model.index(0, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert "store/product/updated: missing" in tooltip
    assert "error: BigCommerce server error" in tooltip
    assert model.index(0, COL_STATUS).data(Qt.ItemDataRole.ForegroundRole)


# Register webhooks


def test_register_webhooks_turns_a_store_with_missing_hooks_healthy(
    qtbot: Any, loop: qasync.QEventLoop, services: Services, sandbox: Sandbox
) -> None:
    store = sandbox.stores[0]
    run_on(
        loop,
        qtbot,
        services.stores.add_store(
            store.store_hash, store.access_token, api_url=sandbox.api_url
        ),
    )
    run_on(loop, qtbot, services.sync.check_store(store.store_hash))
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)

    assert status_of(view).startswith("0/3 registered, missing ")
    tooltip = view.model.index(0, COL_STATUS).data(Qt.ItemDataRole.ToolTipRole)
    assert "store/order/created: missing" in tooltip
    assert view.register_button.isEnabled()

    view.register_button.click()
    assert not view.register_button.isEnabled()  # disabled while running
    assert status_of(view) == BUSY_TEXT
    assert not view.progress.isHidden()
    qtbot.waitUntil(lambda: status_of(view).startswith("registered"), timeout=10_000)

    assert status_of(view) == "registered (3/3 active)"
    assert "webhooks registered (3 created)" in view.message_label.text()
    assert view.progress.isHidden()
    assert not view.register_button.isEnabled()  # nothing left to do
    hooks = sandbox.hooks(store.store_hash)
    assert sorted(h.scope for h in hooks) == sorted(SCOPES)


def test_br03_inactive_hook_is_shown_and_reactivated(
    qtbot: Any, loop: qasync.QEventLoop, services: Services, sandbox: Sandbox
) -> None:
    store = sandbox.stores[0]
    run_on(
        loop,
        qtbot,
        services.stores.add_store(
            store.store_hash, store.access_token, api_url=sandbox.api_url
        ),
    )
    run_on(loop, qtbot, services.sync.sync_store(store.store_hash))
    (created,) = [
        h for h in sandbox.hooks(store.store_hash) if h.scope == "store/order/created"
    ]
    sandbox.state.hooks.deactivate(created.id)
    run_on(loop, qtbot, services.sync.check_store(store.store_hash))
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)

    assert status_of(view) == "2/3 active, store/order/created inactive"
    view.register_button.click()
    qtbot.waitUntil(lambda: status_of(view).startswith("registered"), timeout=10_000)

    assert "1 reactivated" in view.message_label.text()
    assert len(sandbox.hooks(store.store_hash)) == 3


def test_br04_http_destination_is_refused_before_any_request(
    qtbot: Any, loop: qasync.QEventLoop, database: Any, memory_keyring: Any
) -> None:
    wired = Services(database, destination="http://hooks.example.test/bc")
    Store.create(
        store_hash="t3stab9x1q",
        name="Test Outfitters",
        api_url="https://api.bigcommerce.com",
        connected_at=timeutil.now(),
    )
    view = make_view(qtbot, wired)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    before = status_of(view)

    view.register_button.click()
    qtbot.waitUntil(lambda: "https" in view.message_label.text())

    assert "BigCommerce needs an https URL on port 443" in view.message_label.text()
    assert status_of(view) == before
    assert view.register_button.isEnabled()


def test_br14_revoked_token_shows_on_the_row(
    qtbot: Any, loop: qasync.QEventLoop, services: Services, sandbox: Sandbox
) -> None:
    store = sandbox.stores[0]
    run_on(
        loop,
        qtbot,
        services.stores.add_store(
            store.store_hash, store.access_token, api_url=sandbox.api_url
        ),
    )
    sandbox.revoke_token(store.access_token)
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)

    view.register_button.click()
    qtbot.waitUntil(lambda: "token rejected" in status_of(view), timeout=10_000)

    assert status_of(view) == "token rejected (revoked, or app uninstalled)"
    assert "token rejected" in view.message_label.text()
    assert view.register_button.isEnabled()  # can be retried with a new token
    assert (
        "storehook",
        f"{store.store_hash}/access_token",
    ) in keyring.get_keyring().passwords


def test_br16_no_keyring_shows_on_every_row(
    qtbot: Any, loop: qasync.QEventLoop, database: Any
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        for store_hash in ("t3stab9x1q", "s3cond0002"):
            Store.create(
                store_hash=store_hash,
                api_url="https://api.bigcommerce.com",
                connected_at=timeutil.now(),
            )
        view = make_view(qtbot, Services(database))
        qtbot.waitUntil(lambda: view.model.rowCount() == 2)

        assert [status_of(view, 0), status_of(view, 1)] == [
            "credentials unavailable: no OS keyring"
        ] * 2
    finally:
        keyring.set_keyring(previous)


# Remove store


def test_remove_store_asks_then_unregisters_and_forgets(
    qtbot: Any, loop: qasync.QEventLoop, services: Services, sandbox: Sandbox
) -> None:
    store = sandbox.stores[0]
    run_on(
        loop,
        qtbot,
        services.stores.add_store(
            store.store_hash, store.access_token, api_url=sandbox.api_url
        ),
    )
    run_on(loop, qtbot, services.sync.sync_store(store.store_hash))
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)

    view.remove_button.click()
    box = view.findChild(QMessageBox)
    assert box is not None and store.store_hash in box.text()
    box.findChild(type(view.remove_button), "confirm_remove").click()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0, timeout=10_000)

    assert view.message_label.text().startswith("Removed ")
    assert sandbox.hooks(store.store_hash) == []


# The Add store dialog


def make_dialog(qtbot: Any, services: Services) -> AddStoreDialog:
    dialog = AddStoreDialog(services.stores)
    qtbot.addWidget(dialog)
    return dialog


def test_add_store_dialog_says_what_is_wrong_as_you_type(
    qtbot: Any, services: Services
) -> None:
    dialog = make_dialog(qtbot, services)

    qtbot.keyClicks(dialog.hash_edit, "not a hash!")
    assert not dialog.hash_error.isHidden()
    assert "is not a store hash" in dialog.hash_error.text()
    qtbot.keyClicks(dialog.token_edit, "x")
    qtbot.keyClick(dialog.token_edit, Qt.Key.Key_Backspace)
    assert dialog.token_error.text() == "Enter the access token."
    dialog.api_url_edit.clear()
    qtbot.keyClicks(dialog.api_url_edit, "ftp://example.com")
    assert dialog.api_url_error.text().startswith("Enter an http:// or https:// URL")
    assert not dialog.connect_button.isEnabled()

    dialog.hash_edit.clear()
    qtbot.keyClicks(dialog.hash_edit, "stores/t3stab9x1q")
    qtbot.keyClicks(dialog.token_edit, "tok")
    dialog.api_url_edit.clear()
    qtbot.keyClicks(dialog.api_url_edit, "https://api.bigcommerce.com")
    assert dialog.hash_error.isHidden() and dialog.token_error.isHidden()
    assert dialog.connect_button.isEnabled()


def test_add_store_dialog_masks_and_reveals_the_token(
    qtbot: Any, services: Services
) -> None:
    dialog = make_dialog(qtbot, services)
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.client_secret_edit.echoMode() == QLineEdit.EchoMode.Password

    dialog.reveal_button.click()
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Normal
    dialog.reveal_button.click()
    assert dialog.token_edit.echoMode() == QLineEdit.EchoMode.Password


def _fill(qtbot: Any, dialog: AddStoreDialog, store_hash: str, token: str) -> None:
    qtbot.keyClicks(dialog.hash_edit, store_hash)
    qtbot.keyClicks(dialog.token_edit, token)


def test_add_store_dialog_shows_a_rejected_token_and_stays_open(
    qtbot: Any,
    loop: qasync.QEventLoop,
    services: Services,
    sandbox: Sandbox,
    caplog: Any,
) -> None:
    dialog = make_dialog(qtbot, services)
    dialog.show()
    _fill(qtbot, dialog, sandbox.stores[0].store_hash, "wrong-token-1234")
    dialog.api_url_edit.setText(sandbox.api_url)

    dialog.connect_button.click()
    assert not dialog.connect_button.isEnabled()  # busy
    qtbot.waitUntil(lambda: not dialog.service_error.isHidden(), timeout=10_000)

    assert "token rejected" in dialog.service_error.text()
    assert dialog.isVisible()
    assert dialog.connect_button.isEnabled()
    assert services.stores.list_stores() == []
    assert "wrong-token-1234" not in dialog.service_error.text()
    assert "wrong-token-1234" not in caplog.text


def test_add_store_dialog_without_a_keyring_saves_nothing(
    qtbot: Any, loop: qasync.QEventLoop, database: Any
) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        wired = Services(database)
        dialog = make_dialog(qtbot, wired)
        _fill(qtbot, dialog, "t3stab9x1q", "some-token")
        dialog.connect_button.click()
        qtbot.waitUntil(lambda: not dialog.service_error.isHidden())

        assert dialog.service_error.text() == "credentials unavailable: no OS keyring"
        assert Store.select().count() == 0
    finally:
        keyring.set_keyring(previous)


def test_add_store_selects_the_new_row_and_registers_its_webhooks(
    qtbot: Any, loop: qasync.QEventLoop, services: Services, sandbox: Sandbox
) -> None:
    first, second = sandbox.stores[0], sandbox.stores[1]
    run_on(
        loop,
        qtbot,
        services.stores.add_store(
            first.store_hash, first.access_token, api_url=sandbox.api_url
        ),
    )
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)

    view.add_button.click()
    dialog = view.findChild(AddStoreDialog)
    assert dialog is not None
    _fill(qtbot, dialog, second.store_hash, second.access_token)
    dialog.api_url_edit.setText(sandbox.api_url)
    with qtbot.waitSignal(dialog.store_added, timeout=10_000):
        dialog.connect_button.click()

    # At once: busy, with the Register webhooks indicator, no button to press.
    assert not view.progress.isHidden()
    assert "registering its webhooks" in view.message_label.text()
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    assert view.selected_store() is not None
    assert view.selected_store().store_hash == second.store_hash
    row = view.model.row_of(second.store_hash)
    qtbot.waitUntil(
        lambda: status_of(view, row).startswith("registered"), timeout=10_000
    )

    assert status_of(view, row) == "registered (3/3 active)"
    assert view.message_label.text().endswith("webhooks registered (3 created).")
    assert "Press Register webhooks" not in view.message_label.text()
    assert view.progress.isHidden()
    assert sorted(h.scope for h in sandbox.hooks(second.store_hash)) == sorted(SCOPES)
    assert not view.register_button.isEnabled()
    assert view.register_button.toolTip() == "All webhooks are registered"


def test_register_webhooks_says_why_it_is_disabled(
    qtbot: Any, loop: qasync.QEventLoop, services: Services
) -> None:
    Store.create(
        store_hash="t3stab9x1q",
        api_url="https://api.bigcommerce.com",
        connected_at=timeutil.now(),
    )
    view = make_view(qtbot, services)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert view.register_button.isEnabled()

    view.table.clearSelection()

    assert not view.register_button.isEnabled()
    assert view.register_button.toolTip() == "Select a store"


def test_installs_without_stores_shows_a_centred_hint(
    qtbot: Any, loop: qasync.QEventLoop, services: Services
) -> None:
    view = make_view(qtbot, services)
    view.resize(900, 500)
    view.show()
    qtbot.waitUntil(lambda: view.empty_label.isVisible())

    assert view.empty_label.text() == (
        "No stores yet. Add store connects one; you need its store hash and an "
        "API account's access token."
    )
    assert view.empty_label.alignment() & Qt.AlignmentFlag.AlignHCenter
    assert not view.table.isVisible()
    assert view.model.rowCount() == 0  # a hint, not a fake row

    Store.create(
        store_hash="t3stab9x1q",
        api_url="https://api.bigcommerce.com",
        connected_at=timeutil.now(),
    )
    view.refresh()
    qtbot.waitUntil(lambda: view.table.isVisible())
    assert not view.empty_label.isVisible()
