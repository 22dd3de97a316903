# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovering action files, their options and errors, and reloading them."""

import os
from pathlib import Path

import pytest

from app.actions.loader import ActionRegistry
from app.events import ACTIONS_CHANGED, Event, EventHub
from tests.helpers.wait import wait_until
from tests.queue.support import write_action


def _action(scope: str, body: str = "def run():\n    pass\n", extra: str = "") -> str:
    triggers = f'{{"bigcommerce": {{"webhooks": [{scope!r}]}}}}'
    return f'options = {{"triggers": {triggers}{extra}}}\n' + body


def test_discovers_actions_and_their_options(tmp_path: Path) -> None:
    write_action(
        tmp_path, "orders", _action("store/order/created", extra=', "retries": 2')
    )
    write_action(
        tmp_path,
        "products",
        _action("store/product/updated", "async def run(params):\n    pass\n"),
    )
    write_action(tmp_path, "_helper", "VALUE = 1\n")
    (tmp_path / "notes.txt").write_text("not an action")

    registry = ActionRegistry(tmp_path)

    assert [a.name for a in registry.actions()] == ["orders", "products"]
    orders = registry.get("orders")
    assert orders is not None
    assert orders.info.triggers == ("store/order/created",)
    assert orders.info.max_attempts == 3
    assert orders.info.timeout == 60.0
    products = registry.get("products")
    assert products is not None and products.is_async and products.wants == ("params",)
    assert registry.desired_scopes() == {"store/order/created", "store/product/updated"}


def test_broken_file_shows_its_error_and_others_keep_working(tmp_path: Path) -> None:
    write_action(tmp_path, "good", _action("store/order/created"))
    write_action(tmp_path, "syntax", "x = 1\ndef run(:\n")
    write_action(tmp_path, "raises", "x = 1\nraise RuntimeError('boom at import')\n")
    write_action(tmp_path, "bad_scope", _action("orders please"))
    write_action(
        tmp_path,
        "bad_retries",
        _action("store/order/created", extra=', "retries": "6"'),
    )
    write_action(
        tmp_path,
        "bad_param",
        _action("store/order/created", "def run(order):\n    pass\n"),
    )
    write_action(tmp_path, "no_run", _action("store/order/created", "x = 1\n"))

    registry = ActionRegistry(tmp_path)
    errors = {a.name: a.error for a in registry.actions()}

    assert errors["good"] is None
    assert errors["syntax"] == "syntax.py, line 2: SyntaxError: invalid syntax"
    assert errors["raises"] == "raises.py, line 2: RuntimeError: boom at import"
    assert "'orders please' is not a BigCommerce scope" in str(errors["bad_scope"])
    assert 'options["retries"] must be a whole number' in str(errors["bad_retries"])
    assert "run() asks for 'order'" in str(errors["bad_param"])
    assert "defines no run() function" in str(errors["no_run"])
    assert [a.name for a in registry.actions_for("store/order/created")] == ["good"]
    assert registry.get("syntax") is None


def test_wildcard_triggers(tmp_path: Path) -> None:
    write_action(tmp_path, "refunds", _action("store/order/refund/created"))
    write_action(tmp_path, "status", _action("store/order/statusUpdated"))
    write_action(tmp_path, "all_orders", _action("store/order/*"))
    registry = ActionRegistry(tmp_path)

    def names(scope: str) -> list[str]:
        return [a.name for a in registry.actions_for(scope)]

    assert names("store/order/refund/created") == ["all_orders", "refunds"]
    assert names("store/order/statusUpdated") == ["all_orders", "status"]
    assert names("store/product/updated") == []


def test_hot_reload_of_changed_added_and_removed_files(tmp_path: Path) -> None:
    events = EventHub()
    seen: list[Event] = []
    events.subscribe(seen.append)
    first = write_action(tmp_path, "first", _action("store/order/created"))
    write_action(tmp_path, "second", _action("store/product/updated"))
    registry = ActionRegistry(tmp_path, events)
    seen.clear()

    assert registry.refresh() is False
    os.utime(first)  # touched but unchanged: nothing reloads
    assert registry.refresh() is False

    write_action(tmp_path, "first", _action("store/order/updated"))
    (tmp_path / "second.py").unlink()
    write_action(tmp_path, "third", _action("store/cart/created"))
    assert registry.refresh() is True

    assert [(a.name, a.triggers) for a in registry.actions()] == [
        ("first", ("store/order/updated",)),
        ("third", ("store/cart/created",)),
    ]
    assert [e.kind for e in seen] == [ACTIONS_CHANGED]


def test_watcher_picks_up_a_fixed_file(tmp_path: Path) -> None:
    write_action(tmp_path, "fixme", "def run(:\n")
    registry = ActionRegistry(tmp_path)
    assert registry.get("fixme") is None

    registry.start_watching(interval_s=0.02)
    try:
        write_action(tmp_path, "fixme", _action("store/order/created"))
        wait_until(lambda: registry.get("fixme") is not None)
    finally:
        registry.stop_watching()

    info = registry.info("fixme")
    assert info is not None and info.error is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("[]", "options must be a dict"),
        (
            '{"triggers": {"bigcommerce": {"webhooks": "store/order/created"}}}',
            "must be a list",
        ),
        ('{"timeout": 0}', 'options["timeout"] must be seconds > 0'),
        (
            '{"triggers": {"api": "yes"}}',
            'options["triggers"]["api"] must be True or False',
        ),
    ],
)
def test_bad_options_are_explained(tmp_path: Path, options: str, message: str) -> None:
    write_action(tmp_path, "bad", f"options = {options}\ndef run():\n    pass\n")

    info = ActionRegistry(tmp_path).info("bad")

    assert info is not None and message in str(info.error)


def test_missing_folder_has_no_actions(tmp_path: Path) -> None:
    assert ActionRegistry(tmp_path / "nowhere").actions() == []
