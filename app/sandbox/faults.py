# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected failures: 429, 5xx, slow answers, answers that never come."""

import asyncio
import dataclasses
import fnmatch
import json
import threading
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STATUS_TITLES = {
    429: "Too many requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclasses.dataclass
class Fault:
    """What to do to requests matching method and path.

    path is a glob over the path after /stores/<hash> ("/v3/hooks",
    "/v3/hooks/*"), or over the whole path when it starts with /stores.
    action: "respond" (status), "delay" (then answer normally), "stall"
    (handle the request, then hold the answer for stall_s and drop the
    connection) or "drop" (handle the request, then drop the connection).
    times: how many requests it applies to; None means forever.
    """

    method: str = "*"
    path: str = "*"
    status: int | None = None
    reset_ms: int = 1000
    delay_s: float = 0.0
    action: str = "respond"
    stall_s: float = 30.0
    times: int | None = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the request."""
        if self.method not in ("*", method.upper()):
            return False
        local = path
        if not self.path.startswith("/stores/") and path.startswith("/stores/"):
            local = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else path
        return fnmatch.fnmatchcase(local, self.path)


class FaultInjector:
    """The faults switched on, consumed in order; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        *,
        method: str = "*",
        path: str = "*",
        status: int | None = None,
        reset_ms: int = 1000,
        delay_s: float = 0.0,
        action: str | None = None,
        stall_s: float = 30.0,
        times: int | None = 1,
    ) -> Fault:
        """Switch a fault on; see Fault for the fields."""
        if action is None:
            action = "respond" if status is not None else "delay"
        if action not in ("respond", "delay", "stall", "drop"):
            raise ValueError(f"unknown fault action {action!r}")
        if action == "respond" and status is None:
            raise ValueError("a 'respond' fault needs a status")
        fault = Fault(
            method=method.upper(),
            path=path,
            status=status,
            reset_ms=reset_ms,
            delay_s=delay_s,
            action=action,
            stall_s=stall_s,
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def add_from_json(self, body: dict[str, Any]) -> Fault:
        """Switch a fault on from the control endpoint's JSON body."""
        allowed = {f.name for f in dataclasses.fields(Fault)}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return self.add(**body)

    def clear(self) -> None:
        """Switch every fault off."""
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        """The faults still switched on."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault for this request, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return dataclasses.replace(fault)
        return None


class FaultMiddleware:
    """ASGI middleware applying the injector's faults to API requests."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        record: Callable[[str, str, bytes], None],
    ) -> None:
        self.app = app
        self.injector = injector
        self.record = record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/stores/"):
            await self.app(scope, receive, send)
            return
        receive = await self._recorded(scope, receive)
        fault = self.injector.take(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.action == "respond":
            await _respond(fault, send)
        elif fault.action == "delay":
            await asyncio.sleep(fault.delay_s)
            await self.app(scope, receive, send)
        else:
            await self._handle_then_fail(fault, scope, receive, send)

    async def _recorded(self, scope: Scope, receive: Receive) -> Receive:
        # Read the whole body once, note the request, then replay the body.
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        self.record(scope["method"], scope["path"], body)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _handle_then_fail(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        # The request takes effect (the hook is created); the answer is lost.
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        if fault.action == "stall":
            await asyncio.sleep(fault.stall_s)
        # Start an answer that promises a body and never finish it: the
        # server then closes the connection and the client sees it dropped.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"100"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b"{", "more_body": True})


async def _respond(fault: Fault, send: Send) -> None:
    if fault.delay_s:
        await asyncio.sleep(fault.delay_s)
    status = int(fault.status or 500)
    body = json.dumps(
        {
            "status": status,
            "title": _STATUS_TITLES.get(status, "Injected failure"),
            "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if status == 429:
        headers += [
            (b"x-rate-limit-time-reset-ms", str(fault.reset_ms).encode()),
            (b"x-rate-limit-requests-left", b"0"),
            (b"x-rate-limit-requests-quota", b"150"),
            (b"x-rate-limit-time-window-ms", b"30000"),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
