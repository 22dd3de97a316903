# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Callbacks are delivered as BigCommerce delivers them."""

import re

import httpx

from app.sandbox import Sandbox
from app.sandbox.samples import sample_payload
from tests.helpers.wait import wait_until
from tests.sandbox.conftest import CallbackCatcher
from tests.sandbox.spec import callback_schema_validator, spec_client


def _hook(api: httpx.Client, scope: str, destination: str, **extra: object) -> dict:
    body = {"scope": scope, "destination": destination, **extra}
    response = api.post("/v3/hooks", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def _assert_like_sample(body: dict, store_hash: str) -> None:
    sample = sample_payload(body["scope"])
    assert list(body) == list(sample)
    assert {k: type(v) for k, v in body.items()} == {
        k: type(v) for k, v in sample.items()
    }
    assert set(body["data"]) == set(sample["data"])
    assert body["producer"] == f"stores/{store_hash}"
    assert re.fullmatch(r"[0-9a-f]{40}", body["hash"])
    callback_schema_validator(body["scope"]).validate(body)


def test_order_update_over_http_delivers_callback(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0]
    _hook(api, "store/order/updated", catcher.url, headers={"X-Console-Secret": "abc"})

    api.put("/v2/orders/103", json={"staff_notes": "checked"})

    caught = wait_until(lambda: catcher.of_scope("store/order/updated"))
    assert caught[0].body["data"] == {"type": "order", "id": 103}
    assert caught[0].body["store_id"] == store.store_id
    assert caught[0].headers["x-console-secret"] == "abc"
    assert caught[0].path == "/webhooks"
    _assert_like_sample(caught[0].body, store.store_hash)


def test_payload_shapes_per_scope(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0].store_hash
    _hook(api, "store/order/*", catcher.url)
    _hook(api, "store/product/*", catcher.url)

    order = sandbox.create_order(store, products=[{"product_id": 112, "quantity": 1}])
    sandbox.update_order(store, order["id"], status_id=2)
    sandbox.archive_order(store, order["id"])
    product = sandbox.create_product(store, name="Shape Mug")
    sandbox.update_product(store, product["id"], inventory_level=7)

    expected = {
        "store/order/created",
        "store/order/updated",
        "store/order/statusUpdated",
        "store/order/archived",
        "store/product/created",
        "store/product/updated",
        "store/product/inventory/updated",
        "store/product/inventory/order/updated",
    }
    wait_until(lambda: expected <= set(catcher.scopes()))
    for scope in expected:
        _assert_like_sample(catcher.of_scope(scope)[0].body, store)
    status = catcher.of_scope("store/order/statusUpdated")[0].body["data"]["status"]
    assert status == {"previous_status_id": order["status_id"], "new_status_id": 2}
    hashes = [c.body["hash"] for c in catcher.caught]
    assert len(hashes) == len(set(hashes))


def test_status_unchanged_sends_no_status_updated(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0].store_hash
    _hook(api, "store/order/*", catcher.url)

    sandbox.update_order(store, 104, staff_notes="n")
    sandbox.update_order(store, 104, staff_notes="m")

    wait_until(lambda: len(catcher.of_scope("store/order/updated")) == 2)
    assert catcher.of_scope("store/order/statusUpdated") == []


def test_inactive_and_other_store_hooks_get_nothing(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    first, second = (s.store_hash for s in sandbox.stores)
    _hook(api, "store/order/updated", catcher.url, is_active=False)
    _hook(api, "store/product/updated", catcher.url)

    sandbox.update_order(first, 104, staff_notes="n")
    sandbox.update_product(second, 111, price=3.5)
    sandbox.update_product(first, 111, price=3.5)

    caught = wait_until(lambda: catcher.of_scope("store/product/updated"))
    assert sandbox.pending_deliveries == 0 or wait_until(
        lambda: sandbox.pending_deliveries == 0
    )
    assert catcher.scopes() == ["store/product/updated"]
    assert caught[0].body["producer"] == f"stores/{first}"


def test_retries_then_deactivation(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0].store_hash
    catcher.status = 500
    hook = _hook(api, "store/order/updated", catcher.url)

    sandbox.update_order(store, 106, staff_notes="fail")

    # 1 attempt + 11 retries over BigCommerce's (compressed) 48 hours.
    wait_until(
        lambda: not api.get(f"/v3/hooks/{hook['id']}").json()["data"]["is_active"]
    )
    caught = catcher.of_scope("store/order/updated")
    assert len(caught) == 12
    assert len({c.body["hash"] for c in caught}) == 1
    admin = api.get("/v3/hooks/admin").json()["data"]["hooks_list"]
    assert admin[0]["is_active"] is False


def test_success_after_retry_keeps_hook_active(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0].store_hash
    catcher.status = 503
    hook = _hook(api, "store/order/updated", catcher.url)

    sandbox.update_order(store, 106, staff_notes="later")
    wait_until(lambda: len(catcher.caught) >= 2)
    catcher.status = 200

    wait_until(lambda: sandbox.pending_deliveries == 0)
    assert api.get(f"/v3/hooks/{hook['id']}").json()["data"]["is_active"] is True


def test_refused_connection_is_retried(sandbox: Sandbox, api: httpx.Client) -> None:
    store = sandbox.stores[0].store_hash
    hook = _hook(api, "store/order/updated", "http://127.0.0.1:9/nobody-listens")

    sandbox.update_order(store, 107, staff_notes="x")

    wait_until(lambda: not sandbox.hooks(store)[0].is_active)
    attempts = [a for a in sandbox.attempts if a.hook_id == hook["id"]]
    assert len(attempts) == 12
    assert attempts[0].outcome.startswith("connection failed")


def test_wildcard_hook_gets_each_order_event(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    store = sandbox.stores[0].store_hash
    _hook(api, "store/order/*", catcher.url)
    _hook(api, "store/order/statusUpdated", catcher.url + "/status")

    sandbox.update_order(store, 108, status_id=5)

    wait_until(lambda: len(catcher.caught) == 3)
    by_path = sorted((c.path, c.body["scope"]) for c in catcher.caught)
    assert by_path == [
        ("/webhooks", "store/order/statusUpdated"),
        ("/webhooks", "store/order/updated"),
        ("/webhooks/status", "store/order/statusUpdated"),
    ]


def test_signature_headers_verify(
    sandbox: Sandbox, api: httpx.Client, catcher: CallbackCatcher
) -> None:
    import base64
    import json

    from standardwebhooks.webhooks import Webhook

    store = sandbox.stores[0]
    _hook(api, "store/product/updated", catcher.url)

    sandbox.update_product(store.store_hash, 113, price=1.25)

    caught = wait_until(lambda: catcher.caught)[0]
    secret = base64.b64encode(store.client_secret.encode()).decode()
    Webhook(secret).verify(json.dumps(caught.body), caught.headers)


def test_blocklist_reported_in_hooks_admin(catcher: CallbackCatcher) -> None:
    sandbox = Sandbox(time_scale=0.05, seed=1, blocklist_min_requests=5)
    sandbox.start()
    try:
        store = sandbox.stores[0]
        catcher.status = 500
        with spec_client(
            base_url=f"{sandbox.api_url}/stores/{store.store_hash}",
            headers={"X-Auth-Token": store.access_token},
        ) as api:
            _hook(api, "store/product/updated", catcher.url)
            for _ in range(6):
                sandbox.update_product(store.store_hash, 114, price=2.0)

            blocked = wait_until(
                lambda: api.get("/v3/hooks/admin").json()["data"]["blocked_domains"]
            )
        assert blocked[0]["destination"] == "127.0.0.1"
        assert blocked[0]["reasons"][0]["failure_description"] == "500"
        assert blocked[0]["reasons"][0]["count"] >= 5
    finally:
        sandbox.stop()
