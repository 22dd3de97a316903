# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action scripts: discovery, their options, and the runtime handed to run()."""
