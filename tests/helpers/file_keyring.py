# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A keyring backend in a JSON file, for subprocess tests without Secret Service.

Selected with PYTHON_KEYRING_BACKEND=tests.helpers.file_keyring.FileKeyring
and STOREHOOK_TEST_KEYRING_FILE; never used by the product.
"""

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    """Keeps passwords in the JSON file named by STOREHOOK_TEST_KEYRING_FILE."""

    priority = 1

    def _path(self) -> Path:
        return Path(os.environ["STOREHOOK_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        if not path.exists():
            return {}
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded

    def _save(self, passwords: dict[str, str]) -> None:
        self._path().write_text(json.dumps(passwords))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        passwords = self._load()
        passwords[f"{service}\0{username}"] = password
        self._save(passwords)

    def delete_password(self, service: str, username: str) -> None:
        passwords = self._load()
        if passwords.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError(username)
        self._save(passwords)
