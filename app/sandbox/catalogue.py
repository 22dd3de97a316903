# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plausible orders and products for a sandbox store, shaped like the v2/v3 API."""

import email.utils
import random
import time
from typing import Any

# BigCommerce's fixed order statuses (GET /v2/order_statuses).
ORDER_STATUSES: dict[int, str] = {
    0: "Incomplete",
    1: "Pending",
    2: "Shipped",
    3: "Partially Shipped",
    4: "Refunded",
    5: "Cancelled",
    6: "Declined",
    7: "Awaiting Payment",
    8: "Awaiting Pickup",
    9: "Awaiting Shipment",
    10: "Completed",
    11: "Awaiting Fulfillment",
    12: "Manual Verification Required",
    13: "Disputed",
    14: "Partially Refunded",
}

_FIRST = ["Jane", "Omar", "Li", "Ana", "Tom", "Priya", "Kofi", "Mia", "Ivan", "Sara"]
_LAST = ["Doe", "Haddad", "Wei", "Silva", "Berg", "Nair", "Mensah", "Rossi", "Petrov"]
_CITIES = [
    ("Austin", "Texas", "78751", "United States", "US"),
    ("Portland", "Oregon", "97201", "United States", "US"),
    ("Toronto", "Ontario", "M5V 2T6", "Canada", "CA"),
    ("Leeds", "West Yorkshire", "LS1 4AP", "United Kingdom", "GB"),
]
_ADJECTIVES = ["Classic", "Organic", "Handmade", "Travel", "Everyday", "Large", "Mini"]
_NOUNS = ["Coffee Mug", "Tote Bag", "Notebook", "Water Bottle", "Candle", "Tea Tin"]


def rfc2822(epoch: float) -> str:
    """The v2 API's date format: 'Tue, 20 Nov 2012 00:00:00 +0000'."""
    return email.utils.formatdate(epoch, usegmt=False).replace("-0000", "+0000")


def iso8601(epoch: float) -> str:
    """The v3 API's date format: '2018-08-15T14:48:46+00:00'."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def money(value: float) -> str:
    """v2 amounts are strings with four decimals."""
    return f"{value:.4f}"


def new_address(rng: random.Random) -> dict[str, Any]:
    """A billing address with every field the v2 API returns."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    city, state, zip_code, country, iso2 = rng.choice(_CITIES)
    return {
        "first_name": first,
        "last_name": last,
        "company": "",
        "street_1": f"{rng.randint(1, 999)} Main Street",
        "street_2": "",
        "city": city,
        "state": state,
        "zip": zip_code,
        "country": country,
        "country_iso2": iso2,
        "phone": f"555-01{rng.randint(10, 99)}",
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "form_fields": [],
    }


def new_product(rng: random.Random, product_id: int, now: float) -> dict[str, Any]:
    """A v3 catalog product (product_Full) with plausible values."""
    name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {product_id}"
    price = round(rng.uniform(4, 120), 2)
    return complete_product(
        {
            "id": product_id,
            "name": name,
            "type": "physical",
            "sku": f"SBX-{product_id:05d}",
            "weight": round(rng.uniform(0.1, 3), 2),
            "price": price,
            "cost_price": round(price * 0.4, 2),
            "inventory_level": rng.randint(0, 250),
            "inventory_tracking": "product",
            "categories": [rng.choice([18, 21, 23])],
            "total_sold": rng.randint(0, 400),
        },
        now,
    )


def complete_product(fields: dict[str, Any], now: float) -> dict[str, Any]:
    """Fill in what BigCommerce fills in when a product is created."""
    product: dict[str, Any] = {
        "id": fields["id"],
        "name": "",
        "type": "physical",
        "sku": "",
        "description": "",
        "weight": 0,
        "width": 0,
        "depth": 0,
        "height": 0,
        "price": 0,
        "cost_price": 0,
        "retail_price": 0,
        "sale_price": 0,
        "map_price": 0,
        "tax_class_id": 0,
        "product_tax_code": "",
        "calculated_price": 0,
        "categories": [],
        "brand_id": 0,
        "option_set_id": 0,
        "option_set_display": "right",
        "inventory_level": 0,
        "inventory_warning_level": 0,
        "inventory_tracking": "none",
        "reviews_rating_sum": 0,
        "reviews_count": 0,
        "total_sold": 0,
        "fixed_cost_shipping_price": 0,
        "is_free_shipping": False,
        "is_visible": True,
        "is_featured": False,
        "related_products": [-1],
        "warranty": "",
        "bin_picking_number": "",
        "layout_file": "product.html",
        "upc": "",
        "mpn": "",
        "gtin": "",
        "search_keywords": "",
        "availability": "available",
        "availability_description": "",
        "gift_wrapping_options_type": "any",
        "gift_wrapping_options_list": [],
        "sort_order": 0,
        "condition": "New",
        "is_condition_shown": False,
        "order_quantity_minimum": 0,
        "order_quantity_maximum": 0,
        "page_title": "",
        "meta_keywords": [],
        "meta_description": "",
        "date_created": iso8601(now),
        "date_modified": iso8601(now),
        "view_count": 0,
        "preorder_release_date": None,
        "preorder_message": "",
        "is_preorder_only": False,
        "is_price_hidden": False,
        "price_hidden_label": "",
        "custom_url": {"url": f"/product-{fields['id']}/", "is_customized": False},
        "base_variant_id": fields["id"] + 1000,
        "open_graph_type": "product",
        "open_graph_title": "",
        "open_graph_description": "",
        "open_graph_use_meta_description": True,
        "open_graph_use_product_name": True,
        "open_graph_use_image": True,
    }
    product.update(fields)
    product["calculated_price"] = product.get("sale_price") or product["price"]
    return product


def new_order(
    rng: random.Random,
    order_id: int,
    now: float,
    products: list[dict[str, Any]],
    status_id: int | None = None,
) -> dict[str, Any]:
    """A v2 order (order_Resp) over some of the store's products."""
    lines = rng.sample(products, k=min(len(products), rng.randint(1, 3)))
    items = [(p, rng.randint(1, 3)) for p in lines]
    if status_id is None:
        status_id = rng.choice([1, 7, 9, 10, 11, 11, 11, 2])
    return complete_order(
        {
            "id": order_id,
            "customer_id": rng.randint(0, 60),
            "status_id": status_id,
            "billing_address": new_address(rng),
            "payment_method": rng.choice(["Credit Card", "PayPal", "Cash on Delivery"]),
        },
        [(float(p["price"]), qty) for p, qty in items],
        now,
    )


def complete_order(
    fields: dict[str, Any], lines: list[tuple[float, int]], now: float
) -> dict[str, Any]:
    """Fill in what BigCommerce computes for an order from its line items."""
    subtotal = sum(price * qty for price, qty in lines)
    shipping = 0.0 if subtotal > 100 else 7.5
    total = subtotal + shipping
    count = sum(qty for _, qty in lines)
    status_id = int(fields.get("status_id", 1))
    order: dict[str, Any] = {
        "id": fields["id"],
        "customer_id": 0,
        "date_created": rfc2822(now),
        "date_modified": rfc2822(now),
        "date_shipped": "",
        "status_id": status_id,
        "status": ORDER_STATUSES.get(status_id, "Pending"),
        "cart_id": "",
        "subtotal_ex_tax": money(subtotal),
        "subtotal_inc_tax": money(subtotal),
        "subtotal_tax": money(0),
        "base_shipping_cost": money(shipping),
        "shipping_cost_ex_tax": money(shipping),
        "shipping_cost_inc_tax": money(shipping),
        "shipping_cost_tax": money(0),
        "shipping_cost_tax_class_id": 2,
        "base_handling_cost": money(0),
        "handling_cost_ex_tax": money(0),
        "handling_cost_inc_tax": money(0),
        "handling_cost_tax": money(0),
        "handling_cost_tax_class_id": 2,
        "base_wrapping_cost": money(0),
        "wrapping_cost_ex_tax": money(0),
        "wrapping_cost_inc_tax": money(0),
        "wrapping_cost_tax": money(0),
        "wrapping_cost_tax_class_id": 3,
        "total_ex_tax": money(total),
        "total_inc_tax": money(total),
        "total_tax": money(0),
        "items_total": count,
        "items_shipped": 0,
        "payment_method": "Manual",
        "payment_provider_id": "",
        "payment_status": "captured" if status_id in (2, 9, 10, 11) else "",
        "refunded_amount": money(0),
        "order_is_digital": False,
        "store_credit_amount": money(0),
        "gift_certificate_amount": money(0),
        "ip_address": "192.0.2.10",
        "ip_address_v6": "",
        "geoip_country": "",
        "geoip_country_iso2": "",
        "currency_id": 1,
        "currency_code": "USD",
        "currency_exchange_rate": "1.0000000000",
        "default_currency_id": 1,
        "default_currency_code": "USD",
        "store_default_currency_code": "USD",
        "store_default_to_transactional_exchange_rate": "1.0000000000",
        "staff_notes": "",
        "customer_message": "",
        "discount_amount": money(0),
        "coupon_discount": money(0),
        "shipping_address_count": 1,
        "is_deleted": False,
        "ebay_order_id": "0",
        "billing_address": {"zip": ""},
        "is_email_opt_in": False,
        "order_source": "www",
        "channel_id": 1,
        "external_source": None,
        "external_id": None,
        "external_merchant_id": None,
        "tax_provider_id": "BasicTaxProvider",
        "customer_locale": "en",
        "external_order_id": "",
        "is_tax_inclusive_pricing": False,
    }
    order.update(fields)
    order["status"] = ORDER_STATUSES.get(order["status_id"], "Pending")
    return order


def with_resources(order: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The order as the API returns it, with its sub-resource links."""
    rendered = dict(order)
    for name in ("products", "shipping_addresses", "coupons"):
        rendered[name] = {
            "url": f"{base_url}/orders/{order['id']}/{name}",
            "resource": f"/orders/{order['id']}/{name}",
        }
    return rendered
