# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peewee tables of Storehook's database.

Times are UTC epochs in seconds (REAL), never local times. Secrets never live
here: the webhook secret is kept only as a SHA-256 digest, which is enough for
the receiver to check a delivery without the keyring.
"""

from typing import Any

import peewee as pw

database_proxy: Any = pw.DatabaseProxy()

QUEUE_BIGCOMMERCE = "bigcommerce-webhook"


class JobState:
    """The states a job moves through."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"

    ALL = (QUEUED, RUNNING, RETRYING, SUCCEEDED, FAILED, CANCELLED, HELD)
    WAITING = (QUEUED, RETRYING)
    FINISHED = (SUCCEEDED, FAILED, CANCELLED)


class BaseModel(pw.Model):
    """Base of every table: bound to the proxy that __main__ initialises."""

    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    """One row per applied migration."""

    version = pw.IntegerField(primary_key=True)
    applied_at = pw.FloatField()


class Store(BaseModel):
    """A connected BigCommerce store: everything about it that is not secret."""

    store_hash = pw.CharField(primary_key=True)
    name = pw.CharField(default="")
    store_id = pw.CharField(default="")
    api_url = pw.CharField()
    connected_at = pw.FloatField()
    # JSON list of the hooks BigCommerce holds for Storehook's destination.
    hooks_snapshot = pw.TextField(default="[]")
    # Overall webhook status and per-topic states ([{"scope", "state"}], JSON).
    status = pw.CharField(default="unknown")
    topics = pw.TextField(default="[]")
    checked_at = pw.FloatField(null=True)
    last_error = pw.TextField(default="")
    # What /v3/hooks/admin reported: blocked domains, deactivated hooks (JSON).
    admin_report = pw.TextField(default="{}")
    uninstalled_at = pw.FloatField(null=True)
    secret_digest = pw.CharField(default="")
    previous_secret_digest = pw.CharField(default="")
    require_signature = pw.BooleanField(default=False)


class Delivery(BaseModel):
    """One webhook callback as received, stored before it was acknowledged."""

    id = pw.AutoField()
    store_hash = pw.CharField()
    hash = pw.CharField()
    scope = pw.CharField()
    resource_type = pw.CharField(default="")
    resource_id = pw.CharField(default="")
    created_at = pw.IntegerField(null=True)
    received_at = pw.FloatField()
    # The exact body BigCommerce sent, decoded as UTF-8.
    body = pw.TextField()
    duplicates = pw.IntegerField(default=0)
    last_duplicate_at = pw.FloatField(null=True)

    class Meta:
        indexes = (
            (("store_hash", "hash"), True),
            (("store_hash", "scope", "resource_id", "received_at"), False),
        )


class Job(BaseModel):
    """One run of one action for one delivery (or one enqueue call)."""

    id = pw.AutoField()
    queue = pw.CharField(default=QUEUE_BIGCOMMERCE)
    delivery = pw.ForeignKeyField(Delivery, null=True, backref="jobs")
    action = pw.CharField()
    scope = pw.CharField(default="")
    store_hash = pw.CharField(default="")
    resource_type = pw.CharField(default="")
    resource_id = pw.CharField(default="")
    # Parameters of a job queued by api.enqueue (JSON); deliveries use their body.
    params = pw.TextField(default="")
    state = pw.CharField(default=JobState.QUEUED)
    attempts = pw.IntegerField(default=0)
    max_attempts = pw.IntegerField(default=7)
    timeout = pw.FloatField(default=60.0)
    created_at = pw.FloatField()
    updated_at = pw.FloatField()
    next_attempt_at = pw.FloatField(null=True)
    last_error = pw.TextField(default="")
    hold_reason = pw.TextField(default="")
    worker = pw.CharField(default="")

    class Meta:
        indexes = (
            (("delivery", "action"), True),
            (("state", "next_attempt_at"), False),
            (("store_hash", "state"), False),
        )


class Attempt(BaseModel):
    """One attempt of a job: its times, its outcome and what the action logged."""

    id = pw.AutoField()
    job = pw.ForeignKeyField(Job, backref="attempt_log", on_delete="CASCADE")
    number = pw.IntegerField()
    started_at = pw.FloatField()
    ended_at = pw.FloatField(null=True)
    outcome = pw.CharField(default="running")
    error_type = pw.CharField(default="")
    error_message = pw.TextField(default="")
    traceback = pw.TextField(default="")
    # JSON list of the lines the action logged during this attempt.
    log = pw.TextField(default="[]")

    class Meta:
        indexes = ((("job", "number"), False),)


class Record(BaseModel):
    """A change-tracked record an action keeps through api.records."""

    id = pw.AutoField()
    model = pw.CharField()
    store_hash = pw.CharField(default="")
    key = pw.CharField()
    data = pw.TextField(default="{}")
    # JSON {field: [previous, current]} for the fields the last update changed.
    changes = pw.TextField(default="{}")
    version = pw.IntegerField(default=0)
    updated_at = pw.FloatField()

    class Meta:
        indexes = ((("model", "store_hash", "key"), True),)


ALL_TABLES: tuple[type[BaseModel], ...] = (
    SchemaVersion,
    Store,
    Delivery,
    Job,
    Attempt,
    Record,
)
