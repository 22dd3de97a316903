# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-store webhook secrets: made here, kept in the keyring, checked by digest.

The database keeps only a SHA-256 digest of each secret. That is enough for
the receiver to check a delivery's header without the keyring (which may be
absent on a headless server), and reveals nothing: the secret is 256 random
bits, so the digest cannot be reversed.
"""

import hashlib
import hmac
import secrets


def generate() -> str:
    """A new random webhook secret."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The digest stored in the database for a secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def matches(presented: str, digests: tuple[str, ...]) -> bool:
    """True when presented is the secret of one of the (non-empty) digests.

    Compared in constant time, and every digest is compared, so that timing
    tells nothing about which one matched or how much of it did.
    """
    candidate = digest(presented)
    found = False
    for expected in digests:
        if expected and hmac.compare_digest(candidate, expected):
            found = True
    return found
