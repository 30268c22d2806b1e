"""Read the store database for the pages: cached KPI calls and a few status queries.

Pages never open connections. Every cached function keys on the database path and a data
version, so an import shows new numbers on the next rerun without a restart, and each
computation opens one short read-only connection: DuckDB allows a single writing process and
imports must not wait for the dashboard. Pages call KPI functions as functions
(``cached(sales.by_consultant, scope)``); a result keys on the versions of only the tables its
module declares it reads (``READS``), for its store (``version_key``): a walk-in logged at one
store's reception leaves the other stores' cached results, and every result that does not read
traffic, in place.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, fields
from datetime import date
from types import ModuleType
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from kpi.scope import Scope, today_in
from warehouse import db, profile
from warehouse.coverage import union_sql
from warehouse.dimensions import DIMENSIONS, options_sql
from warehouse.spec import DATE_COLUMNS, TABLES

TODAY_ENV = "KPI_TODAY"
PROBE_TIMEOUT_S = 2.0
# KPI_PROFILE=1 prints every computation this module runs (not cache hits) with its seconds to
# stderr (warehouse.profile.timed): what a slow cold page spends its time on.

T = TypeVar("T")


@dataclass(frozen=True)
class Source:
    """The database this rerun reads: its path, state ('missing', 'empty', 'ok') and version."""

    path: str
    state: str
    version: int = 0
    # (table, store, version) of every recorded change (warehouse.db.table_versions).
    tables: tuple[tuple[str, str, int], ...] = ()


def today() -> date:
    """Return today in Asia/Shanghai, or $KPI_TODAY (YYYY-MM-DD) when set (tests, demos)."""
    forced = os.environ.get(TODAY_ENV)
    if forced:
        return date.fromisoformat(forced.strip())
    return today_in()


def probe(path: str | None = None) -> Source:
    """Return the database's state and data version with one short read-only connection.

    A busy database (an import holds it) keeps the session's last known version.
    """
    target = str(db.db_path(path))
    if not os.path.exists(target):
        return Source(target, "missing")
    try:
        with db.connect(target, read_only=True, timeout_s=PROBE_TIMEOUT_S) as con:
            version = db.data_version(con)
            tables = db.table_versions(con)
            try:
                has_rows = con.execute("SELECT count(*) FROM stores").fetchone()[0] > 0
            except Exception:  # a file without our schema
                has_rows = False
    except db.DatabaseBusy:
        last = st.session_state.get("_last_source")
        if isinstance(last, Source) and last.path == target:
            return last
        raise
    src = Source(target, "ok" if has_rows else "empty", version, tables)
    st.session_state["_last_source"] = src
    return src


def current() -> Source:
    """Return the Source probed for this rerun (probing now if the entry file did not)."""
    from ui.entry import run_through_entry_point

    run_through_entry_point()
    src = st.session_state.get("_source")
    return src if isinstance(src, Source) else probe()


def _scope_key(scope: Scope) -> tuple:
    return tuple(getattr(scope, f.name) for f in fields(scope))


# This thread's shared read-only connections while inside batch(): {path: connection}.
_batch = threading.local()


@contextmanager
def batch() -> Iterator[None]:
    """Let the KPI calls of this thread inside the block share one read-only connection.

    A cold page computes a dozen cached KPI calls; opening the group database for each costs
    tens of milliseconds. Inside the block the first call that computes opens it and the
    rest reuse it; it closes when the block ends (the process lock is held meanwhile, as it
    is during every computation). Cached calls open nothing.
    """
    if getattr(_batch, "cons", None) is not None:
        yield  # nested: the outer block owns the connection
        return
    _batch.cons, _batch.stack = {}, ExitStack()
    try:
        with _batch.stack:
            yield
    finally:
        _batch.cons = _batch.stack = None


@contextmanager
def reading(path: str | os.PathLike | None = None, timeout_s: float | None = None) -> Iterator[Any]:
    """Yield a short read-only connection to the store database (this module opens them all).

    ``path`` None: the database this rerun reads; ``timeout_s``: how long to wait on a busy
    file (the TV waits less than a page).
    """
    kw = {} if timeout_s is None else {"timeout_s": timeout_s}
    with db.connect(path or current().path, read_only=True, **kw) as con:
        yield con


@contextmanager
def writing(path: str | os.PathLike | None = None) -> Iterator[Any]:
    """Yield a short read-write connection, for the use cases a page runs (sign-in, entries)."""
    with db.connect(path or current().path) as con:
        yield con


@contextmanager
def _reader(path: str) -> Iterator[Any]:
    """Yield a read-only connection: the batch's shared one, else a short-lived one."""
    cons = getattr(_batch, "cons", None)
    if cons is None:
        with db.connect(path, read_only=True) as con:
            yield con
        return
    if path not in cons:
        cons[path] = _batch.stack.enter_context(db.connect(path, read_only=True))
    yield cons[path]


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(path: str, version: tuple, name: str, scope_key: tuple, kw: tuple, _fn: Callable):
    """Compute ``_fn`` once per data version, function name, scope and keyword arguments."""
    with profile.timed(f"{name} {scope_key[:4]} {kw}"), _reader(path) as con:
        return _fn(con, Scope(*scope_key), **dict(kw))


def reads(module: ModuleType) -> frozenset[str]:
    """Return the tables a KPI module reads, as it declares them (its READS)."""
    return module.READS


def version_key(module: ModuleType, store: str | None, src: Source) -> tuple:
    """Return what a result of a KPI module for ``store`` (None: all) is cached under.

    Per table the module reads, the newest version at which that table changed for the store
    (a change of every store, '*', counts for each), or for any store when pooled.
    """
    tables = reads(module)
    newest: dict[str, int] = {}
    for table, at, version in src.tables:
        if table in tables and (store is None or at in (store, "*")):
            newest[table] = max(newest.get(table, 0), version)
    return tuple(sorted(newest.items()))


def cached(fn: Callable[..., T], scope: Scope, **kwargs: Any) -> T:
    """Return ``fn(con, scope, **kwargs)`` for a function of the KPI library, cached.

    Pages name the function itself (``data.cached(sales.by_consultant, scope)``), so an editor
    goes to its SQL in one hop. The result is kept until a table the function's module reads
    (its READS) changes for the scope's store, or the scope or arguments differ.
    """
    src = current()
    module = sys.modules[fn.__module__]
    return _cached(
        src.path,
        version_key(module, scope.store, src),
        f"{fn.__module__}.{fn.__qualname__}",
        _scope_key(scope),
        tuple(sorted(kwargs.items())),
        _fn=fn,
    )


def skips_cohorts(module: ModuleType, ids: Iterable[str]) -> bool:
    """Return True when the module lists COHORT_IDS (a costly pass) and ids need none.

    Such a module's ``monthly`` and ``by_store`` take ``cohorts=False`` to skip that pass.
    """
    found = getattr(module, "COHORT_IDS", ())
    return bool(found) and not set(found) & set(ids)


def summary(module: ModuleType, scope: Scope, light: bool = False) -> dict:
    """Return a section's summary dict.

    A module with ``summaries`` (this period, the previous one, last year in one pass) is
    asked for those, so the KPI cards' three calls and this one share one cached result.
    ``light``: the page's cards show none of the module's COHORT_IDS, so the light variant
    of summaries() serves (its first period is complete).
    """
    if hasattr(module, "summaries"):
        return summaries(module, scope, ids=() if light else None)[0]
    return cached(module.summary, scope)


def summaries(module: ModuleType, scope: Scope, ids: Iterable[str] | None = None) -> list[dict]:
    """Return the summaries of the scope, the previous period and last year's (Scope.shifted).

    ``ids``: the KPIs the caller shows of the shifted periods (None: all). When they need
    none of the module's COHORT_IDS (skips_cohorts), its light ``summaries(cohorts=False)``
    serves, unless this session already read the full one of the scope (then the cached
    full result serves every caller).
    """
    if not hasattr(module, "summaries"):
        return [cached(module.summary, s) for s in (scope, scope.shifted(-1), scope.shifted(-12))]
    full = st.session_state.setdefault("_full_reads", set())
    name = module.__name__
    if ids is not None and skips_cohorts(module, ids) and (name, scope) not in full:
        return list(cached(module.summaries, scope, cohorts=False))
    full.add((name, scope))
    return list(cached(module.summaries, scope))


def frame(fn: Callable[..., Any], scope: Scope, **kwargs: Any) -> pd.DataFrame:
    """Return a breakdown of the KPI library as a DataFrame (cached like :func:`cached`)."""
    out = cached(fn, scope, **kwargs)
    return out if isinstance(out, pd.DataFrame) else pd.DataFrame(out)


# ---------------------------------------------------------------- status queries (cached)


@st.cache_data(show_spinner=False, max_entries=64)
def _stores(path: str, version: int) -> list[str]:
    with profile.timed("data._stores"), _reader(path) as con:
        return db.list_stores(con)


@st.cache_data(show_spinner=False, max_entries=64)
def _store_names(path: str, version: int) -> dict[str, str]:
    with profile.timed("data._store_names"), _reader(path) as con:
        rows = con.execute("SELECT store, coalesce(nullif(name, ''), store) FROM stores").fetchall()
    return dict(rows)


def store_names(stores: Iterable[str]) -> dict[str, str]:
    """Return the display name of each store (its id when it has none), read once."""
    src = current()
    names = _store_names(src.path, src.version) if src.state == "ok" else {}
    return {s: names.get(s, s) for s in stores}


def store_name(store: str | None) -> str | None:
    """Return a store's display name (its id when it has none); None for all stores."""
    if store is None:
        return None
    src = current()
    names = _store_names(src.path, src.version) if src.state == "ok" else {}
    return names.get(store, store)


def stores() -> list[str]:
    """Return the stores in the database."""
    src = current()
    return _stores(src.path, src.version) if src.state == "ok" else []


@st.cache_data(show_spinner=False, max_entries=64)
def _store_table(path: str, version: int) -> pd.DataFrame:
    with profile.timed("data._store_table"), _reader(path) as con:
        return con.execute(
            "SELECT store, coalesce(nullif(name, ''), store) AS name, brand, region "
            "FROM stores ORDER BY store"
        ).df()


def store_table() -> pd.DataFrame:
    """Return every store's settings the group view shows: store, name, brand, region."""
    src = current()
    if src.state != "ok":
        return pd.DataFrame(columns=["store", "name", "brand", "region"])
    return _store_table(src.path, src.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _thresholds(path: str, version: int, store: str | None) -> dict:
    import json

    if store is None:
        return {}
    with profile.timed("data._thresholds"), _reader(path) as con:
        row = con.execute("SELECT thresholds FROM stores WHERE store = $s", {"s": store}).fetchone()
    if not row or not row[0]:
        return {}
    try:
        value = json.loads(row[0])
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def thresholds(store: str | None) -> dict:
    """Return a store's threshold overrides (none for all stores pooled)."""
    src = current()
    return _thresholds(src.path, src.version, store)


@st.cache_data(show_spinner=False, max_entries=64)
def _coverage(path: str, version: int) -> pd.DataFrame:
    # rows per store and month are kept with the data (warehouse.coverage)
    sql = f"SELECT table_name, store, month, n_rows FROM ({union_sql()}) WHERE month IS NOT NULL"
    with profile.timed("data._coverage"), _reader(path) as con:
        return con.execute(sql).df()


def coverage() -> pd.DataFrame:
    """Return rows per (table_name, store, month) of every contract table."""
    src = current()
    return _coverage(src.path, src.version)


@st.cache_data(show_spinner=False, max_entries=64)
def _table_stats(path: str, version: int) -> pd.DataFrame:
    sql = (
        "SELECT table_name, store, CAST(sum(n_rows) AS BIGINT) AS n_rows, max(newest) AS newest "
        f"FROM ({union_sql()}) GROUP BY table_name, store"
    )
    with profile.timed("data._table_stats"), _reader(path) as con:
        return con.execute(sql).df()


def table_stats(store: str | None = None) -> pd.DataFrame:
    """Return per table its row count and newest record's date (or month), for one store or all.

    Every contract table is listed, with 0 rows when nothing was loaded.
    """
    src = current()
    stats = _table_stats(src.path, src.version)
    if store is not None:
        stats = stats[stats["store"] == store]
    out = stats.groupby("table_name").agg(n_rows=("n_rows", "sum"), newest=("newest", "max"))
    out = out.reindex(list(DATE_COLUMNS)).reset_index()
    out["n_rows"] = out["n_rows"].fillna(0).astype("int64")
    return out


@st.cache_data(show_spinner=False, max_entries=64)
def _recent_imports(path: str, version: int, limit: int) -> pd.DataFrame:
    with profile.timed("data._recent_imports"), _reader(path) as con:
        return con.execute(
            "SELECT imported_at, store, table_name, file_name, username, inserted, updated, "
            "rejected FROM imports WHERE NOT undone ORDER BY imported_at DESC LIMIT $n",
            {"n": limit},
        ).df()


def recent_imports(limit: int = 10) -> pd.DataFrame:
    """Return the latest imports (newest first)."""
    src = current()
    return _recent_imports(src.path, src.version, limit)


@st.cache_data(show_spinner=False, max_entries=64)
def _data_span(path: str, version: int) -> tuple[str, str] | None:
    live = ("traffic", "orders", "repair_orders")
    parts = []
    for name, col in DATE_COLUMNS.items():
        lo, hi = f"min({col})", f"max({col})"
        if TABLES[name].column(col).kind != "month":
            lo, hi = f"strftime({lo}, '%Y-%m')", f"strftime({hi}, '%Y-%m')"
        parts.append(f"SELECT {lo} AS lo, {hi} AS hi, {name in live} AS live FROM {name}")
    with profile.timed("data._data_span"), _reader(path) as con:
        rows = con.execute(" UNION ALL ".join(parts)).fetchall()
    found = [(lo, hi) for lo, hi, is_live in rows if is_live and lo is not None]
    found = found or [(lo, hi) for lo, hi, _ in rows if lo is not None]
    if not found:
        return None
    return min(lo for lo, _ in found), max(hi for _, hi in found)


def data_span() -> tuple[str, str] | None:
    """Return the oldest and newest 'YYYY-MM' of data_months() without the full coverage scan.

    min and max dates per table are cheap at millions of rows; the per-month coverage is
    not, and the sidebar needs only the two ends.
    """
    src = current()
    return _data_span(src.path, src.version) if src.state == "ok" else None


def data_months() -> list[str]:
    """Return every 'YYYY-MM' with rows in traffic, orders or repair orders, oldest first."""
    cov = coverage()
    if cov.empty:
        return []
    live = cov[cov["table_name"].isin(["traffic", "orders", "repair_orders"])]
    return sorted(set((live if not live.empty else cov)["month"]))


def coverage_grid(store: str | None, months: list[str]) -> pd.DataFrame:
    """Return rows per table (index) and month (columns) for a store or all stores, 0 if none."""
    cov = coverage()
    if store is not None and not cov.empty:
        cov = cov[cov["store"] == store]
    grid = pd.DataFrame(0, index=list(DATE_COLUMNS), columns=months, dtype="int64")
    if not cov.empty:
        inside = cov[cov["month"].isin(months)]
        summed = inside.groupby(["table_name", "month"])["n_rows"].sum()
        for (table, month), n in summed.items():
            grid.loc[table, month] = int(n)
    return grid


def trailing_months(end: date, n: int = 12) -> list[str]:
    """Return the n 'YYYY-MM' months ending with end's month, oldest first."""
    from kpi.scope import add_months, month_start

    last = month_start(end)
    return [f"{add_months(last, -i):%Y-%m}" for i in range(n - 1, -1, -1)]


# Exports a store sends every month: a month without rows there is a gap worth showing.
MONTHLY_TABLES = (
    "traffic",
    "orders",
    "repair_orders",
    "technicians",
    "parts_stock",
    "targets",
    "expenses",
)


def coverage_gaps(grid: pd.DataFrame) -> dict[str, list[str]]:
    """Return, per monthly table, the months shown without rows after its first loaded month.

    A table with no rows in any month shown lists every month.
    """
    gaps: dict[str, list[str]] = {}
    for table in MONTHLY_TABLES:
        row = grid.loc[table]
        loaded = [m for m in grid.columns if row[m] > 0]
        start = loaded[0] if loaded else grid.columns[0]
        missing = [m for m in grid.columns if m >= start and row[m] == 0]
        if missing:
            gaps[table] = missing
    return gaps


# Where each sidebar filter's options come from (ui/filters.py): stored per store with the data.
FILTER_SOURCES = DIMENSIONS


@st.cache_data(show_spinner=False, max_entries=64)
def _filter_options(path: str, version: int, store: str | None) -> dict[str, list[str]]:
    # Every filter's options from one connection: opening the group database costs more
    # than the few small queries (a page shows up to five filters).
    with profile.timed("data._filter_options"), _reader(path) as con:
        return {
            name: [r[0] for r in con.execute(options_sql(name), {"store": store}).fetchall()]
            for name in FILTER_SOURCES
        }


def filter_options(name: str, store: str | None) -> list[str]:
    """Return the distinct values a sidebar filter can take in the store (None: every store)."""
    src = current()
    if src.state != "ok" or name not in FILTER_SOURCES:
        return []
    return _filter_options(src.path, src.version, store)[name]
