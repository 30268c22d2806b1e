"""The Marketing, Customers, Finance and Targets pages through AppTest, on a small named store
and on the demo database, in both languages; saving targets needs a signed-in manager.

The small store "s1" (today 2026-11-25, the sidebar's month November 2026):
- walk-ins: c1 Li A 11-01 (test drive), c2 Li H 11-24, c3 Wang B 11-05, c4 Wang C 11-20 (test
  drive), c5 Li F 11-10 (autohome, 5 in all); c6 Li O 11-12 and c7 Wang A 11-13 at event ev1
  (showroom_event); one anonymous wechat walk-in of Li: 8 walk-ins. Two calls without a level.
- c6 and c7 ordered the day after their visit; delivered 11-15 and 11-22 (price 200,000, cost
  190,000, rebate 5,000, F&I 3,000, accessories 4,000 / 2,000 each). Last year: one delivery in
  March 2025 and three in December 2025.
- open leads: c1, c2, c3, c4 (c5 is lost, c6 and c7 ordered); overdue: c1 (last contact 24 days
  ago, cadence 7: 17 days overdue) and c3 (20 days ago, cadence 14: 6 days overdue).
- one closed RO: revenue 1,000 labour + 2,000 parts, cost 200 + 1,000: service gross 1,800.
- expenses: rent 30,000 (fixed) and advertising 10,000 (variable), accrued to the 25th of the
  running month (25/30 of each).
- campaigns: autohome advertising 5,000; event ev1 2,000 (10 invited, A-lead standard 3),
  accrued to the 25th too.
- surveys: service 9 and 8, sales 10; recommend 10, 9, 5. Complaints: one major still open,
  one closed in 4 days with the customer satisfied.
- two cars in stock at 150,000 each; deliveries target of November: 4.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpi import customers, finance, inventory, marketing, sales
from kpi.scope import Scope
from kpi.workbook import target_levels
from tests.helpers import insert
from tests.ui.signin import made_public
from ui.formatting import kpi_value, money
from ui.i18n import kpi_label, t
from warehouse.auth import User, create_user
from warehouse.db import connect

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["pages/marketing.py", "pages/customers.py", "pages/finance.py", "pages/targets.py"]
NOV = Scope.for_month("2026-11", today=date(2026, 11, 25))


def _walk_in(cid, day, consultant, level, channel="autohome", test_drive=False, event=None):
    return {"visit_id": f"v-{cid}", "visit_date": day, "kind": "walk_in", "first_visit": True,
            "channel": channel, "event_id": event, "consultant": consultant,
            "customer_id": None if cid.startswith("anon") else cid, "lead_level": level,
            "model_interest": "Lavida", "test_drive": test_drive}  # fmt: skip


def _delivered(order_id, cid, ordered, delivered, consultant, channel="showroom_event"):
    return {"order_id": order_id, "order_date": ordered, "delivery_date": delivered,
            "status": "delivered", "customer_id": cid, "consultant": consultant,
            "model": "Lavida", "sale_type": "retail", "buyer_type": "private", "channel": channel,
            "sale_price": 200000.0, "vehicle_cost": 190000.0, "rebate": 5000.0, "finance": True,
            "insurance": True, "fi_income": 3000.0, "trade_in": False,
            "accessories_revenue": 4000.0, "accessories_cost": 2000.0}  # fmt: skip


def build_small(path: Path) -> Path:
    """Write the small named store to `path`."""
    d = date
    with connect(path) as con:
        insert(con, "traffic", [
            _walk_in("c1", d(2026, 11, 1), "Li", "A", test_drive=True),
            _walk_in("c2", d(2026, 11, 24), "Li", "H"),
            _walk_in("c3", d(2026, 11, 5), "Wang", "B"),
            _walk_in("c4", d(2026, 11, 20), "Wang", "C", test_drive=True),
            _walk_in("c5", d(2026, 11, 10), "Li", "F"),
            _walk_in("c6", d(2026, 11, 12), "Li", "O", "showroom_event", event="ev1"),
            _walk_in("c7", d(2026, 11, 13), "Wang", "A", "showroom_event", event="ev1"),
            _walk_in("anon1", d(2026, 11, 14), "Li", None, "wechat"),
            {"visit_id": "p1", "visit_date": d(2026, 11, 3), "kind": "phone", "first_visit": True,
             "channel": "autohome", "consultant": "Wang", "customer_id": "c9",
             "test_drive": False},
            {"visit_id": "p2", "visit_date": d(2026, 11, 4), "kind": "phone", "first_visit": True,
             "channel": "autohome", "consultant": "Li", "customer_id": "c10",
             "test_drive": False},
        ])  # fmt: skip
        insert(con, "orders", [
            _delivered("o1", "c6", d(2026, 11, 13), d(2026, 11, 15), "Li"),
            _delivered("o2", "c7", d(2026, 11, 14), d(2026, 11, 22), "Wang"),
            _delivered("h1", "h1", d(2025, 3, 1), d(2025, 3, 10), "Li", "referral"),
            *[_delivered(f"h{i}", f"h{i}", d(2025, 12, 1), d(2025, 12, 10 + i), "Li", "referral")
              for i in (2, 3, 4)],
        ])  # fmt: skip
        insert(con, "repair_orders", [{
            "ro_id": "r1", "open_date": d(2026, 11, 2), "close_date": d(2026, 11, 3),
            "vin": "VIN1", "customer_id": "s1", "ro_type": "repair", "advisor": "Zhao",
            "technician": "Liu", "labor_hours": 2, "labor_revenue": 1000.0, "labor_cost": 200.0,
            "parts_revenue": 2000.0, "parts_cost": 1000.0, "comeback": False}])  # fmt: skip
        insert(con, "expenses", [
            {"month": "2026-11", "department": "sales", "category": "rent", "amount": 30000.0,
             "fixed": True},
            {"month": "2026-11", "department": "sales", "category": "advertising",
             "amount": 10000.0, "fixed": False},
        ])  # fmt: skip
        insert(con, "campaigns", [
            {"campaign_id": "ad-nov", "month": "2026-11", "kind": "advertising",
             "channel": "autohome", "name": "Autohome listing", "spend": 5000.0},
            {"campaign_id": "ev1", "month": "2026-11", "kind": "showroom_event",
             "channel": "showroom_event", "name": "新车品鉴会", "spend": 2000.0, "invited": 10,
             "target_arrivals": 5, "target_a_leads": 3},
        ])  # fmt: skip
        insert(con, "surveys", [
            {"survey_id": "s1", "survey_date": d(2026, 11, 5), "department": "service",
             "customer_id": "x1", "score": 9, "recommend": 10},
            {"survey_id": "s2", "survey_date": d(2026, 11, 6), "department": "service",
             "customer_id": "x2", "score": 8, "recommend": 9},
            {"survey_id": "s3", "survey_date": d(2026, 11, 7), "department": "sales",
             "customer_id": "c6", "score": 10, "recommend": 5},
        ])  # fmt: skip
        insert(con, "complaints", [
            {"complaint_id": "k1", "opened_date": d(2026, 11, 20), "department": "service",
             "category": "waiting", "major": True},
            {"complaint_id": "k2", "opened_date": d(2026, 11, 1), "closed_date": d(2026, 11, 5),
             "department": "sales", "category": "delivery", "major": False, "satisfied": True},
        ])  # fmt: skip
        insert(con, "vehicles", [
            {"vin": f"STK{i}", "model": "Lavida", "arrival_date": d(2026, 10, 1),
             "cost": 150000.0} for i in (1, 2)
        ])  # fmt: skip
        insert(con, "targets", [{"month": "2026-11", "consultant": None, "metric": "deliveries",
                                 "target": 4}])  # fmt: skip
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory) -> Path:
    # Read as anyone: the store is made public explicitly (stores are private by default).
    return made_public(build_small(tmp_path_factory.mktemp("mgmt") / "small.duckdb"))


@pytest.fixture
def writable_db(tmp_path) -> Path:
    """Return a fresh copy of the small store with a manager, a staff and a viewer account."""
    path = made_public(build_small(tmp_path / "small.duckdb"))
    with connect(path) as con:
        create_user(con, "gm", "password-gm", "manager", "GM Zhang")
        create_user(con, "desk", "password-desk", "staff", "Reception")
    return path


@pytest.fixture
def run_clicks(monkeypatch, tmp_path):
    """Return run(db, page, lang, **state) for tests that click buttons.

    AppTest loses a button's click when the entry file sits next to the pages/ folder (the
    page runs twice, the second time without the click); a copy of dashboard.py in a folder
    of its own, with pages given by absolute path, behaves like the browser.
    """
    monkeypatch.setenv("KPI_TODAY", "2026-11-25")
    entry = tmp_path / "entry" / "dashboard.py"
    entry.parent.mkdir()
    entry.write_text((ROOT / "dashboard.py").read_text(encoding="utf-8"), encoding="utf-8")

    def run(db: Path, page: str, lang: str = "en", **state) -> AppTest:
        monkeypatch.setenv("KPI_DB", str(db))
        at = AppTest.from_file(str(entry), default_timeout=120)
        at.session_state["lang"] = lang
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        at.switch_page(str(ROOT / page))
        at.run()
        return at

    return run


def _no_errors(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _library(db: Path, module, scope: Scope = NOV) -> dict:
    with connect(db, read_only=True) as con:
        return module.summary(con, scope)


def _db(request, which: str) -> Path:
    return request.getfixturevalue("small_db" if which == "small" else "app_db")


# ----------------------------------------------------------------------------- every page


@pytest.mark.parametrize("which", ["small", "demo"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(run_app, request, which, page, lang):
    at = run_app(_db(request, which), page, lang)
    _no_errors(at)
    assert at.title and at.title[0].value == t(f"page.{Path(page).stem}", lang)
    assert not [c.value for c in at.caption if "not available" in c.value or "暂不提供" in c.value]


@pytest.mark.parametrize("which", ["small", "demo"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_finance_headline_numbers_equal_the_library(run_app, request, which, lang):
    db = _db(request, which)
    shown = _metrics(run_app(db, "pages/finance.py", lang))
    lib = _library(db, finance) | _library(db, inventory)
    for kpi_id in ("total_gross", "total_expenses", "net_profit", "service_absorption",
                   "break_even_units", "capital_tied_up", "floorplan_cost"):  # fmt: skip
        assert shown[kpi_label(kpi_id, lang)] == kpi_value(kpi_id, lib[kpi_id], lang), kpi_id


def test_finance_numbers_of_the_small_store(run_app, small_db):
    shown = _metrics(run_app(small_db, "pages/finance.py", "en"))
    # gross: 2 x (200,000 − 190,000 + 5,000) + 2 x 3,000 + 2 x 2,000 + 1,800 service = 41,800
    assert shown["Store gross profit"] == "¥41.8K"
    # November runs (today the 25th): expenses accrue, 40,000 × 25/30 = 33,333.33
    assert shown["Operating profit"] == "¥8,467"  # 41,800 − 33,333.33
    assert shown["Service absorption"] == "7.2%"  # 1,800 / (30,000 × 25/30 fixed)
    assert shown["Capital tied up in stock"] == "¥300.0K"  # 2 x 150,000


@pytest.mark.parametrize("which", ["small", "demo"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_marketing_headline_numbers_equal_the_library(run_app, request, which, lang):
    db = _db(request, which)
    shown = _metrics(run_app(db, "pages/marketing.py", lang))
    spend = _library(db, marketing)["marketing_spend"]
    assert shown[t("mkt.spend", lang)] == money(spend, lang)
    lib = _library(db, sales)
    for kpi_id in ("walk_in_batches", "phone_batches", "orders", "event_traffic_share"):
        assert shown[kpi_label(kpi_id, lang)] == kpi_value(kpi_id, lib[kpi_id], lang), kpi_id


def test_marketing_tables_of_the_small_store(run_app, small_db):
    at = run_app(small_db, "pages/marketing.py", "en")
    # (5,000 autohome + 2,000 event) × 25/30 days of the running month
    assert _metrics(at)["Marketing spend"] == "¥5,833"
    channels = at.dataframe[0].value.set_index("Channel")
    assert channels.loc["Autohome", "Walk-ins"] == 5
    assert channels.loc["Autohome", "Calls"] == 2
    # 5,000 × 25/30 / 5 walk-ins
    assert channels.loc["Autohome", "Cost per showroom visit"] == pytest.approx(833.3333333)
    events = at.dataframe[1].value
    row = events[events["Event"] == "新车品鉴会"].iloc[0]
    assert row["Arrived"] == 2 and row["A-level leads"] == 2  # c6 (O) and c7 (A)
    assert row["Invited arrival rate"] == pytest.approx(20.0)  # 2 / 10, shown in per cent
    assert row["Orders within 30 days"] == 2 and row["Cost per order"] == 1000  # 2,000 / 2


@pytest.mark.parametrize("which", ["small", "demo"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customers_headline_numbers_equal_the_library(run_app, request, which, lang):
    db = _db(request, which)
    shown = _metrics(run_app(db, "pages/customers.py", lang))
    lib = _library(db, customers)
    ids = ("open_leads", "overdue_followups", "followup_compliance", "csi_sales", "csi_service",
           "nps", "complaint_satisfaction", "complaint_close_days")  # fmt: skip
    for kpi_id in ids:
        assert shown[kpi_label(kpi_id, lang)] == kpi_value(kpi_id, lib[kpi_id], lang), kpi_id


def test_customers_overdue_list_filters_by_consultant(run_app, small_db):
    at = run_app(small_db, "pages/customers.py", "en")
    shown = _metrics(at)
    assert (shown["Open leads"], shown["Overdue follow-ups"]) == ("4", "2")  # c1-c4; c1, c3
    assert shown["Service satisfaction index"] == "85.0"  # (9 + 8) / 2 x 10
    assert shown["Net promoter score"] == "33.3"  # 100 x (2 promoters − 1 detractor) / 3
    overdue = at.dataframe[0].value
    assert overdue["Customer"].tolist() == ["c1", "c3"]  # 17 and 6 days overdue
    assert overdue["Days overdue"].tolist() == [17, 6]
    assert [b.label for b in at.get("download_button")] == [
        t("report.download", "en"),
        t("cust.download", "en"),
        t("common.download_csv", "en"),  # the complaints table's escaped CSV
        t("common.download_csv", "en"),  # lead capture by consultant (ui/leads_view.py)
    ]
    at.selectbox(key="cust_consultant").select("Wang").run()
    _no_errors(at)
    assert at.dataframe[0].value["Customer"].tolist() == ["c3"]


def test_a_groups_customers_page_lists_the_most_overdue_and_offers_the_rest(
    run_app, small_db, tmp_path, monkeypatch
):
    # Pooled, the page bounds its chart and list (ui.leads_view): here to 2 consultants and 2
    # leads, so two small stores show what a 700-store group does.
    from ui import data, leads_view

    path = tmp_path / "two.duckdb"
    shutil.copy(small_db, path)
    with connect(path) as con:
        # s2: Zhou's H lead, last seen 11-10: 15 days ago, cadence 2 -> 13 days overdue
        insert(con, "traffic", [_walk_in("z1", date(2026, 11, 10), "Zhou", "H")], store="s2")
    made_public(path)
    monkeypatch.setattr(leads_view, "TOP_CONSULTANTS", 2)
    monkeypatch.setattr(leads_view, "OVERDUE_ROWS", 2)
    at = run_app(path, "pages/customers.py", "en")
    _no_errors(at)
    overdue = at.dataframe[0].value
    assert overdue["Customer"].tolist() == ["c1", "z1"]  # 17 and 13 days of c1, z1, c3
    captions = [c.value for c in at.caption]
    assert t("cust.overdue_note", "en", n=3) in captions
    assert t("cust.overdue_top", "en", n=2, total="3") in captions
    assert t("cust.leads_top", "en", n=2, total="3") in captions  # Li, Wang (s1), Zhou (s2)
    # The download writes the whole list when clicked, outside the page's run.
    monkeypatch.setattr(data, "current", lambda: data.Source(str(path), "ok"))
    columns = [("customer_id", "cust.customer", "text"), ("store", "sidebar.store", "text"),
               ("days_overdue", "cust.days_overdue", "int")]  # fmt: skip
    headers = {col: t(label, "en") for col, label, _ in columns}
    written = leads_view.overdue_file(NOV, headers)().decode("utf-8-sig").splitlines()
    assert written == ["Customer,Store,Days overdue", "c1,s1,17", "z1,s2,13", "c3,s1,6"]


def test_customers_signed_in_consultant_sees_their_own_list_first(run_app, small_db):
    li = User("li", "Li", "staff")
    with connect(small_db) as con:  # a real account: every rerun re-reads the signed-in one
        if not con.execute("SELECT 1 FROM users WHERE username = 'li'").fetchone():
            create_user(con, "li", "password-li", "staff", "Li")
    at = run_app(small_db, "pages/customers.py", "en", _auth_user=li)
    assert at.selectbox(key="cust_consultant").value == "Li"
    assert at.dataframe[0].value["Customer"].tolist() == ["c1"]


def test_major_complaints_are_listed(run_app, small_db):
    at = run_app(small_db, "pages/customers.py", "zh")
    complaints = at.dataframe[-1].value
    assert complaints["投诉编号"].tolist() == ["k1", "k2"]  # the open one first
    assert complaints["重大投诉"].tolist() == ["是", "否"]
    assert complaints["状态"].tolist() == ["处理中", "已结案"]


# ----------------------------------------------------------------------------- targets


@pytest.mark.parametrize("which", ["small", "demo"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_targets_levels_equal_the_library(run_app, request, which, lang):
    db = _db(request, which)
    at = run_app(db, "pages/targets.py", lang)
    _no_errors(at)
    shown = at.dataframe[0].value
    with connect(db, read_only=True) as con:
        lib = target_levels(con, NOV, "deliveries")
    assert shown[t("tgt.actual", lang)].tolist() == lib["actual"].tolist()
    assert shown[t("tgt.target", lang)].tolist() == lib["target"].tolist()
    assert shown[t("tgt.status", lang)].tolist() == [
        t(f"status.{x or 'grey'}", lang) for x in lib["traffic_light"]
    ]


def test_targets_month_of_the_small_store(run_app, small_db):
    at = run_app(small_db, "pages/targets.py", "en")
    levels = at.dataframe[0].value.set_index("Level")
    assert levels.loc["Month", "Actual"] == 2 and levels.loc["Month", "Target"] == 4
    assert levels.loc["Month", "Achievement"] == pytest.approx(50.0)  # 2 / 4, in per cent
    # 25 of 30 days gone: expected 83.3%; 50% < 0.8 x 83.3% = 66.7%: critical
    assert levels.loc["Month", "Status"] == "Critical"


def _rows(db: Path) -> list[tuple]:
    with connect(db, read_only=True) as con:
        return con.execute(
            "SELECT month, consultant, target FROM targets WHERE metric = 'deliveries' "
            "ORDER BY month, consultant NULLS FIRST"
        ).fetchall()


@pytest.mark.parametrize("user", [None, User("desk", "Reception", "staff")])
def test_targets_are_read_only_without_a_manager(run_app, writable_db, user):
    state = {"_auth_user": user} if user else {}
    at = run_app(writable_db, "pages/targets.py", "en", **state)
    _no_errors(at)
    labels = [b.label for b in at.button]
    assert t("tgt.save", "en") not in labels and t("tgt.split", "en") not in labels
    assert any(i.value == t("tgt.read_only", "en") for i in at.info)
    assert _rows(writable_db) == [("2026-11", None, 4.0)]


def test_a_manager_splits_and_saves_the_annual_target(run_clicks, writable_db):
    manager = User("gm", "GM Zhang", "manager")
    at = run_clicks(writable_db, "pages/targets.py", "en", _auth_user=manager)
    _no_errors(at)
    at.number_input(key="tgt_annual_s1|2026|deliveries").set_value(120).run()
    next(b for b in at.button if b.label == t("tgt.split", "en")).click().run()
    _no_errors(at)
    assert _rows(writable_db) == [("2026-11", None, 4.0)]  # a proposal is not saved yet
    at.button(key="tgt_save").click().run()
    _no_errors(at)
    assert at.success[0].value == "Saved: 35 added, 1 changed, 0 removed."
    rows = {(m, c): v for m, c, v in _rows(writable_db)}
    assert len(rows) == 36  # 12 months x (store + Li + Wang)
    # last year: 1 delivery in March, 3 in December: 120 x 1/4 = 30 and 120 x 3/4 = 90
    assert rows[("2026-03", None)] == 30 and rows[("2026-12", None)] == 90
    assert rows[("2026-03", "Li")] == 15 and rows[("2026-03", "Wang")] == 15
    assert rows[("2026-12", "Li")] == 45 and rows[("2026-12", "Wang")] == 45
    assert rows[("2026-11", None)] == 0  # no history in November: 0 (it was 4)
    assert sum(v for (m, c), v in rows.items() if c is None) == 120


def test_a_demoted_manager_cannot_save(run_app, writable_db):
    # the session still holds a manager, but the account is now staff: the page re-reads it
    at = run_app(writable_db, "pages/targets.py", "en", _auth_user=User("desk", "R", "manager"))
    assert t("tgt.save", "en") not in [b.label for b in at.button]
