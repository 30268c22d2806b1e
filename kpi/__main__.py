"""`python -m kpi ...`: the command line the README names (import, report, backtest, digest,
alerts, backup, restore, users).

The commands are use cases and live in the application layer (app/commands.py); this module
is only the entry point, the one import of kpi/ from the layer above it (.importlinter).
"""

import sys

from app.commands import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
