# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Store secrets in the OS keyring, and nowhere else.

Each secret is kept under the service ``storehook`` with the user name
``"<store_hash>/<name>"``. When the keyring cannot be used, the caller gets a
KeyringUnavailable that says why; there is never a plaintext fallback.

Keyring calls block (and may show an unlock prompt): async code calls these
methods through ``asyncio.to_thread``.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import keyring
import keyring.backends.fail
import keyring.errors

from app.bigcommerce.errors import CredentialsUnavailable
from app.config import KEYRING_SERVICE
from app.log import redactor

log = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"
CLIENT_ID = "client_id"
CLIENT_SECRET = "client_secret"
WEBHOOK_SECRET = "webhook_secret"
PREVIOUS_WEBHOOK_SECRET = "previous_webhook_secret"
SECRET_NAMES = (
    ACCESS_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    WEBHOOK_SECRET,
    PREVIOUS_WEBHOOK_SECRET,
)

NO_KEYRING = "no OS keyring"
KEYRING_LOCKED = "keyring locked"
NOT_KEPT = "keyring did not keep the secret"

T = TypeVar("T")


class KeyringUnavailable(CredentialsUnavailable):
    """The OS keyring cannot be used right now; reason says why, for the user.

    Attributes:
        reason: "no OS keyring", "keyring locked", "keyring did not keep the
            secret", or the keyring's own error type.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"credentials unavailable: {reason}")
        self.reason = reason
        self.summary = f"credentials unavailable: {reason}"


class SecretStore:
    """Get, set and delete a store's secrets in the OS keyring."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    def problem(self) -> str:
        """Why the keyring cannot be used at all ("" when it seems usable).

        Cheap: looks at the chosen backend only, reads nothing.
        """
        try:
            backend = keyring.get_keyring()
        except Exception as exc:
            # Backend discovery runs third-party code (D-Bus, entry points).
            log.warning("Could not choose a keyring backend: %s", type(exc).__name__)
            return NO_KEYRING
        if isinstance(backend, keyring.backends.fail.Keyring):
            return NO_KEYRING
        return ""

    def get(self, store_hash: str, name: str) -> str | None:
        """The secret, or None when the keyring has none under that name."""
        value: str | None = self._call(
            keyring.get_password, self.service, _user(store_hash, name)
        )
        if value:
            redactor.add(value)
        return value

    def set(self, store_hash: str, name: str, value: str) -> None:
        """Store a secret, and read it back to be sure it was kept."""
        user = _user(store_hash, name)
        redactor.add(value)
        self._call(keyring.set_password, self.service, user, value)
        if self._call(keyring.get_password, self.service, user) != value:
            log.error(
                "The keyring backend %s accepted %s but did not keep it",
                type(keyring.get_keyring()).__name__,
                user,
            )
            raise KeyringUnavailable(NOT_KEPT)

    def delete(self, store_hash: str, name: str) -> None:
        """Forget a secret; one that is not there is fine."""
        try:
            self._call(keyring.delete_password, self.service, _user(store_hash, name))
        except _PasswordMissing:
            pass

    def delete_all(self, store_hash: str) -> None:
        """Forget every secret of a store."""
        for name in SECRET_NAMES:
            self.delete(store_hash, name)

    def _call(self, func: Callable[..., T], *args: Any) -> T:
        reason = self.problem()
        if reason:
            raise KeyringUnavailable(reason)
        try:
            return func(*args)
        except keyring.errors.PasswordDeleteError:
            raise _PasswordMissing() from None
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailable(KEYRING_LOCKED) from None
        except keyring.errors.NoKeyringError:
            raise KeyringUnavailable(NO_KEYRING) from None
        except keyring.errors.KeyringError as exc:
            # The type names the trouble; the text could echo what was stored.
            log.warning("The keyring failed: %s", type(exc).__name__)
            raise KeyringUnavailable(f"keyring error ({type(exc).__name__})") from None
        except Exception as exc:
            # Backends talk D-Bus, Windows and macOS APIs, each with its own
            # exception types; any of them means the keyring is unusable now.
            log.warning("The keyring backend raised %s", type(exc).__name__)
            raise KeyringUnavailable(f"keyring error ({type(exc).__name__})") from None


class _PasswordMissing(Exception):
    """delete_password found nothing to delete."""


def _user(store_hash: str, name: str) -> str:
    if name not in SECRET_NAMES:
        raise ValueError(f"unknown secret name {name!r}")
    return f"{store_hash}/{name}"
