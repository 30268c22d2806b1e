"""Command line: `python -m kpi import ...` and `python -m kpi report ...`.

This is the only module of kpi/ that touches files; the KPI functions receive a connection.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = "usage: python -m kpi {import,report,users} ...  (add -h for a command's options)"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "import":
        from warehouse.importer import main as import_main

        return import_main(rest)
    if command == "report":
        from kpi.report import main as report_main

        return report_main(rest)
    if command == "users":
        from warehouse.auth import main as users_main

        return users_main(rest)
    print(f"unknown command {command!r}\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
