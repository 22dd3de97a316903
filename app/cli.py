# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The storehook command line: the console by default, and its subcommands."""

import logging
import os
import sys

import click

from app import config
from app.commands.actions import actions
from app.commands.hooks import hooks
from app.commands.queue import queue
from app.commands.send_test import send_test
from app.commands.stores import stores
from app.commands.support import global_options, reported_errors, settings_from

log = logging.getLogger(__name__)

# Commands that keep running and report as they go; the others are one-shot
# and say what went wrong in their one-line error.
_LONG_RUNNING = (None, "serve", "sandbox")


@click.group(invoke_without_command=True)
@global_options(with_env=True)
@click.option("--demo", is_flag=True, help="Run on the built-in sandbox.")
@click.version_option(package_name="storehook", prog_name="storehook")
@click.pass_context
def main_group(ctx: click.Context, demo: bool) -> None:
    """Storehook: an operations console for BigCommerce webhooks.

    Without a command, it opens the console.
    """
    _configure_logging(ctx)
    if ctx.invoked_subcommand is None:
        sys.exit(_open_console(ctx, demo))


@reported_errors
def _open_console(ctx: click.Context, demo: bool) -> int:
    from app.application import run_console

    return run_console(settings_from(ctx, demo=demo))


def _configure_logging(ctx: click.Context) -> None:
    from app.log import setup_logging

    verbose = bool(ctx.ensure_object(dict).get("verbose"))
    quiet = ctx.invoked_subcommand not in _LONG_RUNNING
    log_dir = None
    if not os.environ.get("STOREHOOK_NO_LOG_FILE"):
        log_dir = config.default_log_dir()
    try:
        setup_logging(log_dir, verbose=verbose, quiet=quiet)
    except OSError as error:
        setup_logging(None, verbose=verbose, quiet=quiet)
        log.warning("Cannot write the log file in %s: %s", log_dir, error)


@main_group.command()
@global_options(with_env=False)
@click.option("--demo", is_flag=True, help="Run on the built-in sandbox.")
@click.pass_context
@reported_errors
def serve(ctx: click.Context, demo: bool) -> None:
    """Run the receiver and the workers, without a window."""
    from app.application import run_headless

    sys.exit(run_headless(settings_from(ctx, demo=demo)))


@main_group.command()
@global_options(with_env=False)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True)
@reported_errors
def sandbox(port: int) -> None:
    """Run the sandbox; print one JSON line with its API URL and stores."""
    from app.sandbox.server import main as sandbox_main

    sandbox_main(port)


for command in (stores, hooks, actions, queue, send_test):
    main_group.add_command(command)


def main() -> None:
    """Entry point of the storehook command."""
    main_group(prog_name="storehook")
