"""The `digest` and `alerts` commands (app/commands.py dispatches here).

Exit status: 0 when every message went out (or had gone out before), 1 when a channel still
failed after its retries (the others were sent; the failure is on the Data status page), 2 for
a usage error, a missing database, or another run in progress.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from app import alerts, config
from app.channels import Retry


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def _datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date-time (YYYY-MM-DDTHH:MM): {text!r}") from exc


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
    p.add_argument("--store", help="one store; every store when omitted")
    p.add_argument("--config", help=f"notification settings file (default ${config.CONFIG_ENV})")
    p.add_argument("--attempts", type=int, default=3, help="tries per channel (default 3)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per try (default 10)")
    p.add_argument(
        "--backoff",
        type=float,
        default=1.0,
        help="first pause between tries in seconds, doubled each time (default 1)",
    )


def _retry(args: argparse.Namespace) -> Retry:
    return Retry(max(1, args.attempts), max(0.0, args.backoff), max(0.1, args.timeout))


def _db(args: argparse.Namespace) -> Path | None:
    from warehouse.db import db_path

    path = db_path(args.db)
    if not path.exists():
        print(f"error: no database at {path}", file=sys.stderr)
        return None
    return path


def _finish(report: alerts.Report) -> int:
    for line in report.lines():
        print(line)
    return 1 if report.failed else 0


def digest_main(argv: list[str]) -> int:
    """Run `python -m kpi digest`; return the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m kpi digest", description="The GM's daily digest (figures of yesterday)."
    )
    _common(p)
    p.add_argument("--date", type=_date, help="the morning the digest is for (default today)")
    p.add_argument("--lang", choices=("zh", "en"), help="language (default: the store's setting)")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--send", action="store_true", help="send on the store's channels")
    mode.add_argument(
        "--preview",
        metavar="FILE",
        help="write the HTML to FILE and the chat Markdown to FILE.md; send nothing",
    )
    args = p.parse_args(argv)
    path = _db(args)
    if path is None:
        return 2
    try:
        file = config.load_file(args.config)
        if args.preview:
            page, md = alerts.preview_digest(path, args.date, args.store, args.lang, file)
            out = Path(args.preview)
            out.write_text(page, encoding="utf-8")
            Path(f"{out}.md").write_text(md, encoding="utf-8")
            print(f"wrote {out} and {out}.md")
            return 0
        report = alerts.run_digest(path, args.date, args.store, args.lang, file, _retry(args))
    except (alerts.AnotherRun, config.ConfigError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _finish(report)


def alerts_main(argv: list[str]) -> int:
    """Run `python -m kpi alerts`; return the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m kpi alerts",
        description="Alerts: critical KPIs and the forecast, once a day.",
    )
    _common(p)
    p.add_argument("--send", action="store_true", required=True, help="send what is due")
    p.add_argument(
        "--now",
        type=_datetime,
        help="the time to judge at (store's local time when no offset is given)",
    )
    args = p.parse_args(argv)
    path = _db(args)
    if path is None:
        return 2
    try:
        file = config.load_file(args.config)
        report = alerts.run_alerts(path, args.now, args.store, file, _retry(args))
    except (alerts.AnotherRun, config.ConfigError, KeyError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return _finish(report)
