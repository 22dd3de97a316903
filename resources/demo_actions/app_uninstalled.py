"""Tells the team when a merchant uninstalls the app from a store.

BigCommerce sends store/app/uninstalled with an almost empty data object; the
store hash in params is all there is, and the token no longer works.
"""

options = {
    "triggers": {"api": False, "bigcommerce": {"webhooks": ["store/app/uninstalled"]}},
    "retries": 0,
}


def run(params, trigger, logger):
    logger.warning(
        "Storehook was uninstalled from store %s at %s; its hooks are gone.",
        params["storeHash"],
        trigger["created_at"],
    )
