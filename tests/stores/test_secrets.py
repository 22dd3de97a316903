# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The keyring wrapper: its names, and each kind of keyring trouble."""

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from app.bigcommerce.errors import CredentialsUnavailable
from app.stores.secrets import KeyringUnavailable, SecretStore
from tests.conftest import REPO_ROOT


class LockedKeyring(KeyringBackend):  # type: ignore[misc]
    """A backend whose collection stays locked."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


def use_backend(backend: Any) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def fail_keyring() -> Iterator[None]:
    yield from use_backend(keyring.backends.fail.Keyring())


def test_secrets_are_kept_per_store_and_name(memory_keyring: Any) -> None:
    store = SecretStore()
    store.set("abc123", "access_token", "tok")
    store.set("abc123", "client_id", "cid")
    assert memory_keyring.passwords == {
        ("storehook", "abc123/access_token"): "tok",
        ("storehook", "abc123/client_id"): "cid",
    }
    assert store.get("abc123", "access_token") == "tok"
    assert store.get("other", "access_token") is None
    store.delete("abc123", "access_token")
    store.delete("abc123", "access_token")
    store.delete_all("abc123")
    assert memory_keyring.passwords == {}
    with pytest.raises(ValueError, match="unknown secret name"):
        store.get("abc123", "password")


def test_no_backend_says_no_os_keyring(fail_keyring: None) -> None:
    store = SecretStore()
    assert store.problem() == "no OS keyring"
    with pytest.raises(KeyringUnavailable) as caught:
        store.set("abc123", "access_token", "tok-value")
    assert isinstance(caught.value, CredentialsUnavailable)
    assert caught.value.reason == "no OS keyring"
    assert str(caught.value) == "credentials unavailable: no OS keyring"
    assert "tok-value" not in str(caught.value)
    with pytest.raises(KeyringUnavailable, match="no OS keyring"):
        store.get("abc123", "access_token")


def test_locked_keyring_says_locked() -> None:
    for _ in use_backend(LockedKeyring()):
        with pytest.raises(KeyringUnavailable) as caught:
            SecretStore().get("abc123", "access_token")
        assert caught.value.reason == "keyring locked"


def test_a_backend_that_keeps_nothing_is_caught() -> None:
    for _ in use_backend(keyring.backends.null.Keyring()):
        with pytest.raises(KeyringUnavailable) as caught:
            SecretStore().set("abc123", "access_token", "tok-value")
        assert caught.value.reason == "keyring did not keep the secret"


def test_python_keyring_backend_is_respected(tmp_path: Any) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    code = "from app.stores.secrets import SecretStore; print(SecretStore().problem())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "no OS keyring"


needs_secret_service = pytest.mark.skipif(
    os.environ.get("STOREHOOK_TEST_SECRET_SERVICE") != "1",
    reason="needs a Secret Service session: run packaging/run-tests.sh",
)


@pytest.mark.keyring_service
@needs_secret_service
def test_real_secret_service_keeps_a_stores_secrets() -> None:
    from keyring.backends import SecretService

    for _ in use_backend(SecretService.Keyring()):
        store = SecretStore(service="storehook-test")
        store.set("t3stab9x1q", "access_token", "real-token-1")
        store.set("t3stab9x1q", "webhook_secret", "real-secret-2")
        assert store.get("t3stab9x1q", "access_token") == "real-token-1"
        store.delete_all("t3stab9x1q")
        assert store.get("t3stab9x1q", "access_token") is None
        assert store.get("t3stab9x1q", "webhook_secret") is None


def test_secrets_read_from_the_keyring_are_redacted_from_logs(
    memory_keyring: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from app.log import redactor

    caplog.handler.addFilter(redactor)
    secrets = SecretStore()
    secrets.set("abc123", "access_token", "tok-0123456789abcdef")

    logging.getLogger("tests.leak").warning("oops: %s", "tok-0123456789abcdef")

    assert "tok-0123456789abcdef" not in caplog.text
    assert "oops: [redacted]" in caplog.text
