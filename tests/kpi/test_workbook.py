"""Tests for kpi/workbook.py: the monthly management report workbook, read back with openpyxl.

The named dataset (store s1, September 2026, as of 2026-09-30):
- traffic: 10 walk-ins in September, 5 of them first visits, 3 with a test drive; 4 walk-ins in
  August with 1 test drive; 2 walk-ins in September 2025 without one. Consultant "=cmd" received
  the September walk-ins (a name that a spreadsheet would run as a formula).
- orders: two retail deliveries in September (price 100,000, cost 98,000, rebate 3,000, F&I
  2,000, accessories 5,000 revenue / 3,000 cost; both financed, one insured), one in August.
- expenses: September rent 20,000 (fixed). No repair orders, no surveys.
- targets (deliveries, store-wide): July 3, August 3, September 2, October-December 5 each.
"""

import io
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from kpi.cells import escape_cell
from kpi.scope import Scope
from kpi.workbook import FILLS, customers_monthly, target_levels, workbook_bytes
from tests.helpers import insert, memory_db
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]
SCOPE = Scope.for_month("2026-09", today=date(2026, 10, 5), store="s1")
GENERATED = datetime(2026, 10, 5, 8, 30)


def _order(order_id: str, day: date, consultant: str, insurance: bool) -> dict:
    return {"order_id": order_id, "order_date": day, "delivery_date": day,
            "status": "delivered", "customer_id": f"c-{order_id}", "consultant": consultant,
            "model": "Lavida", "sale_type": "retail", "buyer_type": "private",
            "channel": "autohome", "sale_price": 100000.0, "vehicle_cost": 98000.0,
            "rebate": 3000.0, "finance": True, "insurance": insurance, "fi_income": 2000.0,
            "trade_in": False, "accessories_revenue": 5000.0,
            "accessories_cost": 3000.0}  # fmt: skip


def _walk_in(visit_id: str, day: date, first: bool, test_drive: bool, consultant: str) -> dict:
    return {"visit_id": visit_id, "visit_date": day, "kind": "walk_in", "first_visit": first,
            "channel": "autohome", "consultant": consultant, "customer_id": f"c-{visit_id}",
            "test_drive": test_drive}  # fmt: skip


def fill_dataset(con) -> None:
    sep = [_walk_in(f"v{i}", date(2026, 9, 1 + i), i < 5, i < 3, "=cmd") for i in range(10)]
    aug = [_walk_in(f"a{i}", date(2026, 8, 1 + i), True, i < 1, "Li") for i in range(4)]
    ly = [_walk_in(f"y{i}", date(2025, 9, 1 + i), True, False, "Li") for i in range(2)]
    insert(con, "traffic", sep + aug + ly)
    insert(con, "orders", [
        _order("o1", date(2026, 9, 10), "=cmd", insurance=True),
        _order("o2", date(2026, 9, 20), "Li", insurance=False),
        _order("o3", date(2026, 8, 20), "Li", insurance=True),
    ])  # fmt: skip
    insert(con, "expenses", [{"month": "2026-09", "department": "sales", "category": "rent",
                              "amount": 20000.0, "fixed": True}])  # fmt: skip
    months = {"2026-07": 3, "2026-08": 3, "2026-09": 2, "2026-10": 5, "2026-11": 5, "2026-12": 5}
    insert(con, "targets", [{"month": m, "consultant": None, "metric": "deliveries",
                             "target": n} for m, n in months.items()])  # fmt: skip


@pytest.fixture(scope="module")
def book():
    """The English workbook of the dataset, built once for the module's read-only checks."""
    con = memory_db()
    try:
        fill_dataset(con)
        return openpyxl.load_workbook(io.BytesIO(workbook_bytes(con, SCOPE, "en", GENERATED)))
    finally:
        con.close()


def _row_of(ws, kpi_id: str) -> int:
    """Return the row of a KPI in a department sheet (its id is in column H)."""
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=8).value == kpi_id:
            return row
    raise AssertionError(f"{kpi_id} not on sheet {ws.title}")


def _value(ws, kpi_id: str, column: int = 2):
    return ws.cell(row=_row_of(ws, kpi_id), column=column).value


def _fill(ws, kpi_id: str) -> str:
    return ws.cell(row=_row_of(ws, kpi_id), column=2).fill.fgColor.rgb


def _texts(ws) -> list:
    return [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_sheets_and_cover(book):
    assert book.sheetnames == ["Cover", "Sales", "Targets", "Manufacturer", "Inventory",
                               "After-sales", "Marketing", "Customers", "Finance"]  # fmt: skip
    cover = book["Cover"]
    rows = {r[0]: r[1] for r in cover.iter_rows(min_row=1, max_row=8, values_only=True)}
    assert rows["Store"] == "s1"
    assert rows["Period"] == "2026-09"
    assert rows["Figures as of"] == datetime(2026, 9, 30)
    assert rows["Generated"] == datetime(2026, 10, 5, 8, 30)


def test_every_catalogue_kpi_is_listed_on_its_sheet(book):
    from kpi.catalogue import SECTIONS, section_ids

    names = dict(zip(SECTIONS, book.sheetnames[1:], strict=True))
    for section, sheet in names.items():
        rows = [_row_of(book[sheet], kpi_id) for kpi_id in section_ids(section)]
        assert rows == sorted(rows), section  # in the catalogue's order
        assert len(set(rows)) == len(rows), section  # each on its own row


def test_values_previous_month_and_last_year(book):
    sales = book["Sales"]
    assert _value(sales, "walk_in_batches") == 10
    assert _value(sales, "walk_in_batches", 5) == 4  # August
    assert _value(sales, "walk_in_batches", 6) == 2  # September 2025
    assert _value(sales, "test_drive_rate") == pytest.approx(0.3)  # 3 test drives / 10 walk-ins
    assert _value(sales, "test_drive_rate", 5) == pytest.approx(0.25)  # 1 / 4
    assert _value(sales, "test_drive_rate", 6) == 0  # 0 / 2
    assert _value(sales, "close_rate") == pytest.approx(0.4)  # 2 retail orders / 5 first visits
    assert _value(sales, "insurance_penetration") == pytest.approx(0.5)  # 1 insured / 2
    assert _value(sales, "deliveries", 3) == "units"
    finance = book["Finance"]
    assert _value(finance, "vehicle_gross") == 10000  # 2 x (100,000 − 98,000 + 3,000)
    assert _value(finance, "fi_gross") == 4000  # 2 x 2,000
    assert _value(finance, "accessories_gross") == 4000  # 2 x (5,000 − 3,000)
    assert _value(finance, "total_gross") == 18000  # 10,000 + 4,000 + 4,000 + 0 service
    assert _value(finance, "net_profit") == -2000  # 18,000 − 20,000 rent
    assert _value(finance, "service_absorption") == 0  # 0 service gross / 20,000 fixed
    # (20,000 − 0) ÷ 18,000 x 2 deliveries = 2.2222
    assert _value(finance, "break_even_units") == pytest.approx(2.2222222)


def test_targets_column_and_achievement(book):
    sales = book["Sales"]
    assert _value(sales, "deliveries", 4) == 2  # September's deliveries target
    assert _value(sales, "orders", 4) is None  # no orders target
    targets = book["Targets"]
    assert _value(targets, "target_achievement") == 1.0  # 2 deliveries / target 2
    assert _value(targets, "time_progress") == 1.0  # as_of is the month's last day
    assert _value(targets, "traffic_light") == "green"
    assert _value(targets, "traffic_light", 5) == "red"  # August: 1/3 = 0.33 < 0.8 x 1.0
    assert _fill(targets, "target_achievement") == "00" + FILLS["green"]


def test_number_formats(book):
    sales, finance = book["Sales"], book["Finance"]
    assert sales.cell(row=_row_of(sales, "test_drive_rate"), column=2).number_format == "0.0%"
    money = finance.cell(row=_row_of(finance, "net_profit"), column=2).number_format
    assert money == '"¥"#,##0;-"¥"#,##0'
    assert sales.cell(row=_row_of(sales, "walk_in_batches"), column=2).number_format == "#,##0"


def test_fills_follow_the_status(book):
    sales, customers, finance = book["Sales"], book["Customers"], book["Finance"]
    assert _fill(sales, "finance_penetration") == "00" + FILLS["green"]  # 2/2 = 1.0 ≥ 0.40
    assert _fill(sales, "test_drive_rate") == "00" + FILLS["amber"]  # 0.25 ≤ 0.30 < 0.35
    assert _fill(sales, "insurance_penetration") == "00" + FILLS["red"]  # 0.50 < 0.60
    assert _fill(finance, "service_absorption") == "00" + FILLS["red"]  # 0 < 0.40
    assert _fill(customers, "csi_sales") == "00" + FILLS["grey"]  # no survey: no value
    assert _value(customers, "csi_sales") is None
    assert _fill(sales, "fleet_share") == "00000000"  # no thresholds: no fill
    assert _value(sales, "test_drive_rate", 7) == "amber"


def test_consultant_named_like_a_formula_is_escaped(book):
    texts = _texts(book["Sales"])
    assert "'=cmd" in texts
    assert "=cmd" not in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=cmd", "'=cmd"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("王丽", "王丽"), ("a=b", "a=b"), (-2, -2), (None, None)],
)  # fmt: skip
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_labels_in_chinese(con):
    fill_dataset(con)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(con, SCOPE, "zh", GENERATED)))
    assert book.sheetnames == [
        "封面",
        "销售",
        "目标",
        "厂家商务",
        "整车库存",
        "售后",
        "市场",
        "客户",
        "财务",
    ]
    sales = book["销售"]
    assert _value(sales, "walk_in_batches", 1) == "来店批次"
    assert _value(sales, "deliveries", 3) == "台"
    assert _value(sales, "test_drive_rate", 7) == "黄"
    assert sales.cell(row=3, column=5).value == "上月"
    assert "'=cmd" in _texts(sales)
    cover = {r[0]: r[1] for r in book["封面"].iter_rows(values_only=True)}
    assert cover["统计期间"] == "2026-09"


def test_target_levels(con):
    fill_dataset(con)
    frame = target_levels(con, SCOPE, "deliveries")
    assert frame["level"].tolist() == ["year", "quarter", "month"]
    assert frame["period"].tolist() == ["2026", "2026-Q3", "2026-09"]
    # year to 30 Sep: 3 deliveries (Aug 1, Sep 2) against 3 + 3 + 2 + 3 x 5 = 23
    assert frame["actual"].tolist() == [3, 3, 2]
    assert frame["target"].tolist() == [23, 8, 2]
    assert frame["achievement"].tolist() == pytest.approx([3 / 23, 3 / 8, 1.0])
    # expected: the year's target up to 30 Sep (8) ÷ 23; the quarter is over (8/8); month 30/30
    assert frame["expected"].tolist() == pytest.approx([8 / 23, 1.0, 1.0])
    # 0.130 < 0.8 x 0.348 = 0.278: red; 0.375 < 0.8: red; 1.0 ≥ 1.0: green
    assert frame["traffic_light"].tolist() == ["red", "red", "green"]


def test_target_levels_without_targets(con):
    frame = target_levels(con, SCOPE, "orders")
    assert frame["actual"].tolist() == [0, 0, 0]
    assert frame["target"].isna().all() and frame["achievement"].isna().all()
    assert frame["traffic_light"].tolist() == [None, None, None]


def test_empty_database_gives_a_workbook(con):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(con, SCOPE, "en", GENERATED)))
    assert _value(book["Sales"], "walk_in_batches") == 0
    assert _value(book["Sales"], "test_drive_rate") is None


@pytest.mark.slow  # the command in its own process: the full gate
def test_cli_writes_a_readable_workbook(tmp_path):
    db = tmp_path / "store.duckdb"
    with connect(db) as con:
        fill_dataset(con)
    out = tmp_path / "report.xlsx"
    args = ["report", "--db", str(db), "--period", "2026-09", "--store", "s1",
            "--as-of", "2026-10-05", "--format", "xlsx", "--output", str(out),
            "--lang", "zh"]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "封面"
    assert _value(book["销售"], "walk_in_batches") == 10


def test_customers_monthly(con):
    insert(con, "surveys", [
        {"survey_id": "a1", "survey_date": date(2026, 8, 3), "department": "sales",
         "customer_id": "x", "score": 8, "recommend": 10},
        {"survey_id": "s1", "survey_date": date(2026, 9, 3), "department": "service",
         "customer_id": "y", "score": 9, "recommend": 6},
        {"survey_id": "s2", "survey_date": date(2026, 9, 30), "department": "service",
         "customer_id": "z", "score": 7, "recommend": 9},
    ])  # fmt: skip
    frame = customers_monthly(con, SCOPE, months=3)
    assert frame["month"].tolist() == ["2026-07", "2026-08", "2026-09"]
    assert frame["csi_sales"].tolist()[1] == 80  # 8 x 10
    assert frame["csi_service"].tolist()[2] == 80  # (9 + 7) / 2 x 10
    assert frame["nps"].tolist()[1:] == [100, 0]  # Aug: 1 promoter of 1; Sep: 1 − 1 of 2
    assert frame["csi_sales"].isna().tolist() == [True, False, True]
    assert frame["followup_compliance"].isna().all()  # no open leads: no value
