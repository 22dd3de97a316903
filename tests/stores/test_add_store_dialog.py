# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Add store dialog checks the API URL as you type and never stays busy."""

from typing import Any

import pytest

from app.events import EventHub
from app.stores.secrets import SecretStore
from app.stores.service import StoreRow, StoreService
from app.ui.add_store_dialog import AddStoreDialog
from tests.gui.conftest import loop  # noqa: F401


class ExplodingStoreService(StoreService):
    """The real service, except that connecting fails in a way nobody planned."""

    async def add_store(self, *args: Any, **kwargs: Any) -> StoreRow:
        raise RuntimeError("the keyring daemon went away mid-call")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://api.bigcommerce.com:abc", "is not a usable API URL"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("api.bigcommerce.com", "Enter an http:// or https:// URL"),
        ("https://api.bigcommerce.com/stores/abc123/v3", "API base URL only"),
    ],
)
def test_add_store_dialog_explains_an_unusable_api_url_as_you_type(
    qtbot: Any, database: Any, memory_keyring: Any, url: str, reason: str
) -> None:
    dialog = AddStoreDialog(StoreService(database, SecretStore(), events=EventHub()))
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.hash_edit, "abc123")
    qtbot.keyClicks(dialog.token_edit, "tok")
    dialog.api_url_edit.clear()
    qtbot.keyClicks(dialog.api_url_edit, url)

    assert not dialog.api_url_error.isHidden()
    assert reason in dialog.api_url_error.text()
    assert not dialog.connect_button.isEnabled()


# The Qt-driven asyncio loop of the console tests runs the dialog's slot.
@pytest.mark.usefixtures("loop")
def test_add_store_dialog_never_stays_busy_after_an_unexpected_error(
    qtbot: Any, database: Any, memory_keyring: Any
) -> None:
    dialog = AddStoreDialog(ExplodingStoreService(database, SecretStore()))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.hash_edit, "abc123")
    qtbot.keyClicks(dialog.token_edit, "tok-secret-value")

    dialog.connect_button.click()
    qtbot.waitUntil(lambda: not dialog.service_error.isHidden(), timeout=10_000)

    assert "the keyring daemon went away" in dialog.service_error.text()
    assert dialog.connect_button.isEnabled()
    assert not dialog.token_edit.isReadOnly()
    assert dialog.progress.isHidden()
    dialog.reject()
    assert not dialog.isVisible()
