# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox's API answers like BigCommerce's, checked against the official specs."""

import httpx
import pytest

from app.sandbox import Sandbox
from tests.sandbox.spec import KNOWN_DEVIATIONS, spec_client


def test_deviations_are_named() -> None:
    assert all(d.where and d.why for d in KNOWN_DEVIATIONS)


def test_hooks_crud_matches_spec(api: httpx.Client) -> None:
    assert api.get("/v3/hooks").json()["data"] == []

    created = api.post(
        "/v3/hooks",
        json={
            "scope": "store/order/created",
            "destination": "https://hooks.example.test/bc",
            "is_active": True,
            "headers": {"X-Console-Secret": "s3cret"},
        },
    )
    hook = created.json()["data"]
    assert created.status_code == 200
    assert hook["headers"] == {"X-Console-Secret": "s3cret"}
    assert api.get(f"/v3/hooks/{hook['id']}").json()["data"] == hook

    updated = api.put(f"/v3/hooks/{hook['id']}", json={"is_active": False})
    assert updated.json()["data"]["is_active"] is False

    deleted = api.delete(f"/v3/hooks/{hook['id']}")
    assert deleted.json()["data"]["id"] == hook["id"]
    assert api.get(f"/v3/hooks/{hook['id']}").status_code == 404


def test_hooks_list_filters_and_pagination(api: httpx.Client) -> None:
    for n in range(5):
        api.post(
            "/v3/hooks",
            json={
                "scope": "store/order/updated" if n % 2 else "store/product/updated",
                "destination": f"https://hooks.example.test/bc{n}",
                "is_active": n != 4,
            },
        )

    page = api.get("/v3/hooks", params={"page": 2, "limit": 2}).json()
    assert page["meta"]["pagination"] == {
        "total": 5,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 3,
        "links": {
            "previous": "?page=1&limit=2",
            "current": "?page=2&limit=2",
            "next": "?page=3&limit=2",
        },
    }
    by_scope = api.get("/v3/hooks", params={"scope": "store/order/updated"}).json()
    assert {h["scope"] for h in by_scope["data"]} == {"store/order/updated"}
    inactive = api.get("/v3/hooks", params={"is_active": "false"}).json()["data"]
    assert [h["destination"] for h in inactive] == ["https://hooks.example.test/bc4"]
    dest = api.get(
        "/v3/hooks", params={"destination": "https://hooks.example.test/bc1"}
    )
    assert len(dest.json()["data"]) == 1


def test_duplicate_hook_is_422(api: httpx.Client) -> None:
    body = {"scope": "store/order/created", "destination": "https://a.example.test/x"}
    assert api.post("/v3/hooks", json=body).status_code == 200

    again = api.post("/v3/hooks", json=body)

    assert again.status_code == 422
    assert again.json()["status"] == 422
    assert len(api.get("/v3/hooks").json()["data"]) == 1


def test_at_most_ten_hooks_per_scope(api: httpx.Client) -> None:
    for n in range(10):
        body = {"scope": "store/cart/created", "destination": f"https://a.test/{n}"}
        assert api.post("/v3/hooks", json=body).status_code == 200

    eleventh = {"scope": "store/cart/created", "destination": "https://a.test/10"}
    assert api.post("/v3/hooks", json=eleventh).status_code == 422


@pytest.mark.parametrize(
    "destination",
    ["http://hooks.example.test/bc", "https://hooks.example.test:8443/bc"],
)
def test_destination_needs_https_on_443(api: httpx.Client, destination: str) -> None:
    body = {"scope": "store/order/created", "destination": destination}

    refused = api.post("/v3/hooks", json=body)

    assert refused.status_code == 422
    assert "destination" in refused.json()["errors"]


def test_loopback_http_destination_is_accepted(api: httpx.Client) -> None:
    body = {"scope": "store/order/created", "destination": "http://127.0.0.1:8787/x"}
    assert api.post("/v3/hooks", json=body).status_code == 200


def test_br03_put_without_accepted_field_is_422(api: httpx.Client) -> None:
    body = {"scope": "store/order/created", "destination": "https://a.test/x"}
    hook = api.post("/v3/hooks", json=body).json()["data"]

    empty = api.put(f"/v3/hooks/{hook['id']}", json={})

    assert empty.status_code == 422
    assert "should not be empty" in empty.json()["title"]


def test_hook_is_visible_only_to_its_token(sandbox: Sandbox, api: httpx.Client) -> None:
    store = sandbox.stores[0]
    body = {"scope": "store/order/created", "destination": "https://a.test/x"}
    hook = api.post("/v3/hooks", json=body).json()["data"]
    other = spec_client(
        base_url=f"{sandbox.api_url}/stores/{store.store_hash}",
        headers={"X-Auth-Token": sandbox.add_token(store.store_hash)},
    )

    with other:
        assert other.get("/v3/hooks").json()["data"] == []
        assert other.get(f"/v3/hooks/{hook['id']}").status_code == 404
        # The same scope and destination is no duplicate for another account.
        assert other.post("/v3/hooks", json=body).status_code == 200


def test_bad_token_gets_bigcommerce_401(sandbox: Sandbox) -> None:
    store = sandbox.stores[0]
    client = spec_client(
        base_url=f"{sandbox.api_url}/stores/{store.store_hash}",
        headers={"X-Auth-Token": "revoked-token"},
    )

    with client:
        for method in ("GET", "POST"):
            body = {"scope": "store/order/created", "destination": "https://a.test/"}
            response = client.request(method, "/v3/hooks", json=body)
            assert response.status_code == 401
            assert response.json()["status"] == 401
            assert response.json()["title"] == "Unauthorized"


def test_revoked_token_is_rejected(sandbox: Sandbox, api: httpx.Client) -> None:
    sandbox.revoke_token(sandbox.stores[0].access_token)
    assert api.get("/v3/hooks").status_code == 401


def test_token_of_another_store_is_rejected(sandbox: Sandbox) -> None:
    first, second = sandbox.stores
    with spec_client(
        base_url=f"{sandbox.api_url}/stores/{first.store_hash}",
        headers={"X-Auth-Token": second.access_token},
    ) as client:
        assert client.get("/v2/orders").status_code == 401


def test_orders_list_get_create_update(api: httpx.Client) -> None:
    page = api.get("/v2/orders", params={"page": 2, "limit": 10}).json()
    assert [o["id"] for o in page] == list(range(110, 120))

    order = api.get("/v2/orders/105").json()
    assert order["id"] == 105
    assert order["products"]["resource"] == "/orders/105/products"

    created = api.post(
        "/v2/orders",
        json={
            "status_id": 11,
            "billing_address": {"first_name": "Jane", "zip": "78751"},
            "products": [{"product_id": 111, "quantity": 2}],
        },
    ).json()
    assert created["status"] == "Awaiting Fulfillment"
    assert created["billing_address"]["first_name"] == "Jane"

    updated = api.put(f"/v2/orders/{created['id']}", json={"status_id": 2}).json()
    assert updated["status"] == "Shipped"
    assert api.get("/v2/orders/99999").status_code == 404


def test_order_archive(api: httpx.Client) -> None:
    assert api.delete("/v2/orders/101").status_code == 204
    assert api.get("/v2/orders/101").status_code == 404


def test_products_list_get_create_update(api: httpx.Client) -> None:
    listed = api.get("/v3/catalog/products", params={"limit": 5}).json()
    assert listed["meta"]["pagination"]["total"] == 20
    assert len(listed["data"]) == 5

    created = api.post(
        "/v3/catalog/products",
        json={"name": "Test Mug", "type": "physical", "weight": 1, "price": 12.5},
    ).json()["data"]
    assert created["name"] == "Test Mug"

    updated = api.put(
        f"/v3/catalog/products/{created['id']}", json={"inventory_level": 40}
    ).json()["data"]
    assert updated["inventory_level"] == 40
    got = api.get(f"/v3/catalog/products/{created['id']}").json()["data"]
    assert got == updated
    assert api.get("/v3/catalog/products/999999").status_code == 404


def test_store_information(sandbox: Sandbox, api: httpx.Client) -> None:
    info = api.get("/v2/store").json()
    assert info["id"] == sandbox.stores[0].store_hash
    assert info["name"] == sandbox.stores[0].name


def test_seeded_catalogue_is_deterministic() -> None:
    first, second = Sandbox(seed=3), Sandbox(seed=3)
    assert [s.store_hash for s in first.stores] == [s.store_hash for s in second.stores]
    store = first.stores[0].store_hash
    assert [p["name"] for p in first.state.products(store)] == [
        p["name"] for p in second.state.products(store)
    ]
    assert first.stores[0].access_token != second.stores[0].access_token
