"""`python -m kpi report`: shape of the JSON and CSV documents, as_of, pooling, errors."""

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from kpi.report import flatten, to_csv
from tests.helpers import insert
from warehouse.db import ensure_schema

ROOT = Path(__file__).resolve().parents[2]


def run_report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kpi", "report", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def two_store_db(tmp_path) -> Path:
    """Store a: 3 walk-ins (2 test drives), 1 delivery. Store b: 1 walk-in, 0 test drives."""
    path = tmp_path / "r.duckdb"
    con = duckdb.connect(str(path))
    ensure_schema(con)
    visits = [
        ("a1", date(2026, 9, 1), True),
        ("a2", date(2026, 9, 15), True),
        ("a3", date(2026, 9, 30), False),
    ]
    insert(
        con,
        "traffic",
        [
            {
                "visit_id": v,
                "visit_date": d,
                "kind": "walk_in",
                "first_visit": True,
                "test_drive": td,
                "customer_id": f"c-{v}",
                "consultant": "张伟",
            }
            for v, d, td in visits
        ],
        store="a",
    )
    insert(
        con,
        "traffic",
        [
            {
                "visit_id": "b1",
                "visit_date": date(2026, 9, 2),
                "kind": "walk_in",
                "first_visit": True,
                "test_drive": False,
                "customer_id": "c-b1",
                "consultant": "李娜",
            },
        ],
        store="b",
    )
    insert(
        con,
        "orders",
        [
            {
                "order_id": "o1",
                "order_date": date(2026, 9, 2),
                "delivery_date": date(2026, 9, 20),
                "status": "delivered",
                "customer_id": "c-a1",
                "consultant": "张伟",
                "model": "X",
                "sale_type": "retail",
                "buyer_type": "private",
                "channel": "autohome",
                "sale_price": 200000.0,
                "vehicle_cost": 195000.0,
                "rebate": 3000.0,
                "finance": True,
                "insurance": True,
                "fi_income": 2500.0,
                "trade_in": False,
                "accessories_revenue": 4000.0,
                "accessories_cost": 1500.0,
            },
        ],
        store="a",
    )
    con.close()
    return path


def test_json_report_for_one_store(two_store_db):
    out = run_report(
        "--db", str(two_store_db), "--period", "2026-09", "--store", "a", "--as-of", "2026-10-05"
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    assert doc["as_of"] == "2026-09-30"  # min(period end, --as-of)
    assert doc["store"] == "a"
    k = doc["kpis"]
    assert k["walk_in_batches"] == 3  # a1, a2, a3
    assert k["test_drive_rate"] == pytest.approx(2 / 3)  # 2 test drives / 3 walk-ins
    assert k["deliveries"] == 1
    assert k["front_gross_per_unit"] == pytest.approx(5000.0)  # (200000 - 195000) / 1
    assert k["ro_count"] == 0  # no repair orders: counts are 0 ...
    assert k["avg_ro_value"] is None  # ... and ratios over nothing have no value


def test_all_stores_are_pooled(two_store_db):
    out = run_report("--db", str(two_store_db), "--period", "2026-09", "--as-of", "2026-09-30")
    k = json.loads(out.stdout)["kpis"]
    assert k["walk_in_batches"] == 4  # 3 in a + 1 in b
    assert k["test_drive_rate"] == pytest.approx(0.5)  # (2 + 0) / (3 + 1), pooled


def test_as_of_inside_the_period_cuts_the_month(two_store_db):
    out = run_report(
        "--db", str(two_store_db), "--period", "2026-09", "--store", "a", "--as-of", "2026-09-15"
    )
    doc = json.loads(out.stdout)
    assert doc["as_of"] == "2026-09-15"
    assert doc["kpis"]["time_progress"] == pytest.approx(0.5)  # 15 of 30 days


def test_csv_report_has_one_row_per_kpi(two_store_db):
    out = run_report(
        "--db",
        str(two_store_db),
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-30",
        "--store",
        "a",
        "--as-of",
        "2026-09-30",
        "--format",
        "csv",
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["id", "value"]
    values = dict(rows[1:])
    assert values["walk_in_batches"] == "3"
    assert values["avg_ro_value"] == ""  # no value


def test_flatten_nests_table_kpis_as_dotted_ids():
    kpis = {"a": 1, "channel_walk_ins": {"autohome": 2, "wechat": None}}
    assert flatten(kpis) == [
        ("a", 1),
        ("channel_walk_ins.autohome", 2),
        ("channel_walk_ins.wechat", None),
    ]
    text = to_csv({"kpis": {"x": 0.1 + 0.2}})
    assert text.splitlines()[1] == "x,0.30000000000000004"  # unrounded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "YYYY-MM"),
        (("--start", "2026-09-10"), "--start and --end"),
        (("--start", "2026-09-10", "--end", "2026-09-01"), "before"),
        (("--period", "2026-09", "--start", "2026-09-01", "--end", "2026-09-30"), "not both"),
    ],
)
def test_bad_arguments_are_usage_errors(two_store_db, args, message):
    out = run_report("--db", str(two_store_db), *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_missing_database_is_a_clear_error(tmp_path):
    out = run_report("--db", str(tmp_path / "none.duckdb"), "--period", "2026-09")
    assert out.returncode == 2
    assert "no database" in out.stderr


# Sections whose report path loads no pandas (loading it costs the report process more than
# these sections' queries); a section joins when its module, and every kpi module it imports,
# imports pandas only where it builds a DataFrame.
PANDAS_FREE_SECTIONS = "sales,targets,programs,inventory,service,marketing,finance"

REPORT_MODULES = """
import json, sys
from kpi.__main__ import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(
    m for m in ("pandas", "numpy", "pyarrow", "plotly", "streamlit") if m in sys.modules)}))
"""


def test_report_of_pandas_free_sections_loads_no_pandas(two_store_db, tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", REPORT_MODULES, "report", "--db", str(two_store_db),
         "--period", "2026-09", "--as-of", "2026-09-30", "--sections", PANDAS_FREE_SECTIONS,
         "--output", str(tmp_path / "r.json")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"code": 0, "loaded": []}
    kpis = json.loads((tmp_path / "r.json").read_text())["kpis"]
    assert kpis["walk_in_batches"] == 4  # a1, a2, a3 + b1
    assert kpis["deliveries_by_model"] == {"X": 1}  # o1
    assert kpis["aging_buckets"]["0-30"] == 0  # no vehicles
