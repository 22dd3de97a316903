# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the store service and webhook sync tests."""

import asyncio
import dataclasses
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from app.config import SECRET_HEADER
from app.events import Event, EventHub
from app.stores.secrets import SecretStore
from app.stores.service import StoreService
from app.stores.sync import WebhookSync
from tests.bigcommerce.mock_api import (
    DESTINATION,
    FAKE_API_URL,
    MockApi,
    routed_http,
    running_mock,
)

T = TypeVar("T")


class RecordingSleep:
    """An injected sleep that records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclasses.dataclass
class Harness:
    """A store service and webhook sync wired to the mock, on one SQLite file."""

    mock: MockApi
    service: StoreService
    sync: WebhookSync
    sleep: RecordingSleep
    scopes: set[str]
    destination: list[str]
    events: list[Event]

    async def add_store(self) -> None:
        await self.service.add_store(
            self.mock.store_hash, self.mock.token, api_url=FAKE_API_URL
        )

    def secret(self) -> str:
        """The store's current webhook secret, as the keyring holds it."""
        value = self.service.secrets.get(self.mock.store_hash, "webhook_secret")
        assert value
        return value

    def add_our_hook(self, scope: str, **fields: Any) -> dict[str, Any]:
        """A hook as an earlier sync left it: our destination and secret header."""
        fields.setdefault("headers", {SECRET_HEADER: self.secret()})
        return self.mock.add_hook(scope, **fields)


def run(coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
    """Run coro on a fresh loop, with a deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def mock_api() -> Iterator[MockApi]:
    """A recording BigCommerce mock on a loopback port."""
    yield from running_mock()


def make_harness(database: Any, mock: MockApi, **client_options: Any) -> Harness:
    """A harness whose clients reach the mock under FAKE_API_URL."""
    hub = EventHub()
    seen: list[Event] = []
    hub.subscribe(seen.append)
    sleep = RecordingSleep()
    options = {"sleep": sleep, "retry_backoff_s": 0.01, **client_options}
    service = StoreService(
        database,
        SecretStore(),
        events=hub,
        http_factory=lambda: routed_http(mock),
        client_options=options,
    )
    scopes: set[str] = set()
    destination = [DESTINATION]
    sync = WebhookSync(
        database, service, lambda: set(scopes), lambda: destination[0], events=hub
    )
    return Harness(mock, service, sync, sleep, scopes, destination, seen)


@pytest.fixture
def harness(database: Any, mock_api: MockApi, memory_keyring: Any) -> Harness:
    """The default harness: memory keyring, compressed retries."""
    return make_harness(database, mock_api)
