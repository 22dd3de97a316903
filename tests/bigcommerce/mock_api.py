# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A recording BigCommerce API stand-in for tests, served over real HTTP on loopback.

It keeps hooks, a few orders and products, records every request, and can be
scripted per (method, route) to answer differently: another status, a delay,
a dropped connection, or the real behaviour followed by a stall.
"""

import asyncio
import collections
import dataclasses
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import httpx

from app.receiver.server import ReceiverServer

STORE_HASH = "t3stab9x1q"
TOKEN = "tok-S3CRET-abcdef123456"
DESTINATION = "https://hooks.example.test/bc"
# The made-up public API host the tests use, routed to the mock (see routed_http).
FAKE_API_URL = "https://api.bigcommerce.test"


@dataclasses.dataclass
class Reply:
    """How the mock answers one scripted request.

    apply: do what the real API would do first (create the hook...), then
    delay and drop or answer. Without apply, status/body/headers are the
    whole answer.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    apply: bool = False


@dataclasses.dataclass
class Recorded:
    """One request the mock received."""

    method: str
    route: str
    raw_path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


class MockApi:
    """A scripted, recording BigCommerce API for one store."""

    def __init__(self, store_hash: str = STORE_HASH, token: str = TOKEN) -> None:
        self.store_hash = store_hash
        self.token = token
        self.hooks: list[dict[str, Any]] = []
        self.orders = [{"id": n, "status": "Pending"} for n in range(1, 6)]
        self.products = [{"id": n, "name": f"Product {n}"} for n in range(1, 8)]
        self.blocked_domains: list[dict[str, Any]] = []
        self.store_info = {
            "id": store_hash,
            "name": "Test Store",
            "store_id": 1009876,
            "domain": "test.example",
        }
        self.requests: list[Recorded] = []
        self._script: dict[tuple[str, str], collections.deque[Reply]] = {}
        self._always: dict[tuple[str, str], Reply] = {}
        self._next_id = 9001
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._released: asyncio.Event | None = None
        self._server = ReceiverServer(self, "127.0.0.1", 0)

    # Test controls

    @property
    def api_url(self) -> str:
        """The mock's base URL (http on loopback)."""
        return f"http://127.0.0.1:{self._server.bound_port}"

    def start(self) -> None:
        """Start serving on a free loopback port."""
        self._server.start()

    def stop(self) -> None:
        """Release stalled requests and stop serving."""
        if self._loop is not None and self._released is not None:
            self._loop.call_soon_threadsafe(self._released.set)
        self._server.stop()

    def script(self, method: str, route: str, *replies: Reply) -> None:
        """Answer the next requests to (method, route) with replies, in order."""
        with self._lock:
            queue = self._script.setdefault((method, route), collections.deque())
            queue.extend(replies)

    def always(self, method: str, route: str, reply: Reply | None) -> None:
        """Answer every request to (method, route) with reply (None: behave)."""
        with self._lock:
            if reply is None:
                self._always.pop((method, route), None)
            else:
                self._always[(method, route)] = reply

    def add_hook(
        self, scope: str, destination: str = DESTINATION, **fields: Any
    ) -> dict[str, Any]:
        """Put a hook in place as if created earlier."""
        with self._lock:
            hook = self._new_hook(
                {
                    "scope": scope,
                    "destination": destination,
                    "is_active": True,
                    **fields,
                }
            )
            self.hooks.append(hook)
            return hook

    def calls(self, method: str, route: str) -> list[Recorded]:
        """The recorded requests to (method, route)."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.route == route]

    def scopes(self, destination: str = DESTINATION) -> list[str]:
        """Scopes of the hooks held for destination, sorted (duplicates kept)."""
        with self._lock:
            return sorted(
                h["scope"] for h in self.hooks if h["destination"] == destination
            )

    # ASGI

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if self._released is None:
            self._loop = asyncio.get_running_loop()
            self._released = asyncio.Event()
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        request = self._record(scope, body)
        status, payload, headers, reply = self._answer(request)
        if reply is not None and reply.delay:
            try:
                await asyncio.wait_for(self._released.wait(), reply.delay)
            except TimeoutError:
                pass
        if reply is not None and reply.drop:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"100")],
                }
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            raise ConnectionResetError("the mock drops this connection on purpose")
        await _respond(send, status, payload, headers)

    def _record(self, scope: dict[str, Any], body: bytes) -> Recorded:
        raw_path = scope.get("raw_path", scope["path"].encode()).decode()
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = dict(urllib.parse.parse_qsl(scope.get("query_string", b"").decode()))
        prefix = f"/stores/{self.store_hash}"
        path = scope["path"]
        route = path[len(prefix) :] if path.startswith(prefix) else path
        route = re.sub(r"/\d+(?=/|$)", "/{id}", route)
        parsed = json.loads(body) if body else None
        recorded = Recorded(scope["method"], route, raw_path, query, parsed, headers)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def _answer(
        self, request: Recorded
    ) -> tuple[int, Any, dict[str, str], Reply | None]:
        key = (request.method, request.route)
        with self._lock:
            queue = self._script.get(key)
            reply = queue.popleft() if queue else self._always.get(key)
        if reply is not None and not reply.apply:
            return reply.status, reply.body, reply.headers, reply
        if request.headers.get("x-auth-token") != self.token:
            return 401, {"status": 401, "title": "Unauthorized"}, {}, reply
        status, payload = self._behave(request)
        return status, payload, (reply.headers if reply else {}), reply

    def _behave(self, request: Recorded) -> tuple[int, Any]:
        if not request.raw_path.startswith(f"/stores/{self.store_hash}/"):
            return 404, {"status": 404, "title": "Store not found"}
        handler = _ROUTES.get((request.method, request.route))
        if handler is None:
            return 404, {"status": 404, "title": "Not found", "path": request.raw_path}
        with self._lock:
            return handler(self, request)

    # The API's behaviour (called with the lock held)

    def _new_hook(self, body: dict[str, Any]) -> dict[str, Any]:
        hook = {
            "id": self._next_id,
            "client_id": "mockclient",
            "store_hash": self.store_hash,
            "created_at": 1717243200,
            "updated_at": 1717243200,
            "headers": None,
            **body,
        }
        self._next_id += 1
        return hook

    def _list_hooks(self, request: Recorded) -> tuple[int, Any]:
        return 200, _v3_page(self.hooks, request.query)

    def _create_hook(self, request: Recorded) -> tuple[int, Any]:
        body = request.body or {}
        if not body.get("scope") or not body.get("destination"):
            return 422, {
                "status": 422,
                "title": "JSON data is missing or invalid",
                "errors": {"destination": "error.path.missing."},
            }
        hook = self._new_hook(body)
        self.hooks.append(hook)
        return 200, {"data": hook, "meta": {}}

    def _find(self, request: Recorded) -> dict[str, Any] | None:
        hook_id = int(request.raw_path.rsplit("/", 1)[1])
        return next((h for h in self.hooks if h["id"] == hook_id), None)

    def _update_hook(self, request: Recorded) -> tuple[int, Any]:
        hook = self._find(request)
        if hook is None:
            return 404, {"status": 404, "title": "Webhook not found"}
        accepted = {
            k: v
            for k, v in (request.body or {}).items()
            if k in ("scope", "destination", "is_active", "headers")
        }
        if not accepted:
            return 422, {"status": 422, "title": "update webhook should not be empty"}
        hook.update(accepted)
        return 200, {"data": hook, "meta": {}}

    def _delete_hook(self, request: Recorded) -> tuple[int, Any]:
        hook = self._find(request)
        if hook is None:
            return 404, {"status": 404, "title": "Webhook not found"}
        self.hooks.remove(hook)
        return 200, {"data": hook, "meta": {}}

    def _hooks_admin(self, request: Recorded) -> tuple[int, Any]:
        data = {
            "emails": [],
            "hooks_list": self.hooks,
            "blocked_domains": self.blocked_domains,
        }
        return 200, {"data": data, "meta": {}}

    def _store(self, request: Recorded) -> tuple[int, Any]:
        return 200, self.store_info

    def _orders(self, request: Recorded) -> tuple[int, Any]:
        page = int(request.query.get("page", 1))
        limit = int(request.query.get("limit", 50))
        items = self.orders[(page - 1) * limit : page * limit]
        return (200, items) if items else (204, None)

    def _products(self, request: Recorded) -> tuple[int, Any]:
        return 200, _v3_page(self.products, request.query)


_ROUTES = {
    ("GET", "/v3/hooks"): MockApi._list_hooks,
    ("POST", "/v3/hooks"): MockApi._create_hook,
    ("PUT", "/v3/hooks/{id}"): MockApi._update_hook,
    ("DELETE", "/v3/hooks/{id}"): MockApi._delete_hook,
    ("GET", "/v3/hooks/admin"): MockApi._hooks_admin,
    ("GET", "/v2/store"): MockApi._store,
    ("GET", "/v2/orders"): MockApi._orders,
    ("GET", "/v3/catalog/products"): MockApi._products,
}


def _v3_page(items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    page = int(query.get("page", 1))
    limit = int(query.get("limit", 50))
    total_pages = max(1, -(-len(items) // limit))
    chunk = items[(page - 1) * limit : page * limit]
    pagination = {
        "total": len(items),
        "count": len(chunk),
        "per_page": limit,
        "current_page": page,
        "total_pages": total_pages,
    }
    return {"data": chunk, "meta": {"pagination": pagination}}


async def _respond(
    send: Any, status: int, payload: Any, headers: dict[str, str]
) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    if body:
        raw_headers.append((b"content-type", b"application/json"))
    await send(
        {"type": "http.response.start", "status": status, "headers": raw_headers}
    )
    await send({"type": "http.response.body", "body": body})


class _Rerouting(httpx.AsyncBaseTransport):
    """Sends requests for FAKE_API_URL's host to the mock: a test's DNS."""

    def __init__(self, target: str) -> None:
        self._target = httpx.URL(target)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == httpx.URL(FAKE_API_URL).host:
            request.url = request.url.copy_with(
                scheme=self._target.scheme,
                host=self._target.host,
                port=self._target.port,
            )
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def routed_http(mock: MockApi) -> httpx.AsyncClient:
    """An httpx client that reaches the mock under FAKE_API_URL."""
    return httpx.AsyncClient(transport=_Rerouting(mock.api_url))


def running_mock() -> Iterator[MockApi]:
    """Generator for fixtures: a started mock, stopped afterwards."""
    mock = MockApi()
    mock.start()
    try:
        yield mock
    finally:
        mock.stop()
