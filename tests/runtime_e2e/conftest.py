# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A whole in-process Storehook (Application) wired to a loopback sandbox."""

import asyncio
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from app import config
from app.application import Application, demo_actions_source
from app.db.models import database_proxy
from app.queue import jobs
from app.sandbox import Sandbox
from tests.helpers.wait import wait_until

T = TypeVar("T")

STOREHOOK = str(Path(sys.executable).with_name("storehook"))


class RunningStorehook:
    """An Application running on a loop of its own, with a sandbox's stores added.

    The test thread drives the sandbox and reads the database; anything that
    must run on the Application's loop goes through call().
    """

    def __init__(self, root: Path, sandbox: Sandbox, **settings: Any) -> None:
        self.root = root
        self.sandbox = sandbox
        self.settings = config.Settings(
            data_dir=root / "data",
            actions_dir=root / "actions",
            listen_port=0,
            public_url="",
            retry_base_s=0.05,
            **settings,
        )
        self.actions_dir.mkdir(parents=True, exist_ok=True)
        self.app: Application | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="test-app-loop", daemon=True
        )

    @property
    def actions_dir(self) -> Path:
        return self.settings.actions_dir

    @property
    def store_hashes(self) -> list[str]:
        return [store.store_hash for store in self.sandbox.stores]

    def write_action(self, name: str, source: str) -> None:
        (self.actions_dir / f"{name}.py").write_text(source)

    def copy_demo_actions(self) -> None:
        for path in demo_actions_source().glob("*.py"):
            shutil.copy(path, self.actions_dir / path.name)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the Application's loop and wait for its result."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout)

    def start(self) -> Application:
        """Start Storehook, connect every sandbox store and register its hooks."""
        self._thread.start()
        self.app = Application(self.settings)
        self.call(self.app.start())
        for store in self.sandbox.stores:
            self.call(
                self.app.stores.add_store(
                    store.store_hash, store.access_token, api_url=self.sandbox.api_url
                )
            )
        self.call(self.app.sync.sync_all())
        wait_until(
            lambda: all(self.sandbox.hooks(h) for h in self.store_hashes),
            message="the sandbox never got Storehook's hooks",
        )
        return self.app

    def stop(self) -> None:
        if self.app is not None:
            self.call(self.app.stop())
            database_proxy.initialize(None)
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()

    # Reading what a user would see

    def jobs(self, state: str | None = None) -> list[dict[str, Any]]:
        assert self.app is not None
        return jobs.list_jobs(self.app.database, state=state, limit=1000)

    def show(self, job_id: int) -> dict[str, Any]:
        assert self.app is not None
        return jobs.show_job(self.app.database, job_id)

    def settled(self) -> bool:
        """Nothing is being delivered, waiting to run or running."""
        if self.sandbox.pending_deliveries:
            return False
        busy = ("queued", "running", "retrying")
        return not [job for job in self.jobs() if job["state"] in busy]

    def webhook_secret(self, store_hash: str) -> str:
        assert self.app is not None
        secret = self.app.secrets.get(store_hash, "webhook_secret")
        assert secret
        return secret

    def post_callback(self, store_hash: str, scope: str, data: dict[str, Any]) -> None:
        """Deliver a callback the sandbox does not produce by itself."""
        assert self.app is not None
        store = next(s for s in self.sandbox.stores if s.store_hash == store_hash)
        body = {
            "producer": f"stores/{store_hash}",
            "hash": f"test-{scope}-{store_hash}",
            "created_at": 1767225600,
            "store_id": store.store_id,
            "scope": scope,
            "data": data,
        }
        response = httpx.post(
            self.app.destination_url(),
            json=body,
            headers={config.SECRET_HEADER: self.webhook_secret(store_hash)},
        )
        assert response.status_code == 200, response.text

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the storehook command on this data folder, as an operator would."""
        return subprocess.run(
            [STOREHOOK, "--data-dir", str(self.settings.data_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "STOREHOOK_NO_LOG_FILE": "1"},
        )


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


@pytest.fixture
def make_storehook(
    tmp_path: Path, sandbox: Sandbox, memory_keyring: Any
) -> Iterator[Any]:
    """make_storehook(**settings): a RunningStorehook, stopped after the test."""
    made: list[RunningStorehook] = []

    def make(**settings: Any) -> RunningStorehook:
        running = RunningStorehook(tmp_path, sandbox, **settings)
        made.append(running)
        return running

    yield make
    for running in made:
        running.stop()
