# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sandbox endpoints for orders and store information (v2), products (v3), control."""

import dataclasses
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.api import authenticated, error, json_body, ok, paginate
from app.sandbox.catalogue import with_resources
from app.sandbox.state import ApiAccount, NotFound, SandboxState

log = logging.getLogger(__name__)

_PRODUCT_REQUIRED = ("name", "type", "weight", "price")


def _v2_not_found() -> Response:
    # v2 errors are a list of {status, message}.
    body = [{"status": 404, "message": "The requested resource was not found."}]
    return JSONResponse(body, status_code=404)


def _v2_invalid(message: str) -> Response:
    return JSONResponse([{"status": 400, "message": message}], status_code=400)


def _path_int(request: Request, name: str) -> int | None:
    try:
        return int(request.path_params[name])
    except ValueError:
        return None


def _v2_base(request: Request, store_hash: str) -> str:
    return f"{request.base_url}stores/{store_hash}/v2".replace("//stores", "/stores")


# Orders (v2)


async def list_orders(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v2/orders: a bare list, page and limit (default 50, max 250)."""
    orders = state.orders(account.store_hash)
    query = request.query_params
    try:
        if "status_id" in query:
            orders = [o for o in orders if o["status_id"] == int(query["status_id"])]
        if "min_id" in query:
            orders = [o for o in orders if o["id"] >= int(query["min_id"])]
        if "max_id" in query:
            orders = [o for o in orders if o["id"] <= int(query["max_id"])]
        page, _ = paginate(request, orders)
    except ValueError:
        return _v2_invalid("The filter parameters are not valid.")
    base = _v2_base(request, account.store_hash)
    return ok([with_resources(o, base) for o in page])


async def get_order(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v2/orders/{order_id}."""
    order_id = _path_int(request, "order_id")
    try:
        order = state.order(account.store_hash, order_id or 0)
    except NotFound:
        return _v2_not_found()
    return ok(with_resources(order, _v2_base(request, account.store_hash)))


async def create_order(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """POST /v2/orders."""
    try:
        body = await json_body(request)
    except ValueError:
        return _v2_invalid("The request body is not valid JSON.")
    if not isinstance(body, dict) or not body.get("products"):
        return _v2_invalid("The field 'products' is required.")
    order = state.create_order(account.store_hash, body)
    return ok(with_resources(order, _v2_base(request, account.store_hash)))


async def update_order(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """PUT /v2/orders/{order_id}."""
    order_id = _path_int(request, "order_id")
    try:
        body = await json_body(request)
    except ValueError:
        return _v2_invalid("The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _v2_invalid("The request body must be an object.")
    try:
        order = state.update_order(account.store_hash, order_id or 0, body)
    except NotFound:
        return _v2_not_found()
    return ok(with_resources(order, _v2_base(request, account.store_hash)))


async def archive_order(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """DELETE /v2/orders/{order_id}: archives the order."""
    try:
        state.archive_order(account.store_hash, _path_int(request, "order_id") or 0)
    except NotFound:
        return _v2_not_found()
    return Response(status_code=204)


async def store_information(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v2/store."""
    store = state.store(account.store_hash)
    assert store is not None
    domain = f"{store.store_hash}.sandbox.example"
    return ok(
        {
            "id": store.store_hash,
            "domain": domain,
            "secure_url": f"https://{domain}",
            "control_panel_base_url": f"https://store-{store.store_hash}.sandbox.example",
            "status": "live",
            "name": store.name,
            "first_name": "Sandbox",
            "last_name": "Owner",
            "address": "123 Main Street\nAustin, Texas 78751",
            "country": "United States",
            "country_code": "US",
            "phone": "555-0100",
            "admin_email": "owner@example.com",
            "order_email": "orders@example.com",
            "timezone": {
                "name": "UTC",
                "raw_offset": 0,
                "dst_offset": 0,
                "dst_correction": False,
                "date_format": {
                    "display": "jS M Y",
                    "export": "M jS Y",
                    "extended_display": "M jS Y @ g:i A",
                },
            },
            "language": "en",
            "currency": "USD",
            "currency_symbol": "$",
            "decimal_separator": ".",
            "thousands_separator": ",",
            "decimal_places": 2,
            "currency_symbol_location": "left",
            "weight_units": "LBS",
            "dimension_units": "Inches",
            "dimension_decimal_places": 2,
            "dimension_decimal_token": ".",
            "dimension_thousands_token": ",",
            "plan_name": "Sandbox",
            "plan_level": "Sandbox",
            "plan_is_trial": False,
            "industry": "Home & Garden",
            "logo": [],
            "is_price_entered_with_tax": False,
            "store_id": int(store.store_id),
            "default_channel_id": 1,
            "default_site_id": 1000,
            "active_comparison_modules": [],
            "features": {
                "stencil_enabled": True,
                "sitewidehttps_enabled": True,
                "facebook_catalog_id": "",
                "checkout_type": "optimized",
                "wishlists_enabled": True,
                "graphql_storefront_api_enabled": True,
                "shopper_consent_tracking_enabled": True,
                "multi_storefront_enabled": False,
                "storefront_limits": {"active": 1, "total_including_inactive": 1},
            },
        }
    )


# Products (v3)


async def list_products(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v3/catalog/products: data and meta.pagination."""
    try:
        page, meta = paginate(request, state.products(account.store_hash))
    except ValueError:
        return error(422, "The filter parameters are not valid")
    return ok({"data": page, "meta": meta})


async def get_product(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v3/catalog/products/{product_id}."""
    try:
        product = state.product(
            account.store_hash, _path_int(request, "product_id") or 0
        )
    except NotFound:
        return error(404, "The requested resource was not found.")
    return ok({"data": product, "meta": {}})


async def create_product(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """POST /v3/catalog/products."""
    try:
        body = await json_body(request)
    except ValueError:
        return error(422, "JSON data is missing or invalid")
    if not isinstance(body, dict):
        return error(422, "JSON data is missing or invalid")
    missing = {f: "is required" for f in _PRODUCT_REQUIRED if f not in body}
    if missing:
        return error(422, "JSON data is missing or invalid", missing)
    if any(p["name"] == body["name"] for p in state.products(account.store_hash)):
        return error(409, "The product name is a duplicate", {"name": "duplicate"})
    return ok({"data": state.create_product(account.store_hash, body), "meta": {}})


async def update_product(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """PUT /v3/catalog/products/{product_id}."""
    try:
        body = await json_body(request)
    except ValueError:
        return error(422, "JSON data is missing or invalid")
    if not isinstance(body, dict):
        return error(422, "JSON data is missing or invalid")
    try:
        product = state.update_product(
            account.store_hash, _path_int(request, "product_id") or 0, body
        )
    except NotFound:
        return error(404, "The requested resource was not found.")
    return ok({"data": product, "meta": {}})


async def delete_product(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """DELETE /v3/catalog/products/{product_id}."""
    try:
        state.delete_product(account.store_hash, _path_int(request, "product_id") or 0)
    except NotFound:
        return error(404, "The requested resource was not found.")
    return Response(status_code=204)


def store_routes() -> list[Route]:
    """Orders, store information and products."""
    v2, v3 = "/stores/{store_hash}/v2", "/stores/{store_hash}/v3"
    order = v2 + "/orders/{order_id:int}"
    product = v3 + "/catalog/products/{product_id:int}"
    return [
        Route(v2 + "/orders", authenticated(list_orders), methods=["GET"]),
        Route(v2 + "/orders", authenticated(create_order), methods=["POST"]),
        Route(order, authenticated(get_order), methods=["GET"]),
        Route(order, authenticated(update_order), methods=["PUT"]),
        Route(order, authenticated(archive_order), methods=["DELETE"]),
        Route(v2 + "/store", authenticated(store_information), methods=["GET"]),
        Route(v3 + "/catalog/products", authenticated(list_products), methods=["GET"]),
        Route(
            v3 + "/catalog/products", authenticated(create_product), methods=["POST"]
        ),
        Route(product, authenticated(get_product), methods=["GET"]),
        Route(product, authenticated(update_product), methods=["PUT"]),
        Route(product, authenticated(delete_product), methods=["DELETE"]),
    ]


# Control (/_sandbox): for tests and rehearsals, never part of BigCommerce's API.


async def add_fault(request: Request) -> Response:
    """POST /_sandbox/faults: switch a fault on (fields of Fault)."""
    try:
        body = await json_body(request)
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        fault = request.app.state.faults.add_from_json(body)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(dataclasses.asdict(fault), status_code=201)


async def list_faults(request: Request) -> Response:
    """GET /_sandbox/faults."""
    faults = request.app.state.faults.active()
    return JSONResponse([dataclasses.asdict(f) for f in faults])


async def clear_faults(request: Request) -> Response:
    """DELETE /_sandbox/faults: switch every fault off."""
    request.app.state.faults.clear()
    return Response(status_code=204)


async def list_requests(request: Request) -> Response:
    """GET /_sandbox/requests: what clients sent, oldest first."""
    state: SandboxState = request.app.state.sandbox
    with state.lock:
        recorded: list[Any] = [
            {"method": m, "path": p, "body": b} for m, p, b in state.requests
        ]
    return JSONResponse(recorded)


def control_routes() -> list[Route]:
    """The sandbox's own control endpoints."""
    return [
        Route("/_sandbox/faults", add_fault, methods=["POST"]),
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/requests", list_requests, methods=["GET"]),
    ]
