# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every webhook scope BigCommerce documents, read from resources/."""

import functools
from pathlib import Path

# The list is data, kept next to the package (resources/bigcommerce/scopes.txt)
# so that it can be refreshed from BigCommerce's docs without touching code.
SCOPES_FILE = (
    Path(__file__).resolve().parent.parent.parent
    / "resources"
    / "bigcommerce"
    / "scopes.txt"
)


@functools.cache
def _load() -> tuple[str, ...]:
    lines = SCOPES_FILE.read_text(encoding="utf-8").splitlines()
    scopes = (line.strip() for line in lines)
    return tuple(s for s in scopes if s and not s.startswith("#"))


def all_scopes() -> list[str]:
    """Every webhook scope, wildcards (``store/order/*``) included, in file order."""
    return list(_load())


def is_known_scope(scope: str) -> bool:
    """True when BigCommerce documents scope (exactly, wildcards included)."""
    return scope in frozenset(_load())
