# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The detail pane of the Queue: one job's payload, attempts, log and timing."""

import logging

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import timeutil
from app.queue import policy
from app.queue.browse import AttemptInfo, JobDetail
from app.ui.json_view import JsonView
from app.ui.models.job_table_model import state_text

log = logging.getLogger(__name__)


def retry_policy_text(max_attempts: int, retry: policy.RetryPolicy) -> str:
    """The retry policy in words: "7 attempts, back-off 2 s x 2^n, ±10 %"."""
    return (
        f"{max_attempts} attempts in all, back-off {retry.base_s:g} s "
        f"\N{MULTIPLICATION SIGN} {retry.factor:g}ⁿ ±{retry.jitter * 100:g} %"
    )


def attempt_text(attempt: AttemptInfo) -> str:
    """One attempt as plain text: times, outcome, error and traceback."""
    ended = timeutil.local_with_offset(attempt.ended_at) or "still running"
    lines = [
        f"Attempt {attempt.number}: {attempt.outcome}",
        f"  started {timeutil.local_with_offset(attempt.started_at)}, ended {ended}",
    ]
    if attempt.error_type or attempt.error_message:
        lines.append(f"  {attempt.error_type}: {attempt.error_message}")
    if attempt.traceback:
        lines.append("")
        lines.extend("  " + line for line in attempt.traceback.rstrip().splitlines())
    return "\n".join(lines)


def log_text(attempts: tuple[AttemptInfo, ...]) -> str:
    """Every log line the action wrote, grouped by attempt."""
    blocks = []
    for attempt in attempts:
        if attempt.log_lines:
            lines = "\n".join(attempt.log_lines)
            blocks.append(f"— attempt {attempt.number} —\n{lines}")
    return "\n\n".join(blocks) or "The action logged nothing."


class JobDetailPane(QWidget):
    """Shows one job: facts on top, then payload, attempts and log in tabs."""

    def __init__(
        self,
        parent: QWidget | None = None,
        retry_policy: policy.RetryPolicy | None = None,
    ) -> None:
        super().__init__(parent)
        self._retry_policy = retry_policy or policy.RetryPolicy()
        self._facts: dict[str, QLabel] = {}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self._title = QLabel("Select a job to see its payload and attempts.")
        self._title.setWordWrap(True)
        layout.addWidget(self._title)
        layout.addLayout(self._init_facts())
        layout.addWidget(self._init_tabs(), 1)

    def _init_facts(self) -> QFormLayout:
        form = QFormLayout()
        for name in (
            "State",
            "Hold reason",
            "Received at (local)",
            "BigCommerce created_at (UTC)",
            "Next attempt due",
            "Retries",
        ):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(
                label.textInteractionFlags().TextSelectableByMouse
            )
            self._facts[name] = label
            form.addRow(name + ":", label)
        return form

    def _init_tabs(self) -> QTabWidget:
        self._payload = JsonView()
        self._copy_button = QPushButton("Copy")
        self._copy_button.setToolTip("Copy the payload to the clipboard")
        self._copy_button.clicked.connect(self._on_copy_button_clicked)
        payload_page = QWidget()
        payload_layout = QVBoxLayout(payload_page)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self._copy_button)
        payload_layout.addLayout(buttons)
        payload_layout.addWidget(self._payload, 1)

        self._attempts = self._read_only_text()
        self._log = self._read_only_text()
        self._tabs = QTabWidget()
        self._tabs.addTab(payload_page, "Payload")
        self._tabs.addTab(self._attempts, "Attempts")
        self._tabs.addTab(self._log, "Log")
        return self._tabs

    def _read_only_text(self) -> QPlainTextEdit:
        text = QPlainTextEdit()
        text.setReadOnly(True)
        text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return text

    def show_detail(self, detail: JobDetail | None) -> None:
        """Show a job, or the empty state for None."""
        if detail is None:
            self.clear()
            return
        row = detail.row
        self._title.setText(
            f"Job {row.id}: {row.action} for {row.scope or 'an enqueued call'}"
            f" ({row.store_hash or 'no store'} {row.resource})"
        )
        self._set_facts(detail)
        self._payload.set_json_text(detail.payload)
        self._attempts.setPlainText(
            "\n\n".join(attempt_text(a) for a in detail.attempts) or "No attempt yet."
        )
        self._log.setPlainText(log_text(detail.attempts))
        self._copy_button.setEnabled(True)

    def _set_facts(self, detail: JobDetail) -> None:
        row = detail.row
        created = row.bigcommerce_created_at
        values = {
            "State": state_text(row),
            "Hold reason": row.hold_reason or "—",
            "Received at (local)": timeutil.local_with_offset(row.received_at),
            "BigCommerce created_at (UTC)": timeutil.iso_utc(created) or "—",
            "Next attempt due": timeutil.local_with_offset(row.next_attempt_at) or "—",
            "Retries": f"{row.attempts} of {row.max_attempts} attempts made; "
            + retry_policy_text(row.max_attempts, self._retry_policy),
        }
        for name, value in values.items():
            self._facts[name].setText(value)

    def clear(self) -> None:
        """Show nothing (no job selected)."""
        self._title.setText("Select a job to see its payload and attempts.")
        for label in self._facts.values():
            label.clear()
        self._payload.set_json_text("")
        self._attempts.clear()
        self._log.clear()
        self._copy_button.setEnabled(False)

    def show_message(self, text: str) -> None:
        """Show a one-line message instead of a job (loading, gone, an error)."""
        self.clear()
        self._title.setText(text)

    def payload_text(self) -> str:
        """The payload as shown (formatted JSON)."""
        return self._payload.toPlainText()

    def attempts_text(self) -> str:
        """The Attempts tab as shown."""
        return self._attempts.toPlainText()

    def facts(self) -> dict[str, str]:
        """The labelled facts as shown, by label."""
        return {name: label.text() for name, label in self._facts.items()}

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._payload.toPlainText())
