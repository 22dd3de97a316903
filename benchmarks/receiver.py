# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Durable receiver throughput against a bare no-op endpoint on the same server.

Run: ``.venv/bin/python benchmarks/receiver.py`` (``--seconds``, ``--clients``);
the project must be installed in the venv (``pip install -e .``), as make does.
Both endpoints run in this process under ReceiverServer, exactly as Storehook
runs them; the load comes from a separate process (so that it does not share
this one's GIL) holding keep-alive connections on loopback. Every delivery is
a new one (its own hash and order id), stored with its job before the answer.
It prints figures; it is not a test.
"""

import argparse
import asyncio
import json
import logging
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app import timeutil
from app.actions.model import ActionInfo
from app.config import RECEIVER_PATH, SECRET_HEADER
from app.db import connection
from app.db.models import Store
from app.events import EventHub
from app.queue.loopguard import LoopGuard
from app.receiver.app import build_receiver_app
from app.receiver.server import ReceiverServer
from app.receiver.stats import ReceiverStats
from app.stores import webhook_secret

log = logging.getLogger(__name__)

STORE_HASH = "b3nchst0re"
SECRET = "benchmark-secret-0123456789"
TARGET_RATIO = 0.5


class OneAction:
    """A trigger index with one action for every scope, as a small setup has."""

    def __init__(self) -> None:
        self._action = ActionInfo("on_order", Path("on_order.py"), ("store/order/*",))

    def actions_for(self, scope: str) -> list[ActionInfo]:
        return [self._action]


async def _noop(request: Request) -> Response:
    await request.body()
    return JSONResponse({"status": "ok"})


def _request(port: int, client: int, number: int) -> bytes:
    body = json.dumps(
        {
            "producer": f"stores/{STORE_HASH}",
            "hash": f"bench-{client}-{number}-{time.time_ns()}",
            "created_at": 1717243200,
            "store_id": "1009876",
            "scope": "store/order/updated",
            "data": {"type": "order", "id": client * 1_000_000 + number},
        }
    ).encode()
    head = (
        f"POST {RECEIVER_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\n{SECRET_HEADER}: {SECRET}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _one_client(
    port: int, client: int, deadline: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    number = 0
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        writer.write(_request(port, client, number))
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - started)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        number += 1
    writer.close()
    return errors


async def _drive(port: int, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    errors = await asyncio.gather(
        *(_one_client(port, n, deadline, latencies) for n in range(clients))
    )
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "errors": sum(errors), "elapsed": elapsed}


def _load(port: int, clients: int, seconds: float, results: Any) -> None:
    results.put(asyncio.run(_drive(port, clients, seconds)))


def measure(port: int, clients: int, seconds: float) -> dict[str, float]:
    """Drive one endpoint from a separate process; deliveries/s and latencies."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_load, args=(port, clients, seconds, results))
    process.start()
    outcome = results.get(timeout=seconds + 60)
    process.join()

    latencies = sorted(outcome["latencies"])
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "per_s": len(latencies) / outcome["elapsed"],
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
        "errors": outcome["errors"],
    }


def _serve_receiver(data_dir: Path) -> tuple[ReceiverServer, Any]:
    database = connection.open_database(data_dir)
    Store.create(
        store_hash=STORE_HASH,
        api_url="https://api.example.test",
        connected_at=timeutil.now(),
        secret_digest=webhook_secret.digest(SECRET),
    )
    app = build_receiver_app(
        database,
        triggers=OneAction(),
        events=EventHub(),
        stats=ReceiverStats(),
        loop_guard=LoopGuard(),
    )
    server = ReceiverServer(app, "127.0.0.1", 0)
    server.start()
    return server, database


def _report(name: str, figures: dict[str, float]) -> None:
    print(
        f"{name:<22} {figures['per_s']:8.0f} deliveries/s   "
        f"p50 {figures['p50_ms']:6.1f} ms   p99 {figures['p99_ms']:6.1f} ms   "
        f"non-200: {figures['errors']:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    noop = ReceiverServer(
        Starlette(routes=[Route(RECEIVER_PATH, _noop, methods=["POST"])]),
        "127.0.0.1",
        0,
    )
    noop.start()
    assert noop.bound_port is not None
    bare = measure(noop.bound_port, args.clients, args.seconds)
    noop.stop()

    with tempfile.TemporaryDirectory(prefix="storehook-bench-") as folder:
        receiver, database = _serve_receiver(Path(folder))
        assert receiver.bound_port is not None
        durable = measure(receiver.bound_port, args.clients, args.seconds)
        receiver.stop()
        database.close()

    print(f"{args.clients} keep-alive clients, {args.seconds:g} s each, loopback")
    _report("bare no-op endpoint", bare)
    _report("receiver (durable)", durable)
    ratio = durable["per_s"] / bare["per_s"]
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio {ratio:.2f} ({verdict} the target of {TARGET_RATIO})")


if __name__ == "__main__":
    main()
