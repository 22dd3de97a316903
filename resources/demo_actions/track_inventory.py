"""Keeps a local history of each product's stock level.

The change-tracked record says which fields moved, so the log shows only real
changes, and a product that sells out is called out.
"""

options = {
    "triggers": {
        "api": False,
        "bigcommerce": {
            "webhooks": ["store/product/updated", "store/product/inventory/updated"]
        },
    },
}


async def run(params, logger, api, connections):
    client = connections.bigcommerce.current
    response = await client.v3.get(
        "/catalog/products/{product_id}", path={"product_id": params["id"]}
    )
    product = response["data"]

    record = await api.records.upsert(
        "bigcommerce/product",
        str(product["id"]),
        {"name": product["name"], "inventory_level": product["inventory_level"]},
        store_hash=params["storeHash"],
    )
    if record.changed("inventory_level"):
        before, after = record.changes()["inventory_level"]
        if before is None:
            logger.info("%s: tracking stock from now on (%s)", product["name"], after)
        else:
            logger.info("%s: stock %s -> %s", product["name"], before, after)
        if after == 0:
            logger.warning("%s is out of stock", product["name"])
    else:
        logger.info(
            "%s: stock unchanged (%s)", product["name"], product["inventory_level"]
        )
