# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Storehook: a desktop operations console for BigCommerce webhooks."""

__version__ = "0.1.0"
