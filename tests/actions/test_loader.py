# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovering action files, their options and errors, and reloading them."""

import json
import os
from pathlib import Path
from typing import Any

import pytest

from app import timeutil
from app.actions.loader import ActionRegistry
from app.actions.model import ActionsFolderUnavailable
from app.actions.runtime import ActionRuntime
from app.db.models import Attempt, JobState
from app.events import ACTIONS_CHANGED, Event, EventHub
from app.queue import jobs
from app.queue.ingest import ingest_delivery
from app.queue.loopguard import LoopGuard
from app.queue.worker import WorkerPool
from tests.helpers.wait import wait_until
from tests.queue.support import (
    FAST_POLICY,
    STORE,
    FakeProvider,
    job,
    wait_state,
    write_action,
)


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


def test_broken_edit_keeps_the_last_good_triggers_until_fixed(tmp_path: Path) -> None:
    write_action(tmp_path, "orders", _action("store/order/created"))
    write_action(tmp_path, "never", "def run(:\n")
    registry = ActionRegistry(tmp_path)

    # An editor saves half a file: the hooks and deliveries must not go.
    write_action(tmp_path, "orders", _action("store/order/updated", "def run(:\n"))
    assert registry.refresh() is True
    info = registry.info("orders")
    assert info is not None and info.stale
    assert info.error is not None and "SyntaxError" in info.error
    assert info.triggers == ("store/order/created",)
    assert registry.desired_scopes() == {"store/order/created"}
    assert registry.actions_for("store/order/created") == [info]
    # Its jobs fail with the load error until the file is fixed.
    assert registry.get("orders") is None

    # A second bad save still remembers the last version that loaded.
    write_action(tmp_path, "orders", "raise RuntimeError('still editing')\n")
    registry.refresh()
    info = registry.info("orders")
    assert info is not None and info.stale and "still editing" in str(info.error)
    assert info.triggers == ("store/order/created",)

    # A file that never loaded has no triggers.
    never = registry.info("never")
    assert never is not None and never.triggers == () and not never.stale
    assert registry.actions_for("store/order/updated") == []

    write_action(tmp_path, "orders", _action("store/order/updated"))
    registry.refresh()
    info = registry.info("orders")
    assert info is not None and not info.stale and info.error is None
    assert registry.desired_scopes() == {"store/order/updated"}
    assert registry.get("orders") is not None


def test_stale_action_queues_deliveries_and_runs_them_once_fixed(
    tmp_path: Path, database: Any
) -> None:
    actions_dir = tmp_path / "actions"
    marker = tmp_path / "ran.txt"
    body = (
        "import pathlib\n"
        f"def run(params):\n    pathlib.Path({str(marker)!r}).write_text('ran')\n"
    )
    write_action(actions_dir, "orders", _action("store/order/created", body))
    registry = ActionRegistry(actions_dir)
    write_action(actions_dir, "orders", _action("store/order/created", "def run(:\n"))
    registry.refresh()

    envelope = {
        "scope": "store/order/created",
        "store_id": "1009876",
        "data": {"type": "order", "id": 5},
        "hash": "stale-action-delivery",
        "created_at": 1717243260,
        "producer": f"stores/{STORE}",
    }
    result = ingest_delivery(
        database,
        store_hash=STORE,
        envelope=envelope,
        body_text=json.dumps(envelope),
        actions=registry.actions_for("store/order/created"),
        loop_guard=LoopGuard(10, 300.0),
        received_at=timeutil.now(),
    )
    (job_id,) = result.job_ids

    runtime = ActionRuntime(database, FakeProvider(), registry=registry)
    pool = WorkerPool(
        database, registry, runtime, poll_interval_s=0.05, policy=FAST_POLICY
    )
    pool.start()
    try:
        wait_until(lambda: _ended_attempts(job_id) >= 1)
        first = Attempt.get((Attempt.job == job_id) & (Attempt.number == 1))
        assert first.error_type == "ActionLoadError"
        assert "SyntaxError" in first.error_message
        wait_state(job_id, JobState.HELD)
        assert job(job_id).hold_reason.startswith(jobs.ACTION_NOT_LOADING)

        # The application releases such jobs whenever the actions reload.
        write_action(actions_dir, "orders", _action("store/order/created", body))
        registry.refresh()
        assert jobs.release_loaded_actions(database, ["orders"]) == [job_id]
        pool.wake()
        wait_state(job_id, JobState.SUCCEEDED)
    finally:
        pool.stop(timeout_s=10)
    assert marker.read_text() == "ran"


def _ended_attempts(job_id: int) -> int:
    ended = Attempt.select().where(
        (Attempt.job == job_id) & Attempt.ended_at.is_null(False)
    )
    return int(ended.count())


def test_missing_actions_folder_is_reported_and_changes_nothing(
    tmp_path: Path,
) -> None:
    missing = ActionRegistry(tmp_path / "acitons")
    assert missing.folder_error == f"actions folder {tmp_path / 'acitons'} not found"
    with pytest.raises(ActionsFolderUnavailable, match="not found"):
        missing.desired_scopes()

    folder = tmp_path / "actions"
    write_action(folder, "orders", _action("store/order/created"))
    registry = ActionRegistry(folder)
    assert registry.folder_error == ""
    # The folder vanishes (unmounted, renamed): actions stay, sync must wait.
    folder.rename(tmp_path / "away")
    assert registry.refresh() is True
    assert "not found" in registry.folder_error
    assert [a.name for a in registry.actions_for("store/order/created")] == ["orders"]
    with pytest.raises(ActionsFolderUnavailable):
        registry.desired_scopes()

    (tmp_path / "away").rename(folder)
    assert registry.refresh() is True
    assert registry.folder_error == ""
    assert registry.desired_scopes() == {"store/order/created"}

    (tmp_path / "a-file").write_text("")
    not_a_folder = ActionRegistry(tmp_path / "a-file")
    assert "is not a folder" in not_a_folder.folder_error
