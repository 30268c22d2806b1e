"""Generate a dealer group: the demo's simulated stores scaled to N stores, loaded directly.

    python -m warehouse.group --db PATH [--stores 100] [--months 24] [--seed 7]
        [--end YYYY-MM-DD] [--out DIR] [--workers 2]

Every store is one of the demo's three store types (flagship, city store, small store: their
staffing habits, DMS export style, comeback and floorplan columns) at its own size, in a city
of East China, selling one of two brands. Each store is simulated by the demo generator
(warehouse.demo.store_tables: traffic, leads, orders, stock, workshop, office) with its own
random stream, so the same seed and end date always give the same rows, and store i is the
same store whatever N is.

The rows are written straight into the database as typed columns (no CSV round trip),
converted exactly as the importer would convert the demo's export cells: money to cents,
numbers to the six significant digits the exports carry, empty cells to NULL or the
contract's default, mobile-number customer ids to the database's keyed hash. One ``imports``
row per store and table records the load. ``--out DIR`` also writes each store's exports
(DIR/<store>/<table>.csv in the store's DMS style) for the importer or the benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import math
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from warehouse import spec
from warehouse.demo import _omitted, store_tables
from warehouse.demo_csv import write_table
from warehouse.demo_world import NO_DATE, PROFILES, Calendar, StoreProfile
from warehouse.spec import ORDER_OF_IMPORT, TABLES

DEFAULT_STORES = 100
DEFAULT_MONTHS = 24
DEFAULT_TZ = "Asia/Shanghai"
GROUP_USER = "group"
BRANDS = (("上汽大众", 0.6), ("一汽-大众", 0.4))
# Store types: the demo's flagship, city and small store, and how common each is in a group.
TYPE_WEIGHTS = (0.2, 0.5, 0.3)
# Group stores are a little busier than the demo's (1.5 million walk-ins a year over 100
# stores), and a mature store's workshop sees more cars per sale (a bigger parc).
SIZE_FACTOR = 1.25
SERVICE_FACTOR = (1.4, 2.0)

# (region, city, id prefix, districts): the group's footprint in East China.
CITIES = (
    ("上海", "上海", "sh", ("浦东", "闵行", "嘉定", "宝山", "松江", "青浦", "徐汇", "普陀")),
    ("浙江", "杭州", "hz", ("西湖", "萧山", "余杭", "滨江", "拱墅")),
    ("浙江", "宁波", "nb", ("鄞州", "北仑", "江北", "慈溪")),
    ("浙江", "温州", "wz", ("鹿城", "瓯海", "瑞安")),
    ("浙江", "绍兴", "sx", ("越城", "柯桥", "诸暨")),
    ("浙江", "金华", "jh", ("婺城", "义乌", "东阳")),
    ("浙江", "嘉兴", "jx", ("南湖", "海宁")),
    ("江苏", "南京", "nj", ("江宁", "建邺", "栖霞", "浦口")),
    ("江苏", "苏州", "sz", ("吴中", "园区", "昆山", "常熟", "张家港")),
    ("江苏", "无锡", "wx", ("滨湖", "江阴", "宜兴")),
    ("江苏", "常州", "cz", ("武进", "新北")),
    ("江苏", "南通", "nt", ("崇川", "海门")),
    ("安徽", "合肥", "hf", ("蜀山", "包河", "庐阳")),
    ("安徽", "芜湖", "wh", ("镜湖",)),
    ("福建", "福州", "fz", ("仓山", "鼓楼", "闽侯")),
    ("福建", "厦门", "xm", ("思明", "湖里", "集美")),
    ("福建", "泉州", "qz", ("晋江", "丰泽")),
    ("山东", "济南", "jn", ("历下", "槐荫", "历城")),
    ("山东", "青岛", "qd", ("黄岛", "城阳", "李沧")),
    ("山东", "烟台", "yt", ("莱山", "福山")),
)
SITES = tuple(
    (region, city, prefix, district, pos)
    for region, city, prefix, districts in CITIES
    for pos, district in enumerate(districts, start=1)
)
ORDINALS = ("", "二", "三", "四", "五", "六", "七", "八", "九")
SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞辉健波宁斌峰浩凯亮琳雪婷颖晨"
    "欣怡晓东海文博宇航鑫帆雨佳俊豪志斌鹏程思远子涵嘉瑞天翔慧倩莉兰梅"
)


@dataclass(frozen=True)
class GroupStore:
    """One store of the group: its simulation profile plus the settings the group view reads."""

    index: int
    profile: StoreProfile
    brand: str
    kind: str  # flagship | city | small (the demo store type it was modelled on)

    @property
    def store(self) -> str:
        return self.profile.store


def _names(rng: np.random.Generator, n: int, taken: set[str]) -> tuple[str, ...]:
    """Return n distinct Chinese names (surname + one or two given characters) not in taken."""
    out: list[str] = []
    while len(out) < n:
        given = "".join(rng.choice(GIVEN, size=int(rng.integers(1, 3))))
        name = str(rng.choice(SURNAMES)) + given
        if name not in taken:
            taken.add(name)
            out.append(name)
    return tuple(out)


def group_store(index: int, seed: int, months: int = DEFAULT_MONTHS) -> GroupStore:
    """Return store number ``index`` of the group (independent of how many stores there are)."""
    rng = np.random.default_rng([seed, 90_000 + index])
    # Sites are shuffled once per seed; stores beyond the site count open second branches.
    order = np.random.default_rng([seed, 89_999]).permutation(len(SITES))
    region, city, prefix, district, pos = SITES[int(order[index % len(SITES)])]
    branch = index // len(SITES)
    kind_no = int(rng.choice(3, p=TYPE_WEIGHTS))
    template = PROFILES[kind_no]
    size = SIZE_FACTOR * float(np.clip(rng.lognormal(0.0, 0.22), 0.65, 1.5))
    walk_ins = round(template.walk_ins * size, 1)
    ros = round(template.ros * size * rng.uniform(*SERVICE_FACTOR), 1)
    taken: set[str] = set()
    consultants = _names(rng, max(4, round(walk_ins / 88)), taken)
    advisors = _names(rng, max(2, round(ros / 240)), taken)
    technicians = _names(rng, math.ceil(ros / 45) + 4, taken)
    turnover = None
    if months >= 6:
        joining = _names(rng, 1, taken)[0]
        turnover = (consultants[-1], joining, int(rng.integers(3, months - 2)))
    suffix = "" if branch == 0 else str(branch + 1)
    profile = replace(
        template,
        store=f"{prefix}-{pos:02d}{suffix}",
        code=f"{prefix.upper()}{pos:02d}{suffix}",
        name=f"{city}{district}{ORDINALS[branch % len(ORDINALS)]}店",
        region=region,
        walk_ins=walk_ins,
        ros=ros,
        consultants=consultants,
        advisors=advisors,
        technicians=technicians,
        labor_rate=round(template.labor_rate * rng.uniform(0.9, 1.1), 0),
        mobile_share=round(float(rng.uniform(0.25, 0.8)), 2),
        fleet_deals=round(template.fleet_deals * size, 2),
        invited=int(template.invited * size),
        parts=int(template.parts * math.sqrt(ros / template.ros)),
        csi=round(float(rng.uniform(8.6, 9.3)), 2),
        turnover=turnover,
        expense_scale=round(float(rng.uniform(0.95, 1.15)), 3),
    )
    brand_names = [b for b, _ in BRANDS]
    brand = brand_names[int(rng.choice(len(BRANDS), p=[w for _, w in BRANDS]))]
    return GroupStore(index, profile, brand, ("flagship", "city", "small")[kind_no])


def group_stores(n: int, seed: int = 7, months: int = DEFAULT_MONTHS) -> list[GroupStore]:
    """Return the group's first n stores."""
    if n < 1:
        raise ValueError("--stores must be at least 1")
    return [group_store(i, seed, months) for i in range(n)]


# ----------------------------------------------------------------------------- typed rows


MOBILE_PATTERN = r"^1[3-9][0-9]{9}$"


def _mobile_keys(tables: dict[str, dict[str, np.ndarray]], secret: str) -> dict[str, str]:
    """Return every mobile-number customer id of a store mapped to the importer's keyed hash.

    Equal to warehouse.importer.mobile_hash; the HMAC's key schedule is computed once.
    """
    found: set[str] = set()
    for frame in tables.values():
        if "customer_id" in frame:
            ids = pa.array(frame["customer_id"], type=pa.string()).unique()
            found.update(pc.filter(ids, pc.match_substring_regex(ids, MOBILE_PATTERN)).to_pylist())
    base = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    keys = {}
    for mobile in sorted(found):
        h = base.copy()
        h.update(mobile.encode())
        keys[mobile] = "C" + h.hexdigest()[:16]
    return keys


def _text(values: np.ndarray, keys: dict[str, str] | None) -> pa.Array:
    """Return text cells with '' as NULL and, given keys, mobile numbers as their hashes."""
    try:
        cells = pa.array(values, type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        cells = pa.array([None if x is None else str(x) for x in values.tolist()], pa.string())
    cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells)
    if keys:
        encoded = cells.dictionary_encode()
        words = encoded.dictionary.to_pylist()
        mapped = pa.array([keys.get(w, w) for w in words], pa.string())
        cells = pc.take(mapped, encoded.indices)
    return cells


def _significant(values: np.ndarray) -> np.ndarray:
    """Return numbers as the exports write them ('{:g}': six significant digits)."""
    v = np.asarray(values, dtype=float)
    uniq, inv = np.unique(v, return_inverse=True)
    conv = np.array([x if x != x else float(f"{x:g}") for x in uniq.tolist()], dtype=float)
    return conv[inv.ravel()] if len(uniq) else v


def _column(
    column: spec.Column, values: np.ndarray | None, n: int, keys: dict[str, str] | None
) -> pa.Array:
    """Return one contract column as the importer would store the demo's export cells."""
    kind = column.kind
    arrow_type = {
        spec.DATE: pa.date32(),
        spec.BOOL: pa.bool_(),
        spec.INT: pa.int64(),
        spec.NUMBER: pa.float64(),
        spec.MONEY: pa.float64(),
        spec.RATE: pa.float64(),
        spec.SCORE: pa.float64(),
    }.get(kind, pa.string())
    default = column.default
    if values is None:
        return pa.array([default] * n, type=arrow_type)
    if kind == spec.DATE:
        days = np.asarray(values, dtype=np.int64)
        missing = days == NO_DATE
        cells = pa.array(np.where(missing, 0, days).astype(np.int32), mask=missing)
        return cells.cast(pa.date32())
    if kind in (spec.MONEY, spec.NUMBER, spec.SCORE, spec.RATE):
        v = np.asarray(values, dtype=float)
        v = np.round(v, 2) if kind == spec.MONEY else _significant(v)
        missing = np.isnan(v)
        if default is not None:
            v = np.where(missing, float(default), v)
            missing = np.zeros(n, bool)
        return pa.array(v, mask=missing if missing.any() else None, type=pa.float64())
    if kind == spec.INT:
        v = np.asarray(values, dtype=np.int64)
        missing = v < 0
        return pa.array(v, mask=missing if missing.any() else None, type=pa.int64())
    if kind == spec.BOOL:
        if values.dtype == bool:
            return pa.array(values, type=pa.bool_())
        return pa.array([None if x is None else bool(x) for x in values.tolist()], pa.bool_())
    cells = _text(np.asarray(values, dtype=object), keys if column.name == "customer_id" else None)
    if default is not None:
        cells = pc.fill_null(cells, default)
    return cells


def typed_table(
    table: str,
    frame: dict[str, np.ndarray],
    omit: tuple[str, ...],
    keys: dict[str, str] | None = None,
) -> pa.Table:
    """Return a store's simulated table as typed contract columns (store column not included)."""
    columns = TABLES[table].columns
    n = len(frame[columns[0].name])
    return pa.table(
        {c.name: _column(c, None if c.name in omit else frame[c.name], n, keys) for c in columns}
    )


def simulate_store(
    gs: GroupStore, cal: Calendar, seed: int, secret: str | None, out_dir: str | None
) -> dict[str, pa.Table]:
    """Simulate one store; return its typed tables (and write its exports when out_dir is set)."""
    tables = store_tables(gs.profile, cal, seed, gs.index)
    p = gs.profile
    if out_dir is not None:
        for table in ORDER_OF_IMPORT:
            write_table(
                Path(out_dir) / p.store / f"{table}.csv",
                table,
                tables[table],
                p.style,
                gs.index,
                omit=_omitted(p, table),
            )
    keys = _mobile_keys(tables, secret) if secret is not None else None
    return {t: typed_table(t, tables[t], _omitted(p, t), keys) for t in ORDER_OF_IMPORT}


# ----------------------------------------------------------------------------- loading


def _simulated(
    chosen: list[GroupStore],
    cal: Calendar,
    seed: int,
    secret: str,
    out_dir: str | None,
    workers: int,
) -> Iterator[tuple[GroupStore, dict[str, pa.Table]]]:
    """Yield each store's tables in store order, simulating up to ``workers`` at a time."""
    if workers <= 1:
        for gs in chosen:
            yield gs, simulate_store(gs, cal, seed, secret, out_dir)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[GroupStore, Future]] = []
        queue = list(chosen)
        while queue or pending:
            # A short queue of finished stores bounds memory: the loader inserts as they come.
            while queue and len(pending) < 2 * workers:
                gs = queue.pop(0)
                pending.append((gs, pool.submit(simulate_store, gs, cal, seed, secret, out_dir)))
            gs, future = pending.pop(0)
            yield gs, future.result()


def _insert(con, table: str, store: str, rows: pa.Table, import_id: int) -> None:
    names = ", ".join(rows.column_names)
    live = ", provisional" if TABLES[table].live else ""
    live_value = ", false" if TABLES[table].live else ""
    con.register("group_rows", rows)
    try:
        con.execute(
            f"INSERT INTO {table} (store, {names}{live}, import_id) "
            f"SELECT $store, {names}{live_value}, $id FROM group_rows",
            {"store": store, "id": import_id},
        )
    finally:
        con.unregister("group_rows")


def build_group(
    db_path: str | os.PathLike,
    stores: int = DEFAULT_STORES,
    months: int = DEFAULT_MONTHS,
    seed: int = 7,
    end: date | str | None = None,
    out_dir: str | os.PathLike | None = None,
    workers: int | None = None,
    *,
    quiet: bool = False,
) -> dict:
    """Simulate the group's stores and load them into db_path; return a summary.

    The database must not hold any of the group's stores yet. ``end`` (a date or
    'YYYY-MM-DD') is the last day with data, default today in Asia/Shanghai. Returns end,
    months, seed, stores, rows per table, seconds.
    """
    from warehouse.db import bump_data_version, connect
    from warehouse.importer import hash_key

    t0 = time.perf_counter()

    def log(msg: str) -> None:
        if not quiet:
            print(msg, flush=True)

    if end is None:
        end = datetime.now(ZoneInfo(DEFAULT_TZ)).date()
    elif isinstance(end, str):
        end = date.fromisoformat(end)
    if months < 1:
        raise ValueError("--months must be at least 1")
    chosen = group_stores(stores, seed, months)
    cal = Calendar.build(end, months)
    workers = workers or min(2, os.cpu_count() or 1)
    with connect(db_path) as con:
        ids = [g.store for g in chosen]
        clash = con.execute(
            "SELECT store FROM stores WHERE list_contains($ids, store) ORDER BY store LIMIT 3",
            {"ids": ids},
        ).fetchall()
        if clash:
            raise ValueError(
                f"{db_path} already has store(s) {', '.join(r[0] for r in clash)}; "
                "load the group into a new database file"
            )
        secret = hash_key(con)
        next_id_sql = "SELECT coalesce(max(import_id), 0) + 1 FROM imports"
        next_id = con.execute(next_id_sql).fetchall()[0][0]
    first = cal.months[0].strftime("%Y-%m")
    log(
        f"[group] {stores} stores, {months} months {first} .. {end}, seed {seed}, {workers} workers"
    )
    out = None if out_dir is None else str(out_dir)
    rows = dict.fromkeys(ORDER_OF_IMPORT, 0)
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect(db_path) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            for gs, tables in _simulated(chosen, cal, seed, secret, out, workers):
                p = gs.profile
                for table in ORDER_OF_IMPORT:
                    n = tables[table].num_rows
                    _insert(con, table, p.store, tables[table], next_id)
                    con.execute(
                        "INSERT INTO imports (import_id, imported_at, username, store, "
                        "table_name, file_name, inserted, updated, unchanged, rejected) "
                        "VALUES ($id, $at, $user, $store, $table, $file, $n, 0, 0, 0)",
                        {
                            "id": next_id,
                            "at": now,
                            "user": GROUP_USER,
                            "store": p.store,
                            "table": table,
                            "file": f"warehouse.group seed {seed}",
                            "n": n,
                        },
                    )
                    next_id += 1
                    rows[table] += n
                con.execute(
                    "INSERT INTO stores (store, name, brand, region) "
                    "VALUES ($store, $name, $brand, $region)",
                    {"store": p.store, "name": p.name, "brand": gs.brand, "region": p.region},
                )
                done = gs.index + 1
                if done % 10 == 0 or done == len(chosen):
                    log(
                        f"[group] {done}/{len(chosen)} stores, {rows['traffic']:,} visits, "
                        f"{rows['repair_orders']:,} repair orders "
                        f"({time.perf_counter() - t0:.0f} s)"
                    )
            bump_data_version(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
    summary = {
        "end": end.isoformat(),
        "months": months,
        "seed": seed,
        "stores": [g.store for g in chosen],
        "rows": rows,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    log(
        f"[group] done in {summary['seconds']:.0f} s: "
        + ", ".join(f"{t} {n:,}" for t, n in rows.items())
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    ap = argparse.ArgumentParser(
        prog="python -m warehouse.group", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--db", required=True, help="DuckDB file to load (created if missing)")
    ap.add_argument("--stores", type=int, default=DEFAULT_STORES)
    ap.add_argument("--months", type=int, default=DEFAULT_MONTHS)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--end",
        type=date.fromisoformat,
        default=None,
        help="last day with data (default today in Asia/Shanghai)",
    )
    ap.add_argument("--out", help="also write every store's export files into this directory")
    ap.add_argument("--workers", type=int, default=None, help="simulation processes (default 2)")
    args = ap.parse_args(argv)
    try:
        build_group(
            args.db,
            stores=args.stores,
            months=args.months,
            seed=args.seed,
            end=args.end,
            out_dir=args.out,
            workers=args.workers,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
