# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every subcommand shares: global options, settings, error reporting."""

import asyncio
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from app import config

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

_GLOBAL_OPTIONS = (
    ("data_dir", "--data-dir", "STOREHOOK_DATA_DIR", "Folder for the database."),
    ("actions", "--actions", "STOREHOOK_ACTIONS", "Folder of action scripts."),
    ("listen", "--listen", "STOREHOOK_LISTEN", "Receiver address, HOST:PORT."),
    ("public_url", "--public-url", "STOREHOOK_PUBLIC_URL", "URL BigCommerce calls."),
)


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # Global options may come before or after the command. Child contexts
    # share the root's obj, and the command's options are processed after the
    # group's, so the one given after the command wins; the environment only
    # fills the group's.
    if value is not None and param.name is not None:
        ctx.ensure_object(dict)[param.name] = value
    if param.name == "verbose" and value and ctx.parent is not None:
        # The group set logging up before the command's options were read.
        _log_everything_to_stderr()
    return value


def _log_everything_to_stderr() -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    for handler in root.handlers:
        if type(handler) is logging.StreamHandler:
            handler.setLevel(logging.DEBUG)


def global_options(*, with_env: bool) -> Callable[[F], F]:
    """Add the global options to the group (with env vars) or to a command."""

    def decorate(function: F) -> F:
        for name, flag, env, text in reversed(_GLOBAL_OPTIONS):
            function = click.option(
                flag,
                name,
                envvar=env if with_env else None,
                show_envvar=with_env,
                expose_value=False,
                callback=_remember,
                help=text,
            )(function)
        verbose = click.option(
            "--verbose",
            "-v",
            "verbose",
            is_flag=True,
            default=None,
            expose_value=False,
            callback=_remember,
            help="Log everything to stderr.",
        )
        return verbose(function)

    return decorate


def settings_from(ctx: click.Context, *, demo: bool = False) -> config.Settings:
    """Build Settings from the global options gathered on the context."""
    options = ctx.ensure_object(dict)
    try:
        host, port = config.parse_listen(options.get("listen") or config.DEFAULT_LISTEN)
    except ValueError as error:
        raise click.UsageError(f"--listen: {error}") from None

    data_dir = options.get("data_dir")
    return config.Settings(
        data_dir=Path(data_dir) if data_dir else config.default_data_dir(),
        actions_dir=Path(options.get("actions") or "actions"),
        listen_host=host,
        listen_port=port,
        public_url=(options.get("public_url") or "").strip(),
        demo=demo,
    )


def _expected_error_types() -> tuple[type[BaseException], ...]:
    # Imported late so that `storehook --help` stays quick.
    import peewee

    from app.bigcommerce.errors import BigCommerceError
    from app.datadir_lock import DataDirInUse
    from app.queue.jobs import JobNotFound
    from app.receiver.server import ReceiverStartError

    return (
        BigCommerceError,
        DataDirInUse,
        JobNotFound,
        ReceiverStartError,
        ValueError,
        OSError,
        OverflowError,
        peewee.DatabaseError,
    )


def _quiet_broken_pipe() -> None:
    # `storehook queue list | head` closed the pipe early: not an error. Point
    # stdout at devnull so that Python's flush at exit stays quiet too.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(0)


def reported_errors(function: F) -> F:
    """Turn expected failures into one clear line on stderr and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except click.ClickException:
            raise
        except BrokenPipeError:
            _quiet_broken_pipe()
        except _expected_error_types() as error:
            log.debug("Command failed", exc_info=True)
            message = str(error) or type(error).__name__
            if type(error).__module__ == "peewee":
                message = f"Cannot use Storehook's database: {message}"
            raise click.ClickException(message) from None

    return wrapper  # type: ignore[return-value]


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a service coroutine to completion from a command."""
    return asyncio.run(coroutine)


def print_json(document: Any) -> None:
    """Print one JSON document and nothing else, for scripts."""
    click.echo(json.dumps(document, indent=2))


def open_database(settings: config.Settings, *, create: bool = False) -> Any:
    """Open the database of the configured data folder.

    Only commands that set Storehook up (stores add) create it; for the
    others a missing database means a mistyped --data-dir, and an empty new
    one would only hide that.
    """
    from app.db.connection import DATABASE_FILE
    from app.db.connection import open_database as open_db

    if not create and not (settings.data_dir / DATABASE_FILE).exists():
        raise click.ClickException(
            f"No Storehook data in {settings.data_dir} (is --data-dir right?); "
            "connect a store first with: storehook stores add HASH"
        )
    return open_db(settings.data_dir)
