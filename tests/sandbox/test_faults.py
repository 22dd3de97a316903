# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected 429s, 5xx, delays and lost answers; recorded requests; the command."""

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from app.sandbox import Sandbox
from tests.conftest import REPO_ROOT
from tests.sandbox.spec import spec_client

HOOK = {"scope": "store/order/created", "destination": "https://a.test/x"}


def test_br06_429_with_reset_header_then_success(
    sandbox: Sandbox, api: httpx.Client
) -> None:
    sandbox.faults.add(method="POST", path="/v3/hooks", status=429, reset_ms=1500)

    limited = api.post("/v3/hooks", json=HOOK)
    retried = api.post("/v3/hooks", json=HOOK)

    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Time-Reset-Ms"] == "1500"
    assert limited.headers["X-Rate-Limit-Requests-Left"] == "0"
    assert retried.status_code == 200
    assert [m for m, p, _ in sandbox.requests if p.endswith("/v3/hooks")] == [
        "POST",
        "POST",
    ]
    assert sandbox.requests[-1][2] == HOOK


def test_5xx_forever_until_cleared(sandbox: Sandbox, api: httpx.Client) -> None:
    sandbox.faults.add(method="GET", path="/v2/*", status=503, times=None)

    assert api.get("/v2/orders").status_code == 503
    assert api.get("/v2/store").status_code == 503
    assert api.get("/v3/hooks").status_code == 200
    sandbox.faults.clear()
    assert api.get("/v2/store").status_code == 200


def test_control_endpoint_switches_faults(sandbox: Sandbox, api: httpx.Client) -> None:
    control = httpx.post(
        f"{sandbox.api_url}/_sandbox/faults",
        json={"method": "GET", "path": "/v3/hooks", "status": 500, "times": 2},
    )
    assert control.status_code == 201

    assert [api.get("/v3/hooks").status_code for _ in range(3)] == [500, 500, 200]
    recorded = httpx.get(f"{sandbox.api_url}/_sandbox/requests").json()
    assert len(recorded) == 3
    assert httpx.delete(f"{sandbox.api_url}/_sandbox/faults").status_code == 204


def test_bad_fault_is_refused(sandbox: Sandbox) -> None:
    refused = httpx.post(f"{sandbox.api_url}/_sandbox/faults", json={"colour": "red"})
    assert refused.status_code == 400


def test_delay(sandbox: Sandbox, api: httpx.Client) -> None:
    sandbox.faults.add(method="GET", path="/v2/store", delay_s=0.3)

    response = api.get("/v2/store")

    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.3


def test_br23_create_then_drop_connection(sandbox: Sandbox, api: httpx.Client) -> None:
    sandbox.faults.add(method="POST", path="/v3/hooks", action="drop")

    with pytest.raises(httpx.HTTPError):
        api.post("/v3/hooks", json=HOOK)

    assert [h["scope"] for h in api.get("/v3/hooks").json()["data"]] == [HOOK["scope"]]


def test_br23_create_then_stall(sandbox: Sandbox, api: httpx.Client) -> None:
    sandbox.faults.add(method="POST", path="/v3/hooks", action="stall", stall_s=5)

    with pytest.raises(httpx.TimeoutException):
        api.post("/v3/hooks", json=HOOK, timeout=0.5)

    assert len(api.get("/v3/hooks").json()["data"]) == 1


def test_sandbox_command_prints_one_json_line() -> None:
    with subprocess.Popen(
        [sys.executable, "-c", "from app.sandbox.server import main; main(0)"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    ) as process:
        _check_and_stop(process)


def _check_and_stop(process: "subprocess.Popen[str]") -> None:
    try:
        assert process.stdout is not None
        line = json.loads(process.stdout.readline())
        store = line["stores"][0]
        with spec_client(
            base_url=f"{line['api_url']}/stores/{store['store_hash']}",
            headers={"X-Auth-Token": store["access_token"]},
        ) as client:
            assert client.get("/v2/store").json()["name"] == store["name"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
