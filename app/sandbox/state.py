# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sandbox's stores, API accounts, data, and the events their changes fire."""

import dataclasses
import hashlib
import json
import logging
import random
import secrets
import threading
import time
from typing import Any

from app.sandbox import catalogue
from app.sandbox.delivery import Callback, Dispatcher
from app.sandbox.hooks import HookRegistry

log = logging.getLogger(__name__)

ORDERS_PER_STORE = 30
PRODUCTS_PER_STORE = 20
FIRST_ORDER_ID = 100
FIRST_PRODUCT_ID = 111


@dataclasses.dataclass
class SandboxStore:
    """A store of the sandbox and the token of its first API account."""

    store_hash: str
    access_token: str = ""
    name: str = ""
    store_id: str = ""
    client_id: str = ""
    client_secret: str = ""


@dataclasses.dataclass(frozen=True)
class ApiAccount:
    """An API account: its token reaches one store; hooks belong to it."""

    store_hash: str
    client_id: str
    client_secret: str


@dataclasses.dataclass
class StoreData:
    """One store's orders and products, keyed by id."""

    orders: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    products: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    archived: set[int] = dataclasses.field(default_factory=set)


class NotFound(LookupError):
    """The order or product does not exist in that store."""


class SandboxState:
    """Everything the sandbox knows; every change fires its webhooks.

    Safe to use from the server thread and the caller's thread at once.
    """

    def __init__(
        self, stores: list[SandboxStore], seed: int, dispatcher: Dispatcher
    ) -> None:
        self.lock = threading.RLock()
        self.stores = stores
        self.hooks = HookRegistry()
        self.dispatcher = dispatcher
        self.rng = random.Random(seed)
        self.accounts: dict[str, ApiAccount] = {}
        self.data: dict[str, StoreData] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, Any]] = []
        for store in stores:
            self.accounts[store.access_token] = ApiAccount(
                store.store_hash, store.client_id, store.client_secret
            )
            self.data[store.store_hash] = _seed(store.store_hash, seed)

    def record(self, method: str, path: str, raw: bytes) -> None:
        """Keep (method, path, JSON body or None) of an API request."""
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        with self.lock:
            self.requests.append((method, path, body))

    def store(self, store_hash: str) -> SandboxStore | None:
        """The sandbox store with this hash."""
        return next((s for s in self.stores if s.store_hash == store_hash), None)

    def account(self, store_hash: str, token: str) -> ApiAccount | None:
        """The API account a token belongs to, if it reaches this store."""
        with self.lock:
            account = self.accounts.get(token)
        if account is None or account.store_hash != store_hash:
            return None
        return account

    def add_account(self, store_hash: str) -> tuple[str, ApiAccount]:
        """A new API account (token) for the store."""
        token = secrets.token_hex(16)
        account = ApiAccount(store_hash, secrets.token_hex(15), secrets.token_hex(32))
        with self.lock:
            self.accounts[token] = account
        return token, account

    def revoke(self, token: str) -> None:
        """Make a token invalid, as uninstalling the app does."""
        with self.lock:
            self.accounts.pop(token, None)

    # Orders

    def orders(self, store_hash: str) -> list[dict[str, Any]]:
        """The store's orders that are not archived, by id."""
        with self.lock:
            data = self.data[store_hash]
            return [
                dict(o)
                for i, o in sorted(data.orders.items())
                if i not in data.archived
            ]

    def order(self, store_hash: str, order_id: int) -> dict[str, Any]:
        """One order; NotFound if missing or archived."""
        with self.lock:
            data = self.data[store_hash]
            if order_id not in data.orders or order_id in data.archived:
                raise NotFound(f"order {order_id}")
            return dict(data.orders[order_id])

    def create_order(self, store_hash: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create an order; fires order/created and inventory changes."""
        with self.lock:
            data = self.data[store_hash]
            order_id = max(data.orders, default=FIRST_ORDER_ID - 1) + 1
            lines, stock = self._order_lines(data, fields.get("products") or [])
            known = {k: v for k, v in fields.items() if k not in ("products",)}
            known.pop("shipping_addresses", None)
            billing = {
                **catalogue.new_address(self.rng),
                **known.get("billing_address", {}),
            }
            known["billing_address"] = billing
            order = catalogue.complete_order(
                {"id": order_id, **known}, lines, time.time()
            )
            data.orders[order_id] = order
        self._order_event(store_hash, "created", order_id)
        for product_id, quantity in stock:
            self._inventory_event(store_hash, product_id, -quantity, by_order=True)
        return dict(order)

    def update_order(
        self, store_hash: str, order_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Change an order; fires order/updated (and statusUpdated on a new status)."""
        with self.lock:
            order = self.data[store_hash].orders.get(order_id)
            if order is None or order_id in self.data[store_hash].archived:
                raise NotFound(f"order {order_id}")
            previous = order["status_id"]
            fields = {k: v for k, v in fields.items() if k not in ("id", "products")}
            order.update(fields)
            order["status"] = catalogue.ORDER_STATUSES.get(
                order["status_id"], "Pending"
            )
            order["date_modified"] = catalogue.rfc2822(time.time())
            result = dict(order)
        self._order_event(store_hash, "updated", order_id)
        if result["status_id"] != previous:
            status = {
                "previous_status_id": previous,
                "new_status_id": result["status_id"],
            }
            self._order_event(store_hash, "statusUpdated", order_id, status=status)
        return result

    def archive_order(self, store_hash: str, order_id: int) -> None:
        """Archive an order (DELETE /v2/orders/{id}); fires order/archived."""
        with self.lock:
            data = self.data[store_hash]
            if order_id not in data.orders or order_id in data.archived:
                raise NotFound(f"order {order_id}")
            data.archived.add(order_id)
        self._order_event(store_hash, "archived", order_id)

    # Products

    def products(self, store_hash: str) -> list[dict[str, Any]]:
        """The store's products, by id."""
        with self.lock:
            return [dict(p) for _, p in sorted(self.data[store_hash].products.items())]

    def product(self, store_hash: str, product_id: int) -> dict[str, Any]:
        """One product; NotFound if missing."""
        with self.lock:
            product = self.data[store_hash].products.get(product_id)
            if product is None:
                raise NotFound(f"product {product_id}")
            return dict(product)

    def create_product(self, store_hash: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Create a product; fires product/created."""
        with self.lock:
            products = self.data[store_hash].products
            product_id = max(products, default=FIRST_PRODUCT_ID - 1) + 1
            fields = {k: v for k, v in fields.items() if k != "id"}
            product = catalogue.complete_product(
                {"id": product_id, **fields}, time.time()
            )
            products[product_id] = product
        self._emit(
            store_hash, "store/product/created", {"type": "product", "id": product_id}
        )
        return dict(product)

    def update_product(
        self, store_hash: str, product_id: int, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Change a product; fires product/updated and inventory/updated."""
        with self.lock:
            product = self.data[store_hash].products.get(product_id)
            if product is None:
                raise NotFound(f"product {product_id}")
            before = product.get("inventory_level")
            product.update({k: v for k, v in fields.items() if k != "id"})
            product["date_modified"] = catalogue.iso8601(time.time())
            product["calculated_price"] = product.get("sale_price") or product["price"]
            result = dict(product)
        self._emit(
            store_hash, "store/product/updated", {"type": "product", "id": product_id}
        )
        if "inventory_level" in fields and result["inventory_level"] != before:
            self._inventory_event(store_hash, product_id, result["inventory_level"])
        return result

    def delete_product(self, store_hash: str, product_id: int) -> None:
        """Delete a product; fires product/deleted."""
        with self.lock:
            if self.data[store_hash].products.pop(product_id, None) is None:
                raise NotFound(f"product {product_id}")
        self._emit(
            store_hash, "store/product/deleted", {"type": "product", "id": product_id}
        )

    # Events

    def _order_lines(
        self, data: StoreData, items: list[dict[str, Any]]
    ) -> tuple[list[tuple[float, int]], list[tuple[int, int]]]:
        lines: list[tuple[float, int]] = []
        stock: list[tuple[int, int]] = []
        for item in items:
            quantity = int(item.get("quantity", 1))
            product = data.products.get(int(item.get("product_id", 0) or 0))
            if product is None:
                lines.append((float(item.get("price_inc_tax", 0)), quantity))
                continue
            lines.append((float(product["price"]), quantity))
            if product["inventory_tracking"] == "product":
                product["inventory_level"] = max(
                    0, product["inventory_level"] - quantity
                )
                product["total_sold"] += quantity
                stock.append((product["id"], quantity))
        return lines, stock

    def _order_event(
        self, store_hash: str, event: str, order_id: int, **extra: Any
    ) -> None:
        self._emit(
            store_hash,
            f"store/order/{event}",
            {"type": "order", "id": order_id, **extra},
        )
        with self.lock:
            channel = self.data[store_hash].orders[order_id].get("channel_id", 1)
        self._emit(
            store_hash, f"store/channel/{channel}/order/{event}", {"order_id": order_id}
        )

    def _inventory_event(
        self, store_hash: str, product_id: int, value: int, by_order: bool = False
    ) -> None:
        scope = (
            "store/product/inventory/order/updated"
            if by_order
            else ("store/product/inventory/updated")
        )
        inventory = {
            "product_id": product_id,
            "method": "relative" if by_order else "absolute",
            "value": value,
        }
        self._emit(
            store_hash,
            scope,
            {"type": "product", "id": product_id, "inventory": inventory},
        )

    def _emit(self, store_hash: str, scope: str, data: dict[str, Any]) -> None:
        store = self.store(store_hash)
        assert store is not None
        body = {
            "producer": f"stores/{store_hash}",
            "hash": "",
            "created_at": int(time.time()),
            "store_id": store.store_id,
            "scope": scope,
            "data": data,
        }
        # Unique per event; every hook (and every retry) gets the same one.
        body["hash"] = hashlib.sha1(
            (json.dumps(body, sort_keys=True) + secrets.token_hex(8)).encode(),
            usedforsecurity=False,
        ).hexdigest()
        with self.lock:
            self.events.append(body)
            accounts = {a.client_id: a for a in self.accounts.values()}
        for hook in self.hooks.matching(store_hash, scope):
            account = accounts.get(hook.client_id)
            secret = account.client_secret if account else store.client_secret
            self.dispatcher.send(Callback(hook=hook, body=body, client_secret=secret))


def _seed(store_hash: str, seed: int) -> StoreData:
    rng = random.Random(f"{seed}:{store_hash}")
    now = time.time()
    data = StoreData()
    for product_id in range(FIRST_PRODUCT_ID, FIRST_PRODUCT_ID + PRODUCTS_PER_STORE):
        data.products[product_id] = catalogue.new_product(
            rng, product_id, now - rng.randint(30, 400) * 86400
        )
    products = list(data.products.values())
    for order_id in range(FIRST_ORDER_ID, FIRST_ORDER_ID + ORDERS_PER_STORE):
        created = now - (FIRST_ORDER_ID + ORDERS_PER_STORE - order_id) * 3600 * 7
        data.orders[order_id] = catalogue.new_order(rng, order_id, created, products)
    return data
