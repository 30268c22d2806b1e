"""Every page through AppTest: on the demo and on empty databases, in both languages."""

from __future__ import annotations

from datetime import date

import pytest

from kpi import inventory, sales, service
from kpi.scope import Scope
from tests.ui.conftest import PAGES
from tests.ui.signin import made_public
from ui.formatting import kpi_value
from ui.i18n import kpi_label
from warehouse.db import connect

pytestmark = pytest.mark.slow


def _no_errors(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo(run_app, app_db, page, lang):
    at = run_app(app_db, page, lang)
    _no_errors(at)
    assert at.title, "every page has a title"
    # Nothing the page asked for is missing from the KPI library.
    assert not [c.value for c in at.caption if "not available" in c.value or "暂不提供" in c.value]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_empty_database_shows_first_run(run_app, empty_db, page, lang):
    at = run_app(empty_db, page, lang)
    _no_errors(at)
    assert at.title[0].value in ("Welcome: no data yet", "欢迎使用：尚无数据")
    assert [c.value for c in at.code][0] == "make run"


def test_missing_file_shows_first_run_and_creates_nothing(run_app, tmp_path):
    missing = tmp_path / "nowhere.duckdb"
    at = run_app(missing, "pages/sales.py", "en")
    _no_errors(at)
    assert "does not exist yet" in at.info[0].value
    assert not missing.exists()  # a read-only app never creates the store


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _library(app_db, module, store=None) -> dict:
    scope = Scope.for_month("2026-11", today=date(2026, 11, 25), store=store)
    with connect(app_db, read_only=True) as con:
        return module.summary(con, scope)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_overview_headline_numbers_equal_the_library(run_app, app_db, lang):
    at = run_app(app_db, "pages/overview.py", lang)
    shown = _metrics(at)
    expected = {
        **{k: v for k, v in _library(app_db, sales).items() if k in ("deliveries", "close_rate")},
        **{k: v for k, v in _library(app_db, inventory).items() if k == "stock_units"},
        **{k: v for k, v in _library(app_db, service).items() if k == "service_revenue"},
    }
    assert len(expected) == 4
    for kpi_id, value in expected.items():
        assert shown[kpi_label(kpi_id, lang)] == kpi_value(kpi_id, value, lang)


def test_store_choice_changes_the_numbers(run_app, app_db):
    at = run_app(app_db, "pages/sales.py", "en")
    store = at.selectbox(key="store").options[1]  # the first store after "All stores"
    at.selectbox(key="store").select_index(1).run()
    _no_errors(at)
    with connect(app_db, read_only=True) as con:
        stores = [r[0] for r in con.execute("SELECT store FROM stores ORDER BY store").fetchall()]
    lib = _library(app_db, sales, store=stores[0])
    assert store  # shown by its display name
    shown = _metrics(at)
    for kpi_id in ("walk_in_batches", "orders", "deliveries", "test_drive_rate"):
        assert shown[kpi_label(kpi_id, "en")] == kpi_value(kpi_id, lib[kpi_id], "en")


def test_inventory_and_service_pages_match_the_library(run_app, app_db):
    for page, module, ids in (
        ("pages/inventory.py", inventory, ("stock_units", "inventory_months", "aged_units_90")),
        ("pages/service.py", service, ("ro_count", "service_gross_margin", "open_ros")),
        ("pages/workshop.py", service, ("tech_productivity", "training_compliance")),
    ):
        at = run_app(app_db, page, "zh")
        lib = _library(app_db, module)
        shown = _metrics(at)
        for kpi_id in ids:
            assert shown[kpi_label(kpi_id, "zh")] == kpi_value(kpi_id, lib[kpi_id], "zh"), kpi_id


def test_custom_range_reruns_without_error(run_app, app_db):
    at = run_app(app_db, "pages/sales.py", "en")
    at.radio(key="period_mode").set_value("range").run()
    _no_errors(at)
    at.date_input(key="range").set_value((date(2026, 10, 16), date(2026, 11, 15))).run()
    _no_errors(at)
    scope = Scope.for_range(date(2026, 10, 16), date(2026, 11, 15), today=date(2026, 11, 25))
    with connect(app_db, read_only=True) as con:
        lib = sales.summary(con, scope)
    assert _metrics(at)["New orders"] == kpi_value("orders", lib["orders"], "en")


def test_order_planning_offers_the_proposal(run_app, app_db):
    at = run_app(app_db, "pages/order_planning.py", "en")
    _no_errors(at)
    assert at.get("download_button"), "the order proposal can be downloaded"
    at.number_input(key="target_months").set_value(2.0).run()
    _no_errors(at)


def test_an_import_shows_new_numbers_without_a_restart(run_app, tmp_path):
    from tests.helpers import insert
    from tests.ui.sample_store import build
    from warehouse.db import bump_data_version

    db = made_public(build(tmp_path / "store.duckdb", stores=("s1",)))  # read as anyone
    at = run_app(db, "pages/sales.py", "en")
    label = kpi_label("deliveries", "en")
    before = int(_metrics(at)[label].replace(",", ""))
    with connect(db) as con:  # what an import does: write rows, bump the data version
        insert(
            con,
            "orders",
            [
                {
                    "order_id": "NEW-1",
                    "order_date": date(2026, 11, 20),
                    "delivery_date": date(2026, 11, 24),
                    "status": "delivered",
                    "customer_id": "c-new",
                    "consultant": "王丽",
                    "model": "Sylphy",
                    "sale_type": "retail",
                    "buyer_type": "private",
                    "channel": "referral",
                    "sale_price": 150000,
                    "vehicle_cost": 140000,
                    "rebate": 0,
                    "finance": False,
                    "insurance": True,
                    "fi_income": 0,
                    "trade_in": False,
                    "accessories_revenue": 0,
                    "accessories_cost": 0,
                }
            ],
        )
        bump_data_version(con)
    at.run()
    assert _metrics(at)[label] == str(before + 1)  # one more delivery on 2026-11-24
