# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook actions`: the action scripts and what triggers them."""

import click

from app.commands.support import global_options, print_json, settings_from


@click.group()
def actions() -> None:
    """The action scripts in the actions folder."""


@actions.command("list")
@global_options(with_env=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List the action scripts, their triggers and load errors."""
    from app.actions.loader import ActionRegistry

    settings = settings_from(ctx)
    registry = ActionRegistry(settings.actions_dir)
    registry.refresh()
    documents = [
        {
            "name": action.name,
            "path": str(action.path),
            "triggers": list(action.triggers),
            "retries": action.retries,
            "timeout": action.timeout,
            "error": action.error,
        }
        for action in registry.actions()
    ]
    if as_json:
        print_json(documents)
        return
    if not documents:
        click.echo(f"No action scripts in {settings.actions_dir.resolve()}")
    for action in registry.actions():
        if action.error:
            click.echo(f"{action.name}: ERROR {action.error}")
        else:
            triggers = ", ".join(action.triggers) or "no triggers"
            click.echo(f"{action.name}: {triggers}")
