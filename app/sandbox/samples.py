# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""BigCommerce's sample callback payloads, one JSON file per scope."""

import copy
import functools
import json
from pathlib import Path
from typing import Any

# resources/ sits next to the app package in a checkout and in the bundle.
PAYLOADS_DIR = Path(__file__).resolve().parents[2] / "resources" / "payloads"


def _file_name(scope: str) -> str:
    return scope.replace("/", "_") + ".json"


@functools.cache
def _load_all() -> dict[str, dict[str, Any]]:
    samples: dict[str, dict[str, Any]] = {}
    for path in sorted(PAYLOADS_DIR.glob("store_*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        # A file name cannot tell "/" from "_" (channel_override), so the
        # scope named inside the file is the key; the file name is a fallback.
        scope = payload.get("scope") or path.stem.replace("_", "/")
        samples.setdefault(scope, payload)
    return samples


def available_scopes() -> list[str]:
    """Every scope with a sample payload, sorted."""
    return sorted(_load_all())


def sample_payload(scope: str) -> dict[str, Any]:
    """A fresh copy of BigCommerce's sample callback for scope.

    Raises KeyError naming the scope when there is no sample for it.
    """
    samples = _load_all()
    if scope not in samples:
        path = PAYLOADS_DIR / _file_name(scope)
        if not path.is_file():
            raise KeyError(f"no sample payload for scope {scope!r}")
        samples[scope] = json.loads(path.read_text(encoding="utf-8"))
    return copy.deepcopy(samples[scope])
