# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person types to connect a store: its hash and API URL, checked."""

import re
import urllib.parse

import httpx

from app.bigcommerce.client import DEFAULT_API_URL

_HASH = r"[A-Za-z0-9]{1,64}"
_HASH_PATTERNS = (
    re.compile(rf"(?P<hash>{_HASH})"),
    re.compile(rf"/?stores/(?P<hash>{_HASH})/?"),
    re.compile(rf"https?://[^/\s]+/stores/(?P<hash>{_HASH})(?:/\S*)?"),
)


def normalize_store_hash(text: str) -> str:
    """The store hash in text: a bare hash, ``stores/HASH`` or an API URL.

    Raises ValueError for anything else.
    """
    candidate = text.strip()
    for pattern in _HASH_PATTERNS:
        match = pattern.fullmatch(candidate)
        if match:
            return match.group("hash")
    raise ValueError(f"{text.strip()!r} is not a store hash")


def normalize_api_url(text: str) -> str:
    """The API base URL in text, without a trailing slash.

    Raises ValueError, with a message for the person who typed it, for
    anything that is not an http(s) URL with a host and a valid port.
    """
    candidate = text.strip().rstrip("/")
    example = f"like {DEFAULT_API_URL}"
    if not candidate:
        raise ValueError(f"enter the API URL, {example}")
    if any(char.isspace() for char in candidate):
        raise ValueError("the API URL cannot contain spaces")
    try:
        parts = urllib.parse.urlsplit(candidate)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{candidate} is not a usable API URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"enter an http:// or https:// URL, {example}")
    if not parts.hostname:
        raise ValueError(f"the API URL has no host name, {example}")
    if port == 0:
        raise ValueError("the API URL's port must be between 1 and 65535")
    if parts.username is not None or parts.query or parts.fragment:
        raise ValueError(
            f"the API URL cannot carry a user name, ?query or #fragment, {example}"
        )
    if "/stores/" in f"{parts.path}/":
        raise ValueError(
            f"enter the API base URL only, {example}, without /stores/HASH"
        )
    try:
        httpx.URL(candidate)
    except httpx.InvalidURL as error:
        raise ValueError(f"{candidate} is not a usable API URL ({error})") from None
    return candidate
