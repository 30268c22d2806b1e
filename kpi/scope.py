"""What a KPI is computed over: a period, the as-of date, a store and optional filters."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

# No KPI reads here: groups() and group_key() read the stores table for their caller, whose
# READS lists it (tests/kpi/test_reads.py).
READS: frozenset[str] = frozenset()

if TYPE_CHECKING:
    import duckdb

DEFAULT_TZ = "Asia/Shanghai"
# No forward-window limit: the last day DuckDB and Python dates share.
FAR_FUTURE = date(9999, 12, 31)
FILTERS = (
    "consultant",
    "model",
    "channel",
    "advisor",
    "technician",
    "sale_type",
    "buyer_type",
    "ro_type",
    "department",
)


def today_in(tz: str = DEFAULT_TZ) -> date:
    """Return today's date in the store's timezone."""
    return datetime.now(ZoneInfo(tz)).date()


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """Shift by calendar months, keeping the day number clamped to the month's last day."""
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def parse_month(text: str) -> date:
    """Return the first day of a 'YYYY-MM' month."""
    y, m = text.split("-")
    return date(int(y), int(m), 1)


@dataclass(frozen=True)
class Scope:
    """An inclusive period [start, end], its as_of date, a store (None = all) and filters.

    as_of is the earlier of the period's end and today (KPI-CATALOGUE.md, rules).
    """

    start: date
    end: date
    as_of: date
    store: str | None = None
    consultant: str | None = None
    model: str | None = None
    channel: str | None = None
    advisor: str | None = None
    technician: str | None = None
    # Set on the comparison of a running period (shifted): its forward windows stop at its
    # end, the same day of its month as this period's as_of, like for like.
    horizon_at: date | None = None
    # Issue 17's filters: orders' sale_type; buyer_type of orders and traffic; repair orders'
    # ro_type; expenses' department (kpi.drill.applies says which KPIs each restricts).
    sale_type: str | None = None
    buyer_type: str | None = None
    ro_type: str | None = None
    department: str | None = None

    @classmethod
    def for_range(cls, start: date, end: date, today: date | None = None, **kw) -> Scope:
        """Build a scope for [start, end]; as_of = min(end, today)."""
        if end < start:
            raise ValueError(f"period end {end} is before its start {start}")
        today = today or today_in()
        return cls(start=start, end=end, as_of=min(end, today), **kw)

    @classmethod
    def for_month(cls, month: str | date, today: date | None = None, **kw) -> Scope:
        """Build a scope for a calendar month ('YYYY-MM' or any date inside it)."""
        first = parse_month(month) if isinstance(month, str) else month_start(month)
        return cls.for_range(first, month_end(first), today, **kw)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def running(self) -> bool:
        """Return True while the period is still running: as_of is before its last day."""
        return self.as_of < self.end

    @property
    def upto(self) -> date:
        """Return the last day whose dated events count: as_of (the end once complete).

        A period still running is read as what was known on as_of (catalogue rules): visits,
        orders, deliveries, ROs, surveys, complaints and contacts dated after as_of are not
        counted, so `report --as-of D` reproduces the report of day D.
        """
        return min(self.end, self.as_of)

    @property
    def elapsed(self) -> int | None:
        """Return the days of a running period known so far (start to as_of), None once complete.

        Thresholds judge a running period like for like (kpi.catalogue.judged).
        """
        if not self.running:
            return None
        return max(0, (self.as_of - self.start).days + 1)

    @property
    def horizon(self) -> date:
        """Return the last day a forward window ("within N days after …") may reach.

        A complete period's windows run past its end (no limit); a running period's stop at
        as_of, since nothing later was known.
        """
        if self.horizon_at is not None:
            return self.horizon_at
        return self.as_of if self.running else FAR_FUTURE

    @property
    def params(self) -> dict:
        """Return the named query parameters every KPI query may bind.

        `$end` is the last day whose events count (`upto`), `$period_end` the period's own
        last day (targets stay whole), `$horizon` the limit of forward windows.
        """
        p = {
            "start": self.start,
            "end": self.upto,
            "period_end": self.end,
            "as_of": self.as_of,
            "horizon": self.horizon,
            "store": self.store,
        }
        p.update({f: getattr(self, f) for f in FILTERS})
        return p

    def known(self) -> Scope:
        """Return the period cut at as_of: what counts while it runs (itself once complete).

        Accruing monthly amounts (expenses, campaign spend) count in proportion to the days
        from the start to as_of; roster months are those up to as_of's month.
        """
        return replace(self, end=self.upto) if self.running else self

    def shifted(self, months: int) -> Scope:
        """Return the comparable scope `months` calendar months away (prev month, last year).

        A whole-month period maps onto whole months. A period still running (as_of before its
        end) compares like for like: the shifted period covers the same number of days from
        its start as this one has had up to as_of, so November 1-25 is set against
        October 1-25, not the whole of October.
        """
        whole = self.start.day == 1 and self.end == month_end(self.end)
        start = add_months(self.start, months)
        end = month_end(add_months(self.end, months)) if whole else add_months(self.end, months)
        if self.start <= self.as_of < self.end:
            end = min(end, start + timedelta(days=(self.as_of - self.start).days))
            return replace(self, start=start, end=end, as_of=end, horizon_at=end)
        lag = self.end - self.as_of
        return replace(self, start=start, end=end, as_of=max(start, end - lag))

    def with_filters(self, **filters) -> Scope:
        return replace(self, **filters)

    def months(self) -> list[str]:
        """Return every 'YYYY-MM' the period touches."""
        out, d = [], month_start(self.start)
        while d <= self.end:
            out.append(f"{d:%Y-%m}")
            d = add_months(d, 1)
        return out

    def month_days_in_period(self) -> dict[str, tuple[int, int]]:
        """Return, per touched month, (its days inside the period, its days in total)."""
        out = {}
        for m in self.months():
            first = parse_month(m)
            last = month_end(first)
            inside = (min(last, self.end) - max(first, self.start)).days + 1
            if inside > 0:
                out[m] = (inside, last.day)
        return out


def store_clause(alias: str = "") -> str:
    """Return the SQL condition that restricts a table to $store (NULL = every store)."""
    col = f"{alias}.store" if alias else "store"
    return f"($store::VARCHAR IS NULL OR {col} = $store)"


GROUP_BY = ("store", "brand", "region")


def group_key(alias: str = "", by: str | None = "store") -> str:
    """Return the SQL expression a group-view breakdown groups rows by, never NULL.

    ``by`` is 'store', or 'brand' / 'region' from the stores table (settings); None gives the
    constant '' (everything pooled in one group). A store without a brand or region falls in
    the group '' (no value).
    """
    col = f"{alias}.store" if alias else "store"
    if by is None:
        return "''"
    if by == "store":
        return col
    if by in GROUP_BY:
        if not alias:
            raise ValueError("a brand or region key needs the table's alias")
        return f"coalesce((SELECT s_.{by} FROM stores s_ WHERE s_.store = {col}), '')"
    raise ValueError(f"by must be one of {', '.join(GROUP_BY)}, not {by!r}")


def groups(con: duckdb.DuckDBPyConnection, scope: Scope, by: str = "store") -> list[str]:
    """Return every group of the stores table in scope (sorted), '' for stores without one."""
    key = group_key("x", by)
    rows = con.execute(
        f"SELECT DISTINCT {key} AS g FROM stores x WHERE {store_clause('x')} ORDER BY g",
        {"store": scope.store},
    ).fetchall()
    return [r[0] for r in rows]


def filter_clause(column: str, param: str) -> str:
    """Return an optional equality filter on a bound parameter (NULL = no filter)."""
    return f"(${param}::VARCHAR IS NULL OR {column} = ${param})"


def days_between(a: date, b: date) -> int:
    return (b - a).days


__all__ = [
    "Scope",
    "store_clause",
    "filter_clause",
    "group_key",
    "groups",
    "GROUP_BY",
    "add_months",
    "month_start",
    "month_end",
    "parse_month",
    "today_in",
    "timedelta",
]
