"""Scope: periods, as_of and the comparison periods the cards' deltas use."""

from datetime import date

import pytest

from kpi.scope import Scope, add_months


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # clamped to February's last day
        (date(2024, 2, 29), -12, date(2023, 2, 28)),
        (date(2026, 1, 15), -1, date(2025, 12, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_month_end(d, months, expected):
    assert add_months(d, months) == expected


def test_month_scope_as_of_is_the_earlier_of_end_and_today():
    s = Scope.for_month("2026-11", today=date(2026, 11, 25))
    assert (s.start, s.end, s.as_of) == (date(2026, 11, 1), date(2026, 11, 30), date(2026, 11, 25))
    past = Scope.for_month("2026-09", today=date(2026, 11, 25))
    assert past.as_of == date(2026, 9, 30)


def test_complete_month_compares_with_whole_months():
    s = Scope.for_month("2026-03", today=date(2026, 11, 25))
    prev, last_year = s.shifted(-1), s.shifted(-12)
    assert (prev.start, prev.end, prev.as_of) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        date(2026, 2, 28),
    )
    assert (last_year.start, last_year.end) == (date(2025, 3, 1), date(2025, 3, 31))


def test_running_month_compares_like_for_like():
    s = Scope.for_month("2026-11", today=date(2026, 11, 25))
    prev = s.shifted(-1)
    # 25 days elapsed (Nov 1-25) -> October 1-25, as of October 25
    assert (prev.start, prev.end, prev.as_of) == (
        date(2026, 10, 1),
        date(2026, 10, 25),
        date(2026, 10, 25),
    )
    last_year = s.shifted(-12)
    assert (last_year.start, last_year.end) == (date(2025, 11, 1), date(2025, 11, 25))


def test_running_month_on_the_31st_is_clamped_to_a_shorter_month():
    s = Scope.for_month("2026-03", today=date(2026, 3, 31))  # complete on its last day
    assert s.shifted(-1).end == date(2026, 2, 28)
    running = Scope.for_month("2026-03", today=date(2026, 3, 30))
    # 30 days elapsed from March 1; February has only 28 -> the whole of February
    assert running.shifted(-1).end == date(2026, 2, 28)


def test_custom_range_keeps_its_length():
    s = Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today=date(2026, 11, 25))
    prev = s.shifted(-1)
    assert (prev.start, prev.end, prev.as_of) == (
        date(2026, 8, 16),
        date(2026, 9, 15),
        date(2026, 9, 15),
    )


def test_months_and_their_days_in_the_period():
    s = Scope.for_range(date(2026, 9, 16), date(2026, 10, 15), today=date(2026, 11, 25))
    assert s.months() == ["2026-09", "2026-10"]
    assert s.month_days_in_period() == {"2026-09": (15, 30), "2026-10": (15, 31)}


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before its start"):
        Scope.for_range(date(2026, 9, 2), date(2026, 9, 1), today=date(2026, 9, 30))
