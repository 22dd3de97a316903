"""Notes high-value orders in BigCommerce so that staff check them by hand.

Writing to the order makes BigCommerce send store/order/updated again, which
runs this action again: the change-tracked record below is what keeps that
from turning into a loop. Only a change of total or status is worth a look.
"""

options = {
    "triggers": {
        "api": False,
        "bigcommerce": {"webhooks": ["store/order/created", "store/order/updated"]},
    },
    "retries": 6,
    "timeout": 30,
}

HIGH_VALUE = 250.0
NOTE = "High-value order: check before shipping (Storehook)"


async def run(params, logger, api, connections):
    client = connections.bigcommerce.current
    order = await client.v2.get("/orders/{order_id}", path={"order_id": params["id"]})
    key, notes = str(order["id"]), order.get("staff_notes") or ""

    record = await api.records.upsert(
        "bigcommerce/order",
        key,
        {"status": order["status"], "total": order["total_inc_tax"]},
        store_hash=params["storeHash"],
    )
    if not (record.changed("total") or record.changed("status")):
        logger.info("order %s: nothing new since last time", order["id"])
        return

    if float(order["total_inc_tax"]) < HIGH_VALUE or NOTE in notes:
        logger.info("order %s: %s, no note needed", order["id"], order["status"])
        return

    try:
        await client.v2.put(
            "/orders/{order_id}",
            path={"order_id": order["id"]},
            body={"staff_notes": (notes + "\n" + NOTE).strip()},
        )
    except Exception:
        # Forget what was seen, so that the retry sees a change and writes.
        await api.records.upsert(
            "bigcommerce/order", key, {"total": None}, store_hash=params["storeHash"]
        )
        raise
    logger.info(
        "order %s: noted as high value (%s)", order["id"], order["total_inc_tax"]
    )
