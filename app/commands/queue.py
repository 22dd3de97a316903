# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""`storehook queue`: list, inspect, retry, release and cancel jobs."""

import json
from collections.abc import Callable
from typing import Any

import click

from app.commands.support import (
    global_options,
    open_database,
    print_json,
    reported_errors,
    settings_from,
)
from app.db.models import Job, JobState

# Job ids are SQLite integers; anything beyond is a typing mistake.
JOB_ID = click.IntRange(1, 2**63 - 1)


@click.group()
def queue() -> None:
    """The jobs on the queue."""


@queue.command("list")
@global_options(with_env=False)
@click.option("--state", type=click.Choice(JobState.ALL), default=None)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
@reported_errors
def list_(ctx: click.Context, state: str | None, limit: int, as_json: bool) -> None:
    """List jobs, newest first."""
    from app.queue import jobs

    database = open_database(settings_from(ctx))
    documents = jobs.list_jobs(database, state=state, limit=limit)
    if as_json:
        print_json(documents)
        return
    if not documents:
        click.echo("No jobs." if state is None else f"No {state} jobs.")
    for job in documents:
        resource = f"{job['resource_type']} {job['resource_id']}".strip()
        click.echo(
            f"{job['id']:>7} {job['state']:<10} {job['action']:<24} "
            f"{job['scope']:<28} {resource:<14} attempts {job['attempts']}"
        )


@queue.command("show")
@global_options(with_env=False)
@click.argument("job_id", type=JOB_ID)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.pass_context
@reported_errors
def show(ctx: click.Context, job_id: int, as_json: bool) -> None:
    """Show one job with its payload and every attempt."""
    from app.queue import jobs

    document = jobs.show_job(open_database(settings_from(ctx)), job_id)
    if as_json:
        print_json(document)
        return
    _print_job(document)


def _print_job(job: dict[str, Any]) -> None:
    resource = f"{job['resource_type']} {job['resource_id']}".strip() or "-"
    fields = (
        ("Job", job["id"]),
        ("State", job["state"]),
        ("Hold reason", job["hold_reason"]),
        ("Action", job["action"]),
        ("Scope", job["scope"]),
        ("Store", job["store_hash"]),
        ("Resource", resource),
        ("Attempts", f"{job['attempts']} of {job['max_attempts']}"),
        ("Next attempt (UTC)", job["next_attempt_at"]),
        ("Received at (UTC)", job["received_at"]),
        ("BigCommerce created_at (UTC)", job["bigcommerce_created_at"]),
    )
    for label, value in fields:
        if value not in (None, ""):
            click.echo(f"{label + ':':<30}{value}")

    click.echo("\nPayload:")
    click.echo(json.dumps(job["payload"], indent=2))
    for attempt in job["attempt_log"]:
        click.echo(
            f"\nAttempt {attempt['number']}: {attempt['outcome']} "
            f"({attempt['started_at']} to {attempt['ended_at'] or 'now'})"
        )
        if attempt["error_type"]:
            click.echo(f"  {attempt['error_type']}: {attempt['error_message']}")
        for line in attempt["log"]:
            click.echo(f"  log: {line}")
        if attempt["traceback"]:
            click.echo("  " + attempt["traceback"].rstrip().replace("\n", "\n  "))


def _change(
    ctx: click.Context,
    job_ids: tuple[int, ...],
    verb: str,
    operation: Callable[..., Any],
) -> None:
    database = open_database(settings_from(ctx))
    changed = list(operation(database, list(job_ids)))
    skipped = sorted(set(job_ids) - set(changed))
    click.echo(f"{verb}: {', '.join(map(str, changed)) or 'none'}")
    if skipped:
        states = {
            job.id: job.state
            for job in Job.select(Job.id, Job.state).where(Job.id.in_(skipped))
        }
        reasons = [
            f"job {job_id} is {states[job_id]}"
            if job_id in states
            else f"there is no job {job_id}"
            for job_id in skipped
        ]
        raise click.ClickException(f"Not {verb.lower()}: " + "; ".join(reasons))


@queue.command("retry")
@global_options(with_env=False)
@click.argument("job_ids", type=JOB_ID, nargs=-1, required=True)
@click.pass_context
@reported_errors
def retry(ctx: click.Context, job_ids: tuple[int, ...]) -> None:
    """Run failed or waiting jobs again at once."""
    from app.queue import jobs

    _change(ctx, job_ids, "Retrying", jobs.retry_now)


_RESOURCE_OPTIONS = (
    ("--store", "Store hash of the held resource."),
    ("--scope", "Webhook scope, e.g. store/order/updated."),
    ("--resource", "Resource id, e.g. the order id."),
)


def _resource_options(function: Callable[..., Any]) -> Callable[..., Any]:
    # The second form of release and cancel: every held job of one resource,
    # which is what a loop-guard warning names.
    for flag, text in reversed(_RESOURCE_OPTIONS):
        function = click.option(flag, default=None, help=text)(function)
    return function


def _change_held(
    ctx: click.Context,
    job_ids: tuple[int, ...],
    resource: tuple[str | None, str | None, str | None],
    verb: str,
    by_ids: Callable[..., Any],
    by_resource: Callable[..., Any],
) -> None:
    given = [value for value in resource if value is not None]
    if job_ids and given:
        raise click.UsageError("give either JOB_IDS or --store/--scope/--resource")
    if job_ids:
        _change(ctx, job_ids, verb, by_ids)
        return
    store, scope, resource_id = resource
    if store is None or scope is None or resource_id is None:
        raise click.UsageError(
            "give JOB_IDS, or all of --store, --scope and --resource"
        )

    database = open_database(settings_from(ctx))
    changed = by_resource(database, store.strip(), scope.strip(), resource_id.strip())
    what = f"store {store}, scope {scope}, resource {resource_id}"
    if not changed:
        click.echo(f"{verb}: none (no held job of {what})")
        return
    click.echo(f"{verb}: {', '.join(map(str, changed))} ({what})")


@queue.command("release")
@global_options(with_env=False)
@click.argument("job_ids", type=JOB_ID, nargs=-1)
@_resource_options
@click.pass_context
@reported_errors
def release(
    ctx: click.Context,
    job_ids: tuple[int, ...],
    store: str | None,
    scope: str | None,
    resource: str | None,
) -> None:
    """Let held jobs run: JOB_IDS, or every held job of one resource."""
    from app.queue import jobs

    _change_held(
        ctx,
        job_ids,
        (store, scope, resource),
        "Released",
        jobs.release,
        jobs.release_for_resource,
    )


@queue.command("cancel")
@global_options(with_env=False)
@click.argument("job_ids", type=JOB_ID, nargs=-1)
@_resource_options
@click.pass_context
@reported_errors
def cancel(
    ctx: click.Context,
    job_ids: tuple[int, ...],
    store: str | None,
    scope: str | None,
    resource: str | None,
) -> None:
    """Cancel unfinished jobs: JOB_IDS, or every held job of one resource."""
    from app.queue import jobs

    _change_held(
        ctx,
        job_ids,
        (store, scope, resource),
        "Cancelled",
        jobs.cancel,
        jobs.cancel_for_resource,
    )
