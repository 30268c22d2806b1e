"""Derived state: what each derived table holds, what a refresh recomputes, and migrations."""

from datetime import date

import duckdb

from tests.helpers import insert, memory_db
from warehouse import db, derived


def ro(ro_id: str, open_date: str, close_date: str | None, ro_type: str = "repair", **kw) -> dict:
    row = {
        "ro_id": ro_id,
        "open_date": date.fromisoformat(open_date),
        "close_date": date.fromisoformat(close_date) if close_date else None,
        "vin": "V1",
        "ro_type": ro_type,
    }
    return row | kw


# VIN V1 of store s1:
#   R1 repair   open 01-01, closed 01-03
#   R2 repair   open 01-20 (17 days after R1 closed, within 30)    -> derived comeback
#   R3 maint.   open 01-25 (within 30 of R1/R2, but maintenance)   -> not a comeback
#   R4 repair   open 03-10 (R2 closed 01-21: 48 days later)         -> not a comeback
#   R5 repair   open 01-22, comeback given as false in the export   -> stays false, not derived
S1_ROS = [
    ro("R1", "2026-01-01", "2026-01-03"),
    ro("R2", "2026-01-20", "2026-01-21"),
    ro("R3", "2026-01-25", "2026-01-25", "maintenance"),
    ro("R4", "2026-03-10", "2026-03-11"),
    ro("R5", "2026-01-22", "2026-01-23", comeback=False),
]


def comebacks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT store, ro_id FROM derived_comebacks ORDER BY ALL").fetchall()


def test_derived_comebacks_hold_the_repair_orders_whose_empty_comeback_derives_true():
    con = memory_db()
    insert(con, "repair_orders", S1_ROS)
    assert comebacks(con) == [("s1", "R2")]
    view = con.execute("SELECT ro_id, comeback FROM v_repair_orders ORDER BY ro_id").fetchall()
    assert view == [("R1", False), ("R2", True), ("R3", False), ("R4", False), ("R5", False)]


def test_refresh_recomputes_only_the_named_stores_and_the_tables_that_feed_them():
    con = memory_db()
    insert(con, "repair_orders", S1_ROS)
    # Rows written without a refresh (not how writers work): the derived table lags them.
    con.execute(
        "INSERT INTO repair_orders (store, ro_id, open_date, close_date, vin, ro_type) VALUES "
        "('s2', 'X1', DATE '2026-05-01', DATE '2026-05-02', 'V9', 'repair'), "
        "('s2', 'X2', DATE '2026-05-10', DATE '2026-05-10', 'V9', 'repair')"
    )
    assert derived.refresh(con, tables={"imports"}) == []  # nothing derived reads the log
    # targets: only their rows per store and month (the Data status page) read them
    assert derived.refresh(con, tables={"targets"}) == ["derived_coverage_targets"]

    def state(names: list[str]) -> list[str]:
        # the lead state, not the summaries and the rows' coverage, which read them too
        return [n for n in names if not n.startswith(("summary_", "derived_coverage_"))]

    assert state(derived.refresh(con, tables={"followups"}, stores=["s2"])) == [
        "derived_lead_months"
    ]
    assert comebacks(con) == [("s1", "R2")]
    done = derived.refresh(con, tables={"repair_orders"}, stores=["s1"])
    # the comebacks and every other table that reads repair orders (summaries, filter
    # values), none that does not
    assert "derived_comebacks" in done and "derived_lead_months" not in done
    reads = {d.name: d.sources for d in derived.DERIVED}
    assert all("repair_orders" in reads[name] for name in done)
    assert comebacks(con) == [("s1", "R2")]  # s2 not refreshed yet
    derived.refresh(con, tables={"repair_orders"}, stores=["s2"])
    # X2 opened 05-10, 8 days after X1 closed 05-02: a comeback; s1's row was kept
    assert comebacks(con) == [("s1", "R2"), ("s2", "X2")]
    assert derived.refresh(con, tables={"repair_orders"}, stores=[]) == []


def test_lead_months_hold_each_customers_running_state_after_each_month_with_contacts():
    con = memory_db()
    insert(
        con,
        "traffic",
        [
            {
                "visit_id": "T1",
                "visit_date": date(2026, 1, 5),
                "kind": "walk_in",
                "customer_id": "c1",
                "lead_level": "H",
            }
        ],
    )
    insert(con, "followups", [
        {"followup_id": "F1", "followup_date": date(2026, 1, 20), "customer_id": "c1",
         "kind": "lead_followup", "lead_level": "A"},
        {"followup_id": "F2", "followup_date": date(2026, 3, 2), "customer_id": "c1",
         "kind": "lead_followup", "lead_level": "B"},
    ])  # fmt: skip
    rows = con.execute(
        "SELECT store, customer_id, m, next_m, last_contact, l_hi, l_lo "
        "FROM derived_lead_months ORDER BY m"
    ).fetchall()
    # m = year * 12 + month - 1: January 2026 = 24312, March = 24314.
    # Days from 1970-01-01: 2026-01-01 is 56 * 365 + 14 leap days = 20454.
    # F1 2026-01-20: day 20473, k = 2 * 20473 + 1 (a follow-up) = 40947; level A has code 3:
    #   l_hi = 40947 * 8 + 3 = 327579, l_lo = 40947 * 8 + 7 - 3 = 327580 (T1 on 01-05 is older).
    # F2 2026-03-02: day 20454 + 31 + 28 + 1 = 20514, k = 41029; B (code 4):
    #   l_hi = 41029 * 8 + 4 = 328236, l_lo = 41029 * 8 + 3 = 328235.
    assert rows == [
        ("s1", "c1", 24312, 24314, date(2026, 1, 20), 327579, 327580),
        ("s1", "c1", 24314, None, date(2026, 3, 2), 328236, 328235),
    ]


def _v1(path) -> None:
    """Turn a database into what schema 1 left: no derived rows, schema_version 1."""
    with duckdb.connect(str(path)) as con:
        con.execute("DELETE FROM derived_comebacks")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def _seed(path) -> None:
    with db.connect(path) as con:
        insert(con, "repair_orders", S1_ROS)
        db.bump_data_version(con, tables={"repair_orders"}, stores=["s1"])


def test_a_schema_1_database_gets_its_derived_state_on_the_first_write_open(tmp_path):
    path = tmp_path / "store.duckdb"
    _seed(path)
    _v1(path)
    with db.connect(path) as con:
        assert comebacks(con) == [("s1", "R2")]
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (str(db.SCHEMA_VERSION),)
        ]


def test_a_schema_1_database_is_migrated_by_a_read_only_open_too(tmp_path):
    # The dashboard only reads: an old demo database must still show its comebacks.
    path = tmp_path / "store.duckdb"
    _seed(path)
    _v1(path)
    with db.connect(path, read_only=True) as con:
        assert comebacks(con) == [("s1", "R2")]


def test_a_derived_table_the_database_lacks_is_created_and_filled_on_open(tmp_path):
    # A database of this schema version written by a program that had one derived table
    # fewer (a new summary added later): a read-only open asks for a short write that creates
    # and fills it, so a reader never meets a missing table.
    path = tmp_path / "store.duckdb"
    _seed(path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE derived_comebacks")
        con.execute("DROP TABLE summary_service_days")
    with db.connect(path, read_only=True) as con:
        assert comebacks(con) == [("s1", "R2")]
        # R1..R5 of s1: five ROs opened (ro_count counts ROs by their opening day)
        opened = con.execute("SELECT sum(ro_count) FROM summary_service_days").fetchone()
        assert opened == (5,)
        assert db.missing_derived(con) == []


def test_a_replaced_derived_table_is_dropped_when_its_successor_is_filled_on_open(tmp_path):
    # A database of the sales cohorts' first table (summary_sales_cohorts, before
    # summary_sales_cohort_starts replaced it): the open fills the new one, drops the old.
    path = tmp_path / "store.duckdb"
    _seed(path)
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE summary_sales_cohort_starts")
        con.execute("CREATE TABLE summary_sales_cohorts (store VARCHAR)")
    with db.connect(path, read_only=True) as con:
        found = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        tables = {r[0] for r in found}
        assert "summary_sales_cohorts" not in tables
        assert "summary_sales_cohort_starts" in tables
        assert db.missing_derived(con) == []
