"""Live entries: LIVE- ids, provisional flag, validation, corrections, the import hand-off."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import insert
from warehouse import live
from warehouse.auth import User
from warehouse.db import data_version, table_versions

DAY = date(2026, 9, 16)
STAFF = User("amy", "Amy Zhou", "staff")
MANAGER = User("boss", "Boss", "manager")
VIEWER = User("guest", "Guest", "viewer")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def walk_in(**kw):
    return {
        "visit_date": DAY,
        "consultant": "Li",
        "channel": "autohome",
        "first_visit": True,
        "test_drive": False,
        "lead_level": "A",
        "model_interest": "X5",
        **kw,
    }


def test_a_walk_in_is_a_provisional_live_row(con):
    before = data_version(con)
    entry_id = live.log_visit(con, "s1", STAFF, **walk_in(test_drive=True))
    assert entry_id.startswith("LIVE-20260916-")
    assert len(entry_id) == len("LIVE-20260916-") + 12  # 6 random bytes as hex
    row = con.execute(
        "SELECT store, visit_date, kind, first_visit, test_drive, lead_level, consultant, "
        "channel, model_interest, customer_id, buyer_type, provisional, entered_by "
        "FROM traffic WHERE visit_id = $id",
        {"id": entry_id},
    ).fetchone()
    assert row == (
        "s1",
        DAY,
        "walk_in",
        True,
        True,
        "A",
        "Li",
        "autohome",
        "X5",
        None,  # an anonymous walk-in: no customer id, stored as NULL
        "private",
        True,
        "amy",
    )
    assert data_version(con) == before + 1
    assert con.execute("SELECT store FROM stores").fetchall() == [("s1",)]


def test_a_live_entry_marks_only_its_table_of_its_store_changed(con):
    # Cached results of other tables and stores stay valid (ui.data.version_key).
    live.log_visit(con, "s1", STAFF, **walk_in(customer_id="c-9"))
    assert table_versions(con) == (("traffic", "s1", 1),)
    # The lead book of s1 follows the walk-in (traffic feeds derived_lead_months).
    assert con.execute("SELECT store, customer_id FROM derived_lead_months").fetchall() == [
        ("s1", "c-9")
    ]


def test_ids_are_unique(con):
    ids = {live.log_visit(con, "s1", STAFF, **walk_in()) for _ in range(6)}
    assert len(ids) == 6


def test_a_call_takes_chinese_enum_words_and_date_forms(con):
    entry_id = live.log_visit(
        con, "s1", STAFF, **walk_in(kind="来电", visit_date="2026年9月16日", first_visit="否")
    )
    row = con.execute(
        "SELECT kind, visit_date, first_visit FROM traffic WHERE visit_id = $id", {"id": entry_id}
    ).fetchone()
    assert row == ("phone", DAY, False)


def test_an_order_keeps_money_empty_until_the_export(con):
    entry_id = live.log_order(
        con,
        "s1",
        STAFF,
        order_date=DAY,
        consultant="Li",
        model="X5",
        customer_id="c1",
        channel="wechat",
    )
    assert entry_id.startswith("LIVE-20260916-")
    row = con.execute(
        "SELECT status, sale_type, buyer_type, sale_price, vehicle_cost, rebate, fi_income, "
        "accessories_revenue, accessories_cost, finance, insurance, trade_in, delivery_date, "
        "provisional, entered_by FROM orders WHERE order_id = $id",
        {"id": entry_id},
    ).fetchone()
    assert row == ("open", "retail", "private", *[None] * 10, True, "amy")


def test_an_order_with_money_written_as_in_exports(con):
    entry_id = live.log_order(
        con,
        "s1",
        STAFF,
        order_date=DAY,
        consultant="Li",
        model="X5",
        channel="wechat",
        sale_price="¥251,000.50",
        finance="是",
    )
    row = con.execute(
        "SELECT sale_price, finance FROM orders WHERE order_id = $id", {"id": entry_id}
    ).fetchone()
    assert row == (251000.5, True)


@pytest.mark.parametrize(
    ("table", "values", "message"),
    [
        (
            "traffic",
            walk_in(kind="visit"),
            "kind: 'visit' is not one of the accepted values: walk_in",
        ),
        ("traffic", walk_in(lead_level="Z"), "lead_level: 'Z' is not one of the accepted values"),
        (
            "traffic",
            walk_in(visit_date="2026-02-30"),
            "visit_date: '2026-02-30' is not a real calendar date",
        ),
        ("traffic", walk_in(visit_date="16/09/2026"), "could be day/month or month/day"),
        ("traffic", walk_in(first_visit=None), "first_visit: is empty"),
        ("traffic", walk_in(test_drive="maybe"), "test_drive: 'maybe' is not yes/no"),
        ("traffic", walk_in(visit_id="X-1"), "visit_id is set by the app"),
        ("traffic", walk_in(colour="red"), "unknown column(s) colour"),
        (
            "orders",
            {"order_date": DAY, "model": "X5", "sale_price": -5},
            "sale_price: '-5' is negative",
        ),
        (
            "orders",
            {"order_date": DAY, "sale_type": "lease"},
            "sale_type: 'lease' is not one of the accepted values",
        ),
        ("orders", {"order_date": DAY, "status": "delivered"}, "needs its delivery date"),
        (
            "orders",
            {"order_date": DAY, "status": "delivered", "delivery_date": date(2026, 9, 1)},
            "delivery_date: .* is before order_date",
        ),
        ("orders", {"model": "X5"}, "order_date: is empty"),
        ("repair_orders", {}, "repair_orders takes no live entries"),
    ],
)
def test_invalid_entries_are_refused_and_nothing_is_written(con, table, values, message):
    before = data_version(con)
    with pytest.raises(live.LiveEntryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        live.add_entry(con, table, "s1", values, STAFF)
    assert con.execute("SELECT count(*) FROM traffic").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 0
    assert data_version(con) == before


def test_every_bad_field_is_listed(con):
    with pytest.raises(live.LiveEntryError) as err:
        live.log_visit(con, "s1", STAFF, **walk_in(kind="x", lead_level="Q", test_drive="?"))
    assert [e.split(":")[0] for e in err.value.errors] == ["kind", "lead_level", "test_drive"]


def test_a_viewer_may_not_log(con):
    with pytest.raises(PermissionError, match="needs staff"):
        live.log_visit(con, "s1", VIEWER, **walk_in())


def test_a_manager_corrects_a_live_entry(con):
    entry_id = live.log_visit(con, "s1", STAFF, **walk_in())
    before = data_version(con)
    live.update_entry(
        con, "traffic", "s1", entry_id, {"test_drive": "yes", "lead_level": "h"}, MANAGER
    )
    row = con.execute(
        "SELECT test_drive, lead_level, consultant, provisional, entered_by FROM traffic "
        "WHERE visit_id = $id",
        {"id": entry_id},
    ).fetchone()
    assert row == (True, "H", "Li", True, "amy")
    assert data_version(con) == before + 1


def test_a_correction_is_validated(con):
    entry_id = live.log_visit(con, "s1", STAFF, **walk_in())
    with pytest.raises(live.LiveEntryError, match="kind"):
        live.update_entry(con, "traffic", "s1", entry_id, {"kind": "fax"}, MANAGER)
    order_id = live.log_order(con, "s1", STAFF, order_date=DAY, model="X5")
    with pytest.raises(live.LiveEntryError, match="needs its delivery date"):
        live.update_entry(con, "orders", "s1", order_id, {"status": "delivered"}, MANAGER)


def test_staff_may_not_correct_or_delete(con):
    entry_id = live.log_visit(con, "s1", STAFF, **walk_in())
    with pytest.raises(PermissionError, match="needs manager"):
        live.update_entry(con, "traffic", "s1", entry_id, {"test_drive": True}, STAFF)
    with pytest.raises(PermissionError, match="needs manager"):
        live.delete_entry(con, "traffic", "s1", entry_id, STAFF)


def test_a_manager_deletes_a_live_entry(con):
    keep = live.log_visit(con, "s1", STAFF, **walk_in())
    gone = live.log_visit(con, "s1", STAFF, **walk_in())
    live.delete_entry(con, "traffic", "s1", gone, MANAGER)
    assert con.execute("SELECT visit_id FROM traffic").fetchall() == [(keep,)]


def test_imported_rows_are_not_live_entries(con):
    insert(con, "traffic", [walk_in(visit_id="DMS-1", kind="walk_in")])
    with pytest.raises(LookupError, match="No live entry DMS-1"):
        live.delete_entry(con, "traffic", "s1", "DMS-1", MANAGER)
    with pytest.raises(LookupError):
        live.update_entry(con, "traffic", "s1", "DMS-1", {"test_drive": True}, MANAGER)
    with pytest.raises(LookupError):  # right id, wrong store
        entry_id = live.log_visit(con, "s1", STAFF, **walk_in())
        live.delete_entry(con, "traffic", "s2", entry_id, MANAGER)


def test_entries_lists_the_days_live_rows(con):
    a = live.log_visit(con, "s1", STAFF, **walk_in())
    b = live.log_order(con, "s1", STAFF, order_date=DAY, model="X5", consultant="Wang")
    live.log_visit(con, "s1", STAFF, **walk_in(visit_date=date(2026, 9, 15)))
    live.log_visit(con, "s2", STAFF, **walk_in())
    insert(con, "traffic", [walk_in(visit_id="DMS-1", kind="walk_in")])
    got = live.entries(con, "s1", DAY)
    assert list(zip(got["table_name"], got["entry_id"], got["kind"], strict=True)) == [
        ("traffic", a, "walk_in"),
        ("orders", b, "order"),
    ]
    assert list(got["entered_by"]) == ["amy", "amy"]


def test_options_come_from_the_stores_data(con):
    insert(
        con,
        "traffic",
        [walk_in(visit_id="t1", kind="walk_in", consultant="Wang", channel="douyin")],
    )
    insert(
        con, "orders", [{"order_id": "o1", "order_date": DAY, "consultant": "Li", "model": "X3"}]
    )
    insert(con, "vehicles", [{"vin": "V1", "model": "iX", "cost": 1.0}])
    insert(con, "traffic", [walk_in(visit_id="t9", kind="walk_in", consultant="Other")], store="s2")
    got = live.options(con, "s1")
    assert got["consultants"] == ["Li", "Wang"]
    assert got["models"] == ["X3", "X5", "iX"]
    assert "douyin" in got["channels"] and "autohome" in got["channels"]
    assert "referral" in got["channels"]  # a standard source of the contract


# ----------------------------------------------------------------------------- freshness


@pytest.mark.parametrize(
    ("local", "hours", "expected"),
    [
        (time(8, 59), "09:00-18:00", False),
        (time(9, 0), "09:00-18:00", True),
        (time(18, 0), "09:00-18:00", True),
        (time(18, 1), "09:00-18:00", False),
        (time(1, 0), "18:00-02:00", True),  # past midnight wraps
        (time(12, 0), "18:00-02:00", False),
        (time(3, 0), "whenever", True),  # unreadable: always open
    ],
)
def test_is_open(local, hours, expected):
    assert live.is_open(datetime.combine(DAY, local, SHANGHAI), hours) is expected


def test_is_stale_only_past_the_threshold_during_opening_hours():
    now = datetime.combine(DAY, time(15, 0), SHANGHAI)
    two_hours = datetime.combine(DAY, time(13, 0), SHANGHAI)
    assert not live.is_stale(two_hours, now, 120, "09:00-18:00")  # exactly 120 min: not older
    assert live.is_stale(two_hours, now, 119, "09:00-18:00")
    evening = datetime.combine(DAY, time(20, 0), SHANGHAI)
    assert not live.is_stale(two_hours, evening, 60, "09:00-18:00")  # closed: no warning
    assert live.is_stale(None, now, 120, "09:00-18:00")  # no data at all
    assert not live.is_stale(None, now, 0, "09:00-18:00")  # threshold 0 turns it off


def test_newest_record_is_the_latest_of_import_live_entry_and_row_date(con):
    assert live.newest_record_at(con, "s1") is None
    insert(con, "traffic", [walk_in(visit_id="t1", kind="walk_in", visit_date=date(2026, 9, 14))])
    # A row has a date only: it counts from midnight in the store's timezone.
    assert live.newest_record_at(con, "s1") == datetime(2026, 9, 13, 16, 0, tzinfo=UTC)
    con.execute(
        "INSERT INTO imports (import_id, imported_at, store, table_name) "
        "VALUES (1, TIMESTAMP '2026-09-15 02:30:00', 's1', 'traffic')"
    )
    assert live.newest_record_at(con, "s1") == datetime(2026, 9, 15, 2, 30, tzinfo=UTC)
    before = datetime.now(UTC)
    live.log_visit(con, "s1", STAFF, **walk_in())
    assert live.newest_record_at(con, "s1") >= before
    assert live.newest_record_at(con, "s2") is None


def test_store_settings_name_falls_back_to_the_id(con):
    con.execute("INSERT INTO stores (store) VALUES ('sh-pudong')")
    assert live.store_settings(con, "sh-pudong") == {
        "store": "sh-pudong",
        "name": "sh-pudong",
        "timezone": "Asia/Shanghai",
        "opening_hours": "09:00-18:00",
    }
    con.execute("UPDATE stores SET name = '上海浦东店', opening_hours = '08:30-20:00'")
    got = live.store_settings(con, "sh-pudong")
    assert (got["name"], got["opening_hours"]) == ("上海浦东店", "08:30-20:00")


def test_a_typed_mobile_number_is_stored_as_the_import_key(con):
    from warehouse.importer import customer_key

    entry_id = live.log_visit(con, "s1", STAFF, **walk_in(customer_id="138 0013 8000"))
    stored = con.execute(
        "SELECT customer_id FROM traffic WHERE visit_id = $id", {"id": entry_id}
    ).fetchone()[0]
    assert stored.startswith("C") and len(stored) == 17  # 'C' + 16 hex, never the number
    assert stored == customer_key(con, "13800138000")


# ----------------------------------------------------------------------------- import hand-off

EXPORT = (
    "来访编号,来店日期,来访类型,是否首次,信息来源,销售顾问,客户编号,意向级别,意向车型,是否试驾\n"
    "DMS-101,2026-09-15,来店,是,autohome,Li,c101,A,X5,否\n"
    "DMS-102,2026-09-16,来店,是,autohome,Li,c102,A,X5,是\n"
)


def test_importing_the_export_for_that_day_replaces_the_live_row(tmp_path):
    from warehouse.db import connect
    from warehouse.importer import import_files

    path = tmp_path / "store.duckdb"
    with connect(path) as con:
        covered = live.log_visit(con, "s1", STAFF, **walk_in())  # 9-16: in the file's dates
        later = live.log_visit(con, "s1", STAFF, **walk_in(visit_date=date(2026, 9, 17)))
        other = live.log_visit(con, "s2", STAFF, **walk_in())  # another store's entry
        assert con.execute("SELECT count(*) FROM traffic").fetchone()[0] == 3
    report = import_files(path, "traffic", [("来店登记.csv", EXPORT.encode())], store="s1")
    assert report.committed
    with connect(path, read_only=True) as con:
        rows = con.execute(
            "SELECT store, visit_id, provisional FROM traffic ORDER BY store, visit_id"
        ).fetchall()
    # The export covers 9-15..9-16 for s1: its two rows stand, the live 9-16 walk-in is gone
    # (not doubled); the 9-17 entry and s2's entry stay provisional.
    assert rows == [
        ("s1", "DMS-101", False),
        ("s1", "DMS-102", False),
        ("s1", later, True),
        ("s2", other, True),
    ]
    assert covered not in {r[1] for r in rows}
    assert report.files[0].provisional_replaced == 1


def test_newest_record_sees_an_import_that_carried_several_stores(con):
    con.execute(
        "INSERT INTO imports (import_id, imported_at, store, table_name) "
        "VALUES (1, TIMESTAMP '2026-09-15 02:30:00', 's1,s12', 'traffic')"
    )
    assert live.newest_record_at(con, "s12") == datetime(2026, 9, 15, 2, 30, tzinfo=UTC)
    assert live.newest_record_at(con, "s1") == datetime(2026, 9, 15, 2, 30, tzinfo=UTC)
    assert live.newest_record_at(con, "s") is None
