"""Summary tables of the sales section (issue 15): its additive parts per store and day.

The sales KPIs' counts and sums (kpi.sales: TRAFFIC_COUNTS_SQL, ORDER_COUNTS_SQL) are kept
per store and day, for the date that places a row in a period:

- summary_sales_traffic: traffic by visit_date (walk-ins, first visits, calls, test drives,
  event walk-ins);
- summary_sales_placed: orders by order_date (non-cancelled, retail, all, cancelled);
- summary_sales_delivered: delivered orders by delivery_date (deliveries, fleet, corporate,
  retail, financed, insured, traded in, front and total gross, accessories).

The date columns keep the contract's names (visit_date, order_date, delivery_date) so that
kpi.sales applies its period conditions, month keys and group keys to these tables unchanged.
The row conditions live here, once: kpi.sales builds its raw-row counts from the same
MEASURES (the warehouse never imports kpi), so the two paths cannot drift apart.
"""

from __future__ import annotations

from typing import NamedTuple

# The rows each count takes (kpi.sales and kpi.drill use the same text): traffic t, orders o.
WALK_IN = "t.kind = 'walk_in'"
PHONE = "t.kind = 'phone'"
FIRST_VISIT = f"{WALK_IN} AND t.first_visit"
TEST_DRIVE = f"{WALK_IN} AND t.test_drive"
EVENT_CHANNELS = ("outdoor_event", "showroom_event")
# Event traffic: an event id is set, or the lead source is an event channel.
EVENT_WALK_IN = (
    "(nullif(t.event_id, '') IS NOT NULL "
    f"OR t.channel IN ({', '.join(repr(c) for c in EVENT_CHANNELS)}))"
)
NOT_CANCELLED = "o.status <> 'cancelled'"
IS_CANCELLED = "o.status = 'cancelled'"
IS_DELIVERED = "o.status = 'delivered'"
RETAIL = "o.sale_type = 'retail'"
FRONT_GROSS = "coalesce(o.sale_price, 0) - coalesce(o.vehicle_cost, 0)"
TOTAL_GROSS = (
    f"{FRONT_GROSS} + coalesce(o.rebate, 0) + coalesce(o.fi_income, 0)"
    " + coalesce(o.accessories_revenue, 0) - coalesce(o.accessories_cost, 0)"
)
ACCESSORIES_GROSS = "coalesce(o.accessories_revenue, 0) - coalesce(o.accessories_cost, 0)"
# Finance's department gross (kpi.finance sums these as they are: NULL parts are skipped).
FIN_VEHICLE_GROSS = "o.sale_price - o.vehicle_cost + o.rebate"
FIN_ACCESSORIES_GROSS = "o.accessories_revenue - o.accessories_cost"


class Measure(NamedTuple):
    """One additive part: the rows it takes (a condition) and what it adds up.

    ``value`` None counts the rows (BIGINT); otherwise it sums the expression (DOUBLE).
    """

    name: str
    condition: str
    value: str | None = None

    def aggregate(self, period: str = "true") -> str:
        """Return the aggregate over the rows in ``period`` (a condition) it takes."""
        what = "count(*)" if self.value is None else f"sum({self.value})"
        return f"{what} FILTER (WHERE {period} AND {self.condition}) AS {self.name}"


# Traffic by visit_date.
TRAFFIC_MEASURES = (
    Measure("walk_in_batches", WALK_IN),
    Measure("first_visit_batches", FIRST_VISIT),
    Measure("phone_batches", PHONE),
    Measure("test_drives", TEST_DRIVE),
    Measure("event_walk_ins", f"{WALK_IN} AND {EVENT_WALK_IN}"),
)
# Orders by order_date (any status).
PLACED_MEASURES = (
    Measure("orders", NOT_CANCELLED),
    Measure("retail_orders", f"{NOT_CANCELLED} AND {RETAIL}"),
    Measure("all_orders", "true"),
    Measure("cancelled", IS_CANCELLED),
)
# Delivered orders by delivery_date (every measure also requires IS_DELIVERED).
_RETAIL_DELIVERED = f"{IS_DELIVERED} AND {RETAIL}"
DELIVERED_MEASURES = (
    Measure("deliveries", IS_DELIVERED),
    Measure("fleet", f"{IS_DELIVERED} AND o.sale_type = 'fleet'"),
    Measure("corporate", f"{IS_DELIVERED} AND o.buyer_type = 'corporate'"),
    Measure("retail_deliveries", _RETAIL_DELIVERED),
    Measure("financed", f"{_RETAIL_DELIVERED} AND o.finance"),
    Measure("insured", f"{_RETAIL_DELIVERED} AND o.insurance"),
    Measure("traded_in", f"{_RETAIL_DELIVERED} AND o.trade_in"),
    Measure("front_gross", IS_DELIVERED, FRONT_GROSS),
    Measure("total_gross", IS_DELIVERED, TOTAL_GROSS),
    Measure("accessories_revenue", IS_DELIVERED, "coalesce(o.accessories_revenue, 0)"),
    Measure("accessories_gross", IS_DELIVERED, ACCESSORIES_GROSS),
    # Finance's gross (kpi.finance: no coalesce, a row missing a part adds nothing to it)
    Measure("fin_vehicle_gross", IS_DELIVERED, FIN_VEHICLE_GROSS),
    Measure("fin_fi_gross", IS_DELIVERED, "o.fi_income"),
    Measure("fin_accessories_gross", IS_DELIVERED, FIN_ACCESSORIES_GROSS),
)


class Summary(NamedTuple):
    """A summary table: per store and ``day`` (a date column of ``source``), its measures."""

    name: str
    source: str
    alias: str
    day: str
    rows: str  # the source rows it keeps (beyond a non-NULL day)
    measures: tuple[Measure, ...]

    def ddl(self) -> str:
        cols = ", ".join(
            f"{m.name} {'BIGINT' if m.value is None else 'DOUBLE'}" for m in self.measures
        )
        return (
            f"CREATE TABLE IF NOT EXISTS {self.name} (store VARCHAR NOT NULL, "
            f"{self.day} DATE NOT NULL, {cols})"
        )

    def select(self, where: str) -> str:
        """Return the table's rows for the stores ``where`` ({t}: the alias) selects."""
        a = self.alias
        measures = ", ".join(m.aggregate() for m in self.measures)
        return f"""
            SELECT {a}.store, {a}.{self.day}, {measures}
            FROM {self.source} {a}
            WHERE {a}.{self.day} IS NOT NULL AND {self.rows} AND {where.format(t=a)}
            GROUP BY 1, 2"""


TRAFFIC = Summary("summary_sales_traffic", "traffic", "t", "visit_date", "true", TRAFFIC_MEASURES)
PLACED = Summary("summary_sales_placed", "orders", "o", "order_date", "true", PLACED_MEASURES)
DELIVERED = Summary(
    "summary_sales_delivered", "orders", "o", "delivery_date", IS_DELIVERED, DELIVERED_MEASURES
)
SUMMARIES = (TRAFFIC, PLACED, DELIVERED)


# The customer cohorts (cohort_close_rate, phone_to_visit_rate) are not additive: a customer
# counts once per period however many first visits they made. summary_sales_cohort_starts
# keeps, per store, day and kind, each customer's first walk-in or first call with the date of
# what converts it, the customer's next non-cancelled order (walk-ins) or next walk-in (calls)
# on or after that day (next_date), and what makes a period's distinct count a plain count:
#
# - prev_date: the customer's previous start of that kind (NULL: none). A customer's first
#   start in a period [start, end] is the one with prev_date NULL or before start, so the
#   period's customers are its rows with that condition, one each.
# - conv_date: next_date when it falls within COHORT_DAYS of the start (else NULL), and
#   prev_conv: the day of the customer's previous start with a conv_date. A customer closed
#   when a start of theirs in the period has conv_date by the period's horizon. conv_date
#   never decreases from one converting start to the next (a later start's next event is the
#   same or later), so the period's first converting start has the smallest: the closed
#   customers are the rows with conv_date by the horizon and prev_conv NULL or before start.
#
# kpi.sales then counts rows, without grouping by customer or joining orders or traffic again.
# A row depends on other rows of its customer: a write refreshes the store's rows whole, like
# every derived table. (summary_sales_cohorts, its predecessor without the last three
# columns, is dropped on open: warehouse.derived.RETIRED.)
COHORTS_NAME = "summary_sales_cohort_starts"
COHORTS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {COHORTS_NAME} (store VARCHAR NOT NULL, "
    "visit_date DATE NOT NULL, kind VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, "
    "next_date DATE, prev_date DATE, conv_date DATE, prev_conv DATE)"
)
# "Within N days after X" for the customer cohorts: X <= d <= X + N (kpi.sales).
COHORT_DAYS = 30
COHORT_START = (
    "t.first_visit AND t.kind IN ('walk_in', 'phone') AND t.visit_date IS NOT NULL "
    "AND nullif(t.customer_id, '') IS NOT NULL"
)


def cohorts_select(where: str) -> str:
    """Return the rows of summary_sales_cohort_starts for the stores ``where`` ({t}) selects.

    An ASOF join finds each start's next converting event: the earliest one on or after it;
    windows over the customer's starts give prev_date and prev_conv.
    """
    conv = f"c.next_date <= c.visit_date + {COHORT_DAYS}"
    return f"""
        WITH starts AS (
            SELECT DISTINCT t.store, t.visit_date, t.kind, t.customer_id
            FROM traffic t
            WHERE {COHORT_START} AND {where.format(t="t")}
        ),
        orders_placed AS (
            SELECT o.store, o.customer_id, o.order_date AS day
            FROM orders o
            WHERE {NOT_CANCELLED} AND o.order_date IS NOT NULL
              AND nullif(o.customer_id, '') IS NOT NULL AND {where.format(t="o")}
        ),
        walk_ins AS (
            SELECT w.store, w.customer_id, w.visit_date AS day
            FROM traffic w
            WHERE w.kind = 'walk_in' AND w.visit_date IS NOT NULL
              AND nullif(w.customer_id, '') IS NOT NULL AND {where.format(t="w")}
        ),
        nexts AS (
            SELECT s.store, s.visit_date, s.kind, s.customer_id, n.day AS next_date
            FROM (SELECT * FROM starts WHERE kind = 'walk_in') s
            ASOF LEFT JOIN orders_placed n
              ON n.store = s.store AND n.customer_id = s.customer_id AND n.day >= s.visit_date
            UNION ALL
            SELECT s.store, s.visit_date, s.kind, s.customer_id, n.day AS next_date
            FROM (SELECT * FROM starts WHERE kind = 'phone') s
            ASOF LEFT JOIN walk_ins n
              ON n.store = s.store AND n.customer_id = s.customer_id AND n.day >= s.visit_date
        )
        SELECT c.store, c.visit_date, c.kind, c.customer_id, c.next_date,
               lag(c.visit_date) OVER w AS prev_date,
               CASE WHEN {conv} THEN c.next_date END AS conv_date,
               max(CASE WHEN {conv} THEN c.visit_date END)
                   OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_conv
        FROM nexts c
        WINDOW w AS (PARTITION BY c.store, c.kind, c.customer_id ORDER BY c.visit_date)"""


# The active consultants (units_per_consultant) are distinct too: a consultant counts once
# per period if they served a walk-in or delivered a car in it. summary_sales_consultant_days
# keeps each (store, consultant)'s days with a walk-in (by visit_date) or a delivery (by
# delivery_date), the day in a column named visit_date (so kpi.sales' period conditions and
# month keys apply unchanged), and prev_date, the consultant's previous such day: a period's
# consultants are its rows with prev_date NULL or before the period's start, as above.
CONSULTANT_DAYS_NAME = "summary_sales_consultant_days"
CONSULTANT_DAYS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {CONSULTANT_DAYS_NAME} (store VARCHAR NOT NULL, "
    "visit_date DATE NOT NULL, consultant VARCHAR NOT NULL, prev_date DATE)"
)


def consultant_days_select(where: str) -> str:
    """Return the rows of summary_sales_consultant_days for the stores ``where`` selects."""
    return f"""
        SELECT d.store, d.visit_date, d.consultant,
               lag(d.visit_date) OVER (
                   PARTITION BY d.store, d.consultant ORDER BY d.visit_date) AS prev_date
        FROM (
            SELECT t.store, t.visit_date, t.consultant
            FROM traffic t
            WHERE {WALK_IN} AND t.visit_date IS NOT NULL
              AND nullif(t.consultant, '') IS NOT NULL AND {where.format(t="t")}
            UNION
            SELECT o.store, o.delivery_date, o.consultant
            FROM orders o
            WHERE {IS_DELIVERED} AND o.delivery_date IS NOT NULL
              AND nullif(o.consultant, '') IS NOT NULL AND {where.format(t="o")}
        ) d"""
