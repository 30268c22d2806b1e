"""Tests for kpi.sales.consultant_ranking: the supervisor's monthly ranking (issue 17)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kpi import sales
from kpi.scope import Scope
from tests.helpers import insert
from tests.kpi.test_sales import call, delivered, walk

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 20))


def test_ranks_each_store_month_by_deliveries_then_gross(con):
    """August at s1: Li delivers 2, Wang 1, Zhao only a first walk-in; Li takes a call.
    September at s1: Li and Wang deliver 1 each, Wang's with ¥10,000 gross, Li's with 0, so
    Wang ranks first on gross; Zhao has nothing and is not ranked. September at s2: Ma alone.
    """
    insert(con, "traffic", [
        walk("v1", date(2026, 8, 5), consultant="Zhao", first_visit=True),
        call("p1", date(2026, 8, 6), consultant="Li"),
    ])  # fmt: skip
    insert(con, "orders", [
        delivered("a1", date(2026, 8, 3), date(2026, 8, 10), consultant="Li"),
        delivered("a2", date(2026, 8, 3), date(2026, 8, 12), consultant="Li"),
        delivered("a3", date(2026, 8, 4), date(2026, 8, 14), consultant="Wang"),
        delivered("s1", date(2026, 9, 2), date(2026, 9, 9), consultant="Wang",
                  sale_price=210000.0),
        delivered("s2", date(2026, 9, 3), date(2026, 9, 10), consultant="Li"),
    ])  # fmt: skip
    insert(con, "orders", [delivered("m1", date(2026, 9, 1), date(2026, 9, 5), consultant="Ma")],
           store="s2")  # fmt: skip

    got = sales.consultant_ranking(con, SEPT, months=2)

    keys = ["month", "store", "consultant", "deliveries", "phone_batches", "rank",
            "consultants", "last"]  # fmt: skip
    expected = pd.DataFrame(
        [
            ("2026-08", "s1", "Li", 2, 1, 1, 3, False),
            ("2026-08", "s1", "Wang", 1, 0, 2, 3, False),
            ("2026-08", "s1", "Zhao", 0, 0, 3, 3, True),  # last of three
            ("2026-09", "s1", "Wang", 1, 0, 1, 2, False),  # ¥10,000 gross beats ¥0
            ("2026-09", "s1", "Li", 1, 0, 2, 2, True),
            ("2026-09", "s2", "Ma", 1, 0, 1, 1, False),  # alone: no last place
        ],
        columns=keys,
    )
    actual = got[keys].sort_values(["month", "store", "rank"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)
    # Store averages per consultant: August s1 deliveries (2 + 1 + 0) / 3 = 1.0, walk-ins
    # (0 + 0 + 1) / 3, calls (1 + 0 + 0) / 3; September s1 (1 + 1) / 2 = 1.0.
    aug = got[(got["month"] == "2026-08")].iloc[0]
    assert aug["avg_deliveries"] == 1.0
    assert aug["avg_walk_in_batches"] == 1 / 3
    assert aug["avg_phone_batches"] == 1 / 3
    assert got[(got["month"] == "2026-09") & (got["store"] == "s1")]["avg_deliveries"].tolist() == [
        1.0, 1.0]  # fmt: skip


def test_a_consultant_filter_does_not_narrow_the_ranking(con):
    insert(con, "orders", [
        delivered("a1", date(2026, 9, 3), date(2026, 9, 10), consultant="Li"),
        delivered("a2", date(2026, 9, 3), date(2026, 9, 12), consultant="Wang"),
        delivered("a3", date(2026, 9, 4), date(2026, 9, 14), consultant="Wang"),
    ])  # fmt: skip
    got = sales.consultant_ranking(con, SEPT.with_filters(consultant="Li"), months=1)
    assert got[["consultant", "rank", "consultants"]].values.tolist() == [
        ["Wang", 1, 2], ["Li", 2, 2]]  # fmt: skip


def test_no_rows_give_an_empty_frame_with_the_columns(con):
    got = sales.consultant_ranking(con, SEPT, months=3)
    assert got.empty
    assert list(got.columns[:3]) == ["month", "store", "consultant"]
