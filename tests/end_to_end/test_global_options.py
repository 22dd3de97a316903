# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Global options before the command, after it, and from the environment."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.end_to_end.harness import StorehookHarness, free_port

ACTION = """
options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/cart/created"]}}
}


def run(params):
    pass
"""

ENVIRONMENT = (
    "STOREHOOK_DATA_DIR",
    "STOREHOOK_ACTIONS",
    "STOREHOOK_LISTEN",
    "STOREHOOK_PUBLIC_URL",
)
PUBLIC_URL = "https://hooks.example.com/webhooks/bigcommerce"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[StorehookHarness]:
    # The sandbox is not needed here; the harness gives the environment.
    yield StorehookHarness(tmp_path)


def placed(
    placement: str, command: list[str], options: dict[str, str]
) -> tuple[list[str], dict[str, str | None]]:
    """The arguments and environment that give options in one placement."""
    env: dict[str, str | None] = dict.fromkeys(ENVIRONMENT)
    flags = [part for name, value in options.items() for part in (name, value)]
    if placement == "before":
        return flags + command, env
    if placement == "after":
        return command + flags, env
    for name, value in options.items():
        env["STOREHOOK_" + name.removeprefix("--").replace("-", "_").upper()] = value
    return command, env


@pytest.mark.parametrize("placement", ["before", "after", "environment"])
def test_serve_takes_global_options_anywhere(
    harness: StorehookHarness, placement: str
) -> None:
    data_dir = harness.root / f"data-{placement}"
    actions_dir = harness.root / f"actions-{placement}"
    actions_dir.mkdir()
    (actions_dir / "on_cart.py").write_text(ACTION)
    port = free_port()
    options = {
        "--data-dir": str(data_dir),
        "--actions": str(actions_dir),
        "--listen": f"127.0.0.1:{port}",
        "--public-url": PUBLIC_URL,
    }
    arguments, env = placed(placement, ["serve"], options)

    with subprocess.Popen(
        [harness.executable(), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=harness.environment(env),
    ) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
        finally:
            process.terminate()
            _, stderr = process.communicate(timeout=15)

    assert f"receiving on 127.0.0.1:{port};" in banner, stderr
    assert f"hooks point to {PUBLIC_URL}." in banner
    assert process.returncode == 0, stderr
    assert list(data_dir.glob("*.sqlite3"))

    arguments, env = placed(placement, ["actions", "list", "--json"], options)
    actions = harness.json_command(*arguments, env=env)
    assert [a["name"] for a in actions] == ["on_cart"]
    arguments, env = placed(placement, ["queue", "list", "--json"], options)
    assert harness.json_command(*arguments, env=env) == []


def test_an_option_after_the_command_wins_over_the_environment(
    harness: StorehookHarness,
) -> None:
    (harness.actions_dir / "on_cart.py").write_text(ACTION)
    empty = harness.root / "no-actions"
    empty.mkdir()

    from_env = harness.json_command("actions", "list", "--json")
    given = harness.json_command("actions", "list", "--json", "--actions", str(empty))
    before = harness.json_command("--actions", str(empty), "actions", "list", "--json")

    assert [a["name"] for a in from_env] == ["on_cart"]
    assert given == []
    assert before == []


def test_verbose_after_the_command_logs_to_stderr(harness: StorehookHarness) -> None:
    (harness.actions_dir / "on_cart.py").write_text(ACTION)

    quiet = harness.run("actions", "list")
    verbose = harness.run("actions", "list", "--verbose")

    assert quiet.returncode == verbose.returncode == 0
    assert "Loaded action on_cart" not in quiet.stderr
    assert "Loaded action on_cart" in verbose.stderr
