# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Logging set-up: stderr for the operator, a rotating file for later."""

import logging
import logging.handlers
import threading
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MAX_BYTES = 5 * 1024 * 1024
_BACKUPS = 5


class SecretRedactor(logging.Filter):
    """Replaces any known secret value in a log record with [redacted].

    Secrets are never logged on purpose; this filter is the second line of
    defence against one slipping into an exception message or a library's log.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        """Redact secret from every later record (short values are ignored)."""
        if len(secret) >= 8:
            with self._lock:
                self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            secrets = tuple(self._secrets)
        if not secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            for secret in secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


redactor = SecretRedactor()


def setup_logging(
    log_dir: Path | None, *, verbose: bool = False, quiet: bool = False
) -> None:
    """Send logs to stderr and a file.

    stderr gets warnings; everything with verbose; only errors with quiet
    (one-shot commands, whose own one-line message says what went wrong).
    """
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter(_FORMAT)

    console = logging.StreamHandler()
    if verbose:
        console.setLevel(logging.DEBUG)
    else:
        console.setLevel(logging.ERROR if quiet else logging.WARNING)
    console.setFormatter(formatter)
    console.addFilter(redactor)
    root.addHandler(console)

    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / "storehook.log",
            maxBytes=_MAX_BYTES,
            backupCount=_BACKUPS,
            encoding="utf-8",
        )
        file_handler.setFormatter(formatter)
        file_handler.addFilter(redactor)
        root.addHandler(file_handler)

    # httpx logs every request URL at INFO; that is noise at 3 a.m.
    # https://github.com/encode/httpx/issues/2547
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # peewee logs every SQL statement at DEBUG: megabytes an hour, no insight.
    logging.getLogger("peewee").setLevel(logging.INFO)
