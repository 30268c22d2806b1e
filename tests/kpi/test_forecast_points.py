"""The forecast's points stored with the orders (derived_forecast_points) are the points
computed from the rows on their own day: read both ways, the forecast is the same.

Floats are compared with math.isclose(rel_tol=1e-12): DuckDB's parallel window sums add the
same terms in another order from one run to the next (the last bits move), ints exactly.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import random
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from kpi import forecast, query
from tests.helpers import copy_db
from warehouse import forecast_points
from warehouse.importer import import_files


def _same_points(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].delivered == b[key].delivered, key
        assert a[key].has_history == b[key].has_history, key
        assert math.isclose(a[key].remainder, b[key].remainder, rel_tol=1e-12, abs_tol=1e-9), key


def _same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, v in a.items():
        w = b[k]
        assert (v is None) == (w is None), k
        if v is not None:
            assert math.isclose(v, w, rel_tol=1e-12, abs_tol=1e-9), (k, v, w)


@pytest.fixture(scope="module")
def demo(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


def test_every_store_has_a_point_for_each_day_of_its_history(demo):
    rows = demo.execute(
        "SELECT store, count(*), min(origin), max(origin) FROM derived_forecast_points "
        "GROUP BY store ORDER BY store"
    ).fetchall()
    # the demo: 3 stores, orders from 2024-12-01 to 2026-11-25 (the build's end) =
    # 365 + 360 days = 725 days each (Dec 2024 .. Nov 25 2026)
    assert [r[0] for r in rows] == ["hz-xihu", "nb-yinzhou", "sh-pudong"]
    assert all(r[1:] == (725, date(2024, 12, 1), date(2026, 11, 25)) for r in rows)


def test_a_stored_point_is_the_point_computed_on_its_own_day(demo):
    # 30 origins drawn at random over the two years, each computed from the rows with
    # nothing after its own day (bound = origin), against the stored point
    stored = demo.execute("SELECT store, origin FROM derived_forecast_points").fetchall()
    for store, origin in random.Random(7).sample(stored, 30):
        with query.raw_rows():
            raw = forecast._points(demo, [(store, origin)], origin)
        _same_points(raw, forecast._points(demo, [(store, origin)], origin))


def test_all_points_agree_both_ways(demo):
    origins = [tuple(r) for r in demo.execute(
        "SELECT store, origin FROM derived_forecast_points ORDER BY ALL").fetchall()]  # fmt: skip
    bound = max(o for _, o in origins)
    with query.raw_rows():
        raw = forecast._points(demo, origins, bound)
    assert len(raw) == 3 * 725
    _same_points(raw, forecast._points(demo, origins, bound))


@pytest.mark.parametrize(
    "as_of",
    [
        date(2026, 11, 25),  # the data's last day, mid-month
        date(2026, 11, 1),  # the first of a month
        date(2026, 6, 12),
        date(2026, 2, 28),  # a month's last day: the actual deliveries
        date(2026, 12, 10),  # after the data: its points are computed from the rows
    ],
)
@pytest.mark.parametrize("store", [None, "sh-pudong"])
def test_the_forecast_is_the_same_both_ways(demo, as_of, store):
    with query.raw_rows():
        raw = forecast.deliveries_forecast(demo, as_of, store, target=300)
    _same(raw, forecast.deliveries_forecast(demo, as_of, store, target=300))


def _from_points(con, as_of: date, store: str | None, target: float) -> dict:
    """Return the forecast pooled from a Point per store and day (the backtest's way)."""
    stores = forecast._stores(con, store, as_of)
    days = forecast._calibration_days(as_of)
    points = forecast._points(con, [(s, d) for s in stores for d in [as_of, *days]], as_of)
    first = forecast.month_start(days[-1]) if days else as_of
    last = forecast.month_start(as_of) - timedelta(days=1)
    actuals = forecast._actuals(con, stores, first, last)
    now = forecast._pool([points[(s, as_of)] for s in stores if (s, as_of) in points])
    return forecast._result(as_of, now, forecast._ratios(stores, days, points, actuals), target)


@pytest.mark.parametrize("as_of", [date(2026, 11, 25), date(2026, 6, 12), date(2026, 12, 10)])
@pytest.mark.parametrize("store", [None, "nb-yinzhou"])
@pytest.mark.parametrize("raw", [False, True])
def test_the_points_summed_per_day_in_sql_pool_as_the_points_do(demo, as_of, store, raw):
    # deliveries_forecast sums the points per origin in SQL (POOLED_SQL), the remainders in
    # store order in Python: the very sums of the Points, to the last bit, when the points are
    # stored. Points computed from the rows (raw, or a day after the data) are two computations
    # whose DuckDB sums may differ in the last bit from run to run: equal within 1e-12 there.
    with query.raw_rows() if raw else contextlib.nullcontext():
        expected = _from_points(demo, as_of, store, 300)
        got = forecast.deliveries_forecast(demo, as_of, store, target=300)
    if raw or as_of > date(2026, 11, 25):
        _same(expected, got)
    else:
        assert got == expected


def test_the_backtest_is_the_same_both_ways(demo):
    with query.raw_rows():
        raw = forecast.backtest(demo, as_of=date(2026, 11, 25), months=3)
    got = forecast.backtest(demo, as_of=date(2026, 11, 25), months=3)
    assert len(raw) == len(got) > 0
    for a, b in zip(raw, got, strict=True):
        _same({k: v for k, v in a.items() if isinstance(v, float)},
              {k: v for k, v in b.items() if isinstance(v, float)})  # fmt: skip
        assert {k: v for k, v in a.items() if not isinstance(v, float)} == {
            k: v for k, v in b.items() if not isinstance(v, float)
        }


def _stored(con, store: str) -> dict:
    rows = con.execute(
        "SELECT origin, delivered, has_history, waiting, new_orders FROM derived_forecast_points "
        "WHERE store = $s ORDER BY origin",
        {"s": store},
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _recomputed(con, store: str) -> dict:
    sql = forecast_points.stored_select("list_contains($stores, {t}.store)")
    rows = con.execute(sql, {"stores": [store]}).fetchall()
    return {r[1]: r[2:] for r in rows}


def test_an_upsert_of_one_stores_orders_refreshes_its_points_and_only_its(demo_build, tmp_path):
    db = copy_db(Path(demo_build["db"]), tmp_path / "store.duckdb")
    with duckdb.connect(str(db), read_only=True) as con:
        before = {s: _stored(con, s) for s in ("sh-pudong", "hz-xihu")}
    # every October 2026 delivery of sh-pudong moves 3 days later (an export corrected)
    text = (demo_build["out"] / "sh-pudong" / "orders.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    moved = [r for r in rows if r["delivery_date"].startswith("2026-10")]
    for r in moved:
        r["delivery_date"] = str(date.fromisoformat(r["delivery_date"]) + timedelta(days=3))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(moved)
    report = import_files(db, "orders", [("orders.csv", out.getvalue().encode())], "sh-pudong")
    assert report.updated == len(moved) > 20
    with duckdb.connect(str(db), read_only=True) as con:
        after = _stored(con, "sh-pudong")
        assert after.keys() == _recomputed(con, "sh-pudong").keys()
        for origin, row in _recomputed(con, "sh-pudong").items():
            assert after[origin][:2] == row[:2], origin
            for x, y in zip(after[origin][2:], row[2:], strict=True):
                assert math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-9), origin
        # October's points moved (deliveries so far are fewer on Oct 20), the other store's
        # points are untouched
        assert after[date(2026, 10, 20)][0] < before["sh-pudong"][date(2026, 10, 20)][0]
        assert _stored(con, "hz-xihu") == before["hz-xihu"]
