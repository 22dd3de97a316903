# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Talking to BigCommerce: the API client, scopes and callbacks."""
