# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Actions view: triggers, load errors, and editing a file's options."""

import asyncio
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.actions.loader import ActionRegistry
from app.actions.model import ActionInfo
from app.ui.actions_view import ActionsView
from app.ui.models.action_table_model import (
    COL_ERROR,
    COL_NAME,
    COL_RETRIES,
    COL_TIMEOUT,
    COL_TRIGGERS,
    ActionRole,
    ActionTableModel,
)
from app.ui.scope_picker import ScopePickerDialog

TAG_ORDERS = '''\
"""Tag big orders."""
import logging  # unused on purpose

options = {
    # Ops staff pick the topics in the console.
    "triggers": {"api": False, "bigcommerce": {"webhooks": [
        "store/order/created",  # new orders only
    ]}},
    "retries": 2,   # odd spacing stays
}


async def run(params, logger):
    logger.info("order %s", params["id"])
'''

BUILT_OPTIONS = """\
options = dict(triggers={"bigcommerce": {"webhooks": ["store/cart/created"]}})


def run(params):
    pass
"""

BROKEN = "options = {\n\ndef run(params:\n"


def _actions_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "actions"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.py").write_bytes(text.encode("utf-8"))
    return folder


def _row_of(view: ActionsView, name: str) -> int:
    model = view.table.model()
    for row in range(model.rowCount()):
        if model.index(row, COL_NAME).data() == name:
            return row
    raise KeyError(name)


def _list_region(text: str) -> tuple[int, int]:
    start = text.index("[", text.index('"webhooks"'))
    return start, text.index("]", start) + 1


def test_action_table_model_shows_each_action(qtmodeltester: Any) -> None:
    model = ActionTableModel()
    ok = ActionInfo("tag_orders", Path("/a/tag_orders.py"), ("store/order/*",), 2, 30)
    broken = ActionInfo(
        "broken", Path("/a/broken.py"), error="Traceback\nSyntaxError: bad input"
    )
    model.set_actions([ok, broken])

    qtmodeltester.check(model)
    assert model.index(1, COL_NAME).data() == "tag_orders"
    assert model.index(1, COL_TRIGGERS).data() == "store/order/*"
    assert model.index(1, COL_RETRIES).data() == "2"
    assert model.index(1, COL_TIMEOUT).data() == "30 s"
    assert model.index(1, COL_TIMEOUT).data(ActionRole.SortRole) == 30
    assert model.index(0, COL_ERROR).data() == "SyntaxError: bad input"
    assert model.index(0, COL_ERROR).data(Qt.ItemDataRole.ToolTipRole) == (
        "Traceback\nSyntaxError: bad input"
    )
    assert model.index(0, COL_ERROR).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert model.index(0, COL_NAME).data(ActionRole.ActionRole) == broken


def test_adding_a_trigger_rewrites_only_the_list_and_syncs(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, tag_orders=TAG_ORDERS)
    registry = ActionRegistry(folder)
    synced: list[list[str]] = []

    async def on_saved() -> str:
        synced.append(sorted(registry.desired_scopes()))
        return "Webhooks synced for 1 store."

    view = ActionsView(registry, on_saved=on_saved)
    qtbot.addWidget(view)
    view.table.selectRow(_row_of(view, "tag_orders"))
    qtbot.waitUntil(view.add_button.isEnabled)
    assert [view.trigger_list.item(0).text()] == ["store/order/created"]

    # + → BigCommerce → search the scope list → pick one.
    view.add_bigcommerce_action.trigger()
    picker = view.findChild(ScopePickerDialog)
    assert picker is not None and picker.isVisible()
    qtbot.keyClicks(picker.filter_edit, "REFUND")
    assert picker.visible_scopes()
    assert all("refund" in scope for scope in picker.visible_scopes())
    picker.select_scope("store/order/refund/created")
    picker.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    assert view.pending_triggers() == [
        "store/order/created",
        "store/order/refund/created",
    ]
    assert view.save_button.isEnabled()
    view.save_button.click()
    assert not view.save_button.isEnabled()  # disabled while saving
    qtbot.waitUntil(lambda: "Webhooks synced" in view.outcome_label.text())

    assert view.outcome_label.text() == "Saved. Webhooks synced for 1 store."
    assert synced == [["store/order/created", "store/order/refund/created"]]
    after = (folder / "tag_orders.py").read_text(encoding="utf-8")
    start, end = _list_region(TAG_ORDERS)
    new_start, new_end = _list_region(after)
    assert after[:new_start] == TAG_ORDERS[:start]
    assert after[new_end:] == TAG_ORDERS[end:]
    assert '"store/order/created",  # new orders only' in after
    row = _row_of(view, "tag_orders")
    assert view.table.model().index(row, COL_TRIGGERS).data() == (
        "store/order/created, store/order/refund/created"
    )
    assert not view.save_button.isEnabled()


def test_removing_a_trigger_and_saving(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, tag_orders=TAG_ORDERS)
    view = ActionsView(ActionRegistry(folder))
    qtbot.addWidget(view)
    view.table.selectRow(0)
    qtbot.waitUntil(view.add_button.isEnabled)

    view.trigger_list.item(0).setSelected(True)
    view.remove_button.click()
    assert view.trigger_list.count() == 0
    view.save_button.click()
    qtbot.waitUntil(lambda: view.outcome_label.text() == "Saved.")

    after = (folder / "tag_orders.py").read_text(encoding="utf-8")
    assert '"webhooks": []' in after
    assert after.endswith(TAG_ORDERS[TAG_ORDERS.index("]}},") + 1 :])


def test_options_built_by_a_call_are_read_only_with_the_reason(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, built=BUILT_OPTIONS)
    view = ActionsView(ActionRegistry(folder))
    qtbot.addWidget(view)
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: not view.reason_label.isHidden())

    assert view.reason_label.text() == (
        "Read-only: options is built by a function call, not a literal."
    )
    assert [view.trigger_list.item(0).text()] == ["store/cart/created"]
    assert not view.add_button.isEnabled()
    assert not view.save_button.isEnabled()
    assert (folder / "built.py").read_text(encoding="utf-8") == BUILT_OPTIONS


def test_load_error_is_shown_in_red(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, broken=BROKEN, tag_orders=TAG_ORDERS)
    view = ActionsView(ActionRegistry(folder))
    qtbot.addWidget(view)
    row = _row_of(view, "broken")
    error = view.table.model().index(row, COL_ERROR)

    assert "SyntaxError" in error.data(Qt.ItemDataRole.ToolTipRole)
    assert error.data(Qt.ItemDataRole.ForegroundRole) is not None
    view.table.selectRow(row)
    qtbot.waitUntil(lambda: not view.reason_label.isHidden())
    assert not view.error_label.isHidden()
    assert view.error_label.text().startswith("Failed to load:")
    assert "syntax error" in view.reason_label.text()


def test_files_changed_on_disk_show_after_refresh(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, tag_orders=TAG_ORDERS)
    registry = ActionRegistry(folder)
    view = ActionsView(registry)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    qtbot.waitUntil(view.add_button.isEnabled)

    changed = TAG_ORDERS.replace("store/order/created", "store/cart/created")
    (folder / "tag_orders.py").write_text(changed, encoding="utf-8")
    registry.refresh()
    view.refresh()
    qtbot.waitUntil(lambda: view.trigger_list.item(0).text() == "store/cart/created")

    assert view.table.model().index(0, COL_TRIGGERS).data() == "store/cart/created"


# The folder, empty states, and what a change on disk clears

BROKEN_LATER = '''\
"""Tag big orders."""
import logging

options = {
    "triggers": {"bigcommerce": {"webhooks": ["store/order/created"]}},
}

def run(params, logger:
    logger.info("order %s", params["id"])


done = True
'''


def test_missing_folder_shows_its_path_the_error_in_red_and_how_to_add(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = tmp_path / "actions"
    registry = ActionRegistry(folder)
    view = ActionsView(registry)
    qtbot.addWidget(view)
    view.show()

    assert view.folder_label.text() == f"Actions folder: {folder}"
    assert view.folder_error_label.isVisible()
    assert view.folder_error_label.text() == registry.folder_error
    assert "#c62828" in view.folder_error_label.styleSheet()
    assert view.empty_label.isVisible() and not view.table.isVisible()
    hint = view.empty_label.text()
    assert hint.startswith(f"Create the folder {folder} ")
    assert "Add a Python file there" in hint and "run(params, logger)" in hint
    assert view.table.model().rowCount() == 0  # a hint, not a fake row

    folder.mkdir()
    registry.refresh()
    view.refresh()
    assert not view.folder_error_label.isVisible()
    assert view.empty_label.text().startswith(f"No action scripts yet in {folder}.")
    assert view.empty_label.isVisible()

    (folder / "tag_orders.py").write_text(TAG_ORDERS, encoding="utf-8")
    registry.refresh()
    view.refresh()
    assert view.table.isVisible() and not view.empty_label.isVisible()
    assert view.folder_label.text() == f"Actions folder: {folder}"


def test_syntax_error_line_is_said_once_and_a_stale_outcome_goes(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    folder = _actions_dir(tmp_path, tag_orders=TAG_ORDERS)
    registry = ActionRegistry(folder)

    async def on_saved() -> str:
        return "Webhooks synced for 1 store."

    view = ActionsView(registry, on_saved=on_saved)
    qtbot.addWidget(view)
    view.table.selectRow(0)
    qtbot.waitUntil(view.add_button.isEnabled)
    view.trigger_list.item(0).setSelected(True)
    view.remove_button.click()
    view.save_button.click()
    qtbot.waitUntil(lambda: "Webhooks synced" in view.outcome_label.text())
    # The save's own change on disk keeps its outcome.
    view.refresh()
    qtbot.waitUntil(lambda: not view.is_busy())
    assert not view.outcome_label.isHidden()

    (folder / "tag_orders.py").write_text(BROKEN_LATER, encoding="utf-8")
    registry.refresh()
    view.refresh()
    qtbot.waitUntil(lambda: not view.reason_label.isHidden())
    qtbot.waitUntil(view.outcome_label.isHidden)

    assert "line 8" in view.error_label.text()
    reason = view.reason_label.text()
    assert "syntax error" in reason
    assert "line" not in reason.replace("line 8", "")
    assert not view.add_button.isEnabled()


def test_save_outcome_stays_with_its_own_action(
    qtbot: Any, loop: qasync.QEventLoop, tmp_path: Path
) -> None:
    other = TAG_ORDERS.replace("store/order/created", "store/cart/created")
    folder = _actions_dir(tmp_path, tag_orders=TAG_ORDERS, watch_carts=other)
    registry = ActionRegistry(folder)
    release = asyncio.Event()

    async def on_saved() -> str:
        await release.wait()
        return "Webhooks synced for 1 store."

    view = ActionsView(registry, on_saved=on_saved)
    qtbot.addWidget(view)
    view.table.selectRow(_row_of(view, "tag_orders"))
    qtbot.waitUntil(view.add_button.isEnabled)
    view.trigger_list.item(0).setSelected(True)
    view.remove_button.click()
    view.save_button.click()
    qtbot.waitUntil(lambda: view.outcome_label.text() == "Saved. Syncing webhooks…")

    view.table.selectRow(_row_of(view, "watch_carts"))
    assert view.outcome_label.isHidden()
    release.set()
    qtbot.waitUntil(lambda: not view.is_busy())

    assert view.outcome_label.isHidden()
    assert [view.trigger_list.item(0).text()] == ["store/cart/created"]
    qtbot.waitUntil(view.add_button.isEnabled)
    view.table.selectRow(_row_of(view, "tag_orders"))
    assert view.outcome_label.isHidden()
    qtbot.waitUntil(view.add_button.isEnabled)  # its triggers were read
    assert view.outcome_label.isHidden()
