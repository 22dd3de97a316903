# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the sandbox tests: a running sandbox and a callback catcher."""

import dataclasses
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.sandbox import Sandbox
from tests.sandbox.spec import spec_client


@dataclasses.dataclass
class Caught:
    """One callback as the destination received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class CallbackCatcher:
    """A real HTTP endpoint on loopback that records callbacks.

    status decides the answer; set it to 500 to make deliveries fail.
    """

    def __init__(self) -> None:
        self.caught: list[Caught] = []
        self.status = 200
        self.lock = threading.Lock()
        catcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with catcher.lock:
                    catcher.caught.append(Caught(self.path, headers, body))
                self.send_response(catcher.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def scopes(self) -> list[str]:
        """Scopes received so far, in order."""
        with self.lock:
            return [c.body["scope"] for c in self.caught]

    def of_scope(self, scope: str) -> list[Caught]:
        """Callbacks received for one scope."""
        with self.lock:
            return [c for c in self.caught if c.body["scope"] == scope]


@pytest.fixture
def catcher() -> Iterator[CallbackCatcher]:
    """A callback destination on loopback."""
    catcher = CallbackCatcher()
    catcher.thread.start()
    yield catcher
    catcher.server.shutdown()
    catcher.server.server_close()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox whose retries take a hundred-thousandth of real time."""
    sandbox = Sandbox(time_scale=1e-5, seed=7)
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client on the first store, validated against the official specs."""
    store = sandbox.stores[0]
    client = spec_client(
        base_url=f"{sandbox.api_url}/stores/{store.store_hash}",
        headers={"X-Auth-Token": store.access_token, "Accept": "application/json"},
        timeout=10,
    )
    yield client
    client.close()
