# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Standard Webhooks signatures, keyed by the store's API client secret."""

import base64
import datetime as dt
import json
from typing import Any

from standardwebhooks.webhooks import Webhook

from app.db.models import Job, Store
from app.receiver import stats as reasons
from tests.receiver.conftest import STORE_HASH, Receiver, envelope

CLIENT_SECRET = "abcdefghij0123456789klmnopqrstu"


def signed_headers(body: str, key: bytes, msg_id: str = "msg_1") -> dict[str, str]:
    signature = Webhook(key).sign(msg_id, dt.datetime.now(dt.UTC), body)
    timestamp = str(int(dt.datetime.now(dt.UTC).timestamp()))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": signature,
    }


def body_of(hash_: str) -> str:
    return json.dumps(envelope(hash_=hash_))


def test_valid_signature_with_the_raw_client_secret_is_accepted(
    receiver: Receiver,
) -> None:
    receiver.signing_secrets[STORE_HASH] = CLIENT_SECRET
    body = body_of("sig-ok")

    response = receiver.post(body, headers=signed_headers(body, CLIENT_SECRET.encode()))

    assert response.status_code == 200
    assert Job.select().count() == 1


def test_whsec_style_secret_is_decoded_as_the_spec_says(receiver: Receiver) -> None:
    key = b"\x01\x02raw key bytes\xff"
    receiver.signing_secrets[STORE_HASH] = "whsec_" + base64.b64encode(key).decode()
    body = body_of("sig-whsec")

    response = receiver.post(body, headers=signed_headers(body, key))

    assert response.status_code == 200


def test_invalid_signatures_are_401(receiver: Receiver) -> None:
    receiver.signing_secrets[STORE_HASH] = CLIENT_SECRET
    body = body_of("sig-bad")
    wrong_key = signed_headers(body, b"another secret")
    tampered = signed_headers(body.replace("5001", "5002"), CLIENT_SECRET.encode())
    stale = signed_headers(body, CLIENT_SECRET.encode())
    stale["webhook-timestamp"] = str(int(dt.datetime.now(dt.UTC).timestamp()) - 3600)
    garbage = {**wrong_key, "webhook-signature": "garbage"}
    partial = {"webhook-id": "msg_1"}

    statuses = [
        receiver.post(body, headers=headers).status_code
        for headers in (wrong_key, tampered, stale, garbage, partial)
    ]

    assert statuses == [401] * 5
    assert Job.select().count() == 0
    assert receiver.stats.snapshot()["rejected_by_reason"] == {reasons.BAD_SIGNATURE: 5}


def test_required_signature(receiver: Receiver) -> None:
    Store.update(require_signature=True).where(Store.store_hash == STORE_HASH).execute()
    unsigned = receiver.post(body_of("req-1"))
    no_key = receiver.post(
        body_of("req-2"), headers=signed_headers(body_of("req-2"), b"k")
    )
    receiver.signing_secrets[STORE_HASH] = CLIENT_SECRET
    signed_body = body_of("req-3")
    signed = receiver.post(
        signed_body, headers=signed_headers(signed_body, CLIENT_SECRET.encode())
    )

    assert (unsigned.status_code, no_key.status_code, signed.status_code) == (
        401,
        401,
        200,
    )
    counts: dict[str, Any] = receiver.stats.snapshot()["rejected_by_reason"]
    assert counts == {reasons.SIGNATURE_REQUIRED: 2}


def test_signed_delivery_without_a_known_client_secret_passes(
    receiver: Receiver,
) -> None:
    body = body_of("sig-unknown")

    response = receiver.post(body, headers=signed_headers(body, b"whatever"))

    assert response.status_code == 200


def test_secret_header_is_still_required_when_signed(receiver: Receiver) -> None:
    receiver.signing_secrets[STORE_HASH] = CLIENT_SECRET
    body = body_of("sig-no-secret")

    response = receiver.post(
        body, secret=None, headers=signed_headers(body, CLIENT_SECRET.encode())
    )

    assert response.status_code == 401
