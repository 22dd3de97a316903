# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook send-test`: deliver a sample callback to the local receiver."""

import json
import secrets
import time
from typing import Any

import click
import httpx

from app.commands.support import (
    global_options,
    open_database,
    reported_errors,
    run_async,
    settings_from,
)
from app.config import SECRET_HEADER


def build_test_callback(
    scope: str, store_hash: str, store_id: str, resource_id: int | None
) -> dict[str, Any]:
    """A callback shaped like BigCommerce's sample for scope, from this store."""
    from app.sandbox.samples import sample_payload

    callback = sample_payload(scope)
    callback["producer"] = f"stores/{store_hash}"
    callback["store_id"] = store_id or callback.get("store_id", "")
    # A fresh hash: the receiver treats a repeated hash as a duplicate.
    callback["hash"] = secrets.token_hex(20)
    callback["created_at"] = int(time.time())
    if resource_id is not None:
        callback.setdefault("data", {})["id"] = resource_id
    return callback


@click.command("send-test")
@global_options(with_env=False)
@click.argument("scope")
@click.option("--store", "store_hash", required=True, help="The store's hash.")
@click.option("--id", "resource_id", type=int, default=None, help="Resource id.")
@click.pass_context
@reported_errors
def send_test(
    ctx: click.Context, scope: str, store_hash: str, resource_id: int | None
) -> None:
    """Deliver a sample SCOPE callback to the receiver, as BigCommerce would."""
    from app.application import build_store_service
    from app.sandbox.samples import available_scopes

    if scope not in available_scopes():
        raise click.UsageError(
            f"No sample payload for {scope!r}; see `storehook actions list` "
            "for the scopes your actions use."
        )
    settings = settings_from(ctx)
    database = open_database(settings)
    service = build_store_service(database)
    store = service.get_store(store_hash)
    secret = run_async(service.webhook_secret(store.store_hash))

    callback = build_test_callback(scope, store.store_hash, store.store_id, resource_id)
    try:
        response = httpx.post(
            settings.local_receiver_url,
            content=json.dumps(callback),
            headers={SECRET_HEADER: secret, "Content-Type": "application/json"},
            timeout=10.0,
        )
    except httpx.HTTPError as error:
        raise click.ClickException(
            f"The receiver at {settings.local_receiver_url} did not answer "
            f"({type(error).__name__}); is `storehook serve` running?"
        ) from None

    click.echo(f"{response.status_code} {response.text.strip()}")
    if not response.is_success:
        raise click.ClickException(f"The receiver refused the callback ({scope}).")
