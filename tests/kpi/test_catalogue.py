"""Tests for kpi/catalogue.py against the KPI catalogue (docs/spec/KPI-CATALOGUE.md)."""

from __future__ import annotations

import ast
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kpi import catalogue
from kpi.catalogue import (
    CATALOGUE,
    DEFAULT_CADENCE,
    SECTIONS,
    UNITS,
    cadence_for,
    format_value,
    get,
    markdown_table,
    section_ids,
    status,
    thresholds_for,
    traffic_light,
)

ROOT = Path(__file__).resolve().parents[2]
# The shared spec, copied into the repository so a clone alone passes (docs/spec/README.md).
SPEC = ROOT / "docs" / "spec" / "KPI-CATALOGUE.md"

# The markdown's unit column -> the UNITS code a KPI with that unit must use.
UNIT_CODES = {
    "batches": "batches",
    "calls": "calls",
    "batches/day": "batches_per_day",
    "%": "rate",
    "units": "units",
    "CNY/unit": "cny_per_unit",
    "CNY": "cny",
    "units/month": "units_per_month",
    "months": "months",
    "ratio": "ratio",
    "days": "days",
    "ROs": "ros",
    "CNY/RO": "cny_per_ro",
    "CNY/hour": "cny_per_hour",
    "turns/yr": "turns_per_year",
    "leads": "leads",
    "customers": "customers",
    "0–100": "index_100",
    "−100–100": "nps",
    "green/amber/red": "status",
}
ARROWS = {"↑": "up", "↓": "down", "—": None}
SPLIT_KPIS = ["csi_sales", "csi_service"]  # the report's per-department csi, not rows of the md


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def _parse_spec() -> tuple[list[dict], dict[str, tuple[float, float]]]:
    """Return the KPI rows (with their section heading) and the thresholds table of the md."""
    if not SPEC.exists():
        pytest.fail(f"the KPI catalogue is missing: expected {SPEC} (copy of the shared spec)")
    rows: list[dict] = []
    thresholds: dict[str, tuple[float, float]] = {}
    heading, header = "", []
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip(), []
            continue
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if cells[0] == "id":
            header = cells
        elif set(cells[0]) <= set("-: "):
            continue
        elif heading.startswith("Default thresholds"):
            thresholds[cells[0]] = (float(cells[1]), float(cells[2]))
        else:
            row = dict(zip(header, cells, strict=True))
            # One row may define several ids ("a, b": the forecast's low and high ends).
            for kpi_id in row["id"].split(", "):
                rows.append({"heading": heading, **row, "id": kpi_id})
    return rows, thresholds


@pytest.fixture(scope="module")
def spec() -> tuple[list[dict], dict[str, tuple[float, float]]]:
    return _parse_spec()


@pytest.fixture(scope="module")
def spec_rows(spec) -> list[dict]:
    return spec[0]


# ---- the catalogue matches the markdown ---------------------------------------------------


def test_spec_parses_into_every_section(spec_rows):
    # 26 sales + 7 targets (the forecast range row names two ids) + 6 programmes
    # + 11 inventory + 19 after-sales + 6 marketing + 12 customers + 8 finance = 95 KPIs.
    assert len(spec_rows) == 95
    assert len({r["heading"] for r in spec_rows}) == 8


def test_every_markdown_kpi_is_in_the_catalogue_in_order(spec_rows):
    expected = []
    for r in spec_rows:
        expected.append(r["id"])
        if r["id"] == "csi":
            expected += SPLIT_KPIS
    assert list(CATALOGUE) == expected
    assert len(CATALOGUE) == 97  # 95 + csi_sales and csi_service


def test_sections_match_markdown_headings(spec_rows):
    for r in spec_rows:
        en, zh = SECTIONS[get(r["id"]).section]
        assert r["heading"] == f"{en} ({zh})", r["id"]
    assert list(SECTIONS) == [
        "sales", "targets", "programs", "inventory", "service", "marketing", "customers",
        "finance",
    ]  # fmt: skip
    assert SECTIONS["sales"] == ("Sales and showroom", "销售")


def test_labels_equal_the_markdown(spec_rows):
    for r in spec_rows:
        kpi = get(r["id"])
        assert (kpi.label_en, kpi.label_zh) == (r["label"], r["zh"]), r["id"]
        assert kpi.label("en") == r["label"]
        assert kpi.label("zh") == r["zh"]


def test_units_follow_the_markdown(spec_rows):
    for r in spec_rows:
        kpi = get(r["id"])
        assert kpi.unit == UNIT_CODES[r["unit"]], r["id"]
        assert UNITS[kpi.unit][0] == r["unit"]


def test_directions_follow_the_markdown(spec_rows):
    for r in (r for r in spec_rows if "dir" in r):
        assert get(r["id"]).direction == ARROWS[r["dir"]], r["id"]


@pytest.mark.parametrize(
    ("kpi_id", "direction"),
    [
        # Targets and Marketing have no dir column in the markdown: chosen here.
        ("time_progress", None),
        ("target_achievement", "up"),
        ("pace", "up"),
        ("traffic_light", None),
        ("channel_walk_ins", "up"),
        ("cost_per_walk_in", "down"),
        ("cost_per_order", "down"),
        ("event_arrival_rate", "up"),
        ("event_a_leads", "up"),
        ("event_orders", "up"),
        ("csi_sales", "up"),
        ("csi_service", "up"),
        ("deliveries_forecast", "up"),
        ("deliveries_forecast_low", None),
        ("deliveries_forecast_high", None),
        ("wholesale_units", "up"),
        ("program_achievement", "up"),
        ("rebate_earned", "up"),
        ("rebate_next_tier_units", None),
        ("rebate_next_tier_gain", None),
        ("rebate_projected", "up"),
    ],
)
def test_directions_chosen_where_the_markdown_has_none(kpi_id, direction):
    assert get(kpi_id).direction == direction


def test_formulas_equal_the_markdown(spec_rows):
    for r in spec_rows:
        assert get(r["id"]).formula_en == r["formula"], r["id"]
        assert get(r["id"]).formula("en") == r["formula"]


def test_chinese_formulas_keep_every_identifier_and_number():
    """A faithful translation keeps the column/KPI names and the numbers of the English one."""
    for kpi in CATALOGUE.values():
        zh = kpi.formula("zh")
        if re.search(r"[a-z]+ [a-z]+", kpi.formula_en):  # prose, not only an expression
            assert re.search(r"[\u4e00-\u9fff]", zh), kpi.id
        for token in re.findall(r"[a-z0-9]+(?:_[a-z0-9]+)+", kpi.formula_en):
            assert token in zh, (kpi.id, token)
        for number in re.findall(r"\d+(?:\.\d+)?", kpi.formula_en):
            assert number in zh, (kpi.id, number)


def test_split_csi_kpis():
    sales, service = get("csi_sales"), get("csi_service")
    assert (sales.label_en, sales.label_zh) == ("Sales satisfaction index", "销售满意度")
    assert (service.label_en, service.label_zh) == ("Service satisfaction index", "售后满意度")
    for kpi in (sales, service):
        assert (kpi.section, kpi.unit, kpi.kind) == ("customers", "index_100", "scalar")
    assert "department sales" in sales.formula_en
    assert "department service" in service.formula_en
    assert get("csi").kind == "table"


@pytest.mark.parametrize(
    "kpi_id",
    ["channel_walk_ins", "cost_per_walk_in", "cost_per_order", "event_arrival_rate",
     "event_a_leads", "event_orders", "order_gap", "csi", "program_achievement",
     "rebate_earned", "rebate_next_tier_units", "rebate_next_tier_gain", "rebate_projected",
     "lost_reasons"],
)  # fmt: skip
def test_table_kpis(kpi_id):
    assert get(kpi_id).kind == "table"


def test_every_other_kpi_is_scalar():
    tables = {"channel_walk_ins", "cost_per_walk_in", "cost_per_order", "event_arrival_rate",
              "event_a_leads", "event_orders", "order_gap", "csi", "program_achievement",
              "rebate_earned", "rebate_next_tier_units", "rebate_next_tier_gain",
              "rebate_projected", "lost_reasons"}  # fmt: skip
    assert {k.id for k in CATALOGUE.values() if k.kind == "table"} == tables


def test_every_kpi_is_well_formed():
    for kpi in CATALOGUE.values():
        assert kpi.section in SECTIONS and kpi.unit in UNITS
        assert kpi.direction in ("up", "down", None)
        assert kpi.formula_en and kpi.formula_zh and kpi.label_en and kpi.label_zh
        assert bool(kpi.help_en) == bool(kpi.help_zh), kpi.id
    rates = {k.id for k in CATALOGUE.values() if k.label_zh.endswith("率")}
    assert {k for k in rates if get(k).unit != "rate"} == {"parts_turnover"}  # turns a year


def test_help_mentions_industry_alternatives():
    assert "cohort_close_rate" in get("close_rate").help_en
    assert "close_rate" in get("cohort_close_rate").help("en")
    assert "1.5" in get("inventory_coefficient").help_en
    assert "Association" in get("inventory_coefficient").help_en
    assert "中国汽车流通协会" in get("inventory_coefficient").help("zh")
    assert "Internal repair orders are excluded." in get("service_revenue").help_en


def test_get_and_section_ids():
    assert get("deliveries").label_zh == "交车台次"
    with pytest.raises(KeyError, match="unknown KPI id 'nope'"):
        get("nope")
    assert section_ids("targets") == ["time_progress", "target_achievement", "pace",
                                      "traffic_light", "deliveries_forecast",
                                      "deliveries_forecast_low",
                                      "deliveries_forecast_high"]  # fmt: skip
    assert section_ids("customers")[4:7] == ["csi", "csi_sales", "csi_service"]
    assert sum(len(section_ids(s)) for s in SECTIONS) == len(CATALOGUE)
    with pytest.raises(KeyError, match="unknown section"):
        section_ids("sale")


def test_kpi_is_frozen_and_validated():
    with pytest.raises(AttributeError):
        get("orders").label_en = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="unknown unit"):
        catalogue.KPI("x", "sales", "X", "叉", "furlongs", None, "f", "公式")
    with pytest.raises(ValueError, match="thresholds need a direction"):
        catalogue.KPI("x", "sales", "X", "叉", "rate", None, "f", "公式", warning=0.1)


# ---- thresholds -----------------------------------------------------------------------------


def test_thresholds_equal_the_markdown(spec):
    _, table = spec
    expected: dict[str, tuple[float, float]] = {}
    for key, pair in table.items():
        if key == "csi (each department)":
            expected.update({"csi": pair, "csi_sales": pair, "csi_service": pair})
        else:
            expected[key] = pair
    assert len(expected) == 24  # 22 rows, csi's applies to 3 ids
    for kpi in CATALOGUE.values():
        assert thresholds_for(kpi.id) == expected.get(kpi.id, (None, None)), kpi.id
        assert (kpi.warning, kpi.critical) == expected.get(kpi.id, (None, None))


def test_threshold_lines_lie_on_the_bad_side_of_warning():
    for kpi in CATALOGUE.values():
        if kpi.warning is None:
            continue
        assert kpi.direction is not None
        if kpi.direction == "up":
            assert kpi.critical < kpi.warning, kpi.id
        else:
            assert kpi.critical > kpi.warning, kpi.id


def test_threshold_overrides():
    overrides = {"inventory_months": {"warning": 1.8, "critical": 3}}
    assert thresholds_for("inventory_months", overrides) == (1.8, 3.0)
    # A partial override keeps the other default.
    assert thresholds_for("inventory_months", {"inventory_months": {"warning": 2}}) == (2.0, 2.5)
    # null removes a line; text numbers are read; junk is ignored.
    assert thresholds_for("close_rate", {"close_rate": {"warning": None}}) == (None, 0.12)
    assert thresholds_for("close_rate", {"close_rate": {"warning": "0.3"}}) == (0.3, 0.12)
    assert thresholds_for("close_rate", {"close_rate": {"warning": "lots"}}) == (0.20, 0.12)
    assert thresholds_for("close_rate", {"close_rate": {"critical": True}}) == (0.20, 0.12)
    assert thresholds_for("close_rate", {"close_rate": 0.3}) == (0.20, 0.12)
    # Other KPIs' overrides do not leak; None and {} mean defaults.
    assert thresholds_for("test_drive_rate", overrides) == (0.35, 0.25)
    assert thresholds_for("test_drive_rate", None) == (0.35, 0.25)
    assert thresholds_for("test_drive_rate", {}) == (0.35, 0.25)
    # A KPI without defaults can get lines from the store.
    assert thresholds_for("days_supply", {"days_supply": {"warning": 45}}) == (45.0, None)


def test_csi_family_override_then_department_override():
    overrides = {"csi": {"warning": 90, "critical": 82}, "csi_service": {"critical": 75}}
    assert thresholds_for("csi", overrides) == (90.0, 82.0)
    assert thresholds_for("csi_sales", overrides) == (90.0, 82.0)
    assert thresholds_for("csi_service", overrides) == (90.0, 75.0)


@pytest.mark.parametrize(
    ("kpi_id", "value", "expected"),
    [
        # up KPI test_drive_rate: warning 0.35, critical 0.25, both strict.
        ("test_drive_rate", 0.35, "green"),  # exactly at warning: not past it
        ("test_drive_rate", 0.3499, "amber"),
        ("test_drive_rate", 0.40, "green"),
        ("test_drive_rate", 0.25, "amber"),  # exactly at critical
        ("test_drive_rate", 0.2499, "red"),
        ("test_drive_rate", 0.0, "red"),
        # 1 - 1/20 = 0.95 is exactly first_time_fix_rate's warning line, even with float noise.
        ("first_time_fix_rate", 1 - 1 / 20, "green"),
        ("first_time_fix_rate", 0.9 + 1e-15, "amber"),  # float noise on the critical line
        ("first_time_fix_rate", 0.899, "red"),
        # down KPI inventory_months: warning 1.5, critical 2.5.
        ("inventory_months", 1.5, "green"),
        ("inventory_months", 1.5001, "amber"),
        ("inventory_months", 2.5, "amber"),
        ("inventory_months", 2.5001, "red"),
        ("inventory_months", 0.0, "green"),
        # aged_units_90: warning 1, critical 5 -> 1 aged unit green, 2 amber, 5 amber, 6 red.
        ("aged_units_90", 0, "green"),
        ("aged_units_90", 1, "green"),
        ("aged_units_90", 2, "amber"),
        ("aged_units_90", 5, "amber"),
        ("aged_units_90", 6, "red"),
        ("csi_sales", 85, "green"),
        ("csi_sales", 84.9, "amber"),
        ("csi_service", 79.9, "red"),
        ("csi", 80, "amber"),
        ("open_ros", 30, "green"),
        ("open_ros", 31, "amber"),
        ("open_ros", 51, "red"),
        # No value -> grey, whether the KPI has thresholds or not.
        ("close_rate", None, "grey"),
        ("close_rate", float("nan"), "grey"),
        ("stock_units", None, "grey"),
        # No thresholds (with or without a direction) -> neutral.
        ("deliveries", 0, "neutral"),
        ("stock_units", 120, "neutral"),
        ("fleet_share", 0.9, "neutral"),
    ],
)
def test_status(kpi_id, value, expected):
    assert status(kpi_id, value) == expected


def test_status_with_overrides():
    overrides = {"inventory_months": {"warning": 1.8, "critical": 3}}
    assert status("inventory_months", 1.7) == "amber"
    assert status("inventory_months", 1.7, overrides) == "green"
    assert status("inventory_months", 1.8, overrides) == "green"
    assert status("inventory_months", 2.9, overrides) == "amber"
    assert status("inventory_months", 3.1, overrides) == "red"
    # Zero tolerance for aged stock, as the help text suggests.
    assert status("aged_units_90", 1, {"aged_units_90": {"warning": 0}}) == "amber"
    # Both lines removed -> neutral; a line added to a KPI without defaults -> coloured.
    none = {"close_rate": {"warning": None, "critical": None}}
    assert status("close_rate", 0.01, none) == "neutral"
    assert status("days_supply", 50, {"days_supply": {"warning": 45}}) == "amber"
    assert status("days_supply", 50) == "neutral"


def test_status_of_pandas_na_is_grey():
    pd = pytest.importorskip("pandas")
    assert status("close_rate", pd.NA) == "grey"


@pytest.mark.parametrize(
    ("achievement", "time_progress", "expected"),
    [
        (0.5, 0.5, "green"),  # equal to time progress
        (0.6, 0.5, "green"),
        (0.4, 0.5, "amber"),  # exactly 0.8 x 0.5
        (0.24, 0.3, "amber"),  # 0.8 x 0.3 is 0.24000000000000002 in floats: still amber
        (0.3999, 0.5, "red"),
        (0.0, 0.5, "red"),
        (1 / 3, 10 / 30, "green"),  # day 10 of 30 against a third of the target
        (None, 0.5, "grey"),
        (0.5, None, "grey"),
        (None, None, "grey"),
        (float("nan"), 0.5, "grey"),
    ],
)
def test_traffic_light(achievement, time_progress, expected):
    assert traffic_light(achievement, time_progress) == expected


# ---- cadence --------------------------------------------------------------------------------


def test_cadence():
    assert DEFAULT_CADENCE == {"O": 7, "H": 2, "A": 7, "B": 14, "C": 30}
    assert cadence_for(None) == {"O": 7, "H": 2, "A": 7, "B": 14, "C": 30}
    assert cadence_for({"H": 3, "c": 21}) == {"O": 7, "H": 3, "A": 7, "B": 14, "C": 21}
    # Unknown levels, negative, fractional, boolean and text values are ignored.
    junk = {"F": 5, "A": -1, "B": 2.5, "O": True, "C": "ten", "H": 4.0}
    assert cadence_for(junk) == {"O": 7, "H": 4, "A": 7, "B": 14, "C": 30}
    cadence_for({"H": 1})
    assert DEFAULT_CADENCE["H"] == 2  # the default is never mutated


# ---- formatting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi_id", "value", "en", "zh"),
    [
        ("close_rate", 0.123, "12.3%", "12.3%"),
        ("close_rate", 0.1235, "12.4%", "12.4%"),  # half up: 12.35 -> 12.4
        ("close_rate", 1, "100.0%", "100.0%"),
        ("close_rate", -0.00001, "0.0%", "0.0%"),  # no '-0.0%'
        ("service_gross_margin", -0.05, "-5.0%", "-5.0%"),
        ("service_revenue", 12345.4, "¥12,345", "¥12,345"),
        ("service_revenue", 1234567.5, "¥1,234,568", "¥1,234,568"),
        ("service_revenue", 1000, "¥1,000", "¥1,000"),
        ("service_revenue", 999.5, "¥999.50", "¥999.50"),
        ("avg_ro_value", 0, "¥0.00", "¥0.00"),
        ("front_gross_per_unit", -3500, "-¥3,500", "-¥3,500"),
        ("effective_labor_rate", 85.125, "¥85.13", "¥85.13"),
        ("orders", 1234, "1,234", "1,234"),
        ("orders", 12.0, "12", "12"),
        ("walk_in_batches", 0, "0", "0"),
        ("units_per_consultant", 7.5, "7.5", "7.5"),  # an average of counts keeps a decimal
        ("avg_days_in_stock", 45.25, "45.3 days", "45.3天"),
        ("complaint_close_days", 3, "3.0 days", "3.0天"),
        ("inventory_months", 1.84, "1.8 months", "1.8个月"),
        ("parts_turnover", 4.25, "4.3 turns/yr", "4.3次/年"),
        ("inventory_coefficient", 1.5, "1.50", "1.50"),
        ("csi_sales", 86.66, "86.7", "86.7"),
        ("nps", -33.333, "-33.3", "-33.3"),
        ("daily_walk_ins", 12.34, "12.3", "12.3"),
        ("traffic_light", "green", "green", "绿"),
        ("traffic_light", "amber", "amber", "黄"),
        ("traffic_light", "red", "red", "红"),
        ("traffic_light", "grey", "—", "—"),
        ("close_rate", None, "—", "—"),
        ("service_revenue", float("nan"), "—", "—"),
        ("orders", float("inf"), "—", "—"),
    ],
)
def test_format_value(kpi_id, value, en, zh):
    assert format_value(kpi_id, value) == en
    assert format_value(kpi_id, value, "en") == en
    assert format_value(kpi_id, value, "zh") == zh


def test_format_value_numpy_and_pandas():
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    assert format_value("orders", np.int64(2048)) == "2,048"
    assert format_value("close_rate", np.float64(0.5)) == "50.0%"
    assert format_value("close_rate", np.nan) == "—"
    assert format_value("close_rate", pd.NA) == "—"


def test_format_value_unknown_id():
    with pytest.raises(KeyError, match="unknown KPI id"):
        format_value("nope", 1)


# ---- docs and purity ------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "name"), [("en", "KPIS.md"), ("zh", "KPIS.zh.md")])
def test_committed_docs_match_the_catalogue(lang, name):
    path = ROOT / "docs" / name
    assert path.exists(), f"{path} missing: run `python scripts/write_kpi_docs.py`"
    assert path.read_text(encoding="utf-8") == markdown_table(lang), (
        f"{path} is out of date: run `python scripts/write_kpi_docs.py`"
    )


def test_markdown_table_lists_every_kpi_once():
    for lang in ("en", "zh"):
        text = markdown_table(lang)
        rows = [line for line in text.splitlines() if line.startswith("| `")]
        assert [_cells(r)[0].strip("`") for r in rows] == list(CATALOGUE)
        assert all(len(_cells(r)) == 9 for r in rows)
    assert "| `close_rate` | Showroom closing rate | % | ↑ |" in markdown_table("en")
    assert "| `close_rate` | 展厅成交率 | % | ↑ |" in markdown_table("zh")
    assert "## Vehicle inventory (整车库存)" in markdown_table("en")
    assert "## 整车库存 (Vehicle inventory)" in markdown_table("zh")


def test_catalogue_module_is_pure():
    source = Path(catalogue.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            assert name not in {"open", "read_text", "write_text", "read_bytes", "write_bytes"}
    assert not imported & {"streamlit", "pathlib", "io", "os", "shutil", "tempfile", "urllib"}
    code = "import sys, kpi.catalogue; print('streamlit' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_no_nan_leaks_into_thresholds():
    for kpi in CATALOGUE.values():
        for line in (kpi.warning, kpi.critical):
            assert line is None or math.isfinite(line)
