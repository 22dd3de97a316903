# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Deliveries over real HTTP: what is accepted, what is turned away and why."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from app.config import MAX_BODY_BYTES, SECRET_HEADER
from app.db.models import Delivery, Job, JobState
from app.receiver import stats as reasons
from tests.receiver.conftest import SECRET, STORE_HASH, Receiver, envelope

BR01_BODY = (
    '{"scope":"store/order/created","store_id":"1009876","data":{"type":"order",'
    '"id":5001},"hash":"a62da30d98e856091946cb0e32559db74b147850",'
    '"created_at":1717243200,"producer":"stores/t3stab9x1q"}'
)


def assert_nothing_stored() -> None:
    assert Delivery.select().count() == 0
    assert Job.select().count() == 0


def test_valid_delivery_is_committed_before_the_answer(receiver: Receiver) -> None:
    response = receiver.post(BR01_BODY)

    # Read right after the answer, from this thread's own connection: the
    # rows must already be committed.
    assert response.status_code == 200
    answer = response.json()
    job = Job.get()
    assert answer == {
        "status": "queued",
        "delivery_id": job.delivery_id,
        "jobs": [job.id],
    }
    delivery = Delivery.get()
    assert (delivery.store_hash, delivery.scope) == (STORE_HASH, "store/order/created")
    assert (delivery.resource_type, delivery.resource_id) == ("order", "5001")
    assert (job.action, job.state, job.queue) == (
        "order_created",
        JobState.QUEUED,
        "bigcommerce-webhook",
    )
    assert job.next_attempt_at is not None and job.max_attempts == 3


def test_valid_delivery_is_counted_published_and_wakes_workers(
    receiver: Receiver,
) -> None:
    receiver.post(BR01_BODY)

    counts = receiver.stats.snapshot()
    assert (counts["received"], counts["stored"], counts["queued"]) == (1, 1, 1)
    assert receiver.kinds() == ["delivery_received"]
    assert receiver.events[0].fields["duplicate"] is False
    assert len(receiver.wakes) == 1


def test_delivery_matching_no_action_is_stored_without_jobs(
    receiver: Receiver,
) -> None:
    response = receiver.post(envelope("store/customer/created", hash_="c1"))

    assert response.json()["jobs"] == []
    assert Delivery.select().count() == 1
    assert Job.select().count() == 0
    assert receiver.wakes == []


def test_br13_secret_variants(receiver: Receiver, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    exact = receiver.post(
        envelope(hash_="a"), secret=None, headers={SECRET_HEADER: SECRET}
    )
    lower = receiver.post(
        envelope(hash_="b"), secret=None, headers={SECRET_HEADER.lower(): SECRET}
    )
    wrong = receiver.post(envelope(hash_="c"), secret="not-the-secret")
    missing = receiver.post(envelope(hash_="d"), secret=None)
    in_query = receiver.post(
        envelope(hash_="e"),
        secret=None,
        params={SECRET_HEADER: SECRET, "secret": SECRET},
    )

    assert (exact.status_code, lower.status_code) == (200, 200)
    assert (wrong.status_code, missing.status_code, in_query.status_code) == (401,) * 3
    assert Job.select().count() == 2
    rejected = receiver.stats.snapshot()["rejected_by_reason"]
    assert rejected == {reasons.WRONG_SECRET: 1, reasons.MISSING_SECRET: 2}
    ours = " ".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("http")
    )
    assert "Rejected a delivery" in ours
    assert SECRET not in ours
    assert "not-the-secret" not in ours
    assert SECRET not in json.dumps(receiver.stats.snapshot())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"scope": "store/order/created", ', reasons.NOT_JSON),
        (b"\xff\xfe not utf-8", reasons.NOT_JSON),
        (b"", reasons.NOT_JSON),
        (b"[1, 2, 3]", reasons.NOT_CALLBACK),
        (b'"a string"', reasons.NOT_CALLBACK),
        (b'{"hello": "world"}', reasons.NOT_CALLBACK),
        (b"[" * 100_000 + b"]" * 100_000, reasons.NOT_JSON),
        (b'{"n": ' + b"9" * 5000 + b"}", reasons.NOT_JSON),
    ],
    ids=[
        "truncated",
        "not-utf8",
        "empty",
        "array",
        "string",
        "object",
        "deep",
        "bigint",
    ],
)
def test_bad_bodies_are_400_and_counted(
    receiver: Receiver, body: bytes, reason: str
) -> None:
    response = receiver.post(body)

    assert response.status_code == 400
    assert response.json()["reason"] == reason
    assert_nothing_stored()
    assert receiver.stats.snapshot()["rejected_by_reason"] == {reason: 1}
    assert receiver.kinds() == ["delivery_rejected"]


def _broken(field: str, value: Any) -> dict[str, Any]:
    body = envelope()
    if value is ...:
        del body[field]
    else:
        body[field] = value
    return body


@pytest.mark.parametrize(
    "body",
    [
        _broken("scope", ...),
        _broken("scope", 7),
        _broken("hash", ...),
        _broken("hash", ""),
        _broken("data", ...),
        _broken("data", [1]),
        _broken("created_at", "1717243200"),
        _broken("created_at", True),
        _broken("created_at", 1717243200.5),
        _broken("store_id", ...),
        _broken("store_id", None),
        _broken("producer", "t3stab9x1q"),
        _broken("producer", "stores/"),
        _broken("producer", "stores/a/b"),
        _broken("producer", ["stores/t3stab9x1q"]),
    ],
)
def test_callbacks_missing_a_field_are_400(receiver: Receiver, body: Any) -> None:
    response = receiver.post(body)

    assert response.status_code == 400
    assert response.json()["reason"] == reasons.NOT_CALLBACK
    assert_nothing_stored()


def test_empty_data_and_integer_store_id_are_accepted(receiver: Receiver) -> None:
    body = envelope(hash_="x")
    body["data"] = {}
    body["store_id"] = 1009876

    response = receiver.post(body)

    assert response.status_code == 200
    assert Delivery.get().resource_id == ""


def test_unknown_store_is_404(receiver: Receiver) -> None:
    response = receiver.post(envelope(store_hash="nosuchstore"))

    assert response.status_code == 404
    assert_nothing_stored()
    assert receiver.stats.snapshot()["rejected_by_reason"] == {reasons.UNKNOWN_STORE: 1}


def test_oversize_body_with_content_length_is_413(receiver: Receiver) -> None:
    body = json.dumps(envelope(padding="x" * MAX_BODY_BYTES))

    response = receiver.post(body)

    assert response.status_code == 413
    assert_nothing_stored()
    recent = receiver.stats.snapshot()["recent_rejections"]
    assert [(r["reason"], r["status"]) for r in recent] == [(reasons.TOO_LARGE, 413)]
    assert recent[0]["remote"] == "127.0.0.1"


def test_oversize_chunked_body_is_413(receiver: Receiver) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"}'

    response = receiver.post(chunks())

    assert response.status_code == 413
    assert_nothing_stored()


def test_body_at_the_limit_is_accepted(receiver: Receiver) -> None:
    fields = envelope(hash_="big")
    fields["padding"] = ""
    body = json.dumps(fields)
    body = body[:-2] + "x" * (MAX_BODY_BYTES - len(body)) + body[-2:]

    response = receiver.post(body)

    assert len(body.encode()) == MAX_BODY_BYTES
    assert response.status_code == 200


def test_other_methods_and_paths(receiver: Receiver) -> None:
    assert receiver.client.get(receiver.url).status_code == 405
    assert receiver.client.put(receiver.url, content=BR01_BODY).status_code == 405
    other = receiver.url.replace("/webhooks/bigcommerce", "/elsewhere")
    assert receiver.client.post(other, content=BR01_BODY).status_code == 404
    health = receiver.client.get(receiver.url + "/health")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert_nothing_stored()
