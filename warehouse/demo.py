"""Generate a demo dealer group: DMS export files for three stores, loaded by the real importer.

    python -m warehouse.demo --db data/store.duckdb --out data/demo [--seed 7]
        [--end YYYY-MM-DD] [--months 24] [--stores 3]

writes ``months`` calendar months of exports (ending on --end, default today in
Asia/Shanghai) for every contract table into ``DIR/<store>/<table>.csv`` and imports them
through :func:`warehouse.importer.import_files`, table by table in
``warehouse.spec.ORDER_OF_IMPORT``. The files look like real exports (mixed Chinese and
English headers, GBK and UTF-8 with BOM, several date and money formats) and the same seed
and end date always give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from warehouse.demo_csv import write_table
from warehouse.demo_office import complaints, expenses, followups, surveys, targets
from warehouse.demo_programs import lost_reasons, rebate_programs, wholesale_dates
from warehouse.demo_sales import Frame, Sales, simulate_sales
from warehouse.demo_service import Service, simulate_service
from warehouse.demo_world import PROFILES, Calendar, StoreProfile
from warehouse.spec import ORDER_OF_IMPORT

DEFAULT_TZ = "Asia/Shanghai"
BRAND = "上汽大众"


def _bool_or_none(values: np.ndarray, mask_none: np.ndarray) -> np.ndarray:
    out = np.array(values, dtype=object)
    out[mask_none] = None
    return out


def store_tables(p: StoreProfile, cal: Calendar, seed: int, index: int) -> dict[str, Frame]:
    """Simulate one store and return every contract table as canonical columns."""
    rng = np.random.default_rng([seed, index])
    salt = index * 17 + seed % 13
    sales: Sales = simulate_sales(p, cal, rng, salt)
    service: Service = simulate_service(p, cal, rng, sales, salt)
    tr, o, ro = sales.traffic, sales.orders, service.repair_orders
    tables: dict[str, Frame] = {}
    tables["traffic"] = {
        "visit_id": tr["visit_id"],
        "visit_date": tr["day"],
        "kind": tr["kind"],
        "first_visit": tr["first"],
        "channel": tr["channel"],
        "event_id": tr["event"],
        "consultant": tr["consultant"],
        "customer_id": tr["customer_id"],
        "lead_level": tr["level"],
        "model_interest": tr["model"],
        "test_drive": tr["test_drive"],
        "buyer_type": np.where(tr["corporate"], "corporate", "private").astype(object),
    }
    tables["orders"] = {
        "order_id": o["order_id"],
        "order_date": o["order_day"],
        "delivery_date": o["delivery_day"],
        "status": o["status"],
        "customer_id": o["customer_id"],
        "consultant": o["consultant"],
        "model": o["model"],
        "vin": o["vin"],
        "sale_type": o["sale_type"],
        "buyer_type": o["buyer_type"],
        "channel": o["channel"],
        **{
            k: o[k]
            for k in (
                "sale_price",
                "vehicle_cost",
                "rebate",
                "finance",
                "insurance",
                "fi_income",
                "trade_in",
                "accessories_revenue",
                "accessories_cost",
            )
        },
    }
    wholesale = wholesale_dates(sales.vehicles, cal, seed, index)
    tables["vehicles"] = {**sales.vehicles, "wholesale_date": wholesale}
    tables["rebate_programs"] = rebate_programs(p, cal, o, wholesale, seed, index)
    # Comebacks: the flagship's DMS flags most of them and says "no" elsewhere; the mid store
    # flags some and leaves the rest empty; the small store does not export the column.
    u = rng.random(len(ro["vin"]))
    if p.comeback_column == "flagged":
        comeback = _bool_or_none(ro["comeback"], ro["comeback"] & (u < 0.4))
    else:
        comeback = _bool_or_none(ro["comeback"], ~ro["comeback"] | (u < 0.5))
    tables["repair_orders"] = {
        "ro_id": ro["ro_id"],
        "open_date": ro["open_day"],
        "close_date": ro["close_day"],
        "vin": ro["vin"],
        "customer_id": ro["customer_id"],
        "ro_type": ro["ro_type"],
        "advisor": ro["advisor"],
        "technician": ro["technician"],
        **{
            k: ro[k]
            for k in ("labor_hours", "labor_revenue", "labor_cost", "parts_revenue", "parts_cost")
        },
        "comeback": comeback,
    }
    tables["technicians"] = service.technicians
    tables["parts_stock"] = service.parts_stock
    tables["campaigns"] = sales.campaigns
    tables["targets"] = targets(p, cal, rng, sales, service)
    tables["expenses"] = expenses(p, cal, rng, sales, service)
    sv = surveys(p, cal, rng, sales, service)
    tables["surveys"] = {
        "survey_id": sv["survey_id"],
        "survey_date": sv["day"],
        "department": sv["department"],
        "customer_id": sv["customer_id"],
        "score": sv["score"],
        "recommend": sv["recommend"],
    }
    cp = complaints(p, cal, rng)
    tables["complaints"] = {
        "complaint_id": cp["complaint_id"],
        "opened_date": cp["day"],
        "closed_date": cp["closed"],
        "department": cp["department"],
        "category": cp["category"],
        "major": cp["major"],
        "satisfied": cp["satisfied"],
    }
    fu = followups(p, sales, service)
    tables["followups"] = {
        "followup_id": fu["followup_id"],
        "followup_date": fu["day"],
        "customer_id": fu["customer_id"],
        "consultant": fu["consultant"],
        "kind": fu["kind"],
        "lead_level": fu["level"],
        **dict(zip(("lost_reason", "lost_to"), lost_reasons(fu, seed, index), strict=True)),
    }
    return tables


def _omitted(p: StoreProfile, table: str) -> tuple[str, ...]:
    if table == "vehicles" and p.floorplan == "none":
        return ("floorplan_rate",)
    if table == "repair_orders" and p.comeback_column == "none":
        return ("comeback",)
    return ()


def _profiles(stores: int | Sequence[str] | None) -> list[tuple[int, StoreProfile]]:
    if stores is None:
        return list(enumerate(PROFILES))
    if isinstance(stores, int):
        if not 1 <= stores <= len(PROFILES):
            raise ValueError(f"--stores must be between 1 and {len(PROFILES)}")
        return list(enumerate(PROFILES[:stores]))
    known = {p.store: (i, p) for i, p in enumerate(PROFILES)}
    unknown = [s for s in stores if s not in known]
    if unknown:
        raise ValueError(f"unknown demo stores {unknown}; choose from {sorted(known)}")
    return [known[s] for s in stores]


def write_store(
    p: StoreProfile, index: int, cal: Calendar, seed: int, out_dir: Path
) -> dict[str, int]:
    """Simulate one store and write its export files; return rows written per table."""
    tables = store_tables(p, cal, seed, index)
    rows = {}
    for table in ORDER_OF_IMPORT:
        store_col = p.store if (p.code == "YZ" and table == "traffic") else None
        rows[table] = write_table(
            out_dir / p.store / f"{table}.csv",
            table,
            tables[table],
            p.style,
            index,
            omit=_omitted(p, table),
            store=store_col,
        )
    return rows


def _import(db_path: Path, out_dir: Path, chosen, log) -> tuple[dict, list[str]]:
    from warehouse.importer import import_files

    inserted: dict[str, dict[str, int]] = {}
    rejections: list[str] = []
    for _, p in chosen:
        inserted[p.store] = {}
        for table in ORDER_OF_IMPORT:
            t0 = time.perf_counter()
            path = out_dir / p.store / f"{table}.csv"
            report = import_files(db_path, table, [path], store=p.store, user="demo")
            inserted[p.store][table] = int(getattr(report, "inserted", 0) or 0)
            bad = list(getattr(report, "rejections", []) or [])
            if bad or not getattr(report, "ok", True):
                rejections += [f"{p.store}/{table}: {r}" for r in bad] or [
                    f"{p.store}/{table}: import not ok"
                ]
            log(
                f"  imported {p.store}/{table}.csv: {inserted[p.store][table]:,} rows"
                f"{f', {len(bad)} rejected' if bad else ''} ({time.perf_counter() - t0:.1f} s)"
            )
    return inserted, rejections


# Stores are private by default; the demo makes one showroom TV board public, explicitly, so
# /kanban?tv=1&store=sh-pudong runs without an account. Every other page needs a sign-in.
DEMO_PUBLIC_TV = ("sh-pudong",)


def _store_settings(db_path: Path, chosen) -> None:
    """Give the demo stores their display names, brand and region (settings page fields), and
    open the TV board of DEMO_PUBLIC_TV (nothing else is public)."""
    from warehouse.db import bump_data_version, connect, ensure_store

    with connect(db_path) as con:
        for _, p in chosen:
            ensure_store(con, p.store)
            con.execute(
                "UPDATE stores SET name = $name, brand = $brand, region = $region, "
                "public_tv = $tv WHERE store = $store",
                {
                    "name": p.name,
                    "brand": BRAND,
                    "region": p.region,
                    "tv": p.store in DEMO_PUBLIC_TV,
                    "store": p.store,
                },
            )
        bump_data_version(con, tables={"stores"})


DEMO_USER = "demo"


def write_demo_login(db_path: str | os.PathLike, login_file: str | os.PathLike) -> str:
    """Create the demo's manager account with a fresh random password; write it to a file.

    The demo is private like any store (docs/AUTH.md): `make run` signs its visitor in with
    this account, whose password exists only in ``login_file`` (mode 0600, not tracked) and
    in this process's output. An existing account gets a new password. Returns the password.
    """
    import secrets

    from warehouse.auth import create_user, update_user
    from warehouse.db import connect

    password = secrets.token_urlsafe(12)
    with connect(db_path) as con:
        known = con.execute("SELECT 1 FROM users WHERE username = $u", {"u": DEMO_USER})
        if known.fetchone():
            update_user(con, DEMO_USER, password=password)
        else:
            create_user(con, DEMO_USER, password, "manager", display_name="Demo GM")
    path = Path(login_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"user: {DEMO_USER}\npassword: {password}\n", encoding="utf-8")
    path.chmod(0o600)
    return password


def build_demo(
    db_path: str | os.PathLike | None,
    out_dir: str | os.PathLike,
    seed: int = 7,
    end: date | str | None = None,
    months: int = 24,
    stores: int | Sequence[str] | None = None,
    *,
    quiet: bool = False,
) -> dict:
    """Write the demo exports into out_dir/<store>/<table>.csv and import them into db_path.

    ``end`` (a date or 'YYYY-MM-DD') is the last day with data, default today in
    Asia/Shanghai; ``stores`` is a number of demo stores (largest first) or their ids.
    With ``db_path`` None only the files are written. Returns a summary: end, months, stores,
    files, rows written and inserted per store and table, rejections and timings.
    """
    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    if end is None:
        end = datetime.now(ZoneInfo(DEFAULT_TZ)).date()
    elif isinstance(end, str):
        end = date.fromisoformat(end)
    if months < 1:
        raise ValueError("months must be at least 1")
    chosen = _profiles(stores)
    cal = Calendar.build(end, months)
    out = Path(out_dir)
    first = cal.months[0].strftime("%Y-%m")
    log(f"[demo] {len(chosen)} stores, {months} months {first} .. {end.isoformat()}, seed {seed}")
    written: dict[str, dict[str, int]] = {}
    files: list[str] = []
    for index, p in chosen:
        t1 = time.perf_counter()
        written[p.store] = write_store(p, index, cal, seed, out)
        files += [str(out / p.store / f"{t}.csv") for t in ORDER_OF_IMPORT]
        r = written[p.store]
        log(
            f"[demo] {p.store}: {r['traffic']:,} visits, {r['orders']:,} orders, "
            f"{r['repair_orders']:,} repair orders, {r['followups']:,} follow-ups written "
            f"({time.perf_counter() - t1:.1f} s)"
        )
    t_files = time.perf_counter() - t0
    summary: dict[str, Any] = {
        "end": end.isoformat(),
        "months": months,
        "seed": seed,
        "stores": [p.store for _, p in chosen],
        "files": files,
        "written": written,
        "inserted": {},
        "rejections": [],
        "seconds_files": round(t_files, 2),
    }
    if db_path is not None:
        log(f"[demo] importing into {db_path}")
        inserted, rejections = _import(Path(db_path), out, chosen, log)
        _store_settings(Path(db_path), chosen)
        boards = [p.store for _, p in chosen if p.store in DEMO_PUBLIC_TV]
        log(
            "[demo] private by default: every page needs a sign-in (create a manager with "
            f"`python -m kpi users --db {db_path} add gm --role manager`)"
            + (f"; public: the showroom TV board of {', '.join(boards)}" if boards else "")
        )
        summary["inserted"] = inserted
        summary["rejections"] = rejections
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    log(
        f"[demo] done in {summary['seconds']:.1f} s"
        + (f", {len(summary['rejections'])} rows rejected" if summary["rejections"] else "")
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (1 when the importer rejected rows)."""
    ap = argparse.ArgumentParser(
        prog="python -m warehouse.demo", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--db", required=True, help="DuckDB file to load (created if missing)")
    ap.add_argument("--out", required=True, help="directory for the export files")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="last day with data (default today in Asia/Shanghai)",
    )
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument(
        "--demo-login",
        help="also create the manager account 'demo' with a random password written to this file",
    )
    ap.add_argument(
        "--stores",
        type=int,
        default=len(PROFILES),
        help=f"number of demo stores, 1..{len(PROFILES)}",
    )
    args = ap.parse_args(argv)
    try:
        summary = build_demo(
            args.db, args.out, seed=args.seed, end=args.end, months=args.months, stores=args.stores
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in summary["rejections"][:20]:
        print(f"rejected: {line}", file=sys.stderr)
    if args.demo_login:
        write_demo_login(args.db, args.demo_login)
        print(f"[demo] sign in as '{DEMO_USER}' with the password in {args.demo_login}")
    return 1 if summary["rejections"] else 0


if __name__ == "__main__":
    sys.exit(main())
