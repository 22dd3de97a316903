# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Sandbox: a local BigCommerce stand-in served by uvicorn on loopback."""

import json
import logging
import random
import secrets
import signal
import socket
import threading
import time
from types import FrameType
from typing import Any

import uvicorn

from app.sandbox.api import build_app
from app.sandbox.delivery import MIN_REQUESTS, Attempt, Dispatcher
from app.sandbox.faults import FaultInjector
from app.sandbox.hooks import Hook
from app.sandbox.state import SandboxState, SandboxStore

log = logging.getLogger(__name__)

DEFAULT_SEED = 20260
DEFAULT_STORE_NAMES = ("Sandbox Outfitters", "Sandbox Pantry")


class Sandbox:
    """A local BigCommerce: stores, tokens, data, hooks and their callbacks.

    Args:
        stores: the stores to serve; two made-up ones by default. Missing
            tokens, names and ids are filled in (tokens at random).
        time_scale: multiplies every webhook retry and blocklist duration,
            so that tests can compress BigCommerce's 48 hours.
        delivery_timeout_s: how long a destination may take to answer.
        blocklist_min_requests: requests a domain's window must hold before
            its success ratio is judged (BigCommerce: 100).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        seed: int = DEFAULT_SEED,
        stores: list[SandboxStore] | None = None,
        delivery_timeout_s: float = 10.0,
        blocklist_min_requests: int = MIN_REQUESTS,
    ) -> None:
        self.host = host
        self.port = port
        self.faults = FaultInjector()
        self.stores = _complete_stores(stores, seed)
        self._dispatcher = Dispatcher(
            time_scale=time_scale,
            timeout_s=delivery_timeout_s,
            min_requests=blocklist_min_requests,
            still_active=self._is_hook_active,
            deactivate=self._deactivate_hook,
        )
        self.state = SandboxState(self.stores, seed, self._dispatcher)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._generator: threading.Thread | None = None
        self._stop_generator = threading.Event()

    # Lifecycle

    @property
    def api_url(self) -> str:
        """The base to use instead of https://api.bigcommerce.com."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve on loopback in a background thread; return once bound."""
        # With proto 0, asyncio does not set TCP_NODELAY on accepted
        # connections, and every keep-alive request then waits ~40 ms on
        # Nagle's algorithm and delayed ACKs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._dispatcher.start()
        config = uvicorn.Config(
            build_app(self.state, self.faults),
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="sandbox",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox could not start on {self.api_url}")
            time.sleep(0.005)
        log.info("Sandbox serving BigCommerce's API on %s", self.api_url)

    def stop(self) -> None:
        """Stop producing events, serving and delivering."""
        self._stop_generator.set()
        if self._generator is not None:
            self._generator.join(5)
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._dispatcher.stop()
        self._server = None
        self._thread = None
        log.info("Sandbox on %s stopped", self.api_url)

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # What tests and the demo look at

    @property
    def requests(self) -> list[tuple[str, str, Any]]:
        """(method, path, JSON body) of every API request, oldest first."""
        with self.state.lock:
            return list(self.state.requests)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event the stores produced (the callback body), oldest first."""
        with self.state.lock:
            return list(self.state.events)

    @property
    def attempts(self) -> list[Attempt]:
        """Every callback delivery attempt, oldest first."""
        return list(self._dispatcher.attempts)

    @property
    def pending_deliveries(self) -> int:
        """Callbacks still being delivered or waiting for a retry."""
        return self._dispatcher.pending

    def hooks(self, store_hash: str) -> list[Hook]:
        """Every hook of a store, whichever API account made it."""
        return self.state.hooks.for_account(store_hash)

    def add_token(self, store_hash: str) -> str:
        """A new API account's token for the store (its hooks are its own)."""
        token, _ = self.state.add_account(store_hash)
        return token

    def revoke_token(self, token: str) -> None:
        """Invalidate a token, as when the app is uninstalled."""
        self.state.revoke(token)

    # Changing data (each fires BigCommerce's webhooks)

    def create_order(self, store_hash: str, **fields: Any) -> dict[str, Any]:
        """Create an order (random products unless given)."""
        if "products" not in fields:
            products = self.state.products(store_hash)
            pick = random.sample(products, k=min(2, len(products)))
            fields["products"] = [{"product_id": p["id"], "quantity": 1} for p in pick]
        return self.state.create_order(store_hash, fields)

    def update_order(
        self, store_hash: str, order_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Change an order's fields (status_id fires statusUpdated)."""
        return self.state.update_order(store_hash, order_id, fields)

    def archive_order(self, store_hash: str, order_id: int) -> None:
        """Archive an order."""
        self.state.archive_order(store_hash, order_id)

    def create_product(self, store_hash: str, **fields: Any) -> dict[str, Any]:
        """Create a product."""
        fields.setdefault("name", f"Sandbox product {secrets.token_hex(3)}")
        fields.setdefault("type", "physical")
        fields.setdefault("weight", 1)
        fields.setdefault("price", 9.99)
        return self.state.create_product(store_hash, fields)

    def update_product(
        self, store_hash: str, product_id: int, **fields: Any
    ) -> dict[str, Any]:
        """Change a product's fields (inventory_level fires inventory/updated)."""
        return self.state.update_product(store_hash, product_id, fields)

    # Events for the demo

    def run_events(self, interval_s: float, count: int | None = None) -> None:
        """Produce plausible store events every interval_s until stopped."""
        from app.sandbox.generator import EventGenerator

        generator = EventGenerator(self, seed=len(self.stores))
        produced = 0
        while not self._stop_generator.wait(interval_s):
            try:
                generator.step()
            except Exception:
                log.exception("The sandbox event generator failed; it goes on")
            produced += 1
            if count is not None and produced >= count:
                return

    def start_event_generator(self, interval_s: float = 2.0) -> None:
        """run_events in a background thread, until stop()."""
        if self._generator is not None and self._generator.is_alive():
            return
        self._stop_generator.clear()
        self._generator = threading.Thread(
            target=self.run_events,
            args=(interval_s,),
            name="sandbox-events",
            daemon=True,
        )
        self._generator.start()

    def _is_hook_active(self, hook_id: int) -> bool:
        return self.state.hooks.is_active(hook_id)

    def _deactivate_hook(self, hook_id: int) -> bool:
        return self.state.hooks.deactivate(hook_id)


def _complete_stores(
    stores: list[SandboxStore] | None, seed: int
) -> list[SandboxStore]:
    rng = random.Random(seed)
    if stores is None:
        stores = [
            SandboxStore(store_hash="sbx" + _hash_chars(rng, 7), name=name)
            for name in DEFAULT_STORE_NAMES
        ]
    for number, store in enumerate(stores, start=1):
        store.access_token = store.access_token or secrets.token_hex(16)
        store.name = store.name or f"Sandbox store {store.store_hash}"
        store.store_id = store.store_id or str(1009000 + number)
        store.client_id = store.client_id or secrets.token_hex(15)
        store.client_secret = store.client_secret or secrets.token_hex(32)
    return stores


def _hash_chars(rng: random.Random, count: int) -> str:
    return "".join(
        rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(count)
    )


def main(port: int = 0) -> None:
    """`storehook sandbox`: print one JSON line, then serve until SIGINT/SIGTERM."""
    sandbox = Sandbox(port=port)
    sandbox.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    stores = [
        {"store_hash": s.store_hash, "access_token": s.access_token, "name": s.name}
        for s in sandbox.stores
    ]
    print(json.dumps({"api_url": sandbox.api_url, "stores": stores}), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
