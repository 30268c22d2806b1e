"""Plausibility: absurd values are refused with file, line, column and value, by both paths.

The fast path (one INSERT ... SELECT from DuckDB's CSV reader) and the row-level path share
the cell checks (warehouse.parsing); every case runs through both and must leave the
database exactly as it was. A property-based test throws generated files at the importer:
never a traceback, and a refusal never changes the database.
"""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FileState, copy_db
from warehouse import importer
from warehouse.importer import import_files
from warehouse.parsing import read_table_file

TECH = "month,technician,available_hours,clocked_hours,training_required,training_passed"
RO = (
    "ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
    "labor_revenue,parts_revenue,parts_cost"
)
ORDERS = (
    "order_id,order_date,delivery_date,status,customer_id,consultant,model,sale_type,"
    "buyer_type,channel,sale_price,vehicle_cost,rebate,finance,insurance,fi_income,trade_in,"
    "accessories_revenue,accessories_cost"
)
COMPLAINTS = "complaint_id,opened_date,closed_date,department,category,major"
CAMPAIGNS = "campaign_id,month,kind,channel,name,spend,invited"
NEXT_YEAR_AND_A_DAY = (dt.date.today() + dt.timedelta(days=367)).isoformat()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A database holding one clean row of store 'north' (other stores may take the fast path)."""
    path = tmp_path_factory.mktemp("plaus") / "seed.duckdb"
    body = f"{TECH}\n2026-08,Li,160,150,2,1\n".encode()
    assert import_files(path, "technicians", [("seed.csv", body)], store="north").committed
    return path


@pytest.fixture
def db(seeded, tmp_path) -> Path:
    """A copy of the seeded database (and its hash key file) for one test to change."""
    return copy_db(seeded, tmp_path / "store.duckdb")


# name: (table, header, data line, column, value, message code)
CASES = {
    "infinity from 1e309": ("technicians", TECH, "2026-08,Wu,1e309,1,1,1", "available_hours",
                            "1e309", "not_finite"),
    "inf spelled out": ("technicians", TECH, "2026-08,Wu,inf,1,1,1", "available_hours", "inf",
                        "bad_number"),
    "nan": ("technicians", TECH, "2026-08,Wu,nan,1,1,1", "available_hours", "nan",
            "bad_number"),
    "integer beyond BIGINT": ("technicians", TECH, "2026-08,Wu,1,1,9900000000000000000,1",
                              "training_required", "9900000000000000000", "too_large"),
    "integer 9.3e18": ("campaigns", CAMPAIGNS, "C9,2026-08,online,web,x,100,9.3e18", "invited",
                       "9.3e18", "too_large"),
    "1e308 yuan sale price": (
        "orders", ORDERS,
        "O9,2026-08-01,,open,C1,Li,Han,retail,private,web,1e308,1,0,1,1,0,0,0,0",
        "sale_price", "1e308", "too_large"),
    "RO amount over ten million": (
        "repair_orders", RO, "R9,2026-08-01,,V1,C1,repair,A,T,2,20000000,100,50",
        "labor_revenue", "20000000", "too_large"),
    "more hours than a month has": ("technicians", TECH, "2026-08,Wu,745,1,1,1",
                                    "available_hours", "745", "too_large"),
    "date 0001-01-01": ("repair_orders", RO, "R9,0001-01-01,,V1,C1,repair,A,T,2,200,100,50",
                        "open_date", "0001-01-01", "date_range"),
    "date 9999-12-31": ("repair_orders", RO,
                        "R9,2026-08-01,9999-12-31,V1,C1,repair,A,T,2,200,100,50",
                        "close_date", "9999-12-31", "date_range"),
    "a year and a day ahead": (
        "repair_orders", RO, f"R9,{NEXT_YEAR_AND_A_DAY},,V1,C1,repair,A,T,2,200,100,50",
        "open_date", NEXT_YEAR_AND_A_DAY, "date_range"),
    "month 1999-12": ("technicians", TECH, "1999-12,Wu,1,1,1,1", "month", "1999-12",
                      "month_range"),
    "closed before opened (RO)": (
        "repair_orders", RO, "R9,2026-08-05,2026-08-01,V1,C1,repair,A,T,2,200,100,50",
        "close_date", "2026-08-01", "date_before"),
    "delivered before ordered": (
        "orders", ORDERS,
        "O9,2026-08-05,2026-08-01,delivered,C1,Li,Han,retail,private,web,1,1,0,1,1,0,0,0,0",
        "delivery_date", "2026-08-01", "date_before"),
    "complaint closed before opened": (
        "complaints", COMPLAINTS, "K9,2026-08-05,2026-08-04,service,noise,0", "closed_date",
        "2026-08-04", "date_before"),
    "repeated header, conflicting values": (
        "technicians", TECH + ",available_hours", "2026-08,Wu,160,1,1,1,170", "available_hours",
        "160", "repeat_conflict"),
}  # fmt: skip


@pytest.mark.parametrize("path_kind", ["fast", "row-level"])
@pytest.mark.parametrize("case", list(CASES))
def test_absurd_values_are_refused_with_line_column_value(db, monkeypatch, case, path_kind):
    table, header, line, column, value, code = CASES[case]
    if path_kind == "row-level":
        monkeypatch.setattr(importer, "_fast_import", lambda *a, **k: None)
    before = FileState(db)
    body = f"{header}\n{line}\n".encode()
    report = import_files(db, table, [("bad.csv", body)], store="south")
    assert not report.committed and not report.ok
    (found,) = report.rejections
    assert (found.file, found.line, found.column, found.value, found.code) == (
        "bad.csv", 2, column, value, code,
    )  # fmt: skip
    assert found.text("zh") != found.reason  # the Chinese page reads it in Chinese
    assert FileState(db) == before


def test_plausible_values_at_the_ceilings_are_accepted(db):
    body = f"{TECH}\n2026-08,Wu,744,744,1000,1000\n".encode()
    assert import_files(db, "technicians", [("ok.csv", body)], store="south").committed
    day = "R1,2000-01-01,2000-01-01,V1,C1,repair,A,T,1000,10000000,10000000,10000000"
    assert import_files(db, "repair_orders", [("ro.csv", f"{RO}\n{day}\n".encode())]).committed


def test_identical_repeated_header_is_accepted(db):
    body = f"{TECH},available_hours\n2026-08,Wu,160,150,1,1,160\n".encode()
    report = import_files(db, "technicians", [("twice.csv", body)], store="south")
    assert report.committed and report.inserted == 1


@pytest.mark.parametrize("path_kind", ["fast", "row-level"])
def test_a_thousand_unknown_columns_are_refused_with_a_sentence(db, monkeypatch, path_kind):
    if path_kind == "row-level":
        monkeypatch.setattr(importer, "_fast_import", lambda *a, **k: None)
    before = FileState(db)
    extra = ",".join(f"x{i}" for i in range(1000))
    body = f"{TECH},{extra}\n2026-08,Wu,1,1,1,1{',a' * 1000}\n".encode()
    report = import_files(db, "technicians", [("wide.csv", body)], store="south")
    assert not report.committed
    assert report.rejections[0].code == "too_many_columns"
    assert "1006 columns" in report.rejections[0].reason
    assert FileState(db) == before


@pytest.mark.parametrize("body", [b"", TECH.encode() + b"\n", TECH.encode() + b"\n\n\n"])
def test_empty_and_header_only_files_are_refused(db, body):
    before = FileState(db)
    report = import_files(db, "technicians", [("empty.csv", body)], store="south")
    assert not report.committed and not report.ok
    assert report.rejections[0].code in ("empty_file", "no_rows")
    assert report.rejections[0].text("zh") != report.rejections[0].reason
    assert FileState(db) == before


def test_the_cli_lists_problems_in_chinese_with_lang_zh(db, capsys):
    path = db.parent / "bad.csv"
    path.write_text(f"{TECH}\n2026-08,Wu,1e309,1,1,1\n", encoding="utf-8")
    code = importer.main(["--db", str(db), "--table", "technicians", "--lang", "zh", str(path)])
    assert code == 1
    assert "available_hours='1e309' 不是有限的数字" in capsys.readouterr().out


# ---------------------------------------------------------------- property-based

CELL = st.one_of(
    st.sampled_from(
        ["", "1e309", "-1e309", "inf", "nan", "9.9e18", "1e308", "0001-01-01", "9999-12-31",
         "2026-08", "2026-08-01", "1,234.5", "¥5", "50%", "是", "否", "\"", "=1+1", "\t", "合计"]
    ),
    st.text(alphabet=string.printable + "年月日元¥，。", max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**22), max_value=10**22).map(str),
)  # fmt: skip
HEADERS = TECH.split(",") + ["available_hours", "x", ""]


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(HEADERS), min_size=0, max_size=9))
    if draw(st.booleans()):
        header = TECH.split(",") + header[:2]
    width = max(len(header), 1)
    rows = draw(
        st.lists(st.lists(CELL, min_size=width - 1, max_size=width + 1), min_size=0, max_size=4)
    )
    quote = lambda c: '"' + c.replace('"', '""') + '"' if any(x in c for x in ',"\n\r') else c  # noqa: E731
    lines = [",".join(header)] + [",".join(quote(c) for c in row) for row in rows]
    return ("\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))).encode()


@pytest.mark.slow  # 60 generated files through both paths: the full gate, not the fast loop
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=csv_files(), fast=st.booleans())
def test_generated_files_never_crash_and_refusals_change_nothing(db, monkeypatch, body, fast):
    parsed = read_table_file("gen.csv", body, "technicians")  # the preview never raises
    assert parsed.problems >= 0
    before = FileState(db)
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(importer, "_fast_import", lambda *a, **k: None)
        report = import_files(db, "technicians", [("gen.csv", body)], store="south")
    if not report.committed:
        assert not report.ok
        assert FileState(db) == before
        return
    # What landed is plausible: finite, within the ceilings, and the data version moved.
    con = duckdb.connect(str(db), read_only=True)
    try:
        bad = con.execute(
            "SELECT count(*) FROM technicians WHERE NOT isfinite(available_hours) "
            "OR available_hours > 744 OR clocked_hours > 744 OR training_required > 1000 "
            "OR month < '2000-01'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert bad == 0
