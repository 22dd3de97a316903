# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook stores`: connect, list and remove stores."""

import sys
from typing import Any

import click

from app.commands.support import (
    global_options,
    open_database,
    print_json,
    reported_errors,
    run_async,
    settings_from,
)


@click.group()
def stores() -> None:
    """Connect, list and remove BigCommerce stores."""


def _read_token() -> str:
    # A token on the command line would land in the shell history and in the
    # process list, so it is read from stdin (or prompted for, hidden).
    if sys.stdin.isatty():
        return str(click.prompt("Access token", hide_input=True)).strip()
    return sys.stdin.readline().strip()


def _checked_api_url(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> str | None:
    # Checked before the token is read, so a typo costs no typing.
    from app.stores.service import normalize_api_url

    if value is None:
        return None
    try:
        return normalize_api_url(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@stores.command("add")
@global_options(with_env=False)
@click.argument("store_hash")
@click.option(
    "--api-url",
    default=None,
    callback=_checked_api_url,
    help="API base URL (BigCommerce's by default).",
)
@click.option("--client-id", default="", help="The API account's client id.")
@click.option(
    "--client-secret-stdin",
    is_flag=True,
    help="Read the client secret from the second line of stdin.",
)
@click.pass_context
@reported_errors
def add(
    ctx: click.Context,
    store_hash: str,
    api_url: str | None,
    client_id: str,
    client_secret_stdin: bool,
) -> None:
    """Connect a store; the access token is read from stdin (or prompted)."""
    from app.actions.loader import ActionRegistry
    from app.application import build_store_service, build_sync

    settings = settings_from(ctx)
    token = _read_token()
    if not token:
        raise click.ClickException("No access token given on stdin.")
    client_secret = sys.stdin.readline().strip() if client_secret_stdin else ""

    database = open_database(settings, create=True)
    service = build_store_service(database)

    registry = ActionRegistry(settings.actions_dir)
    registry.refresh()
    sync = build_sync(settings, database, service, registry.desired_scopes)

    async def connect() -> tuple[Any, Any]:
        try:
            row = await service.add_store(
                store_hash,
                token,
                api_url=api_url,
                client_id=client_id,
                client_secret=client_secret,
            )
            # Register the hooks the actions need at once, as the console does;
            # a running serve would otherwise only notice at its next pass.
            return row, await sync.sync_store(row.store_hash)
        finally:
            await service.aclose()

    row, outcome = run_async(connect())
    click.echo(f"Connected {row.name} ({row.store_hash}).")
    if outcome.message:
        click.echo(f"Webhooks: {outcome.message}")
    else:
        active = [t.scope for t in outcome.topics if t.state == "active"]
        click.echo(f"Webhooks: {outcome.status}, {len(active)} topic(s) active.")


@stores.command("list")
@global_options(with_env=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
@reported_errors
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the connected stores."""
    from app.application import build_store_service
    from app.timeutil import iso_utc

    database = open_database(settings_from(ctx))
    rows = build_store_service(database).list_stores()
    documents = [
        {
            "store_hash": row.store_hash,
            "name": row.name,
            "store_id": row.store_id,
            "api_url": row.api_url,
            "status": row.status,
            "connected_at": iso_utc(row.connected_at),
            "checked_at": iso_utc(row.checked_at),
            "last_error": row.last_error,
            "credentials_error": row.credentials_error,
        }
        for row in rows
    ]
    if as_json:
        print_json(documents)
        return
    if not documents:
        click.echo("No stores. Add one with: storehook stores add HASH")
    for document in documents:
        problem = document["credentials_error"] or document["last_error"]
        suffix = f"  ({problem})" if problem else ""
        click.echo(
            f"{document['store_hash']:<12} {document['name']:<30} "
            f"{document['status']}{suffix}"
        )


@stores.command("remove")
@global_options(with_env=False)
@click.argument("store_hash")
@click.pass_context
@reported_errors
def remove(ctx: click.Context, store_hash: str) -> None:
    """Unregister a store's hooks, delete its secrets and forget it."""
    from app.application import build_store_service, build_sync

    settings = settings_from(ctx)
    database = open_database(settings)
    service = build_store_service(database)
    sync = build_sync(settings, database, service, desired_scopes=set)

    async def remove_store() -> list[str]:
        try:
            return list(await service.remove_store(store_hash, sync=sync))
        finally:
            await service.aclose()

    for warning in run_async(remove_store()):
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Removed {store_hash}.")
