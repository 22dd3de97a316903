# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action files whose options or import-time code would harm the others."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app import timeutil
from app.actions.loader import ActionRegistry
from app.db.models import Job
from app.queue.ingest import ingest_delivery
from app.queue.loopguard import LoopGuard
from tests.conftest import REPO_ROOT
from tests.helpers.wait import wait_until
from tests.queue.gates import closed_gate
from tests.queue.support import STORE, write_action

SCOPE = "store/order/created"


def _action(extra: str = "", body: str = "def run():\n    pass\n") -> str:
    triggers = f'{{"bigcommerce": {{"webhooks": [{SCOPE!r}]}}}}'
    return f'options = {{"triggers": {triggers}{extra}}}\n' + body


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ('"timeout": float("nan")', 'options["timeout"] must be seconds > 0'),
        ('"timeout": float("inf")', "at most 86400 (24 hours), got inf"),
        ('"timeout": 86401', "got 86401"),
        ('"timeout": -1', "got -1"),
        ('"timeout": 10**400', 'options["timeout"] must be seconds > 0'),
        ('"timeout": True', "got True"),
        ('"retries": 10**20', "from 0 to 100, got 100000000000000000000"),
        ('"retries": 101', "from 0 to 100, got 101"),
        ('"retries": -1', "got -1"),
        ('"retries": True', "got True"),
        ('"retries": 2.0', "got 2.0"),
    ],
)
def test_options_the_database_cannot_store_are_load_errors(
    tmp_path: Path, options: str, message: str
) -> None:
    write_action(tmp_path, "bad", _action(f", {options}"))

    info = ActionRegistry(tmp_path).info("bad")

    assert info is not None and info.error is not None
    assert message in info.error
    assert info.triggers == ()


def test_the_limits_themselves_load(tmp_path: Path) -> None:
    write_action(tmp_path, "edge", _action(', "timeout": 86400, "retries": 100'))

    edge = ActionRegistry(tmp_path).get("edge")

    assert edge is not None
    assert (edge.info.timeout, edge.info.max_attempts) == (86400.0, 101)


@pytest.mark.parametrize(
    "scopes", ["[1]", '["store/order/created", None]', '"store/order/created"']
)
def test_triggers_must_be_a_list_of_strings(tmp_path: Path, scopes: str) -> None:
    write_action(
        tmp_path,
        "bad",
        f'options = {{"triggers": {{"bigcommerce": {{"webhooks": {scopes}}}}}}}\n'
        "def run():\n    pass\n",
    )

    info = ActionRegistry(tmp_path).info("bad")

    assert info is not None and info.error is not None


def test_a_bad_file_does_not_stop_the_other_actions_deliveries(
    database: Any, tmp_path: Path
) -> None:
    write_action(tmp_path, "good", _action())
    write_action(tmp_path, "bad", _action(', "timeout": float("nan")'))
    write_action(tmp_path, "huge", _action(', "retries": 10**20'))
    registry = ActionRegistry(tmp_path)
    envelope = {
        "scope": SCOPE,
        "store_id": "1",
        "data": {"type": "order", "id": 5},
        "hash": "abc",
        "created_at": 1717243260,
        "producer": f"stores/{STORE}",
    }

    result = ingest_delivery(
        database,
        store_hash=STORE,
        envelope=envelope,
        body_text=json.dumps(envelope),
        actions=registry.actions_for(SCOPE),
        loop_guard=LoopGuard(),
        received_at=timeutil.now(),
    )

    assert [Job.get_by_id(j).action for j in result.job_ids] == ["good"]


@pytest.mark.parametrize(
    ("statement", "error"),
    [
        (
            "raise KeyboardInterrupt",
            "bad.py: line 2: raised KeyboardInterrupt at import time; an action "
            "file cannot stop Storehook",
        ),
        (
            "raise SystemExit(3)",
            "bad.py: line 2: raised SystemExit at import time; an action file "
            "cannot stop Storehook",
        ),
    ],
)
def test_import_time_code_cannot_stop_the_loader(
    tmp_path: Path, statement: str, error: str
) -> None:
    write_action(tmp_path, "good", _action())
    write_action(tmp_path, "bad", "x = 1\n" + statement + "\n" + _action())

    registry = ActionRegistry(tmp_path)

    assert registry.get("good") is not None
    bad = registry.info("bad")
    assert bad is not None and bad.error == error


def test_import_time_code_that_never_ends_is_abandoned(tmp_path: Path) -> None:
    write_action(tmp_path, "good", _action())
    write_action(
        tmp_path,
        "sleepy",
        "from tests.queue.gates import gate\ngate('import').wait()\n" + _action(),
    )

    with closed_gate("import"):
        registry = ActionRegistry(tmp_path, import_time_limit_s=0.2)

        assert registry.get("good") is not None
        sleepy = registry.info("sleepy")
        assert sleepy is not None
        assert sleepy.error == (
            "sleepy.py: importing took longer than 0.2 s (waiting or looping at "
            "import time?); it was abandoned"
        )


def test_the_watcher_survives_a_file_added_while_it_runs(tmp_path: Path) -> None:
    registry = ActionRegistry(tmp_path)
    registry.start_watching(interval_s=0.02)
    try:
        write_action(tmp_path, "stops", "raise KeyboardInterrupt\n")
        wait_until(lambda: registry.info("stops") is not None)
        write_action(tmp_path, "exits", "raise SystemExit\n")
        wait_until(lambda: registry.info("exits") is not None)

        # Files added later still load.
        write_action(tmp_path, "later", _action())
        wait_until(lambda: registry.get("later") is not None)
    finally:
        registry.stop_watching()

    stops, exits = registry.info("stops"), registry.info("exits")
    assert stops is not None and "KeyboardInterrupt" in str(stops.error)
    assert exits is not None and "SystemExit" in str(exits.error)


def test_actions_list_reports_a_file_that_raises_keyboard_interrupt(
    tmp_path: Path,
) -> None:
    actions = tmp_path / "actions"
    write_action(actions, "good", _action())
    write_action(actions, "bad", "raise KeyboardInterrupt\n")

    done = subprocess.run(
        [sys.executable, "-m", "app", "actions", "list", "--json"],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "STOREHOOK_ACTIONS": str(actions),
            "STOREHOOK_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    listed = {a["name"]: a["error"] for a in json.loads(done.stdout)}
    assert listed["good"] is None
    assert "raised KeyboardInterrupt at import time" in listed["bad"]
