# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read queries behind the console's Queue view: pages, counts, one job's detail.

Everything here is keyed by job id, newest first, so that a view over a
million jobs only ever reads the block of rows on screen. Text filters go
through the FTS5 table ``job_search`` (rowid = job id), never a Python scan.
"""

import dataclasses
import json
import logging
import re
from collections.abc import Iterable, Sequence
from typing import Any

from app.queue.search_index import index_all_jobs

log = logging.getLogger(__name__)

LOOP_GUARD_PREFIX = "loop guard:"

_COLUMNS = (
    "j.id, j.queue, j.state, j.action, j.scope, j.store_hash, j.resource_type, "
    "j.resource_id, j.attempts, j.max_attempts, j.created_at, d.created_at, "
    "j.next_attempt_at, j.last_error, j.hold_reason"
)
_DELIVERY_JOIN = "LEFT JOIN delivery AS d ON d.id = j.delivery_id"
_TOKEN = re.compile(r"\S+")


@dataclasses.dataclass(frozen=True)
class JobFilter:
    """What the Queue shows: free text (FTS5) and one state, both optional."""

    text: str = ""
    state: str = ""

    def fts_query(self) -> str:
        """The FTS5 MATCH expression for text: every word, as a prefix, ANDed.

        Each word becomes a quoted phrase, so punctuation in scopes and queue
        names ("store/order/created", "bigcommerce-webhook") matches the
        tokens it was indexed as instead of being read as FTS5 syntax.
        """
        words = _TOKEN.findall(self.text)
        return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


@dataclasses.dataclass(frozen=True)
class JobRow:
    """One job as the Queue lists it (no payload)."""

    id: int
    queue: str
    state: str
    action: str
    scope: str
    store_hash: str
    resource_type: str
    resource_id: str
    attempts: int
    max_attempts: int
    received_at: float
    bigcommerce_created_at: int | None
    next_attempt_at: float | None
    last_error: str
    hold_reason: str

    @property
    def is_loop_guard_hold(self) -> bool:
        """True for a job the loop guard held (as opposed to, say, auth failed)."""
        return self.state == "held" and self.hold_reason.startswith(LOOP_GUARD_PREFIX)

    @property
    def resource(self) -> str:
        """The resource as staff say it: "product 77"."""
        return " ".join(part for part in (self.resource_type, self.resource_id) if part)


@dataclasses.dataclass(frozen=True)
class AttemptInfo:
    """One attempt of a job, as the detail pane shows it."""

    number: int
    started_at: float
    ended_at: float | None
    outcome: str
    error_type: str
    error_message: str
    traceback: str
    log_lines: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class JobDetail:
    """One job with its payload and every attempt."""

    row: JobRow
    payload: str
    attempts: tuple[AttemptInfo, ...]


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A consistent view of the jobs matching a filter at one moment.

    Rows newer than top_id arrived later; the view adds them live on top.
    """

    job_filter: JobFilter
    top_id: int
    count: int
    first_page: tuple[JobRow, ...]
    # No filter and no gaps in the ids: row n shows job top_id - n, so any
    # block is one key range away.
    dense: bool = False


def _id_query(job_filter: JobFilter) -> tuple[str, str, list[Any]]:
    """Return (SELECT of matching ids without WHERE extras, id column, params).

    Only the tables the filter needs are read: the FTS index alone for
    text, the job table's state index for a state. Payload columns are
    joined in afterwards, for one page only.
    """
    match = job_filter.fts_query()
    if match and job_filter.state:
        sql = (
            "SELECT s.rowid FROM job_search AS s JOIN job AS j ON j.id = s.rowid "
            "WHERE job_search MATCH ? AND j.state = ?"
        )
        return sql, "s.rowid", [match, job_filter.state]
    if match:
        return "SELECT rowid FROM job_search WHERE job_search MATCH ?", "rowid", [match]
    if job_filter.state:
        return "SELECT id FROM job WHERE state = ?", "id", [job_filter.state]
    return "SELECT id FROM job WHERE 1", "id", []


def _to_row(values: Sequence[Any]) -> JobRow:
    return JobRow(
        id=int(values[0]),
        queue=values[1],
        state=values[2],
        action=values[3],
        scope=values[4],
        store_hash=values[5],
        resource_type=values[6],
        resource_id=values[7],
        attempts=int(values[8]),
        max_attempts=int(values[9]),
        received_at=float(values[10]),
        bigcommerce_created_at=None if values[11] is None else int(values[11]),
        next_attempt_at=values[12],
        last_error=values[13],
        hold_reason=values[14],
    )


def newest_id(database: Any) -> int:
    """The highest job id there is, 0 when the queue is empty."""
    value = database.execute_sql("SELECT max(id) FROM job").fetchone()[0]
    return int(value or 0)


def count_jobs(database: Any, job_filter: JobFilter) -> int:
    """How many jobs match the filter."""
    sql, id_column, params = _id_query(job_filter)
    # count(*) straight on the table (not over a subquery) lets SQLite count
    # the smallest index instead of reading rows.
    counting = sql.replace(f"SELECT {id_column} ", "SELECT count(*) ", 1)
    return int(database.execute_sql(counting, params).fetchone()[0])


def fetch_page(
    database: Any,
    job_filter: JobFilter,
    *,
    top_id: int | None = None,
    below_id: int | None = None,
    above_id: int | None = None,
    offset: int = 0,
    limit: int = 200,
) -> list[JobRow]:
    """A page of matching jobs, newest first.

    below_id/above_id page by key from a neighbouring page (cheap at any
    depth); offset is the fallback for a jump into the middle. Only ids
    <= top_id are returned when it is given, which keeps pages consistent
    with the count taken for a snapshot.
    """
    sql, id_column, params = _id_query(job_filter)
    # One upper bound, not two: SQLite ranges over only one of them and
    # would filter the rest row by row.
    uppers = [b for b in (top_id, below_id and below_id - 1) if b is not None]
    if uppers:
        sql += f" AND {id_column} <= ?"
        params.append(min(uppers))
    if above_id is not None:
        sql += f" AND {id_column} > ?"
        params.append(above_id)

    order = "ASC" if above_id is not None else "DESC"
    ids_sql = f"{sql} ORDER BY {id_column} {order} LIMIT ? OFFSET ?"
    page_sql = (
        f"SELECT {_COLUMNS} FROM job AS j {_DELIVERY_JOIN} "
        f"WHERE j.id IN ({ids_sql}) ORDER BY j.id DESC"
    )
    cursor = database.execute_sql(page_sql, [*params, limit, offset])
    return [_to_row(values) for values in cursor]


def id_range(database: Any) -> tuple[int, int]:
    """The lowest and highest job id, (0, 0) when the queue is empty."""
    # Two queries: SQLite answers min() or max() alone from the end of the
    # index, but scans the whole table for both in one SELECT.
    low = database.execute_sql("SELECT min(id) FROM job").fetchone()[0]
    return int(low or 0), newest_id(database)


def open_snapshot(
    database: Any, job_filter: JobFilter, page_size: int = 200
) -> Snapshot:
    """Count the matching jobs and read the first page, in one read transaction."""
    if job_filter.fts_query():
        index_all_jobs(database)
    # One read transaction: WAL gives it a stable view, so the count, the
    # newest id and the first page agree even while jobs keep arriving.
    with database.atomic():
        low, top_id = id_range(database)
        count = count_jobs(database, job_filter)
        first = fetch_page(database, job_filter, top_id=top_id, limit=page_size)
    unfiltered = not job_filter.fts_query() and not job_filter.state
    dense = unfiltered and count == (top_id - low + 1 if top_id else 0)
    log.debug("Queue snapshot for %r: %d jobs up to id %d", job_filter, count, top_id)
    return Snapshot(job_filter, top_id, count, tuple(first), dense)


def fetch_rows(database: Any, job_ids: Iterable[int]) -> dict[int, JobRow]:
    """The given jobs as they are now, by id (missing ids are left out)."""
    ids = sorted(set(job_ids))
    found: dict[int, JobRow] = {}
    # Stay well below SQLite's limit on bound parameters.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            f"SELECT {_COLUMNS} FROM job AS j {_DELIVERY_JOIN} WHERE j.id IN ({marks})"
        )
        for values in database.execute_sql(sql, chunk):
            row = _to_row(values)
            found[row.id] = row
    return found


def job_detail(database: Any, job_id: int) -> JobDetail | None:
    """One job with its payload (formatted JSON) and attempts, or None if gone."""
    rows = fetch_rows(database, [job_id])
    if job_id not in rows:
        return None
    sql = (
        "SELECT coalesce(d.body, j.params) FROM job AS j "
        f"{_DELIVERY_JOIN} WHERE j.id = ?"
    )
    raw = database.execute_sql(sql, [job_id]).fetchone()[0] or ""
    return JobDetail(rows[job_id], format_payload(raw), _attempts(database, job_id))


def format_payload(raw: str) -> str:
    """The payload as indented JSON; text that is not JSON is shown as it is."""
    try:
        decoded = json.loads(raw)
    except ValueError:
        return raw
    return json.dumps(decoded, indent=2, ensure_ascii=False)


def _attempts(database: Any, job_id: int) -> tuple[AttemptInfo, ...]:
    sql = (
        "SELECT number, started_at, ended_at, outcome, error_type, error_message, "
        "traceback, log FROM attempt WHERE job_id = ? ORDER BY number, id"
    )
    return tuple(
        AttemptInfo(
            number=int(values[0]),
            started_at=float(values[1]),
            ended_at=values[2],
            outcome=values[3],
            error_type=values[4],
            error_message=values[5],
            traceback=values[6],
            log_lines=_log_lines(values[7]),
        )
        for values in database.execute_sql(sql, [job_id])
    )


def _log_lines(raw: str) -> tuple[str, ...]:
    try:
        lines = json.loads(raw or "[]")
    except ValueError:
        return (raw,)
    if not isinstance(lines, list):
        return (str(lines),)
    return tuple(str(line) for line in lines)


@dataclasses.dataclass(frozen=True)
class LoopGuardHold:
    """Jobs the loop guard holds for one action and resource."""

    action: str
    store_hash: str
    scope: str
    resource: str
    count: int


def loop_guard_holds(database: Any, limit: int = 5) -> list[LoopGuardHold]:
    """The resources with jobs held by the loop guard, most held first."""
    sql = (
        "SELECT action, store_hash, scope, resource_type, resource_id, count(*) "
        "FROM job WHERE state = 'held' AND hold_reason LIKE ? "
        "GROUP BY action, store_hash, scope, resource_type, resource_id "
        "ORDER BY count(*) DESC LIMIT ?"
    )
    rows = database.execute_sql(sql, [LOOP_GUARD_PREFIX + "%", limit])
    return [
        LoopGuardHold(
            action=values[0],
            store_hash=values[1],
            scope=values[2],
            resource=" ".join(part for part in (values[3], values[4]) if part),
            count=int(values[5]),
        )
        for values in rows
    ]


def parse_filter(text: str, state: str = "") -> JobFilter:
    """A filter from the box's text and the state selector.

    A word that is a state name ("failed") selects that state when the
    selector says "any": states change after a job is indexed, so they are
    matched on the job table, not in the full-text index.
    """
    words = _TOKEN.findall(text)
    if not state:
        named = [word for word in words if word.lower() in _STATES]
        if named:
            state = named[0].lower()
            words.remove(named[0])
    return JobFilter(" ".join(words), state)


_STATES = ("queued", "running", "retrying", "succeeded", "failed", "cancelled", "held")
