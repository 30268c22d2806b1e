"""Write, or compare, the report of every section for a set of periods: a refactor's proof.

    python scripts/report_snapshot.py --db data/store.duckdb --out before.json
    ... change the code ...
    python scripts/report_snapshot.py --db data/store.duckdb --out after.json --compare before.json

The periods are every calendar month of the database's last 13 (as of their last day, and the
newest also as of its 1st, 12th and the day before its end), a custom range across two months,
each for all stores pooled and for every store. The JSON is written with sorted keys, so two
snapshots of unchanged code are byte for byte the same; --compare prints every KPI that differs
and exits 1 (issue 12: "no KPI value may change"). DuckDB sums floats in parallel, so the
same code may differ in the last bits between two runs: floats compare within a relative
1e-12 (--tolerance 0 asks for the exact bytes).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from kpi.report import build_report  # noqa: E402
from kpi.scope import Scope, add_months, month_end, month_start  # noqa: E402
from warehouse.db import connect  # noqa: E402


def _scopes(con, max_stores: int | None = None) -> list[tuple[str, Scope]]:
    last = con.execute("SELECT max(visit_date) FROM traffic").fetchone()[0]
    if last is None:
        return []
    every = [r[0] for r in con.execute("SELECT store FROM stores ORDER BY 1").fetchall()]
    stores = [None] + every[:max_stores]
    newest = month_start(last)
    periods: list[tuple[date, date, date]] = []
    for n in range(12, -1, -1):
        first = add_months(newest, -n)
        periods.append((first, month_end(first), month_end(first)))
    for day in (1, 12, month_end(newest).day - 1):
        periods.append((newest, month_end(newest), newest.replace(day=day)))
    mid = add_months(newest, -2)
    periods.append((mid.replace(day=16), add_months(mid, 1).replace(day=15), month_end(newest)))
    out = []
    for start, end, today in periods:
        for store in stores:
            scope = Scope.for_range(start, end, today=today, store=store)
            out.append((f"{start}..{end}@{scope.as_of}/{store or '*'}", scope))
    return out


def snapshot(db: str, max_stores: int | None = None) -> dict:
    """Return {label: report KPIs} for every scope of the database (pooled, and the first
    ``max_stores`` stores one by one: all when None)."""
    with connect(db, read_only=True) as con:
        return {
            label: build_report(con, scope)["kpis"] for label, scope in _scopes(con, max_stores)
        }


def _diff(a, b, tol: float, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from _diff(a.get(k), b.get(k), tol, f"{path}.{k}" if path else k)
    elif isinstance(a, float) and isinstance(b, float):
        if abs(a - b) > tol * max(abs(a), abs(b)):
            yield f"{path}: {a!r} -> {b!r}"
    elif a != b:
        yield f"{path}: {a!r} -> {b!r}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--out", required=True, help="write the snapshot here (JSON)")
    p.add_argument("--compare", help="an earlier snapshot to compare with")
    p.add_argument("--tolerance", type=float, default=1e-12, help="relative, for floats")
    p.add_argument(
        "--stores",
        type=int,
        help="stores taken one by one (default every store; a group: pooled plus a few)",
    )
    args = p.parse_args(argv)
    snap = snapshot(args.db, args.stores)
    text = json.dumps(snap, sort_keys=True, ensure_ascii=False, indent=1, default=str)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print(f"{len(snap)} reports written to {args.out}")
    if not args.compare:
        return 0
    with open(args.compare, encoding="utf-8") as fh:
        before = json.load(fh)
    after = json.loads(text)
    diffs = list(_diff(before, after, args.tolerance))
    for line in diffs[:200]:
        print(line)
    print(f"{len(diffs)} differences" if diffs else "identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
