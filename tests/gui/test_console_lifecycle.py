# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The console from launch to close: start-up in the loop, shutdown mid-job."""

import asyncio
import json
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from app import config
from app.application import Application
from app.config import SECRET_HEADER
from app.db.connection import open_database
from app.db.models import Job, JobState, database_proxy
from app.sandbox import Sandbox
from app.ui.console import run_console
from app.ui.event_bridge import EventBridge
from app.ui.main_window import MainWindow
from app.ui.queue_view import QueueView
from app.ui.wiring import ConsoleViews
from tests.end_to_end.harness import StorehookHarness, free_port
from tests.end_to_end.test_serve import ORDER_ACTION, SLOW_ACTION
from tests.helpers.wait import wait_until

# What broken start-ups and shutdowns print (BR-18, BR-20).
LOOP_ERRORS = (
    "no running event loop",
    "was never awaited",
    "QThread: Destroyed",
    "Traceback",
)


def order_created(store_hash: str) -> dict[str, Any]:
    payloads = Path(__file__).parents[2] / "resources" / "payloads"
    callback: dict[str, Any] = json.loads(
        (payloads / "store_order_created.json").read_text()
    )
    callback["producer"] = f"stores/{store_hash}"
    return callback


class Console:
    """The real `storehook` console in a subprocess, on the offscreen platform."""

    def __init__(self, harness: StorehookHarness, number: int) -> None:
        self.harness = harness
        self.stderr_path = harness.root / f"console-{number}.stderr"
        env = dict(harness.env)
        # Its own QSettings, so that the user's window state is never touched.
        env.update(
            QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(harness.root / "config")
        )
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [harness.executable()],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
                env=env,
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the console exited: {self.stderr()}")
        try:
            url = self.harness.receiver_url + "/health"
            return httpx.get(url, timeout=1).is_success
        except httpx.HTTPError:
            return False

    def close(self) -> int:
        """SIGTERM, as a session logout does; return the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[StorehookHarness]:
    with StorehookHarness(tmp_path) as running:
        yield running


@pytest.fixture
def launch(harness: StorehookHarness) -> Iterator[Any]:
    consoles: list[Console] = []

    def start() -> Console:
        consoles.append(Console(harness, len(consoles)))
        return consoles[-1]

    yield start
    for console in consoles:
        console.kill()


def deliver(harness: StorehookHarness, store_hash: str) -> httpx.Response:
    return httpx.post(
        harness.receiver_url,
        json=order_created(store_hash),
        headers={SECRET_HEADER: harness.webhook_secret(store_hash)},
        timeout=5,
    )


def hooks_checked(harness: StorehookHarness, store_hash: str) -> bool:
    statuses = harness.json_command("hooks", "status", "--json")
    return any(s["store_hash"] == store_hash and s["checked_at"] for s in statuses)


def jobs_in(harness: StorehookHarness, state: str) -> list[dict[str, Any]]:
    return [job for job in harness.queue_list() if job["state"] == state]


def assert_clean_exit(console: Console, status: int) -> None:
    stderr = console.stderr()
    assert status == 0, stderr
    for error in LOOP_ERRORS:
        assert error not in stderr


def test_br18_console_starts_without_loop_errors(
    harness: StorehookHarness, launch: Any
) -> None:
    harness.write_action("order_created", ORDER_ACTION)
    store = harness.add_sandbox_store()

    console = launch()
    started = time.monotonic()
    wait_until(console.answers, timeout=5, message="the receiver did not answer")
    response = deliver(harness, store.store_hash)
    wait_until(lambda: hooks_checked(harness, store.store_hash), timeout=5)

    assert response.status_code == 200
    assert time.monotonic() - started < 5
    assert_clean_exit(console, console.close())
    assert len(jobs_in(harness, "succeeded")) == 1


def test_br20_sigterm_while_a_job_runs(harness: StorehookHarness, launch: Any) -> None:
    harness.write_action("slow_order", SLOW_ACTION)
    store = harness.add_sandbox_store()
    console = launch()
    wait_until(console.answers, timeout=20)
    assert deliver(harness, store.store_hash).status_code == 200
    wait_until(lambda: jobs_in(harness, "running"), timeout=10)

    started = time.monotonic()
    status = console.close()

    assert time.monotonic() - started < 10
    assert_clean_exit(console, status)
    [job] = harness.queue_list()
    assert job["state"] == "queued"
    assert job["attempts"] == 1

    # The port is free at once, and the job runs again on the next launch.
    harness.write_action("slow_order", ORDER_ACTION)
    relaunched = launch()
    wait_until(relaunched.answers, timeout=20)
    [job] = wait_until(lambda: jobs_in(harness, "succeeded"), timeout=20)
    assert job["attempts"] == 2
    assert_clean_exit(relaunched, relaunched.close())


# In-process: the real run_console, driven from inside its own qasync loop.

Script = Any  # async (Application, MainWindow) -> None


class DrivenViews:
    """ConsoleViews, plus a test script started in the console's loop.

    The script runs once the window exists; whatever happens, it ends by
    closing the window, as the user would, so the console always returns.
    """

    def __init__(self, application: Application, script: Script) -> None:
        self.application = application
        self._views = ConsoleViews(application)
        self._script = script
        self._task: asyncio.Task[None] | None = None
        self.error: BaseException | None = None
        self.closed_at = 0.0

    def __call__(
        self, window: MainWindow, bridge: EventBridge, queue: QueueView
    ) -> None:
        self._views(window, bridge, queue)
        self._task = asyncio.ensure_future(self._drive(window))

    async def _drive(self, window: MainWindow) -> None:
        try:
            await self._script(self.application, window)
        except BaseException as error:
            self.error = error
        finally:
            self.closed_at = time.monotonic()
            window.close()


async def eventually(condition: Any, timeout: float = 10.0) -> Any:
    """wait_until for code inside the loop: the loop keeps running meanwhile."""
    deadline = time.monotonic() + timeout
    while not (result := await asyncio.to_thread(condition)):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
    return result


async def eventually_on_screen(condition: Any, timeout: float = 10.0) -> Any:
    """eventually() for widget reads, which must stay on the GUI thread."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
    return result


def job_states() -> list[tuple[str, int]]:
    with database_proxy.connection_context():
        return [(job.state, job.attempts) for job in Job.select()]


@pytest.fixture
def console_settings(qapp: QApplication, tmp_path: Path) -> Iterator[None]:
    """Window state in tmp_path; the application's names restored afterwards."""
    names = (qapp.applicationName(), qapp.organizationName())
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path)
    )
    yield
    default = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, default)
    qapp.setApplicationName(names[0])
    qapp.setOrganizationName(names[1])


def close_while_running(sandbox: Sandbox) -> Script:
    """Add the sandbox store, deliver one order, close once its job runs."""

    async def script(application: Application, window: MainWindow) -> None:
        store = sandbox.stores[0]
        await application.stores.add_store(
            store.store_hash, store.access_token, api_url=sandbox.api_url
        )
        secret = await application.stores.webhook_secret(store.store_hash)
        await eventually(lambda: application.receiver.is_running)
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.post(
                application.settings.local_receiver_url,
                json=order_created(store.store_hash),
                headers={SECRET_HEADER: secret},
            )
        assert response.status_code == 200
        await eventually(lambda: job_states() == [(JobState.RUNNING, 1)])

    return script


async def close_once_succeeded(application: Application, window: MainWindow) -> None:
    await eventually(lambda: application.receiver.is_running)
    await eventually(lambda: job_states() == [(JobState.SUCCEEDED, 2)])


def run_driven(settings: config.Settings, script: Script) -> tuple[int, float]:
    """Run the console until the script closes it: status, seconds to exit."""
    views = DrivenViews(Application(settings), script)
    status = run_console(views.application, add_views=views)
    if views.error is not None:
        raise views.error
    return status, time.monotonic() - views.closed_at


def saved_job_states(settings: config.Settings) -> list[tuple[str, int]]:
    database = open_database(settings.data_dir)
    try:
        return job_states()
    finally:
        database.close()


def test_br20_closing_the_window_while_a_job_runs(
    tmp_path: Path,
    memory_keyring: Any,
    console_settings: None,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    actions = tmp_path / "actions"
    actions.mkdir()
    (actions / "slow_order.py").write_text(SLOW_ACTION)
    settings = config.Settings(
        data_dir=tmp_path / "data", actions_dir=actions, listen_port=free_port()
    )
    sandbox = Sandbox()
    sandbox.start()
    try:
        status, exit_seconds = run_driven(settings, close_while_running(sandbox))
        saved = saved_job_states(settings)

        # The port is free at once: the relaunch binds it and reruns the job.
        (actions / "slow_order.py").write_text(ORDER_ACTION)
        relaunch_status, _ = run_driven(settings, close_once_succeeded)
    finally:
        sandbox.stop()

    assert status == 0
    assert exit_seconds < 10
    assert saved == [(JobState.QUEUED, 1)]
    assert relaunch_status == 0
    assert saved_job_states(settings) == [(JobState.SUCCEEDED, 2)]
    stderr = capfd.readouterr().err
    for error in LOOP_ERRORS:
        assert error not in stderr
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_console_shows_the_four_views_and_the_receiver_state(
    tmp_path: Path, memory_keyring: Any, console_settings: None
) -> None:
    settings = config.Settings(
        data_dir=tmp_path / "data", actions_dir=tmp_path, listen_port=free_port()
    )
    seen: dict[str, Any] = {}

    async def look(application: Application, window: MainWindow) -> None:
        seen["titles"] = window.view_titles()
        await eventually_on_screen(lambda: "listening" in window.receiver_state_text())
        seen["receiver"] = window.receiver_state_text()
        # The counts come from a database read off the GUI thread.
        seen["counts"] = await eventually_on_screen(window.counts_text)

    status, _ = run_driven(settings, look)

    assert status == 0
    assert seen["titles"] == ["Installs", "Queue", "Actions", "Receiver"]
    assert seen["receiver"].startswith(
        f"Receiver: listening on 127.0.0.1:{settings.listen_port}"
    )
    assert seen["counts"] == "0 running · 0 failed in the last hour"
