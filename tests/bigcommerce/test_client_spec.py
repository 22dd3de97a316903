# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every request Storehook's client makes is checked against the official specs.

The sandbox answers; an httpx event hook validates each exchange with
openapi-core, so a request shape the official documents do not allow fails.
"""

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_core.exceptions import OpenAPIError

from app.bigcommerce.client import BigCommerceClient
from app.events import EventHub
from app.sandbox import Sandbox
from app.stores.secrets import SecretStore
from app.stores.service import StoreService
from app.stores.sync import WebhookSync
from tests.sandbox.spec import validate_exchange

DESTINATION = "http://127.0.0.1:8787/webhooks/bigcommerce"


async def _validated(response: httpx.Response) -> None:
    await response.aread()
    validate_exchange(response)


def validating_http() -> httpx.AsyncClient:
    return httpx.AsyncClient(event_hooks={"response": [_validated]})


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox()
    box.start()
    yield box
    box.stop()


def test_client_calls_match_the_official_specs(sandbox: Sandbox) -> None:
    store = sandbox.stores[0]

    async def scenario() -> list[str]:
        client = BigCommerceClient(
            store.store_hash,
            store.access_token,
            api_url=sandbox.api_url,
            http=validating_http(),
            owns_http=True,
        )
        try:
            await client.v2.get("/store")
            orders = await client.v2.get("/orders", query={"limit": 5})
            order_id = orders[0]["id"]
            await client.v2.get("/orders/{order_id}", path={"order_id": order_id})
            await client.v2.put(
                "/orders/{order_id}",
                path={"order_id": order_id},
                body={"staff_notes": "checked"},
            )
            products = await client.v3.get("/catalog/products", query={"limit": 2})
            product_id = products["data"][0]["id"]
            await client.v3.put(
                "/catalog/products/{product_id}",
                path={"product_id": product_id},
                body={"inventory_level": 3},
            )
            hook = await client.v3.post(
                "/hooks",
                body={
                    "scope": "store/order/created",
                    "destination": DESTINATION,
                    "is_active": True,
                    "headers": {"X-Storehook-Secret": "s3cret-value"},
                },
            )
            hook_id = hook["data"]["id"]
            await client.v3.put(
                "/hooks/{id}", path={"id": hook_id}, body={"is_active": False}
            )
            scopes = [h["scope"] async for h in client.iterate_v3("/hooks")]
            await client.v3.delete("/hooks/{id}", path={"id": hook_id})
            await client.v3.get("/hooks/admin")
            return scopes
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == ["store/order/created"]


def test_sync_requests_match_the_official_specs(
    sandbox: Sandbox, memory_keyring: Any, database: Any
) -> None:
    store = sandbox.stores[0]
    wanted = {"store/order/created", "store/product/updated"}
    service = StoreService(
        database, SecretStore(), events=EventHub(), http_factory=validating_http
    )
    sync = WebhookSync(database, service, lambda: set(wanted), lambda: DESTINATION)

    async def scenario() -> str:
        try:
            await service.add_store(
                store.store_hash, store.access_token, api_url=sandbox.api_url
            )
            await sync.sync_store(store.store_hash)
            wanted.discard("store/product/updated")
            outcome = await sync.sync_store(store.store_hash)
            return outcome.status
        finally:
            await service.aclose()

    assert asyncio.run(scenario()) == "registered"
    assert [h.scope for h in sandbox.hooks(store.store_hash)] == ["store/order/created"]


def test_a_request_outside_the_spec_is_caught(sandbox: Sandbox) -> None:
    store = sandbox.stores[0]

    async def scenario() -> None:
        client = BigCommerceClient(
            store.store_hash,
            store.access_token,
            api_url=sandbox.api_url,
            http=validating_http(),
            owns_http=True,
        )
        try:
            await client.v3.post("/hooks", body={"destination": 5})
        finally:
            await client.aclose()

    with pytest.raises(OpenAPIError):
        asyncio.run(scenario())
