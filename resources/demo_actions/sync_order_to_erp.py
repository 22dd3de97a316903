"""Pushes new orders to a (pretend) ERP that is often busy.

The ERP refuses the first two tries of every order, as a flaky partner system
would, to show how Storehook retries with back-off and keeps every attempt.
"""

options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/order/created"]}},
    "retries": 4,
    "timeout": 20,
}


class ErpBusy(Exception):
    """The ERP asked us to come back later."""


async def run(params, trigger, logger, api):
    # Count the tries per delivery in a record, so the ERP's mood survives
    # restarts just as a real partner's would.
    previous = await api.records.get("demo/erp-tries", trigger["hash"])
    count = (previous.data["count"] if previous else 0) + 1
    await api.records.upsert("demo/erp-tries", trigger["hash"], {"count": count})

    if count <= 2:
        logger.info("ERP busy on try %d for order %s", count, params["id"])
        raise ErpBusy(f"ERP answered 503 for order {params['id']} (try {count})")
    logger.info("order %s sent to the ERP on try %d", params["id"], count)
