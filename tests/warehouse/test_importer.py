"""Importing into a real DuckDB file: all or nothing, upserts, live entries, hashing, CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path

import duckdb
import pytest

from tests.helpers import FileState, copy_db
from warehouse.db import connect
from warehouse.importer import import_files, main
from warehouse.spec import TABLES

TRAFFIC_HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)
ORDERS_HEADER = (
    "order_id,order_date,status,customer_id,consultant,model,sale_type,buyer_type,channel,"
    "sale_price,vehicle_cost,rebate,finance,insurance,fi_income,trade_in,accessories_revenue,"
    "accessories_cost"
)


def csv(header: str, *rows: str, name: str = "file.csv") -> tuple[str, bytes]:
    """Return a (name, bytes) upload of a UTF-8 CSV."""
    return name, ("\n".join([header, *rows]) + "\n").encode()


def rows(path: Path, query: str, params: dict | None = None) -> list[tuple]:
    """Return the rows of a query on the database file (read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(query, params or {}).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A database file that already holds traffic and orders of store main (built once)."""
    path = tmp_path_factory.mktemp("importer") / "store.duckdb"
    report = import_files(
        path,
        "traffic",
        [csv(TRAFFIC_HEADER, "T0,2026-08-30,walk_in,1,autohome,Zhang,CRM-0,A,Han,1")],
    )
    assert report.committed
    report = import_files(
        path,
        "orders",
        [
            csv(
                ORDERS_HEADER,
                "O0,2026-08-30,open,CRM-0,Zhang,Han,retail,private,autohome,200000,185000,0,"
                "1,1,1000,0,0,0",
            )
        ],
    )
    assert report.committed
    return path


@pytest.fixture
def db(seeded, tmp_path) -> Path:
    """A copy of the seeded database (and its hash key file) for one test to change."""
    return copy_db(seeded, tmp_path / "store.duckdb")


# ---------------------------------------------------------------- all or nothing

BAD_INPUTS = {
    # name: (table, files, line, column, fragment of the reason)
    "missing column": (
        "traffic",
        [csv(TRAFFIC_HEADER.replace(",test_drive", ""), "V1,2026-09-01,walk_in,1,a,b,c,A,m")],
        1,
        "test_drive",
        "is missing: the header row (line 1) has visit_id",
    ),
    "empty required cell": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0", "V2,,walk_in,1,a,b,c,A,m,0")],
        3,
        "visit_date",
        "is empty",
    ),
    "short row": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m")],
        2,
        "test_drive",
        "the line has 9 fields but the header has 10",
    ),
    "long row": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0,surplus")],
        2,
        None,
        "extra value after the last column (test_drive): the line has 11 fields",
    ),
    "impossible date": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,2026-02-30,walk_in,1,a,b,c,A,m,0")],
        2,
        "visit_date",
        "not a real calendar date",
    ),
    "ambiguous day and month": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,05/09/2026,walk_in,1,a,b,c,A,m,0")],
        2,
        "visit_date",
        "--date-order",
    ),
    "negative money": (
        "orders",
        [csv(ORDERS_HEADER, "O1,2026-09-01,open,c,Zhang,Han,retail,private,a,-5,1,0,1,1,0,0,0,0")],
        2,
        "sale_price",
        "is negative",
    ),
    "rate of 5": (
        "vehicles",
        [csv("vin,model,cost,floorplan_rate", "VIN1,Han,100000,5")],
        2,
        "floorplan_rate",
        "write 5%, not 5",
    ),
    "unknown enum word": (
        "orders",
        [csv(ORDERS_HEADER, "O1,2026-09-01,maybe,c,Zhang,Han,retail,private,a,5,1,0,1,1,0,0,0,0")],
        2,
        "status",
        "is not one of the accepted values: open (未交车, 待交车)",
    ),
    "duplicate key in a file": (
        "traffic",
        [
            csv(
                TRAFFIC_HEADER,
                "V1,2026-09-01,walk_in,1,a,b,c,A,m,0",
                "V2,2026-09-01,walk_in,1,a,b,c,A,m,0",
                "V1,2026-09-02,walk_in,1,a,b,c,A,m,0",
            )
        ],
        2,
        "visit_id",
        "the same key is also on line 4 of file.csv",
    ),
    "duplicate key across files": (
        "traffic",
        [
            csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0", name="a.csv"),
            csv(
                TRAFFIC_HEADER,
                "V2,2026-09-01,walk_in,1,a,b,c,A,m,0",
                "V1,2026-09-03,walk_in,1,a,b,c,A,m,0",
                name="b.csv",
            ),
        ],  # fmt: skip
        2,
        "visit_id",
        "the same key is also on line 3 of b.csv",
    ),
    "file of another table": (
        "traffic",
        [csv(ORDERS_HEADER, "O1,2026-09-01,open,c,Zhang,Han,retail,private,a,5,1,0,1,1,0,0,0,0")],
        1,
        None,
        "looks like an export of orders (订单/交车), not traffic (来店/来电登记): its header row",
    ),
    "truncated last line": (
        "traffic",
        [
            (
                "cut.csv",
                (TRAFFIC_HEADER + "\nV1,2026-09-01,walk_in,1,a,b,c,A,m,0\nV2,2026-09-0").encode(),
            )
        ],
        3,
        "kind",
        "the line has 2 fields but the header has 10",
    ),
    "total row that does not match": (
        "traffic",
        [csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0", "合计: 2条,,,,,,,,,")],
        3,
        None,
        "the total row says 2 rows but the file has 1 data rows",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_rejected_and_nothing_changes(db, case):
    table, files, line, column, reason = BAD_INPUTS[case]
    before = FileState(db)
    report = import_files(db, table, files)
    assert not report.committed and not report.ok
    first = report.rejections[0]
    assert (first.line, first.column) == (line, column)
    assert reason in first.reason
    assert first.file in first.message
    if line is not None:
        assert f":{line} " in first.message
    if column is not None:
        assert f" {column}" in first.message
    assert FileState(db) == before


def test_duplicate_across_files_names_both_lines(db):
    _, files, *_ = BAD_INPUTS["duplicate key across files"]
    report = import_files(db, "traffic", files)
    messages = [r.message for r in report.rejections]
    assert messages == [
        "a.csv:2 visit_id='V1' the same key is also on line 3 of b.csv: a key may appear only "
        "once per import",
        "b.csv:3 visit_id='V1' the same key is also on line 2 of a.csv: a key may appear only "
        "once per import",
    ]
    assert [f.rejected for f in report.files] == [1, 1]


def test_ambiguous_dates_are_accepted_with_a_date_order(db):
    files = [csv(TRAFFIC_HEADER, "V1,05/09/2026,walk_in,1,a,b,c,A,m,0")]
    report = import_files(db, "traffic", files, date_order="DMY")
    assert report.committed
    assert rows(db, "SELECT visit_date FROM traffic WHERE visit_id = 'V1'") == [
        (dt.date(2026, 9, 5),)
    ]


def test_allow_partial_writes_only_the_valid_rows(db):
    files = [
        csv(
            TRAFFIC_HEADER,
            "V1,2026-09-01,walk_in,1,a,b,c,A,m,0",
            "V2,2026-02-30,walk_in,1,a,b,c,A,m,0",
            "V3,2026-09-03,walk_in,1,a,b,c,A,m,0",
        )
    ]
    report = import_files(db, "traffic", files, allow_partial=True)
    assert report.committed and not report.ok
    assert (report.inserted, report.rejected) == (2, 1)
    assert rows(db, "SELECT visit_id FROM traffic ORDER BY 1") == [("T0",), ("V1",), ("V3",)]


def test_dry_run_counts_but_writes_nothing(db):
    before = FileState(db)
    files = [csv(TRAFFIC_HEADER, "T0,2026-08-30,walk_in,1,autohome,Zhang,CRM-0,A,Han,1",
                 "V9,2026-09-01,walk_in,1,a,b,c,A,m,0")]  # fmt: skip
    report = import_files(db, "traffic", files, dry_run=True)
    assert (report.committed, report.ok, report.import_ids) == (False, True, [])
    assert (report.inserted, report.unchanged) == (1, 1)
    assert FileState(db) == before


# ---------------------------------------------------------------- upsert and bookkeeping


def test_reimport_counts_inserted_updated_unchanged_and_keeps_replaced_rows(tmp_path):
    path = tmp_path / "s.duckdb"
    first = [
        csv(
            TRAFFIC_HEADER,
            "V1,2026-09-01,walk_in,1,autohome,Zhang,CRM-1,A,Han,1",
            "V2,2026-09-02,phone,0,wechat,Li,CRM-2,B,Tang,0",
            name="week1.csv",
        )
    ]
    report = import_files(path, "traffic", first, user="gm")
    assert (report.inserted, report.updated, report.unchanged) == (2, 0, 0)
    assert report.import_ids == [1]

    again = import_files(path, "traffic", first)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)

    second = [
        csv(
            TRAFFIC_HEADER,
            "V1,2026-09-01,walk_in,1,autohome,Zhang,CRM-1,O,Han,1",  # lead level A -> O
            "V2,2026-09-02,phone,0,wechat,Li,CRM-2,B,Tang,0",
            "V3,2026-09-03,walk_in,1,referral,Zhang,,,Han,0",
            name="week1b.csv",
        )
    ]
    third = import_files(path, "traffic", second)
    assert (third.inserted, third.updated, third.unchanged) == (1, 1, 1)
    assert third.import_ids == [3]
    assert rows(path, "SELECT visit_id, lead_level, import_id FROM traffic ORDER BY 1") == [
        ("V1", "O", 3),
        ("V2", "B", 1),
        ("V3", None, 3),
    ]
    replaced = rows(path, "SELECT import_id, table_name, row_json FROM import_replaced")
    assert len(replaced) == 1
    old = json.loads(replaced[0][2])
    assert (replaced[0][:2], old["visit_id"], old["lead_level"], old["import_id"]) == (
        (3, "traffic"),
        "V1",
        "A",
        1,
    )
    log = rows(
        path,
        "SELECT import_id, username, store, table_name, file_name, inserted, updated, "
        "unchanged, rejected FROM imports ORDER BY 1",
    )
    assert log == [
        (1, "gm", "main", "traffic", "week1.csv", 2, 0, 0, 0),
        (2, None, "main", "traffic", "week1.csv", 0, 0, 2, 0),
        (3, None, "main", "traffic", "week1b.csv", 1, 1, 1, 0),
    ]
    size, sha = rows(path, "SELECT file_size, sha256 FROM imports WHERE import_id = 1")[0]
    assert (size, sha) == (len(first[0][1]), hashlib.sha256(first[0][1]).hexdigest())
    assert rows(path, "SELECT store FROM stores") == [("main",)]
    assert rows(path, "SELECT value FROM meta WHERE key = 'data_version'") == [("3",)]


def test_keys_are_per_store_and_a_store_column_wins(tmp_path):
    path = tmp_path / "s.duckdb"
    header = "门店," + TRAFFIC_HEADER
    files = [
        csv(
            header,
            "north,V1,2026-09-01,walk_in,1,a,b,c,A,m,0",
            "south,V1,2026-09-01,walk_in,1,a,b,c,A,m,0",
            ",V2,2026-09-01,walk_in,1,a,b,c,A,m,0",
        )
    ]
    report = import_files(path, "traffic", files, store="east")
    assert report.committed
    assert report.files[0].stores == ["east", "north", "south"]
    assert rows(path, "SELECT store, visit_id FROM traffic ORDER BY 1") == [
        ("east", "V2"),
        ("north", "V1"),
        ("south", "V1"),
    ]
    assert rows(path, "SELECT store FROM stores ORDER BY 1") == [
        ("east",),
        ("north",),
        ("south",),
    ]


def test_targets_with_empty_consultant_upsert_as_one_key(tmp_path):
    path = tmp_path / "s.duckdb"
    header = "month,consultant,metric,target"
    import_files(
        path, "targets", [csv(header, "2026-09,,deliveries,40", "2026-09,Zhang,deliveries,12")]
    )
    report = import_files(path, "targets", [csv(header, "2026-09,,deliveries,45")])
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)
    assert rows(path, "SELECT consultant, target FROM targets ORDER BY ALL") == [
        ("Zhang", 12.0),
        (None, 45.0),
    ]


def test_live_provisional_rows_within_the_file_dates_are_replaced(db):
    with connect(db) as con:
        for visit_id, day, store in (
            ("LIVE-1", 3, "main"),  # inside 09-01..09-05: replaced
            ("LIVE-2", 20, "main"),  # after the file's last date: kept
            ("LIVE-3", 3, "north"),  # another store: kept
        ):
            con.execute(
                "INSERT INTO traffic (store, visit_id, visit_date, kind, first_visit, "
                "test_drive, buyer_type, provisional, entered_by) VALUES ($s, $v, $d, "
                "'walk_in', true, false, 'private', true, 'reception')",
                {"s": store, "v": visit_id, "d": dt.date(2026, 9, day)},
            )
    files = [
        csv(
            TRAFFIC_HEADER,
            "V1,2026-09-01,walk_in,1,a,b,c,A,m,0",
            "V2,2026-09-05,walk_in,1,a,b,c,A,m,0",
        )
    ]
    report = import_files(db, "traffic", files)
    assert report.files[0].provisional_replaced == 1
    assert rows(db, "SELECT visit_id FROM traffic WHERE provisional ORDER BY 1") == [
        ("LIVE-2",),
        ("LIVE-3",),
    ]
    saved = rows(db, "SELECT row_json FROM import_replaced")
    assert [json.loads(r[0])["visit_id"] for r in saved] == ["LIVE-1"]


def test_mobile_numbers_are_hashed_the_same_in_every_table(db):
    traffic_file = csv(
        TRAFFIC_HEADER,
        "V1,2026-09-01,walk_in,1,a,b,138 1234 5678,A,m,0",
        "V2,2026-09-01,walk_in,1,a,b,CRM-9,A,m,0",
        "V3,2026-09-01,walk_in,1,a,b,13900001111,A,m,0",
    )
    orders_file = csv(
        ORDERS_HEADER,
        "O1,2026-09-01,open,+86 138-1234-5678,Zhang,Han,retail,private,a,5,1,0,1,1,0,0,0,0",
    )
    assert import_files(db, "traffic", [traffic_file]).committed
    assert import_files(db, "orders", [orders_file]).committed
    # The key lives next to the database (0600), not in it (warehouse.hashkey).
    assert rows(db, "SELECT value FROM meta WHERE key = 'customer_hash_key'") == []
    key_file = db.with_name(db.name + ".key")
    assert key_file.stat().st_mode & 0o777 == 0o600
    secret = key_file.read_text().strip()
    assert len(secret) == 64

    def expected(number: str) -> str:
        digest = hmac.new(secret.encode(), number.encode(), hashlib.sha256).hexdigest()
        return "C" + digest[:16]

    stored = dict(rows(db, "SELECT visit_id, customer_id FROM traffic"))
    assert stored["V1"] == expected("13812345678")
    assert stored["V2"] == "CRM-9"
    assert stored["V3"] == expected("13900001111")
    assert rows(db, "SELECT customer_id FROM orders WHERE order_id = 'O1'") == [
        (expected("13812345678"),)
    ]


# ---------------------------------------------------------------- every table


HAPPY = {
    "traffic": (
        TRAFFIC_HEADER,
        ["T1,2026-09-01,walk_in,1,autohome,Zhang,CRM001,A,Han,1",
         "T2,2026-09-02,phone,0,wechat,Li,,,Tang,0"],
        ("main", "T2", dt.date(2026, 9, 2), "phone", False, "wechat", None, "Li", None, None,
         "Tang", False, "private"),
    ),
    "orders": (
        "order_id,order_date,delivery_date,status,customer_id,consultant,model,vin,sale_type,"
        "buyer_type,channel,sale_price,vehicle_cost,rebate,finance,insurance,fi_income,"
        "trade_in,accessories_revenue,accessories_cost",
        ['O1,2026-09-01,2026-09-10,delivered,CRM001,Zhang,Han,VIN1,retail,private,autohome,'
         '"200,000.00",185000,3000,yes,no,1500.5,n,2000,1200',
         "O2,2026-09-02,,open,CRM002,Li,Tang,,fleet,corporate,referral,150000,140000,0,0,0,0,"
         "0,0,0"],
        ("main", "O2", dt.date(2026, 9, 2), None, "open", "CRM002", "Li", "Tang", None, "fleet",
         "corporate", "referral", 150000.0, 140000.0, 0.0, False, False, 0.0, False, 0.0, 0.0),
    ),
    "vehicles": (
        "vin,model,ordered_date,eta,arrival_date,sold_date,cost,floorplan_rate",
        ["VIN1,Han,2026-08-01,,2026-08-20,,185000,5%", "VIN2,Tang,2026-08-15,2026-09-20,,,140000,"],
        ("main", "VIN2", "Tang", dt.date(2026, 8, 15), dt.date(2026, 9, 20), None, None,
         140000.0, None, None),
    ),
    "repair_orders": (
        "ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
        "labor_revenue,parts_revenue,parts_cost",
        ["R1,2026-09-01,2026-09-01,VIN9,CRM003,maintenance,Wang,Zhao,1.5,300,450.5,300",
         "R2,2026-09-02,,VIN8,CRM004,accident,Wang,Sun,6,1200,5000,3500"],
        ("main", "R2", dt.date(2026, 9, 2), None, "VIN8", "CRM004", "accident", "Wang", "Sun",
         6.0, 1200.0, 0.0, 5000.0, 3500.0, None),
    ),
    "technicians": (
        "month,technician,available_hours,clocked_hours,training_required,training_passed",
        ["2026-09,Zhao,176,150.5,2,1", "2026/9,Sun,160,120,1,1"],
        ("main", "2026-09", "Zhao", 176.0, 150.5, 2, 1),  # Sun sorts first
    ),
    "parts_stock": (
        "month,part_no,qty,unit_cost,last_movement_date",
        ["2026-09,P-001,10,55.5,2026-03-01", "2026-09,P-002,0,120,"],
        ("main", "2026-09", "P-002", 0.0, 120.0, None),
    ),
    "campaigns": (
        "campaign_id,month,kind,channel,name,start_date,end_date,spend,invited,target_arrivals,"
        "target_a_leads",
        ['C1,2026-09,outdoor_event,outdoor_event,Mall show,2026-09-12,2026-09-13,"¥20,000",200,'
         "40,10",
         "C2,2026-09,广告,autohome,Autohome Sept,,,15000,,,"],
        ("main", "C2", "2026-09", "advertising", "autohome", "Autohome Sept", None, None,
         15000.0, None, None, None),
    ),
    "targets": (
        "month,consultant,metric,target",
        ["2026-09,,deliveries,40", "2026-09,Zhang,deliveries,12"],
        ("main", "2026-09", None, "deliveries", 40.0),  # NULL sorts last
    ),
    "expenses": (
        "month,department,category,amount,fixed",
        ["2026-09,sales,salaries,120000,1", "2026-09,行政,rent,50000,否"],
        ("main", "2026-09", "sales", "salaries", 120000.0, True),  # admin sorts first
    ),
    "surveys": (
        "survey_id,survey_date,department,customer_id,score,recommend",
        ["S1,2026-09-03,sales,CRM001,9,10", "S2,2026-09-04,售后,CRM003,7.5,"],
        ("main", "S2", dt.date(2026, 9, 4), "service", "CRM003", 7.5, None),
    ),
    "complaints": (
        "complaint_id,opened_date,closed_date,department,category,major,satisfied",
        ["K1,2026-09-03,2026-09-05,service,waiting time,0,1", "K2,2026-09-04,,sales,price,1,"],
        ("main", "K2", dt.date(2026, 9, 4), None, "sales", "price", True, None),
    ),
    "followups": (
        "followup_id,followup_date,customer_id,consultant,kind,lead_level",
        ["F1,2026-09-03,CRM001,Zhang,lead_followup,H", "F2,2026-09-04,CRM002,Li,回访,"],
        ("main", "F2", dt.date(2026, 9, 4), "CRM002", "Li", "return_visit", None, None, None),
    ),
    "rebate_programs": (
        "program_id,start_date,end_date,basis,target_units,tier,min_achievement,per_unit",
        ["Q3,2026-07-01,2026-09-30,retail,100,1,80%,1000",
         "Q3,2026-07-01,2026-09-30,retail,100,2,1,2000"],
        ("main", "Q3", None, dt.date(2026, 7, 1), dt.date(2026, 9, 30), "retail", 100.0, 2.0,
         1.0, 2000.0, 0.0),
    ),
}  # fmt: skip


def test_every_contract_table_has_a_happy_path_case():
    assert set(HAPPY) == set(TABLES)


@pytest.mark.parametrize("table", list(HAPPY))
def test_happy_path_per_table(tmp_path, table):
    header, lines, second_row = HAPPY[table]
    path = tmp_path / "s.duckdb"
    report = import_files(path, table, [csv(header, *lines, name=f"{table}.csv")])
    assert report.ok and report.committed, report.to_text()
    assert (report.inserted, report.files[0].rows) == (2, 2)
    columns = ", ".join(["store", *TABLES[table].names])
    stored = rows(path, f"SELECT {columns} FROM {table} ORDER BY ALL")
    assert stored[1] == second_row


# ---------------------------------------------------------------- command line


def test_cli_imports_and_prints_a_summary(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    source = tmp_path / "traffic.csv"
    source.write_bytes(csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0")[1])
    code = main(["--db", str(path), "--table", "traffic", "--store", "north", str(source)])
    out = capsys.readouterr().out
    assert code == 0
    assert "traffic.csv (utf-8, comma, header on line 1): 1 rows, 1 new, 0 updated" in out
    assert rows(path, "SELECT store, visit_id FROM traffic") == [("north", "V1")]


def test_cli_rejections_exit_1_and_list_file_line_column_value(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    source = tmp_path / "bad.csv"
    lines = [f"V{i},2026-02-30,walk_in,1,a,b,c,A,m,0" for i in range(60)]
    source.write_bytes(csv(TRAFFIC_HEADER, *lines)[1])
    code = main(["--db", str(path), "--table", "traffic", str(source)])
    out = capsys.readouterr().out
    assert code == 1
    assert "bad.csv:2 visit_date='2026-02-30' is not a real calendar date" in out
    assert "bad.csv:51 visit_date" in out and "bad.csv:52 visit_date" not in out
    assert "and 10 more" in out  # 60 rejections, 50 shown
    assert "Nothing was imported" in out
    assert not path.exists()


def test_cli_json_output(tmp_path, capsys):
    path = tmp_path / "s.duckdb"
    source = tmp_path / "t.csv"
    source.write_bytes(csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0")[1])
    code = main(["--db", str(path), "--table", "traffic", "--format", "json", str(source)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (data["table"], data["committed"], data["ok"], data["inserted"]) == (
        "traffic",
        True,
        True,
        1,
    )
    assert data["import_ids"] == [1]
    assert data["files"][0]["file"] == "t.csv"
    assert data["files"][0]["encoding"] == "utf-8"


def test_cli_usage_errors_exit_2(tmp_path, capsys):
    assert main(["--table", "traffic"]) == 2  # no file
    assert main(["--table", "nosuch", "x.csv"]) == 2
    assert main(["--db", str(tmp_path / "s.duckdb"), "--table", "traffic", "missing.csv"]) == 2
    err = capsys.readouterr().err
    assert "missing.csv: no such file" in err


def test_dry_run_does_not_create_a_missing_database(tmp_path):
    path = tmp_path / "none.duckdb"
    files = [csv(TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,c,A,m,0")]
    report = import_files(path, "traffic", files, dry_run=True)
    assert (report.ok, report.committed, report.inserted) == (True, False, 1)
    assert not path.exists()


def test_header_only_file_is_refused_and_creates_no_database(tmp_path):
    path = tmp_path / "s.duckdb"
    report = import_files(path, "traffic", [csv(TRAFFIC_HEADER)])
    assert not report.committed and report.files[0].rows == 0
    assert report.rejections[0].code == "no_rows"
    assert "no data rows" in report.rejections[0].reason
    assert "只有表头" in report.rejections[0].text("zh")
    assert not path.exists()


def test_header_only_file_leaves_the_data_version_alone(db):
    before = FileState(db)
    report = import_files(db, "traffic", [csv(TRAFFIC_HEADER)])
    assert not report.committed and not report.ok
    assert FileState(db) == before
