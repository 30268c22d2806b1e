"""A period still running reads what was known on as_of (catalogue, "A period still running").

The strongest check of that rule needs no hand-worked numbers: the report of a day D over the
whole database must equal the report over the database as the DMS would have exported it on
D. `known_on` builds that second database from the demo by rolling every table back to D
(rows dated later removed, deliveries, arrivals, sales and closings after D undone), so any
KPI that lets a later-dated row in shows up as a difference.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from kpi.report import build_report
from kpi.scope import Scope
from warehouse import db

# (table, statements) that turn a database into what was known on $d. Targets and rebate
# programmes are set in advance; monthly tables keep the rows of D's month (as exported).
ROLLBACK = (
    "DELETE FROM traffic WHERE visit_date > $d",
    "DELETE FROM orders WHERE order_date > $d",
    """UPDATE orders SET status = 'open', delivery_date = NULL
       WHERE status = 'delivered' AND delivery_date > $d""",
    "DELETE FROM vehicles WHERE ordered_date > $d",
    "UPDATE vehicles SET arrival_date = NULL WHERE arrival_date > $d",
    "UPDATE vehicles SET sold_date = NULL WHERE sold_date > $d",
    "DELETE FROM repair_orders WHERE open_date > $d",
    "UPDATE repair_orders SET close_date = NULL WHERE close_date > $d",
    "DELETE FROM technicians WHERE month > strftime($d, '%Y-%m')",
    "DELETE FROM parts_stock WHERE month > strftime($d, '%Y-%m')",
    "DELETE FROM campaigns WHERE month > strftime($d, '%Y-%m')",
    "DELETE FROM expenses WHERE month > strftime($d, '%Y-%m')",
    "DELETE FROM surveys WHERE survey_date > $d",
    "DELETE FROM complaints WHERE opened_date > $d",
    "UPDATE complaints SET closed_date = NULL, satisfied = NULL WHERE closed_date > $d",
    "DELETE FROM followups WHERE followup_date > $d",
)


def known_on(source, target, day: date) -> None:
    """Copy the database `source` to `target` as it would have been exported on `day`."""
    shutil.copy(source, target)
    with db.connect(target) as con:
        con.execute("BEGIN")
        for sql in ROLLBACK:
            con.execute(sql, {"d": day})
        # wholesale_date arrived with the contract's rebate programmes (schema 5)
        cols = {r[0] for r in con.execute("DESCRIBE vehicles").fetchall()}
        if "wholesale_date" in cols:
            con.execute("UPDATE vehicles SET wholesale_date = NULL WHERE wholesale_date > $d",
                        {"d": day})  # fmt: skip
        db.bump_data_version(con)
        con.execute("COMMIT")


def _report(path, scope: Scope) -> dict:
    with db.connect(path, read_only=True) as con:
        return build_report(con, scope)["kpis"]


def _differences(a, b, path=""):
    """Yield the keys whose values differ (floats within 1e-9 relative)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            yield from _differences(a.get(k), b.get(k), f"{path}.{k}" if path else k)
    elif isinstance(a, float) and isinstance(b, float):
        if a != pytest.approx(b, rel=1e-9, abs=1e-9):
            yield f"{path}: {a} != {b}"
    elif a != b:
        yield f"{path}: {a!r} != {b!r}"


@pytest.mark.parametrize(
    ("start", "end", "day"),
    [
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 1)),  # the 1st
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 12)),  # mid-month
        (date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 30)),  # the day before the end
        (date(2026, 9, 16), date(2026, 10, 15), date(2026, 10, 3)),  # a custom range
    ],
)
def test_report_as_of_a_day_equals_the_report_of_that_day(demo_db, tmp_path, start, end, day):
    past = tmp_path / "known.duckdb"
    known_on(demo_db, past, day)
    for store in (None, "sh-pudong"):
        scope = Scope.for_range(start, end, today=day, store=store)
        assert scope.as_of == day and scope.running
        now, then = _report(demo_db, scope), _report(past, scope)
        assert list(_differences(now, then)) == [], (store, day)
    # the rule has teeth: the demo holds the rest of the period, which a complete read counts
    whole = _report(demo_db, Scope.for_range(start, end, today=date(2026, 11, 25)))
    assert (
        0
        < _report(demo_db, Scope.for_range(start, end, today=day))["walk_in_batches"]
        < (whole["walk_in_batches"])
    )
