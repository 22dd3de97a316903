# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A worker process killed mid-job: the job runs again in the next process."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from app.db.models import JobState
from app.queue import jobs
from tests.conftest import REPO_ROOT
from tests.helpers.wait import wait_until
from tests.queue.support import add_job, job, running_pool, wait_state, write_action

WORKER_SCRIPT = """
import sys, threading
from pathlib import Path
from app.db.connection import open_database
from app.actions.loader import ActionRegistry
from app.actions.runtime import ActionRuntime
from app.queue.worker import WorkerPool
from tests.queue.support import FakeProvider

database = open_database(Path(sys.argv[1]))
registry = ActionRegistry(Path(sys.argv[2]))
pool = WorkerPool(database, registry, ActionRuntime(database, FakeProvider()),
                  poll_interval_s=0.05)
pool.start()
threading.Event().wait()
"""


def test_kill_9_during_the_last_attempt_runs_it_again(
    database: Any, data_dir: Path, tmp_path: Path
) -> None:
    actions = tmp_path / "actions"
    started = tmp_path / "started"
    write_action(
        actions,
        "long",
        'options = {"triggers": {"bigcommerce": {"webhooks": ["store/product/*"]}}}\n'
        + f"""
import time
from pathlib import Path
def run():
    if not Path({str(started)!r}).exists():
        Path({str(started)!r}).write_text("x")
        time.sleep(60)
""",
    )
    # Its only allowed attempt: a crash is not the job's fault all the same.
    job_id = add_job("long", max_attempts=1)
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER_SCRIPT))

    process = subprocess.Popen(
        [sys.executable, str(script), str(data_dir), str(actions)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        wait_until(started.exists, 30, "the worker process never started the job")
        assert job(job_id).state == JobState.RUNNING
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    with running_pool(database, actions):
        row = wait_state(job_id, JobState.SUCCEEDED)

    assert (row.attempts, row.max_attempts) == (2, 2)
    first, second = jobs.show_job(database, job_id)["attempt_log"]
    assert first["outcome"] == "interrupted"
    assert first["error_message"] == jobs.INTERRUPTED_BY_CRASH
    assert second["outcome"] == "succeeded"
