# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox's HTTP API: hooks (v3), catalog products (v3), orders and store (v2)."""

import json
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.sandbox.faults import FaultInjector, FaultMiddleware
from app.sandbox.hooks import HookRuleError
from app.sandbox.state import ApiAccount, SandboxState

log = logging.getLogger(__name__)

STATUS_CODES_URL = (
    "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
)
RATE_LIMIT_HEADERS = {
    "X-Rate-Limit-Requests-Quota": "150",
    "X-Rate-Limit-Requests-Left": "149",
    "X-Rate-Limit-Time-Window-Ms": "30000",
    "X-Rate-Limit-Time-Reset-Ms": "29000",
}
Handler = Callable[[Request, SandboxState, ApiAccount], Awaitable[Response]]


def error(
    status: int, title: str, errors: dict[str, Any] | None = None
) -> JSONResponse:
    """An error body shaped like BigCommerce's (error_Full / errorDetailed_Full)."""
    body: dict[str, Any] = {"status": status, "title": title, "type": STATUS_CODES_URL}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


def ok(body: Any, status: int = 200) -> JSONResponse:
    """A JSON answer with BigCommerce's rate-limit headers."""
    return JSONResponse(body, status_code=status, headers=RATE_LIMIT_HEADERS)


def authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Check the store and X-Auth-Token as BigCommerce does, then handle."""

    async def endpoint(request: Request) -> Response:
        state: SandboxState = request.app.state.sandbox
        store_hash = request.path_params["store_hash"]
        if state.store(store_hash) is None:
            return error(404, "Store not found")
        account = state.account(store_hash, request.headers.get("x-auth-token", ""))
        if account is None:
            return error(401, "Unauthorized")
        return await handler(request, state, account)

    return endpoint


async def json_body(request: Request) -> Any:
    """The request's JSON body; ValueError when it is not JSON."""
    return json.loads(await request.body() or b"null")


def int_param(request: Request, name: str, default: int, low: int = 1) -> int:
    """A positive integer query parameter; ValueError when malformed."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = int(float(raw))
    if value < low:
        raise ValueError(name)
    return value


def paginate(
    request: Request, items: list[Any], default_limit: int = 50, max_limit: int = 250
) -> tuple[list[Any], dict[str, Any]]:
    """One page of items and BigCommerce's meta.pagination for it."""
    page = int_param(request, "page", 1)
    limit = min(int_param(request, "limit", default_limit), max_limit)
    total = len(items)
    pages = max(1, math.ceil(total / limit))
    chunk = items[(page - 1) * limit : page * limit]
    links = {"current": f"?page={page}&limit={limit}"}
    if page > 1:
        links["previous"] = f"?page={page - 1}&limit={limit}"
    if page < pages:
        links["next"] = f"?page={page + 1}&limit={limit}"
    pagination = {
        "total": total,
        "count": len(chunk),
        "per_page": limit,
        "current_page": page,
        "total_pages": pages,
        "links": links,
    }
    return chunk, {"pagination": pagination}


def parse_bool(raw: str) -> bool:
    """A query-string boolean; ValueError otherwise."""
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ValueError(raw)


# Hooks (v3)


async def list_hooks(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v3/hooks: this API account's hooks, filtered and paginated."""
    hooks = state.hooks.for_account(account.store_hash, account.client_id)
    try:
        query = request.query_params
        if "is_active" in query:
            wanted = parse_bool(query["is_active"])
            hooks = [h for h in hooks if h.is_active == wanted]
        if "scope" in query:
            hooks = [h for h in hooks if h.scope == query["scope"]]
        if "destination" in query:
            hooks = [h for h in hooks if h.destination == query["destination"]]
        page, meta = paginate(request, [h.to_json() for h in hooks])
    except ValueError:
        return error(400, "Input is invalid")
    return ok({"data": page, "meta": meta})


async def create_hook(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """POST /v3/hooks."""
    try:
        body = await json_body(request)
        hook = state.hooks.create(account.store_hash, account.client_id, body)
    except ValueError as exc:
        return _hook_error(exc)
    log.info(
        "Sandbox store %s: created hook %s for %s",
        account.store_hash,
        hook.id,
        hook.scope,
    )
    return ok({"data": hook.to_json(), "meta": {}})


def _hook_id(request: Request) -> int | None:
    try:
        return int(request.path_params["webhook_id"])
    except ValueError:
        return None


def _not_found(hook_id: Any) -> Response:
    return error(404, f"Webhook with id [{hook_id}] not found")


async def get_hook(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v3/hooks/{id}."""
    hook_id = _hook_id(request)
    hook = hook_id and state.hooks.get(account.store_hash, account.client_id, hook_id)
    if not hook:
        return _not_found(request.path_params["webhook_id"])
    return ok({"data": hook.to_json(), "meta": {}})


async def update_hook(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """PUT /v3/hooks/{id}."""
    hook_id = _hook_id(request)
    if hook_id is None:
        return _not_found(request.path_params["webhook_id"])
    try:
        body = await json_body(request)
        hook = state.hooks.update(account.store_hash, account.client_id, hook_id, body)
    except ValueError as exc:
        return _hook_error(exc)
    if hook is None:
        return _not_found(hook_id)
    return ok({"data": hook.to_json(), "meta": {}})


async def delete_hook(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """DELETE /v3/hooks/{id}: answers with the deleted hook."""
    hook_id = _hook_id(request)
    hook = hook_id and state.hooks.delete(
        account.store_hash, account.client_id, hook_id
    )
    if not hook:
        return _not_found(request.path_params["webhook_id"])
    return ok({"data": hook.to_json(), "meta": {}})


async def hooks_admin(
    request: Request, state: SandboxState, account: ApiAccount
) -> Response:
    """GET /v3/hooks/admin: the account's hooks and the blocked domains."""
    hooks = state.hooks.for_account(account.store_hash, account.client_id)
    if "is_active" in request.query_params:
        try:
            wanted = parse_bool(request.query_params["is_active"])
        except ValueError:
            return error(400, "Input is invalid")
        hooks = [h for h in hooks if h.is_active == wanted]
    hooks_list = [
        {**h.to_json(), "status": "active" if h.is_active else "deactivated"}
        for h in hooks
    ]
    data = {
        "emails": [],
        "hooks_list": hooks_list,
        "blocked_domains": state.dispatcher.health.blocked_domains(),
    }
    return ok({"data": data, "meta": {}})


def _hook_error(exc: ValueError) -> Response:
    if isinstance(exc, HookRuleError):
        return error(422, exc.title, exc.errors)
    return error(400, "Input is invalid")


def hook_routes() -> list[Route]:
    """The v3 hooks endpoints."""
    base = "/stores/{store_hash}/v3/hooks"
    return [
        Route(base, authenticated(list_hooks), methods=["GET"]),
        Route(base, authenticated(create_hook), methods=["POST"]),
        Route(base + "/admin", authenticated(hooks_admin), methods=["GET"]),
        Route(base + "/{webhook_id}", authenticated(get_hook), methods=["GET"]),
        Route(base + "/{webhook_id}", authenticated(update_hook), methods=["PUT"]),
        Route(base + "/{webhook_id}", authenticated(delete_hook), methods=["DELETE"]),
    ]


def build_app(state: SandboxState, faults: FaultInjector) -> FaultMiddleware:
    """The whole sandbox as one ASGI app, faults applied in front."""
    from app.sandbox.api_store import control_routes, store_routes

    app = Starlette(routes=[*hook_routes(), *store_routes(), *control_routes()])
    app.state.sandbox = state
    app.state.faults = faults
    return FaultMiddleware(app, faults, state.record)
