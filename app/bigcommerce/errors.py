# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception family for everything that goes wrong talking to a store.

Messages are written for ops staff and never contain a token or secret.
"""

from typing import Any


class BigCommerceError(Exception):
    """A request to BigCommerce failed.

    Attributes:
        status: the HTTP status, or None when no answer came.
        title: BigCommerce's own title for the error, when it sent one.
        errors: BigCommerce's field errors ({field: message}), when it sent any.
    """

    #: A short phrase for a store's row ("token rejected", "timed out", ...).
    summary = "request failed"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str = "",
        errors: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.title = title
        self.errors = errors or {}


class CredentialsProblem(BigCommerceError):
    """The store cannot be reached with the credentials Storehook has.

    Jobs that hit this wait for the credentials to be fixed instead of
    burning their retries.
    """


class TokenRejected(CredentialsProblem):
    """401 or 403: the token was revoked, or the app uninstalled."""

    summary = "token rejected (revoked, or app uninstalled)"


class CredentialsUnavailable(CredentialsProblem):
    """The keyring holds no usable credentials for the store right now."""

    summary = "credentials unavailable"


class StoreNotFound(BigCommerceError):
    """404 on the store's base URL: the store hash is wrong or the store gone."""

    summary = "store not found, check the store hash"


class RateLimited(BigCommerceError):
    """429 kept coming after waiting as BigCommerce asked."""

    summary = "rate limited"


class ApiTimeout(BigCommerceError):
    """No answer within the client's timeout."""

    summary = "timed out"


class NetworkError(BigCommerceError):
    """The connection failed: DNS, refused, reset."""

    summary = "network error"


class ServerError(BigCommerceError):
    """5xx kept coming after the retries."""

    summary = "BigCommerce server error"


class ValidationFailed(BigCommerceError):
    """400 or 422: BigCommerce refused the request; the message is its own."""

    summary = "rejected by BigCommerce"


class NotFound(BigCommerceError):
    """404 on a resource below the store (a hook, an order) that does not exist."""

    summary = "not found"


class StoreNotConnected(BigCommerceError):
    """Storehook has no store with this hash: it was never added, or removed."""

    summary = "store not connected"
