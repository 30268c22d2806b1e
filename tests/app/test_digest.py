"""The digest's content: a hand-made store with literal lines, and the demo on several dates."""

from __future__ import annotations

import re
from datetime import date, timedelta

import duckdb
import pytest

from app import digest
from tests.app import small_store
from tests.helpers import memory_db

BASE = "http://kpi.example"


@pytest.fixture(scope="module")  # a frozen Digest the tests only read: composed once
def small():
    con = memory_db()
    small_store.fill(con)
    yield digest.compose(con, "s1", date(2026, 3, 11), BASE)
    con.close()


def test_every_word_in_both_languages():
    for key, (en, zh) in digest.WORDS.items():
        assert en.strip() and zh.strip(), key
        assert not re.search(r"[\u4e00-\u9fff]", en), key
        # the same placeholders in both
        assert sorted(re.findall(r"{\w+}", en)) == sorted(re.findall(r"{\w+}", zh)), key


def test_small_store_figures(small):
    # Yesterday (10 March): walk-ins v1, v2; call v3; test drive v1; order o1; deliveries o1, o3.
    assert small.yesterday == {"walk_in_batches": 2, "phone_batches": 1, "test_drives": 1,
                               "orders": 1, "deliveries": 2}  # fmt: skip
    m = small.month
    # March 1-10: deliveries o1, o2, o3 = 3 of a target of 31.
    assert (m.deliveries, m.target) == (3, 31.0)
    assert m.achievement == pytest.approx(3 / 31)
    assert m.time_progress == pytest.approx(10 / 31)
    if not m.from_forecast:  # pace: 3 deliveries in 10 days, × 31 days = 9.3 < 31
        assert m.forecast == pytest.approx(9.3)
    assert m.below_target
    # Open leads on 10 March: c2 (A, 10 Mar), c3 (B, 10 Mar), c4 (H, 1 Mar), c5 (A, 2 Mar);
    # c1 bought (o1). Overdue = days since contact − cadence: c4 9 − 2 = 7, c5 8 − 7 = 1.
    assert [(o.consultant, o.leads, o.max_days) for o in small.overdue] == [
        ("张三", 1, 7), ("李四", 1, 1)]  # fmt: skip
    # Follow-up on time: c2 and c3 of 4 open leads = 50 % < critical 80 %.
    assert [(c.kpi_id, c.value, c.line) for c in small.critical] == [
        ("followup_compliance", 0.5, 0.8)]  # fmt: skip
    # VIN…01 arrived 1 Nov 2025: 30 + 31 + 31 + 28 + 9 = 129 days on 10 March.
    assert (small.aged_units, small.aged_cost, small.aged_oldest_days) == (1, 100000.0, 129)
    # r1 open since 1 March: 9 days; r2 closed.
    assert (small.open_ros, small.open_ros_oldest_days) == (1, 9)


def test_small_store_lines_zh(small):
    text = digest.render_text(small, "zh")
    for line in [
        "测试店 · 每日经营简报 · 2026-03-10 数据",
        "昨日  http://kpi.example/sales?store=s1&lang=zh",
        "  - 来店 2 批 · 来电 1 批 · 试驾 1 批 · 订单 1 台 · 交车 2 台",
        "本月至今（2026年3月，截至 3月10日）  http://kpi.example/targets?store=s1&lang=zh",
        "  - 交车 3 台 / 目标 31 台：达成 9.7%，时间进度 32.3%",
        "  - 潜客跟进及时率：50.0%（预警线 80.0%）",
        "  - 张三：1 个，最长逾期 7 天",
        "  - 李四：1 个，最长逾期 1 天",
        "  - 1 台，成本 ¥100,000，最长 129 天",
        "  - 1 张未结，最长 9 天",
    ]:
        assert line in text.splitlines(), line
    if not small.month.from_forecast:
        assert "  - 按当前节奏月底交车：9 台，低于目标 31 台" in text.splitlines()


def test_small_store_lines_en(small):
    lines = digest.render_text(small, "en").splitlines()
    for line in [
        "  - walk-ins 2 · calls 1 · test drives 1 · orders 1 · deliveries 2",
        "  - Deliveries 3 of target 31: 9.7% achieved, 32.3% of the month gone",
        "  - Follow-up on time: 50.0% (critical line 80.0%)",
        "  - 张三: 1 overdue, longest 7 days",
        "  - 1 in stock, ¥100,000 at cost, oldest 129 days",
        "  - 1 open, oldest 9 days",
    ]:
        assert line in lines, line


def test_html_escapes_data_and_links_each_block(small):
    page = digest.render_html(small, "zh")
    # the Overview is the app's default page, at the root (/overview is no page)
    for path in ("sales", "targets", "customers", "inventory", "service", ""):
        assert f'href="http://kpi.example/{path}?store=s1&amp;lang=zh"' in page
    assert "kpi.example/overview" not in page
    evil = digest.Digest(**{**small.__dict__, "store_name": "<script>x</script>"})
    assert "<script>x" not in digest.render_html(evil, "en")
    assert "&lt;script&gt;" in digest.render_html(evil, "en")


def test_markdown_links_and_data_that_cannot_break_it(small):
    md = digest.render_markdown(small, "zh")
    assert md.startswith("### 测试店 · 每日经营简报")
    assert "[查看](http://kpi.example/customers?store=s1&lang=zh)" in md
    # the critical KPI links to the page it comes from
    assert "- [潜客跟进及时率：50.0%（预警线 80.0%）](http://kpi.example/customers?" in md
    odd = digest.Digest(**{**small.__dict__, "store_name": "A*[b](c)"})
    assert "### Ab(c) ·" in digest.render_markdown(odd, "en")


def test_empty_store_says_nothing_is_wrong():
    con = memory_db()
    con.execute("INSERT INTO stores (store) VALUES ('s0')")
    d = digest.compose(con, "s0", date(2026, 3, 1), BASE)
    text = digest.render_text(d, "en")
    con.close()
    # On the 1st the digest closes February (yesterday), with no data at all.
    assert "Month so far (2026-02, to 28 Feb)" in text
    assert "  - walk-ins 0 · calls 0 · test drives 0 · orders 0 · deliveries 0" in text
    assert "  - Deliveries 0; no target set for the month" in text
    assert "  - No follow-up overdue." in text
    assert "  - No unit in stock for 91 days or more." in text
    assert "  - No repair order open." in text


@pytest.mark.slow
@pytest.mark.parametrize("today", [date(2026, 11, 20), date(2026, 11, 1), date(2026, 10, 16)])
def test_demo_digest_agrees_with_the_report(demo_db, today):
    from kpi import sales
    from kpi.scope import Scope

    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        d = digest.compose(con, "sh-pudong", today, BASE)
        day = today - timedelta(days=1)
        counts = sales.summary(con, Scope.for_range(day, day, today=day, store="sh-pudong"))
        month = sales.summary(con, Scope.for_month(day, today=day, store="sh-pudong"))
    finally:
        con.close()
    assert d.yesterday == {k: counts[k] for k in digest.YESTERDAY_IDS}
    assert d.month.deliveries == month["deliveries"]
    assert d.month.target and d.month.forecast is not None
    zh, en = digest.render_markdown(d, "zh"), digest.render_markdown(d, "en")
    assert "上海" in zh and "每日经营简报" in zh and "Daily digest" in en
    assert "**Yesterday**" in en and "**Month so far" in en and "**昨日**" in zh


def test_critical_kpis_judge_a_running_month_like_the_overview():
    from app.digest import critical_kpis

    values = {"close_rate": 0.05, "aged_units_90": 9}  # both past their critical lines
    # day 3: the closing rate of three days is not judged yet; aged stock is
    assert [c.kpi_id for c in critical_kpis(values, {}, 3)] == ["aged_units_90"]
    assert [c.kpi_id for c in critical_kpis(values, {}, 8)] == ["close_rate", "aged_units_90"]
    assert [c.kpi_id for c in critical_kpis(values, {})] == ["close_rate", "aged_units_90"]
