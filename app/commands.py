"""The command line: `python -m kpi {import,report,backtest,digest,alerts,backup,restore,users}`.

kpi/__main__.py is the entry point the README names and hands over to `main` here; each
command parses its options and calls the library (kpi/), the store (warehouse/) or the other
use cases (app/). Only this layer touches files for the report.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from kpi.scope import DEFAULT_TZ, Scope, today_in


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi report", description=__doc__.splitlines()[0])
    p.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
    p.add_argument("--period", help="calendar month YYYY-MM")
    p.add_argument("--start", type=_date, help="first day of a custom period")
    p.add_argument("--end", type=_date, help="last day of a custom period")
    p.add_argument("--store", help="one store; all stores pooled when omitted")
    p.add_argument("--as-of", dest="as_of", type=_date, help="today's date for this report")
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    p.add_argument("--output", help="write to this file instead of standard output")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="xlsx labels")
    p.add_argument(
        "--sections",
        help="comma-separated sections to report (default all): "
        "sales,targets,inventory,service,marketing,customers,finance",
    )
    return p


def scope_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Scope:
    """Return the scope the arguments describe, or exit with a usage error."""
    today = args.as_of or today_in(DEFAULT_TZ)
    if args.period and (args.start or args.end):
        parser.error("give either --period or --start/--end, not both")
    if args.period:
        try:
            return Scope.for_month(args.period, today=today, store=args.store)
        except ValueError:
            parser.error(f"--period must be YYYY-MM, got {args.period!r}")
    if not (args.start and args.end):
        parser.error("give --period YYYY-MM or both --start and --end")
    if args.end < args.start:
        parser.error("--end is before --start")
    return Scope.for_range(args.start, args.end, today=today, store=args.store)


def report_main(argv: list[str]) -> int:
    """Run the report command; return the process exit code."""
    from kpi.report import SECTIONS, build_report, to_csv
    from warehouse.db import connect, db_path
    from warehouse.errors import DatabaseError, MissingDatabase

    parser = _parser()
    args = parser.parse_args(argv)
    scope = scope_from_args(args, parser)
    sections = SECTIONS
    if args.sections:
        sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
        unknown = [s for s in sections if s not in SECTIONS]
        if unknown:
            parser.error(
                f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}"
            )
    path = db_path(args.db)
    if not path.exists():
        print(f"error: {MissingDatabase(path).text(args.lang)}", file=sys.stderr)
        return 2
    try:
        with connect(path, read_only=True) as con:
            if args.format == "xlsx":
                from kpi.workbook import workbook_bytes

                if not args.output:
                    parser.error("--format xlsx needs --output FILE")
                data = workbook_bytes(con, scope, lang=args.lang)
                with open(args.output, "wb") as fh:
                    fh.write(data)
                return 0
            report = build_report(con, scope, sections)
    except DatabaseError as exc:
        print(f"error: {exc.text(args.lang)}", file=sys.stderr)
        return 2
    text = (
        json.dumps(report, ensure_ascii=False, indent=2)
        if args.format == "json"
        else to_csv(report)
    )
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def backtest_main(argv: list[str]) -> int:
    """Run the backtest command: the month-end forecast against pace at past days."""
    from kpi.forecast import backtest, backtest_table
    from warehouse.db import DatabaseBusy, connect, db_path

    p = argparse.ArgumentParser(
        prog="python -m kpi backtest",
        description="The month-end delivery forecast and pace at days 5-25 of past months.",
    )
    p.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
    p.add_argument("--store", help="one store; every store's own forecasts when omitted")
    p.add_argument("--months", type=int, default=12, help="complete months back (default 12)")
    p.add_argument("--pooled", action="store_true", help="all stores pooled as one")
    p.add_argument("--as-of", dest="as_of", type=_date, help="today (default: today)")
    args = p.parse_args(argv)
    if args.months < 1:
        p.error("--months must be at least 1")
    path = db_path(args.db)
    if not path.exists():
        print(f"error: no database at {path}", file=sys.stderr)
        return 2
    as_of = args.as_of or today_in(DEFAULT_TZ)
    try:
        with connect(path, read_only=True) as con:
            rows = backtest(con, as_of, args.store, args.months, pooled=args.pooled)
    except DatabaseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(backtest_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = (
        "usage: python -m kpi {import,report,backtest,users,digest,alerts} ...  "
        "(add -h for a command's options)"
    )
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "import":
        from warehouse.importer import main as import_main

        return import_main(rest)
    if command == "report":
        return report_main(rest)
    if command == "backtest":
        return backtest_main(rest)
    if command in ("digest", "alerts"):
        from app import cli

        return cli.digest_main(rest) if command == "digest" else cli.alerts_main(rest)
    if command in ("backup", "restore"):
        from warehouse.backup import main as backup_main

        return backup_main(command, rest)
    if command == "users":
        from warehouse.auth import main as users_main

        return users_main(rest)
    print(f"unknown command {command!r}\n{usage}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
