# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""The embedded webhook receiver: the ASGI app and its server thread."""
