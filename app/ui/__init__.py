# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The console: windows, views and dialogs (the only place Qt widgets live)."""
