# SPDX-FileCopyrightText: 2026 Storehook developers
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run Storehook: `python -m app` is the `storehook` command."""

from app.cli import main

if __name__ == "__main__":
    main()
