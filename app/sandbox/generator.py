# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plausible store activity for the demo: orders placed, shipped, restocked."""

import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.sandbox.server import Sandbox

# Where an order usually goes next (status ids).
_NEXT_STATUS = {0: 11, 1: 11, 7: 11, 11: 9, 9: 2, 2: 10, 8: 10}


class EventGenerator:
    """Picks one plausible change at a time and makes it through the Sandbox."""

    def __init__(self, sandbox: "Sandbox", seed: int) -> None:
        self._sandbox = sandbox
        self._rng = random.Random(seed)

    def step(self) -> None:
        """Make one change in a random store."""
        store = self._rng.choice(self._sandbox.stores).store_hash
        roll = self._rng.random()
        if roll < 0.35:
            self._sandbox.create_order(store)
        elif roll < 0.75:
            self._advance_order(store)
        elif roll < 0.9:
            self._restock(store)
        else:
            self._reprice(store)

    def _advance_order(self, store: str) -> None:
        orders = [
            o
            for o in self._sandbox.state.orders(store)
            if o["status_id"] in _NEXT_STATUS
        ]
        if not orders:
            self._sandbox.create_order(store)
            return
        order = self._rng.choice(orders[-10:])
        self._sandbox.update_order(
            store, order["id"], status_id=_NEXT_STATUS[order["status_id"]]
        )

    def _restock(self, store: str) -> None:
        product = self._rng.choice(self._sandbox.state.products(store))
        level = product["inventory_level"] + self._rng.randint(5, 50)
        self._sandbox.update_product(store, product["id"], inventory_level=level)

    def _reprice(self, store: str) -> None:
        product = self._rng.choice(self._sandbox.state.products(store))
        price = round(product["price"] * self._rng.uniform(0.9, 1.1), 2)
        self._sandbox.update_product(store, product["id"], price=price)
