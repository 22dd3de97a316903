# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The settings every part of Storehook is built from."""

import dataclasses
from pathlib import Path

import platformdirs

APP_NAME = "storehook"
KEYRING_SERVICE = "storehook"
DEFAULT_LISTEN = "127.0.0.1:8787"
RECEIVER_PATH = "/webhooks/bigcommerce"
# The custom header every hook is registered with; its value is the store's
# webhook secret. Header names are case-insensitive on the wire.
SECRET_HEADER = "X-Storehook-Secret"
MAX_BODY_BYTES = 1024 * 1024


def default_data_dir() -> Path:
    """The platform's user data folder for Storehook."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_log_dir() -> Path:
    """The platform's user log folder for Storehook."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def parse_listen(value: str) -> tuple[str, int]:
    """Split HOST:PORT; raise ValueError with a readable message otherwise."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where Storehook keeps its data and how it reaches the outside world."""

    data_dir: Path
    actions_dir: Path
    listen_host: str = "127.0.0.1"
    listen_port: int = 8787
    # The public HTTPS URL BigCommerce calls; it forwards to the receiver.
    public_url: str = ""
    demo: bool = False
    # Loop guard: more than this many deliveries of one store, scope and
    # resource id within the window are held (app.queue.loopguard).
    loop_guard_threshold: int = 10
    loop_guard_window_s: float = 300.0
    # The first retry's delay; later ones double (app.queue.policy). Tests
    # shorten it to compress back-off instead of sleeping through it.
    retry_base_s: float = 2.0

    @property
    def local_receiver_url(self) -> str:
        """The receiver's own loopback URL."""
        return f"http://{self.listen_host}:{self.listen_port}{RECEIVER_PATH}"

    @property
    def destination_url(self) -> str:
        """The URL hooks are registered with: the public one when set."""
        return self.public_url or self.local_receiver_url
