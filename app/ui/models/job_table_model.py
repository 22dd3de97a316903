# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Queue's table model: every job, newest first, read from SQLite in blocks.

A million jobs never sit in memory. The model holds a snapshot (filter, count,
the newest id it covers) and a small cache of blocks; a block missing from the
cache is read by key from its neighbour, which costs about a millisecond at
any depth. Jobs that arrive later are kept in a list above the snapshot, so
inserting them shifts nothing in the cache and keeps the selection.

Filtering happens in SQL (the FTS5 index), not in a QSortFilterProxyModel: a
proxy would need every row in memory.
"""

import collections
import enum
import logging
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication

from app import timeutil
from app.queue import browse
from app.queue.browse import JobFilter, JobRow, Snapshot

log = logging.getLogger(__name__)

COL_ID = 0
COL_STATE = 1
COL_ACTION = 2
COL_SCOPE = 3
COL_STORE = 4
COL_RESOURCE = 5
COL_ATTEMPTS = 6
COL_RECEIVED = 7
COL_BC_CREATED = 8
COL_NEXT_ATTEMPT = 9
COL_LAST_ERROR = 10

_HEADERS = (
    "ID",
    "State",
    "Action",
    "Scope",
    "Store",
    "Resource",
    "Attempts",
    "Received at (local)",
    "BigCommerce created_at (UTC)",
    "Next attempt due",
    "Last error",
)
_HEADER_TIPS = {
    COL_RECEIVED: "When Storehook received the delivery, in your local time zone",
    COL_BC_CREATED: "The created_at BigCommerce put in the callback, in UTC",
    COL_NEXT_ATTEMPT: "When the next attempt is due, in your local time zone",
}
_NUMERIC_COLUMNS = (COL_ID, COL_ATTEMPTS)
_LOOP_GUARD_MARK = "⚠ held (loop guard)"

Index = QModelIndex | QPersistentModelIndex


class JobRoles(enum.IntEnum):
    """Custom roles: native sort values and the row's JobRow (proxy-safe)."""

    SORT = Qt.ItemDataRole.UserRole + 1
    JOB = Qt.ItemDataRole.UserRole + 2


def state_text(row: JobRow) -> str:
    """The State cell: loop-guard holds are spelt out so nobody misses them."""
    if row.is_loop_guard_hold:
        return _LOOP_GUARD_MARK
    if row.state == "held" and row.hold_reason:
        return f"held ({row.hold_reason})"
    return row.state


def _utc_text(epoch: int | None) -> str:
    return (timeutil.iso_utc(epoch) or "") if epoch is not None else ""


class JobTableModel(QAbstractTableModel):
    """Jobs newest first over a paging SQLite snapshot.

    Reads happen on the calling (GUI) thread one block at a time; each is an
    indexed read of block_size rows. Opening a snapshot (which counts) is
    done by the caller, off the GUI thread, with browse.open_snapshot.
    """

    def __init__(
        self,
        database: Any,
        parent: Any = None,
        *,
        block_size: int = 200,
        max_blocks: int = 64,
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._block_size = block_size
        self._max_blocks = max_blocks
        self._snapshot = Snapshot(JobFilter(), 0, 0, ())
        self._head: list[JobRow] = []
        self._blocks: collections.OrderedDict[int, list[JobRow]] = (
            collections.OrderedDict()
        )

    # Public API -----------------------------------------------------------

    def job_filter(self) -> JobFilter:
        """The filter the rows on show were selected with."""
        return self._snapshot.job_filter

    def newest_known_id(self) -> int:
        """The highest job id the model has seen (snapshot or live)."""
        return self._head[0].id if self._head else self._snapshot.top_id

    def apply_snapshot(self, snapshot: Snapshot) -> None:
        """Show a new snapshot (after a filter change or a reload)."""
        self.beginResetModel()
        self._snapshot = snapshot
        self._head = []
        self._blocks.clear()
        first = snapshot.first_page
        if first and len(first) >= min(self._block_size, snapshot.count):
            self._blocks[0] = list(first[: self._block_size])
        self.endResetModel()

    def reload(self) -> None:
        """Read a fresh snapshot for the current filter, on this thread."""
        job_filter = self._snapshot.job_filter
        self.apply_snapshot(browse.open_snapshot(self._database, job_filter))

    def job_at(self, row: int) -> JobRow | None:
        """The job shown in row, or None outside the table."""
        if not 0 <= row < self.rowCount():
            return None
        if row < len(self._head):
            return self._head[row]
        return self._snapshot_row(row - len(self._head))

    def row_of(self, job_id: int) -> int | None:
        """The row showing job_id, if that row has been read."""
        for row, job in enumerate(self._head):
            if job.id == job_id:
                return row
        for number, block in self._blocks.items():
            for offset, job in enumerate(block):
                if job.id == job_id:
                    return len(self._head) + number * self._block_size + offset
        return None

    def loaded_ids(self) -> set[int]:
        """Ids of every job whose row is in memory."""
        ids = {job.id for job in self._head}
        for block in self._blocks.values():
            ids.update(job.id for job in block)
        return ids

    def insert_newer(self, jobs: Iterable[JobRow]) -> int:
        """Put jobs newer than any shown on top; return how many were added."""
        newest = self.newest_known_id()
        fresh = sorted((job for job in jobs if job.id > newest), key=lambda j: -j.id)
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._head[:0] = fresh
        self.endInsertRows()
        return len(fresh)

    def update_jobs(self, jobs: dict[int, JobRow]) -> None:
        """Replace the rows of jobs already shown with their new state."""
        last = self.columnCount() - 1
        for position, job in enumerate(self._head):
            if job.id in jobs:
                self._head[position] = jobs[job.id]
                self._emit_row_changed(position, last)
        for number, block in self._blocks.items():
            for offset, job in enumerate(block):
                if job.id in jobs:
                    block[offset] = jobs[job.id]
                    row = len(self._head) + number * self._block_size + offset
                    self._emit_row_changed(row, last)

    # Qt model interface ---------------------------------------------------

    def rowCount(self, parent: Index | None = None) -> int:
        """Snapshot rows plus the rows that arrived since."""
        if parent is not None and parent.isValid():
            return 0
        return len(self._head) + self._snapshot.count

    def columnCount(self, parent: Index | None = None) -> int:
        """One column per header."""
        if parent is not None and parent.isValid():
            return 0
        return len(_HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Column titles, with tooltips that say which clock a time is in."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(_HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(section)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """The role ladder: display, tooltip, alignment, colour, sort, job."""
        if not index.isValid():
            return None
        job = self.job_at(index.row())
        if job is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display_data(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip_data(job, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == COL_STATE:
            return self._state_brush(job)
        if role == JobRoles.SORT:
            return self._sort_data(job, column)
        if role == JobRoles.JOB:
            return job
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Rows are selectable, never editable."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # Internals ------------------------------------------------------------

    def _display_data(self, job: JobRow, column: int) -> Any:
        values = {
            COL_ID: str(job.id),
            COL_STATE: state_text(job),
            COL_ACTION: job.action,
            COL_SCOPE: job.scope,
            COL_STORE: job.store_hash,
            COL_RESOURCE: job.resource,
            COL_ATTEMPTS: f"{job.attempts} of {job.max_attempts}",
            COL_RECEIVED: timeutil.local_with_offset(job.received_at),
            COL_BC_CREATED: _utc_text(job.bigcommerce_created_at),
            COL_NEXT_ATTEMPT: timeutil.local_with_offset(job.next_attempt_at),
            COL_LAST_ERROR: job.last_error.splitlines()[0] if job.last_error else "",
        }
        return values.get(column)

    def _sort_data(self, job: JobRow, column: int) -> Any:
        values = {
            COL_ID: job.id,
            COL_ATTEMPTS: job.attempts,
            COL_RECEIVED: job.received_at,
            COL_BC_CREATED: job.bigcommerce_created_at or 0,
            COL_NEXT_ATTEMPT: job.next_attempt_at or 0.0,
        }
        return values.get(column, self._display_data(job, column))

    def _tooltip_data(self, job: JobRow, column: int) -> str | None:
        # The full text of cells the view elides, and the hold reason.
        if column == COL_LAST_ERROR and job.last_error:
            return job.last_error
        if column == COL_STATE and job.hold_reason:
            return job.hold_reason
        if column == COL_SCOPE:
            return job.scope
        return None

    def _state_brush(self, job: JobRow) -> QBrush | None:
        if job.state not in ("held", "failed"):
            return None
        palette = QGuiApplication.palette()
        dark = palette.window().color().lightness() < 128
        if job.state == "held":
            return QBrush(QColor("#ffb74d" if dark else "#b85c00"))
        return QBrush(QColor("#ef9a9a" if dark else "#b71c1c"))

    def _emit_row_changed(self, row: int, last_column: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

    def _snapshot_row(self, position: int) -> JobRow | None:
        number, offset = divmod(position, self._block_size)
        block = self._block(number)
        return block[offset] if offset < len(block) else None

    def _block(self, number: int) -> list[JobRow]:
        block = self._blocks.get(number)
        if block is not None:
            self._blocks.move_to_end(number)
            return block
        block = self._read_block(number)
        self._blocks[number] = block
        while len(self._blocks) > self._max_blocks:
            self._blocks.popitem(last=False)
        return block

    def _read_block(self, number: int) -> list[JobRow]:
        # Key from a neighbouring block when there is one: an OFFSET into a
        # million rows walks them all, a key range does not.
        snapshot = self._snapshot
        size = self._block_size
        common = {"top_id": snapshot.top_id, "limit": size}
        before = self._blocks.get(number - 1)
        after = self._blocks.get(number + 1)
        if snapshot.dense:
            rows = browse.fetch_page(
                self._database,
                snapshot.job_filter,
                below_id=snapshot.top_id - number * size + 1,
                **common,
            )
        elif before and len(before) == size:
            rows = browse.fetch_page(
                self._database, snapshot.job_filter, below_id=before[-1].id, **common
            )
        elif after:
            rows = browse.fetch_page(
                self._database, snapshot.job_filter, above_id=after[0].id, **common
            )
        else:
            rows = browse.fetch_page(
                self._database, snapshot.job_filter, offset=number * size, **common
            )
        log.debug("Read queue block %d (%d rows)", number, len(rows))
        return rows
