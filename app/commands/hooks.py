# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook hooks`: webhook status and sync."""

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
def hooks() -> None:
    """See and sync each store's webhooks."""


@hooks.command("status")
@global_options(with_env=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
@reported_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each store's webhook status, as last checked."""
    from app.stores.status import store_statuses

    documents = store_statuses(open_database(settings_from(ctx)))
    if as_json:
        print_json(documents)
        return
    for document in documents:
        checked = document["checked_at"] or "never checked"
        click.echo(f"{document['store_hash']}: {document['summary']} ({checked})")
        for topic in document["topics"]:
            click.echo(f"    {topic['state']:<9} {topic['scope']}")


@hooks.command("sync")
@global_options(with_env=False)
@click.argument("store_hash", required=False)
@click.pass_context
@reported_errors
def sync(ctx: click.Context, store_hash: str | None) -> None:
    """Register the hooks the actions need and remove the unused ones."""
    from app.actions.loader import ActionRegistry
    from app.application import build_store_service, build_sync
    from app.stores.sync import HOOKS_LEFT

    settings = settings_from(ctx)
    database = open_database(settings)
    registry = ActionRegistry(settings.actions_dir)
    registry.refresh()
    service = build_store_service(database)
    syncer = build_sync(settings, database, service, registry.desired_scopes)

    async def run() -> list[Any]:
        try:
            if store_hash:
                return [await syncer.sync_store(store_hash)]
            return list(await syncer.sync_all())
        finally:
            await service.aclose()

    outcomes = run_async(run())
    if registry.folder_error:
        # Every store refused alike (and its row says so): one line is enough.
        raise click.ClickException(f"{registry.folder_error}; {HOOKS_LEFT}")
    failed = False
    for outcome in outcomes:
        click.echo(f"{outcome.store_hash}: {outcome.message or outcome.status}")
        for error in outcome.errors:
            click.echo(f"    {error}")
        failed = failed or outcome.refused or outcome.status == "error"
    if failed:
        raise click.ClickException("Some stores could not be synced; see above.")
