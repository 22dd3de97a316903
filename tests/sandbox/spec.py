# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validating sandbox traffic against BigCommerce's official OpenAPI documents."""

import copy
import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from tests.conftest import BIGCOMMERCE_REFERENCE

SPECS = {
    "webhooks": "webhooks.v3.yml",
    "orders": "orders.v2.oas2.yml",
    "catalog": "products_catalog.v3.yml",
    "store": "store_information.v2.yml",
}


@dataclasses.dataclass(frozen=True)
class Deviation:
    """A place where the official spec disagrees with BigCommerce's real API.

    The patch is applied to the spec before validating, so that everything
    else is still checked against the document as published.
    """

    spec: str
    where: str
    why: str
    patch: Callable[[dict[str, Any]], None]


def _drop_min_items(spec: dict[str, Any]) -> None:
    schema = spec["components"]["responses"]["webhooks_Resp"]["content"][
        "application/json"
    ]["schema"]
    del schema["properties"]["data"]["minItems"]


def _hooks_401_on_every_operation(spec: dict[str, Any]) -> None:
    ref = {"$ref": "#/components/responses/401_Unauthorized"}
    for path in ("/hooks/{webhook_id}",):
        for method in ("put", "delete"):
            spec["paths"][path][method]["responses"].setdefault("401", ref)
    not_found = {"$ref": "#/components/responses/404_NotFound"}
    unprocessable = {"$ref": "#/components/responses/422_UnprocessableEntity"}
    put = spec["paths"]["/hooks/{webhook_id}"]["put"]["responses"]
    put.setdefault("404", not_found)
    put.setdefault("422", unprocessable)
    spec["paths"]["/hooks/{webhook_id}"]["delete"]["responses"].setdefault(
        "404", not_found
    )


def _orders_errors(spec: dict[str, Any]) -> None:
    error = {
        "description": "v2 error list",
        "content": {"application/json": {"schema": {}}},
    }
    for path, methods in (
        ("/orders", ("get", "post")),
        ("/orders/{order_id}", ("get", "put", "delete")),
    ):
        for method in methods:
            responses = spec["paths"][path][method]["responses"]
            for status in ("400", "401", "404"):
                responses.setdefault(status, error)


def _store_401(spec: dict[str, Any]) -> None:
    error = {"description": "error", "content": {"application/json": {"schema": {}}}}
    spec["paths"]["/store"]["get"]["responses"].setdefault("401", error)


def _catalog_errors(spec: dict[str, Any]) -> None:
    error = {"description": "error", "content": {"application/json": {"schema": {}}}}
    for path, methods in (
        ("/catalog/products", ("get", "post")),
        ("/catalog/products/{product_id}", ("get", "put", "delete")),
    ):
        for method in methods:
            responses = spec["paths"][path][method]["responses"]
            for status in ("401", "404"):
                responses.setdefault(status, error)


def _gateway_errors(spec: dict[str, Any]) -> None:
    error = {
        "description": "gateway error",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["status", "title"],
                    "properties": {
                        "status": {"type": "integer"},
                        "title": {"type": "string"},
                        "type": {"type": "string"},
                    },
                }
            }
        },
    }
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "delete"):
                for status in ("429", "500", "502", "503", "504"):
                    operation["responses"].setdefault(status, error)


KNOWN_DEVIATIONS = [
    *(
        Deviation(
            name,
            "every operation: 429 and 5xx not documented",
            "BigCommerce's status-code page documents 429 (with the "
            "X-Rate-Limit-* headers) and 5xx for every endpoint",
            _gateway_errors,
        )
        for name in SPECS
    ),
    Deviation(
        "webhooks",
        "components/responses/webhooks_Resp: data.minItems 1",
        "an API account without hooks gets data: [] from GET /hooks",
        _drop_min_items,
    ),
    Deviation(
        "webhooks",
        "PUT/DELETE /hooks/{webhook_id}: only 200 documented",
        "BigCommerce answers 401 for a bad token, 404 for an unknown or foreign "
        "hook, and 422 for a PUT without accepted fields (documented in prose)",
        _hooks_401_on_every_operation,
    ),
    Deviation(
        "orders",
        "/orders, /orders/{order_id}: no error responses documented",
        "v2 answers 401 for a bad token, 404 for a missing order and 400 for a "
        "malformed body, each as a list of {status, message}",
        _orders_errors,
    ),
    Deviation(
        "store",
        "GET /store: no 401 documented",
        "every BigCommerce endpoint answers 401 for a bad token",
        _store_401,
    ),
    Deviation(
        "catalog",
        "/catalog/products: no 401 documented, no 404 on the collection",
        "every BigCommerce endpoint answers 401 for a bad token; an unknown store "
        "answers 404",
        _catalog_errors,
    ),
]


@functools.cache
def raw_spec(name: str) -> dict[str, Any]:
    """The official document, as published."""
    path = BIGCOMMERCE_REFERENCE / "openapi" / SPECS[name]
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


@functools.cache
def openapi(name: str) -> OpenAPI:
    """The document with the known deviations patched in."""
    spec = copy.deepcopy(raw_spec(name))
    for deviation in KNOWN_DEVIATIONS:
        if deviation.spec == name:
            deviation.patch(spec)
    return OpenAPI.from_dict(spec)


def spec_for(path: str) -> str:
    """Which document describes a sandbox path (/stores/<hash>/v3/hooks ...)."""
    rest = "/" + path.split("/", 3)[3]
    if rest.startswith("/v3/hooks"):
        return "webhooks"
    if rest.startswith("/v3/catalog"):
        return "catalog"
    if rest.startswith("/v2/orders"):
        return "orders"
    if rest.startswith("/v2/store"):
        return "store"
    raise AssertionError(f"no official spec covers {path}")


class _Request:
    """An httpx request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = urlsplit(str(request.url))
        self.host_url = "https://api.bigcommerce.com"
        self.path = url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(request.url.params.multi_items()),
            header=Headers(dict(request.headers)),
        )


class _Response:
    """An httpx response seen through openapi-core's Response protocol."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(dict(response.headers))
        self.content_type = response.headers.get("content-type", "application/json")
        self.data: bytes | None = response.content


def validate_exchange(response: httpx.Response) -> None:
    """Fail unless request and response both match the official spec."""
    response.read()
    request = response.request
    if not request.url.path.startswith("/stores/"):
        return
    api = openapi(spec_for(request.url.path))
    wrapped = _Request(request)
    api.validate_request(wrapped)
    if response.status_code != 204:
        api.validate_response(wrapped, _Response(response))


def spec_client(**kwargs: Any) -> httpx.Client:
    """An httpx client whose every exchange is validated against the specs."""
    return httpx.Client(event_hooks={"response": [validate_exchange]}, **kwargs)


def callback_schema_validator(scope: str) -> OAS30Validator:
    """The webhooks document's schema for a callback of this scope."""
    spec = raw_spec("webhooks")
    name = scope.replace("/", "_")
    schemas = spec["components"]["schemas"]
    if name not in schemas:
        raise KeyError(f"webhooks.v3.yml has no callback schema {name}")
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    return OAS30Validator(schema)


def body_json(content: bytes) -> Any:
    """Decoded JSON of a callback body."""
    return json.loads(content)
