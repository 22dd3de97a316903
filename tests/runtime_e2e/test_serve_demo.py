# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook serve --demo` as a user runs it: events flow, one action retries."""

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.end_to_end.harness import free_port
from tests.helpers.wait import wait_until
from tests.runtime_e2e.conftest import STOREHOOK

DEMO_DATA = re.compile(r"Demo data in (\S+)")


class DemoProcess:
    """A running `storehook -v serve --demo` and the data folder it announced."""

    def __init__(self, root: Path) -> None:
        self.stderr_path = root / "serve.stderr"
        # The demo's fresh data folder goes under the test's own temp folder.
        self.env = {**os.environ, "TMPDIR": str(root), "STOREHOOK_NO_LOG_FILE": "1"}
        listen = f"127.0.0.1:{free_port()}"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [STOREHOOK, "-v", "serve", "--demo", "--listen", listen],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=self.env,
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def data_dir(self) -> str:
        def announced() -> str | None:
            assert self.process.poll() is None, self.stderr()
            match = DEMO_DATA.search(self.stderr())
            return match.group(1) if match else None

        folder = wait_until(announced, timeout=20)
        assert folder is not None
        return folder

    def jobs(self) -> list[dict[str, Any]]:
        result = subprocess.run(
            [STOREHOOK, "--data-dir", self.data_dir(), "queue", "list", "--json"],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        jobs: list[dict[str, Any]] = json.loads(result.stdout)
        return jobs


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[DemoProcess]:
    running = DemoProcess(tmp_path)
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(10)


def test_serve_demo_runs_jobs_retries_one_and_never_loops(demo: DemoProcess) -> None:
    def erp_retried_and_busy() -> list[dict[str, Any]]:
        jobs = demo.jobs()
        retried = [
            job
            for job in jobs
            if job["action"] == "sync_order_to_erp"
            and job["state"] == "succeeded"
            and job["attempts"] == 3
        ]
        succeeded = [job for job in jobs if job["state"] == "succeeded"]
        # About 20 s of the sandbox's events (one every 2 s).
        return jobs if retried and len(succeeded) >= 12 else []

    jobs = wait_until(erp_retried_and_busy, timeout=50)

    assert not [job for job in jobs if job["state"] in ("held", "failed")]
    succeeded = {job["action"] for job in jobs if job["state"] == "succeeded"}
    assert {"sync_order_to_erp", "flag_high_value_orders", "track_inventory"} <= (
        succeeded
    )
    assert "ErpBusy: ERP answered 503" in demo.stderr()

    demo.process.send_signal(signal.SIGTERM)
    assert demo.process.wait(timeout=15) == 0
    levels = re.findall(r"^\S+ \S+ (ERROR|CRITICAL) ", demo.stderr(), re.MULTILINE)
    assert not levels, demo.stderr()
