# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local BigCommerce stand-in for the demo, the tests and first steps."""

from app.sandbox.server import Sandbox
from app.sandbox.state import SandboxStore

__all__ = ["Sandbox", "SandboxStore"]
