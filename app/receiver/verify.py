# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checking a delivery: its shape, its secret header and its signature.

Standard Webhooks keys. The spec (and the standardwebhooks package) expects a
key written as "whsec_" followed by base64 of the raw key bytes, and decodes
any string it is given as base64. BigCommerce keys the signature with the API
account's client secret, which is a plain string, not base64: decoding it
would yield different key bytes (or fail) and no signature would ever match.
So a client secret is used as the raw key, its UTF-8 bytes, which is what
base64-encoding it before handing it to the library amounts to; a secret that
is already written as "whsec_..." is decoded the way the spec says.
"""

import base64
import binascii
import dataclasses
import json
import logging
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import Webhook

from app.config import SECRET_HEADER
from app.receiver import stats
from app.stores import webhook_secret

log = logging.getLogger(__name__)

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_WHSEC_PREFIX = "whsec_"


class Rejected(Exception):
    """A delivery is turned away: why (shown to staff), the HTTP status, a detail.

    The detail is short and never holds a header value, a secret or the body.
    """

    def __init__(self, reason: str, status: int, detail: str = "") -> None:
        super().__init__(f"{reason} ({status}): {detail}")
        self.reason = reason
        self.status = status
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class Callback:
    """A body that has the shape of a BigCommerce callback."""

    store_hash: str
    envelope: dict[str, Any]
    body_text: str


@dataclasses.dataclass(frozen=True)
class StoreAuth:
    """What the receiver needs to know about a store to check a delivery."""

    secret_digest: str
    previous_secret_digest: str
    require_signature: bool


def parse_callback(body: bytes) -> Callback:
    """Decode and check a body; raise Rejected (400) unless it is a callback."""
    try:
        text = body.decode("utf-8")
        envelope = json.loads(text)
    except UnicodeDecodeError as exc:
        raise Rejected(stats.NOT_JSON, 400, f"not UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        detail = f"line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise Rejected(stats.NOT_JSON, 400, detail) from None
    except ValueError as exc:
        # Numbers too long to convert, for one.
        raise Rejected(stats.NOT_JSON, 400, str(exc)[:100]) from None
    except RecursionError:
        raise Rejected(stats.NOT_JSON, 400, "nested too deeply") from None

    if not isinstance(envelope, dict):
        kind = type(envelope).__name__
        raise Rejected(stats.NOT_CALLBACK, 400, f"JSON {kind}, not an object")
    return Callback(_check_envelope(envelope), envelope, text)


def _check_envelope(envelope: dict[str, Any]) -> str:
    # The fields BigCommerce always sends; data may be empty for some scopes.
    for name in ("scope", "hash"):
        value = envelope.get(name)
        if not isinstance(value, str) or not value:
            raise Rejected(stats.NOT_CALLBACK, 400, f"{name!r} missing or not a string")
    if not _is_data(envelope.get("data")):
        raise Rejected(stats.NOT_CALLBACK, 400, "'data' missing or not an object")
    if not _is_int(envelope.get("created_at")):
        raise Rejected(
            stats.NOT_CALLBACK, 400, "'created_at' missing or not an integer"
        )
    store_id = envelope.get("store_id")
    if not (isinstance(store_id, str) or _is_int(store_id)):
        raise Rejected(stats.NOT_CALLBACK, 400, "'store_id' missing or wrong type")

    producer = envelope.get("producer")
    prefix, _, store_hash = str(producer).partition("/")
    if not isinstance(producer, str) or prefix != "stores" or not store_hash:
        raise Rejected(stats.NOT_CALLBACK, 400, "'producer' is not stores/<hash>")
    if "/" in store_hash or len(store_hash) > 64:
        raise Rejected(stats.NOT_CALLBACK, 400, "'producer' is not stores/<hash>")
    return store_hash


def _is_data(value: object) -> bool:
    # Price-list record events carry a list of records rather than one object.
    if isinstance(value, list):
        return all(isinstance(item, dict) for item in value)
    return isinstance(value, dict)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_secret(headers: Mapping[str, str], store: StoreAuth) -> None:
    """Raise Rejected (401) unless the secret header holds the store's secret.

    Header names are case-insensitive (the mapping must be, as starlette's
    is); the previous secret still counts while a rotation settles. A secret
    anywhere else, such as the query string, is never looked at.
    """
    presented = headers.get(SECRET_HEADER)
    if not presented:
        raise Rejected(stats.MISSING_SECRET, 401, f"no {SECRET_HEADER} header")
    digests = (store.secret_digest, store.previous_secret_digest)
    if not webhook_secret.matches(presented, digests):
        raise Rejected(stats.WRONG_SECRET, 401, f"{SECRET_HEADER} does not match")


def has_signature(headers: Mapping[str, str]) -> bool:
    """True when a delivery carries any Standard Webhooks header."""
    return any(headers.get(name) for name in SIGNATURE_HEADERS)


def signing_key(client_secret: str) -> bytes:
    """The HMAC key for a client secret (see the module docstring)."""
    if client_secret.startswith(_WHSEC_PREFIX):
        try:
            return base64.b64decode(client_secret[len(_WHSEC_PREFIX) :] + "==")
        except (binascii.Error, ValueError):
            log.warning("The signing secret looks like whsec_ but is not base64")
    return client_secret.encode("utf-8")


def check_signature(
    body_text: str,
    headers: Mapping[str, str],
    client_secret: str | None,
    *,
    required: bool,
) -> None:
    """Verify Standard Webhooks headers when present; raise Rejected (401).

    Without the headers a delivery passes unless the store requires them.
    With them but without a client secret to check against, it passes too
    (the secret header already vouched for it), unless required.
    """
    if not has_signature(headers):
        if required:
            raise Rejected(stats.SIGNATURE_REQUIRED, 401, "no webhook-signature")
        return
    if not client_secret:
        if required:
            raise Rejected(stats.SIGNATURE_REQUIRED, 401, "no client secret to verify")
        log.debug("A signed delivery arrived; no client secret to check it with")
        return

    present = {name: headers.get(name) or "" for name in SIGNATURE_HEADERS}
    try:
        Webhook(signing_key(client_secret)).verify(body_text, present, json_parse=False)
    except Exception as exc:
        # The package raises its own error for a wrong or stale signature,
        # and plain ValueError or binascii.Error for a malformed header.
        raise Rejected(stats.BAD_SIGNATURE, 401, _signature_detail(exc)) from None


def _signature_detail(exc: Exception) -> str:
    if type(exc).__name__ == "WebhookVerificationError":
        return str(exc)[:100]
    return "malformed webhook-signature header"
