# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook stores` and `storehook hooks` refuse bad input in one clear line."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from app import timeutil
from app.db.models import Store
from tests.conftest import REPO_ROOT


def storehook(
    data_dir: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        STOREHOOK_DATA_DIR=str(data_dir),
        STOREHOOK_NO_LOG_FILE="1",
        PYTHONPATH=str(REPO_ROOT),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_stores_add_refuses_a_bad_api_url_without_a_traceback(data_dir: Path) -> None:
    for url, reason in [
        ("https://api.bigcommerce.com:abc", "is not a usable API URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("api.bigcommerce.com", "enter an http:// or https:// URL"),
    ]:
        result = storehook(
            data_dir, "stores", "add", "abc123", "--api-url", url, stdin="tok\n"
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert reason in result.stderr
        assert "tok" not in result.stderr


def test_hooks_sync_with_a_missing_actions_folder_exits_1_with_one_line(
    data_dir: Path, database: Any, tmp_path: Path
) -> None:
    Store.create(
        store_hash="abc123",
        name="Test Store",
        api_url="http://127.0.0.1:9",
        connected_at=timeutil.now(),
        status="registered",
        topics=json.dumps([{"scope": "store/order/created", "state": "active"}]),
    )
    typo = tmp_path / "acitons"

    result = storehook(data_dir, "--actions", str(typo), "hooks", "sync")

    expected = f"actions folder {typo} not found; hooks left unchanged"
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {expected}"]
    status = storehook(data_dir, "hooks", "status", "--json")
    (document,) = json.loads(status.stdout)
    assert document["error"] == expected
    assert document["topics"] == [{"scope": "store/order/created", "state": "active"}]
