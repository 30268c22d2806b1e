"""The app's pure helpers: CSV escaping, value and delta formatting, month labels."""

from __future__ import annotations

import pandas as pd
import pytest

from ui.download import escape_cell, to_csv
from ui.formatting import kpi_delta, kpi_value, money, month_ranges, month_ticks


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Sylphy", "Sylphy"),
        ("", ""),
        (-5, -5),  # numbers stay numbers
        (None, None),
    ],
)
def test_escape_cell(cell, expected):
    assert escape_cell(cell) == expected


def test_to_csv_escapes_text_cells_and_headers_and_keeps_numbers():
    df = pd.DataFrame({"=车型": ["=HYPERLINK(1)", "朗逸"], "建议订货量": [-1, 3]})
    text = to_csv(df).decode("utf-8-sig")
    assert text.splitlines() == ["'=车型,建议订货量", "'=HYPERLINK(1),-1", "朗逸,3"]
    assert to_csv(df).startswith("\ufeff".encode())  # BOM: Excel reads the Chinese right


@pytest.mark.parametrize(
    ("kpi_id", "value", "lang", "text"),
    [
        ("close_rate", 0.2345, "en", "23.5%"),  # catalogue: rates to one decimal
        ("close_rate", None, "zh", "—"),
        ("stock_units", 1234, "zh", "1,234"),
        ("capital_tied_up", 84_305_000, "zh", "¥8,430.5万"),  # 84,305,000 / 10,000
        ("capital_tied_up", 84_305_000, "en", "¥84.31M"),
        ("capital_tied_up", 1_234_567_890, "zh", "¥12.35亿"),
        ("avg_ro_value", 2346.4, "zh", "¥2,346"),  # under ¥10,000: the catalogue's format
        ("inventory_months", 1.6, "zh", "1.6个月"),
    ],
)
def test_kpi_value(kpi_id, value, lang, text):
    assert kpi_value(kpi_id, value, lang) == text


@pytest.mark.parametrize(
    ("kpi_id", "current", "previous", "lang", "text"),
    [
        ("close_rate", 0.25, 0.20, "en", "+5.0 pt"),  # (0.25 - 0.20) x 100 points
        ("close_rate", 0.20, 0.25, "zh", "-5.0个百分点"),
        ("deliveries", 120, 100, "en", "+20.0%"),  # (120 - 100) / 100
        ("deliveries", 80, 100, "en", "-20.0%"),
        ("deliveries", 5, 0, "en", None),  # no per cent of nothing
        ("deliveries", 5, None, "en", None),
        ("csi_service", 89.1, 89.4, "en", "-0.3"),  # an index changes in points
    ],
)
def test_kpi_delta(kpi_id, current, previous, lang, text):
    assert kpi_delta(kpi_id, current, previous, lang) == text


def test_money_negative_and_small():
    assert money(-1505, "zh", compact=True) == "-¥1,505"
    assert money(-25_000, "en", compact=True) == "-¥25.0K"


def test_month_ticks_put_the_year_on_the_first_month_and_january():
    months = ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert month_ticks(months, "zh") == ["2025年11月", "12月", "2026年1月", "2月"]
    assert month_ticks(months, "en", sep="<br>") == ["Nov<br>2025", "Dec", "Jan<br>2026", "Feb"]


def test_month_ranges_join_consecutive_months():
    months = ["2025-11", "2025-12", "2026-01", "2026-03"]
    assert month_ranges(months, "zh") == "2025年11月–2026年1月、2026年3月"
    assert month_ranges(months, "en") == "Nov 2025–Jan 2026, Mar 2026"


def test_span_label_and_the_running_period_text():
    from datetime import date

    from kpi.scope import Scope
    from ui.formatting import period_text, span_label

    assert span_label(date(2026, 12, 1), date(2026, 12, 7), "zh") == "2026年12月1日–7日"
    assert span_label(date(2026, 12, 1), date(2026, 12, 7), "en") == "1–7 Dec 2026"
    assert span_label(date(2026, 11, 1), date(2026, 11, 7), "zh", year=False) == "11月1日–7日"
    assert span_label(date(2026, 11, 16), date(2026, 12, 15), "en") == "16 Nov – 15 Dec 2026"
    running = Scope.for_month("2026-12", today=date(2026, 12, 7))
    assert period_text(running, "zh") == "2026年12月1日–7日 · 进行中"
    assert period_text(running, "en") == "1–7 Dec 2026 · running"
    complete = Scope.for_month("2026-11", today=date(2026, 12, 7))
    assert period_text(complete, "zh") == "2026年11月"
    assert period_text(Scope.for_month("2026-12", today=date(2026, 12, 1)), "en") == (
        "1 Dec 2026 · running"
    )


@pytest.mark.parametrize("month", ["2026-11", None])
def test_consultant_links_of_a_ranking_are_the_page_links(month):
    from datetime import date
    from types import SimpleNamespace

    from ui.consultant_view import link, with_links

    scope = SimpleNamespace(start=date(2026, 10, 3), end=date(2026, 11, 25))
    ctx = SimpleNamespace(lang="zh", month=month, scope=scope)
    ranking = pd.DataFrame(
        {"consultant": ["张伟", "A&B =1", "x y+z"], "store": ["sh-pudong", "bj 01", ""]}
    )
    pages = with_links(ranking, ctx)["page"].tolist()
    period = {"month": month} if month else {"from": "2026-10-03", "to": "2026-11-25"}
    extra = {"lang": "zh", **period}
    assert pages == [
        link(c, s or None, extra)
        for c, s in zip(ranking["consultant"], ranking["store"], strict=True)
    ]
    # the link itself, spelled out: names and stores are URL-encoded, an empty store is left out
    if month:
        assert pages[1] == "consultant?consultant=A%26B+%3D1&store=bj+01&lang=zh&month=2026-11"
        assert pages[2] == "consultant?consultant=x+y%2Bz&lang=zh&month=2026-11"
