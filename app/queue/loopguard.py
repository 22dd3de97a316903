# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The loop guard: hold deliveries for a resource that keeps coming back.

An action that writes back to the resource that triggered it makes
BigCommerce send the same scope for the same resource again, forever. The
guard counts the stored deliveries of one store, scope and resource in a
sliding window (over the delivery table's index, so it survives restarts and
sees every process sharing the database) and holds the jobs of any delivery
beyond the threshold until staff release or cancel them.
"""

import logging

from app.db.models import database_proxy

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 10
DEFAULT_WINDOW_S = 300.0


# Over the (store_hash, scope, resource_id, received_at) index; plain SQL
# because it runs for every delivery (see app.queue.ingest).
_COUNT_RECENT = (
    'SELECT COUNT(*) FROM "delivery" WHERE "store_hash" = ? AND "scope" = ? '
    'AND "resource_id" = ? AND "received_at" >= ?'
)


def _describe_window(window_s: float) -> str:
    if window_s >= 60 and window_s % 60 == 0:
        return f"{int(window_s // 60)} min"
    return f"{window_s:g} s"


class LoopGuard:
    """Decides whether a new delivery's jobs must be held.

    More than threshold deliveries of the same store, scope and resource id
    within window_s seconds (the new one included) are held.
    """

    def __init__(
        self, threshold: int = DEFAULT_THRESHOLD, window_s: float = DEFAULT_WINDOW_S
    ) -> None:
        if threshold < 1 or window_s <= 0:
            raise ValueError("the loop guard needs a threshold >= 1 and a window > 0")
        self.threshold = threshold
        self.window_s = window_s

    def hold_reason(
        self,
        store_hash: str,
        scope: str,
        resource_id: str,
        *,
        now: float,
        resource_type: str = "",
    ) -> str | None:
        """The reason to hold a delivery just stored, or None to run it.

        Call it inside the transaction that stored the delivery, so that the
        count includes it and concurrent arrivals are counted in order.
        Deliveries without a resource id are never held: nothing says they
        are the same event coming back.
        """
        if not resource_id:
            return None

        sql = _COUNT_RECENT.replace("?", database_proxy.param)
        params = (store_hash, scope, resource_id, now - self.window_s)
        [(count,)] = database_proxy.execute_sql(sql, params).fetchall()
        if count <= self.threshold:
            return None

        noun = resource_type or "resource"
        reason = (
            f"loop guard: {count} {scope} deliveries for {noun} {resource_id} "
            f"in {_describe_window(self.window_s)}"
        )
        log.warning("Holding a delivery of store %s: %s", store_hash, reason)
        return reason
