"""Issue 18's contract additions: rebate_programs, vehicles.wholesale_date, followups.lost_reason
and lost_to: import with Chinese headers, refusals with their location, upload detection and the
migration of a schema-4 database."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from app import uploads
from tests.helpers import insert
from warehouse import db
from warehouse.importer import import_files

PROGRAMS_ZH = (
    "政策编号,政策名称,开始日期,结束日期,考核口径,目标台数,档位,达成率门槛,单台返利,返利比例"
)


def gbk(*lines: str, name: str = "商务政策.csv") -> tuple[str, bytes]:
    return name, ("\r\n".join(lines) + "\r\n").encode("gb18030")


def rows(path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_programmes_with_chinese_headers_and_words(tmp_path):
    path = tmp_path / "s.duckdb"
    report = import_files(path, "rebate_programs", [gbk(
        PROGRAMS_ZH,
        "2026Q3-零售,三季度零售政策,2026/7/1,2026/9/30,零售,120,1,80%,\"¥1,000\",",
        "2026Q3-零售,三季度零售政策,2026/7/1,2026/9/30,零售,120,2,100%,2000,0.5%",
        "2026Q3-批发,,2026年7月1日,2026年9月30日,批发,150,1,110%,,1.5%",
    )], store="sh")  # fmt: skip
    assert report.committed and report.ok, [r.message for f in report.files for r in f.rejections]
    assert rows(path, "SELECT store, program_id, name, start_date, end_date, basis, target_units, "
                "tier, min_achievement, per_unit, pct_of_cost FROM rebate_programs "
                "ORDER BY program_id, tier") == [
        ("sh", "2026Q3-批发", None, dt.date(2026, 7, 1), dt.date(2026, 9, 30), "wholesale",
         150.0, 1.0, 1.1, 0.0, 0.015),  # empty per_unit: the default 0
        ("sh", "2026Q3-零售", "三季度零售政策", dt.date(2026, 7, 1), dt.date(2026, 9, 30),
         "retail", 120.0, 1.0, 0.8, 1000.0, 0.0),
        ("sh", "2026Q3-零售", "三季度零售政策", dt.date(2026, 7, 1), dt.date(2026, 9, 30),
         "retail", 120.0, 2.0, 1.0, 2000.0, 0.005),
    ]  # fmt: skip
    versions = rows(path, "SELECT table_name, store FROM data_versions "
                    "WHERE table_name = 'rebate_programs'")  # fmt: skip
    assert versions == [("rebate_programs", "sh")]


def test_optional_rebate_columns_may_be_absent(tmp_path):
    path = tmp_path / "s.duckdb"
    report = import_files(path, "rebate_programs", [gbk(
        "政策编号,开始日期,结束日期,考核口径,目标台数,档位,达成率门槛",
        "P1,2026-10-01,2026-12-31,retail,90,1,0.9",
    )])  # fmt: skip
    assert report.committed and report.ok
    assert rows(path, "SELECT name, per_unit, pct_of_cost FROM rebate_programs") == [
        (None, 0.0, 0.0)
    ]


@pytest.mark.parametrize(
    ("line", "column", "value", "words"),
    [
        (
            "P1,,2026-09-30,2026-07-01,零售,100,2,100%,2000,",
            "end_date",
            "2026-07-01",
            "is before start_date",
        ),
        (
            "P1,,2026-07-01,2026-09-30,零售,90,2,100%,2000,",
            "target_units",
            "90",
            "differs from line 2",
        ),
        (
            "P1,,2026-07-02,2026-09-30,零售,100,2,100%,2000,",
            "start_date",
            "2026-07-02",
            "differs from line 2",
        ),
        ("P1,,2026-07-01,2026-09-30,团购,100,2,100%,2000,", "basis", "团购", ""),
        ("P1,,2026-07-01,2026-09-30,零售,100,2,110,2000,", "min_achievement", "110", "5%"),
        ("P1,,2026-07-01,2026-09-31,零售,100,2,100%,2000,", "end_date", "2026-09-31", ""),
    ],
)
def test_bad_programme_rows_are_refused_with_their_place(tmp_path, line, column, value, words):
    path = tmp_path / "s.duckdb"
    report = import_files(path, "rebate_programs", [gbk(
        PROGRAMS_ZH, "P1,,2026-07-01,2026-09-30,零售,100,1,80%,1000,", line, name="p.csv"
    )])  # fmt: skip
    assert not report.committed
    (rejection,) = report.files[0].rejections
    assert (rejection.file, rejection.line, rejection.column, rejection.value) == (
        "p.csv",
        3,
        column,
        value,
    )
    assert words in rejection.reason
    if "differs" in words:
        assert "同一政策" in rejection.text("zh")
    assert not path.exists()  # nothing written, not even a new database


def test_a_refused_programme_file_leaves_an_existing_database_as_it_was(tmp_path):
    path = tmp_path / "s.duckdb"
    good = gbk(PROGRAMS_ZH, "P0,,2026-04-01,2026-06-30,批发,60,1,100%,500,")
    assert import_files(path, "rebate_programs", [good]).committed
    bad = gbk(PROGRAMS_ZH, "P1,,2026-07-01,2026-09-30,零售,100,1,80%,1000,",
              "P1,,2026-07-01,2026-09-30,零售,101,2,100%,2000,")  # fmt: skip
    assert not import_files(path, "rebate_programs", [bad]).committed
    assert rows(path, "SELECT program_id FROM rebate_programs") == [("P0",)]


def test_wholesale_date_and_lost_reasons_with_chinese_headers(tmp_path):
    path = tmp_path / "s.duckdb"
    vehicles = gbk(
        "车架号,车型,入库日期,批发日期,采购价",
        "LSV1,朗逸,2026-09-20,2026-09-05,98000",
        "LSV2,途观L,,2026/9/28,180000",
    )
    assert import_files(path, "vehicles", [vehicles]).committed
    followups = gbk("跟进编号,跟进日期,客户编号,销售顾问,跟进类型,意向级别,战败原因,战败车型",
                    "F1,2026-09-03,C1,王磊,潜客跟进,F,竞品,比亚迪 秦PLUS",
                    "F2,2026-09-04,C2,王磊,跟进,F,价格,",
                    "F3,2026-09-05,C3,王磊,跟进,B,,")  # fmt: skip
    assert import_files(path, "followups", [followups]).committed
    assert rows(path, "SELECT vin, wholesale_date FROM vehicles ORDER BY vin") == [
        ("LSV1", dt.date(2026, 9, 5)),
        ("LSV2", dt.date(2026, 9, 28)),
    ]
    assert rows(path, "SELECT followup_id, lost_reason, lost_to FROM followups ORDER BY 1") == [
        ("F1", "competitor", "比亚迪 秦PLUS"),
        ("F2", "price", None),
        ("F3", None, None),
    ]
    bad = gbk("跟进编号,跟进日期,客户编号,销售顾问,跟进类型,意向级别,战败原因",
              "F9,2026-09-03,C9,王磊,跟进,F,太贵", name="f.csv")  # fmt: skip
    report = import_files(path, "followups", [bad])
    assert not report.committed
    r = report.files[0].rejections[0]
    assert (r.file, r.line, r.column, r.value) == ("f.csv", 2, "lost_reason", "太贵")


def test_the_upload_page_recognises_a_programme_file():
    name, data = gbk(PROGRAMS_ZH, "P1,,2026-07-01,2026-09-30,零售,100,1,80%,1000,")
    assert uploads.detect_table(name, data).table == "rebate_programs"


def _schema_4(path) -> None:
    """Turn a database into what schema 4 left: no wholesale_date, lost reasons or programmes."""
    with duckdb.connect(str(path)) as con:
        con.execute("DROP VIEW v_vehicles")
        con.execute("ALTER TABLE vehicles DROP COLUMN wholesale_date")
        con.execute("ALTER TABLE followups DROP COLUMN lost_reason")
        con.execute("ALTER TABLE followups DROP COLUMN lost_to")
        con.execute("DROP TABLE rebate_programs")
        con.execute("CREATE VIEW v_vehicles AS SELECT * FROM vehicles")
        con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


@pytest.mark.parametrize("read_only", [False, True])
def test_a_schema_4_database_migrates_on_open(tmp_path, read_only):
    path = tmp_path / "s.duckdb"
    with db.connect(path) as con:
        insert(con, "vehicles", [{"vin": "V1", "model": "M", "cost": 9.0,
                                  "arrival_date": dt.date(2026, 9, 1)}])  # fmt: skip
        insert(con, "followups", [{"followup_id": "F1", "followup_date": dt.date(2026, 9, 2),
                                   "customer_id": "C1", "kind": "lead_followup",
                                   "lead_level": "F"}])  # fmt: skip
    _schema_4(path)
    with db.connect(path, read_only=read_only) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [
            (str(db.SCHEMA_VERSION),)
        ]
        assert con.execute("SELECT vin, arrival_date, wholesale_date, sold_date "
                           "FROM v_vehicles").fetchall() == [
            ("V1", dt.date(2026, 9, 1), None, None)
        ]  # fmt: skip
        assert con.execute(
            "SELECT followup_id, lead_level, lost_reason, lost_to, import_id FROM followups"
        ).fetchall() == [("F1", "F", None, None, None)]
        assert con.execute("SELECT count(*) FROM rebate_programs").fetchall() == [(0,)]
        # The columns sit where a new database has them (before import_id).
        names = [r[0] for r in con.execute("DESCRIBE vehicles").fetchall()]
        assert names[-2:] == ["wholesale_date", "import_id"]


def test_the_upload_dry_run_and_commit_take_a_programme_file(tmp_path):
    from warehouse.auth import User

    path = tmp_path / "s.duckdb"
    insert_rows = gbk(PROGRAMS_ZH, "2026Q4-零售,,2026-10-01,2026-12-31,零售,10,1,80%,1000,",
                      "2026Q4-零售,,2026-10-01,2026-12-31,零售,10,2,110%,2000,1%")  # fmt: skip
    plan = uploads.FilePlan(*insert_rows, "rebate_programs")
    result = uploads.dry_run(path, "s1", [plan], dt.date(2026, 11, 25))
    [f] = result.files
    assert (f.status, f.inserted, f.rejected) == ("imported", 2, 0)
    assert result.kpi_months == ["2026-10"]  # the programme's start month
    changes = result.kpi_changes.set_index("kpi")
    # Nothing counted yet: 0 of 10 units, 8 to tier 1 (ceil(0.8 × 10 − 1e-9) − 0).
    assert changes.loc["rebate_next_tier_units.2026Q4-零售", "after"] == 8
    done = uploads.commit(path, "s1", [plan], User("boss", "Boss", "manager"))
    assert [(o.status, o.inserted) for o in done.files] == [("imported", 2)]
    assert rows(path, "SELECT count(*) FROM rebate_programs WHERE store = 's1'") == [(2,)]
    bad = uploads.FilePlan(*gbk(PROGRAMS_ZH, "P,,2026-10-01,2026-09-30,批发,5,1,100%,1,",
                                name="bad.csv"), "rebate_programs")  # fmt: skip
    refused = uploads.dry_run(path, "s1", [bad], dt.date(2026, 11, 25))
    (r,) = refused.files[0].rejections
    assert (r.file, r.line, r.column) == ("bad.csv", 2, "end_date")
