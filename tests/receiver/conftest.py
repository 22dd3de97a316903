# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real receiver on loopback over a real database, for the receiver's tests."""

import dataclasses
import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import timeutil
from app.actions.model import ActionInfo, scope_matches
from app.config import RECEIVER_PATH, SECRET_HEADER
from app.db.models import Store
from app.events import Event, EventHub
from app.queue.loopguard import LoopGuard
from app.receiver.app import build_receiver_app
from app.receiver.server import ReceiverServer
from app.receiver.stats import ReceiverStats
from app.stores import webhook_secret

STORE_HASH = "t3stab9x1q"
SECRET = "s3cret-value-for-tests-0123456789abcdef"


class FakeTriggers:
    """A TriggerIndex over a fixed {action name: triggers} table."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.actions = [
            ActionInfo(name, Path(f"{name}.py"), triggers, retries=2, timeout=5.0)
            for name, triggers in table.items()
        ]

    def actions_for(self, scope: str) -> list[ActionInfo]:
        return [
            action
            for action in self.actions
            if any(scope_matches(trigger, scope) for trigger in action.triggers)
        ]


DEFAULT_TRIGGERS = {
    "order_created": ("store/order/created",),
    "order_updated": ("store/order/updated",),
    "product_updated": ("store/product/updated",),
    "refund": ("store/order/refund/created",),
    "status": ("store/order/statusUpdated",),
}


def envelope(
    scope: str = "store/order/created",
    resource_id: int = 5001,
    hash_: str = "a62da30d98e856091946cb0e32559db74b147850",
    created_at: int = 1717243200,
    store_hash: str = STORE_HASH,
    **data: Any,
) -> dict[str, Any]:
    """A BigCommerce callback as the scenarios write it."""
    resource = scope.split("/")[1]
    return {
        "scope": scope,
        "store_id": "1009876",
        "data": {"type": resource, "id": resource_id, **data},
        "hash": hash_,
        "created_at": created_at,
        "producer": f"stores/{store_hash}",
    }


def add_store(
    store_hash: str = STORE_HASH, secret: str = SECRET, **fields: Any
) -> None:
    """A connected store whose webhook secret is secret."""
    Store.create(
        store_hash=store_hash,
        name=f"Store {store_hash}",
        api_url="https://api.example.test",
        connected_at=timeutil.now(),
        secret_digest=webhook_secret.digest(secret),
        **fields,
    )


@dataclasses.dataclass
class Receiver:
    """A running receiver and what it reports."""

    server: ReceiverServer
    stats: ReceiverStats
    events: list[Event]
    wakes: list[int]
    client: httpx.Client
    signing_secrets: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.bound_port}{RECEIVER_PATH}"

    def post(
        self,
        body: dict[str, Any] | str | bytes | Iterable[bytes],
        secret: str | None = SECRET,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        content = json.dumps(body) if isinstance(body, dict) else body
        sent = {"Content-Type": "application/json", **(headers or {})}
        if secret is not None:
            sent[SECRET_HEADER] = secret
        return self.client.post(self.url, content=content, headers=sent, **kwargs)

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events]


def start_receiver(
    database: Any, triggers: FakeTriggers, loop_guard: LoopGuard | None = None
) -> Receiver:
    """Build the app over database and serve it on a free loopback port."""
    hub = EventHub()
    seen: list[Event] = []
    hub.subscribe(seen.append)
    wakes: list[int] = []
    signing: dict[str, str] = {}
    stats = ReceiverStats()
    app = build_receiver_app(
        database,
        triggers=triggers,
        events=hub,
        stats=stats,
        loop_guard=loop_guard or LoopGuard(),
        signing_secret=signing.get,
        wake_workers=lambda: wakes.append(threading.get_ident()),
    )
    server = ReceiverServer(app, "127.0.0.1", 0)
    server.start()
    client = httpx.Client(timeout=30.0)
    return Receiver(server, stats, seen, wakes, client, signing)


@pytest.fixture
def triggers() -> FakeTriggers:
    return FakeTriggers(DEFAULT_TRIGGERS)


@pytest.fixture
def receiver(database: Any, triggers: FakeTriggers) -> Iterator[Receiver]:
    """A receiver on a free port, with store t3stab9x1q connected."""
    add_store()
    running = start_receiver(database, triggers)
    yield running
    running.client.close()
    running.server.stop()
