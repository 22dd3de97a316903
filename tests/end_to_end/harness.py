# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the real storehook command in subprocesses against an in-process sandbox."""

import datetime
import json
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from keyring.backends import SecretService

from app.config import RECEIVER_PATH
from app.sandbox import Sandbox
from tests.helpers.wait import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


def is_iso_utc(text: str) -> bool:
    """True for an ISO 8601 time in UTC, as every --json output gives times."""
    parsed = datetime.datetime.fromisoformat(text)
    return parsed.utcoffset() == datetime.timedelta(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class StorehookHarness:
    """One data folder, one actions folder, a sandbox, and storehook processes."""

    def __init__(self, root: Path, sandbox: Sandbox | None = None) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.actions_dir = root / "actions"
        self.actions_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.receiver_url = f"http://127.0.0.1:{self.port}{RECEIVER_PATH}"
        self.sandbox = sandbox or Sandbox()
        self._processes: list[tuple[subprocess.Popen[str], Path]] = []
        self.env = self._environment()

    @staticmethod
    def executable() -> str:
        return str(Path(sys.executable).with_name("storehook"))

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            STOREHOOK_DATA_DIR=str(self.data_dir),
            STOREHOOK_ACTIONS=str(self.actions_dir),
            STOREHOOK_LISTEN=f"127.0.0.1:{self.port}",
            STOREHOOK_NO_LOG_FILE="1",
            PYTHONPATH=str(REPO_ROOT),
        )
        if not os.environ.get("STOREHOOK_TEST_SECRET_SERVICE"):
            # Without a Secret Service, a file stands in for the keyring so that
            # several processes share it.
            env["PYTHON_KEYRING_BACKEND"] = "tests.helpers.file_keyring.FileKeyring"
            env["STOREHOOK_TEST_KEYRING_FILE"] = str(self.root / "keyring.json")
        return env

    def __enter__(self) -> "StorehookHarness":
        self.sandbox.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for process, _ in self._processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        self.sandbox.stop()

    def environment(self, overrides: Mapping[str, str | None] | None) -> dict[str, str]:
        """The harness's environment with overrides (None removes a variable)."""
        env = dict(self.env)
        for name, value in (overrides or {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        return env

    def run(
        self,
        *args: str,
        stdin: str = "",
        env: Mapping[str, str | None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run one storehook command to completion."""
        return subprocess.run(
            [self.executable(), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.environment(env),
            timeout=60,
        )

    def json_command(
        self, *args: str, env: Mapping[str, str | None] | None = None
    ) -> Any:
        """Run a --json command; its stdout must be exactly one JSON document."""
        result = self.run(*args, env=env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def queue_list(self, limit: int = 50) -> list[dict[str, Any]]:
        jobs: list[dict[str, Any]] = self.json_command(
            "queue", "list", "--limit", str(limit), "--json"
        )
        return jobs

    def write_action(self, name: str, source: str) -> Path:
        path = self.actions_dir / f"{name}.py"
        path.write_text(source)
        return path

    def add_sandbox_store(self, index: int = 0) -> Any:
        store = self.sandbox.stores[index]
        result = self.run(
            "stores",
            "add",
            store.store_hash,
            "--api-url",
            self.sandbox.api_url,
            stdin=store.access_token + "\n",
        )
        assert result.returncode == 0, result.stderr
        return store

    def secret(self, store_hash: str, name: str) -> str | None:
        """A store's secret as the storehook processes' keyring holds it."""
        user = f"{store_hash}/{name}"
        if os.environ.get("STOREHOOK_TEST_SECRET_SERVICE"):
            # The Secret Service itself: the process's default keyring may be
            # a chain that includes backends other tests defined.
            backend = SecretService.Keyring()
            value: str | None = backend.get_password("storehook", user)
            return value
        path = self.root / "keyring.json"
        stored = json.loads(path.read_text()) if path.exists() else {}
        secret = stored.get(f"storehook\0{user}")
        return str(secret) if secret is not None else None

    def webhook_secret(self, store_hash: str) -> str:
        secret = self.secret(store_hash, "webhook_secret")
        assert secret
        return secret

    def start_serve(
        self, *args: str, env: Mapping[str, str | None] | None = None
    ) -> subprocess.Popen[str]:
        """Start `storehook serve` and wait until its receiver answers."""
        log_path = self.root / f"serve-{len(self._processes)}.stderr"
        with log_path.open("w") as stderr:
            process = subprocess.Popen(
                [self.executable(), "serve", *args],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
                env=self.environment(env),
            )
        self._processes.append((process, log_path))
        wait_until(
            lambda: self._answers(process),
            timeout=20,
            message=f"storehook serve did not start: {self.stderr_of(process)}",
        )
        return process

    def stop_serve(self, process: subprocess.Popen[str]) -> int:
        """Stop a serve process as an operator would (SIGTERM); its exit status."""
        if process.poll() is None:
            process.terminate()
        return process.wait(timeout=15)

    def _answers(self, process: subprocess.Popen[str]) -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {self.stderr_of(process)}")
        try:
            return httpx.get(self.receiver_url + "/health", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def stderr_of(self, process: subprocess.Popen[str]) -> str:
        for candidate, path in self._processes:
            if candidate is process:
                return path.read_text()
        return ""
