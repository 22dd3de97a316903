# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the API client tests."""

from collections.abc import Iterator

import pytest

from tests.bigcommerce.mock_api import MockApi, running_mock


@pytest.fixture
def mock_api() -> Iterator[MockApi]:
    """A recording BigCommerce mock on a loopback port."""
    yield from running_mock()
