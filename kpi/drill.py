"""The records behind a KPI: the rows it counts or sums, for a scope (issue 17, drill-down).

`parts(kpi_id)` says which drill-downs a KPI offers, `records(...)` returns the rows and
`measure(kpi_id, part)` names the column whose sum is the value (None: the row count).
`applies(kpi_id, filter_name)` says whether a scope filter restricts a KPI at all, and
`scope_for(scope, kpi_id)` drops the filters that do not (what a page computes it over).

Every query here is built from the row conditions of the module that computes the KPI
(kpi.sales.WALK_IN, kpi.service.FTF_BASE, kpi.inventory.AGED_90, ...), the same text the
KPI's own query uses, so a KPI and its records cannot drift apart. Values are bound as
parameters. The parts:

- ("value",): the rows the KPI counts (measure None) or sums (measure names the column);
- ("numerator", "denominator"): a ratio; numerator ÷ denominator (counts or sums) is the value
  (first_time_fix_rate: first-time fixes ÷ repair and warranty ROs; followup_compliance: leads
  followed up in time ÷ open leads);
- ("numerator",): a count over something that is not rows (days, a target, three months);
- (): no rows add up to the value (see NO_RECORDS).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from kpi import customers, finance, inventory, leads, marketing, query, sales, service
from kpi import programs as programs_mod
from kpi.backlog import _ALLOCATION_SQL
from kpi.scope import FILTERS, Scope, filter_clause, store_clause
from warehouse.spec import TABLES

# The tables this module reads (ui.data caches its results on their versions): every
# section's, so any write refreshes it.
READS: frozenset[str] = frozenset(TABLES) | {"stores"}

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

PARTS = ("value", "numerator", "denominator")
BY = ("consultant", "model", "channel", "advisor", "technician", "ro_type", "store", "month",
      "reason", "level")  # fmt: skip
# The records' column a breakdown key restricts (month: the record's own date column).
_BY_COLUMN = {"reason": "lost_reason", "level": "lead_level"}
UNKNOWN = "unknown"

# KPIs without records, and why (parts() == ()).
NO_RECORDS: dict[str, str] = {
    "time_progress": "calendar days, no rows",
    "pace": "a projection of the month's deliveries (open deliveries for the rows)",
    "traffic_light": "a colour from achievement and time progress",
    "deliveries_forecast": "a model's expectation, no rows",
    "deliveries_forecast_low": "a model's interval bound, no rows",
    "deliveries_forecast_high": "a model's interval bound, no rows",
    "inventory_months": "stock ÷ a sales rate: open stock_units and avg_monthly_sales_3m",
    "inventory_coefficient": "stock ÷ the month's projected sales: open stock_units",
    "days_supply": "stock ÷ a daily sales rate: open stock_units",
    "order_gap": "a suggestion per model from stock, transit and a forecast",
    "parts_turnover": "parts cost ÷ an average of monthly snapshots (no row set)",
    "customer_churn_rate": "a share of VINs by their latest visit over 24 months",
    "return_visit_rate": "deliveries and ROs matched to follow-ups within 7 days",
    "net_profit": "a difference of gross and expenses: open both",
    "break_even_units": "a formula over gross, expenses and deliveries",
    "csi": "a per-department table: open csi_sales and csi_service",
    "program_achievement": "per programme: open wholesale_units or deliveries",
    "rebate_earned": "a tier amount per programme",
    "rebate_next_tier_units": "a tier threshold per programme",
    "rebate_next_tier_gain": "a tier amount per programme",
    "rebate_projected": "a projection per programme",
    "cost_per_walk_in": "prorated spend ÷ walk-ins: open channel_walk_ins",
    "cost_per_order": "prorated spend ÷ orders: open the channel's orders",
    "event_arrival_rate": "per event, keyed by campaign",
    "event_a_leads": "per event, keyed by campaign",
    "event_orders": "per event, keyed by campaign",
}


@dataclass(frozen=True)
class _Rows:
    """How to list one part's rows: a SELECT (canonical columns) and its parameters."""

    sql: Callable[[duckdb.DuckDBPyConnection, Scope], tuple[str, dict[str, Any]]]
    date: str  # the column a 'month' key restricts ('' for rows without a date)
    measure: str | None = None


def _fixed(sql: str, params: Callable[[Scope], dict[str, Any]] | None = None):
    def build(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[str, dict[str, Any]]:
        return sql, (params(scope) if params else scope.params)

    return build


# ----------------------------------------------------------------------------- traffic

_TRAFFIC_COLUMNS = """t.visit_id, t.visit_date, t.store, t.kind, t.consultant, t.customer_id,
    t.first_visit, t.model_interest AS model, t.channel, t.event_id, t.test_drive, t.lead_level,
    coalesce(t.buyer_type, 'private') AS buyer_type,
    CAST($as_of - t.visit_date AS INTEGER) AS age_days"""


def _traffic(condition: str) -> _Rows:
    sql = f"""SELECT {_TRAFFIC_COLUMNS} FROM traffic t
        WHERE {sales.IN_PERIOD_VISIT} AND {sales.TRAFFIC_FILTERS} AND {condition}
        ORDER BY t.visit_date DESC, t.store, t.visit_id"""
    return _Rows(_fixed(sql), "visit_date")


# ----------------------------------------------------------------------------- orders

_ORDER_COLUMNS = f"""o.order_id, o.order_date, o.delivery_date, o.status, o.store, o.consultant,
    o.customer_id, o.model, o.vin, o.sale_type, o.buyer_type, o.channel,
    o.sale_price AS sale_price_cny, o.vehicle_cost AS vehicle_cost_cny, o.rebate AS rebate_cny,
    o.fi_income AS fi_income_cny,
    coalesce(o.accessories_revenue, 0) AS accessories_revenue_cny,
    o.accessories_cost AS accessories_cost_cny,
    {sales.FRONT_GROSS} AS front_gross_cny, {sales.ACCESSORIES_GROSS} AS accessories_gross_cny,
    {sales.TOTAL_GROSS} AS gross_cny,
    {finance.VEHICLE_GROSS} AS vehicle_gross_cny,
    o.finance, o.insurance, o.trade_in,
    CAST(coalesce(o.delivery_date, $as_of) - o.order_date AS INTEGER) AS days_to_deliver"""


def _orders(condition: str, date: str, measure: str | None = None,
            filters: str = sales.ORDER_FILTERS) -> _Rows:  # fmt: skip
    sql = f"""SELECT {_ORDER_COLUMNS} FROM orders o
        WHERE {filters} AND {condition}
        ORDER BY o.{date} DESC, o.store, o.order_id"""
    return _Rows(_fixed(sql), date, measure)


def _ordered(condition: str = sales.ORDERED, measure: str | None = None) -> _Rows:
    return _orders(condition, "order_date", measure)


def _delivered(condition: str = sales.DELIVERED, measure: str | None = None) -> _Rows:
    return _orders(condition, "delivery_date", measure)


# ----------------------------------------------------------------------------- cohorts


def _cohort(select: str, date: str) -> _Rows:
    return _Rows(_fixed(f"WITH {sales.cohort_ctes()} {select}"), date)


_VISIT_COHORT = """SELECT store, customer_id, first_visit_date, closed, first_order_date
    FROM visit_customers {} ORDER BY first_visit_date DESC, store, customer_id"""
_CALL_COHORT = """SELECT store, customer_id, first_call_date, visited, first_walk_in_date
    FROM call_customers {} ORDER BY first_call_date DESC, store, customer_id"""
_CONSULTANTS = _Rows(
    _fixed(f"""WITH {sales.cohort_ctes()}
        SELECT DISTINCT store, consultant FROM consultants ORDER BY store, consultant"""),
    "",  # no date: a month key does not apply
)

# ----------------------------------------------------------------------------- backlog

_BACKLOG = _Rows(
    _fixed(f"""{_ALLOCATION_SQL}
        SELECT order_id, order_date, store, consultant, model, days_waiting, vin,
               allocated_from
        FROM allocated ORDER BY days_waiting DESC, store, order_id"""),
    "order_date",
)
_UNMATCHED = _Rows(
    _fixed(f"""{_ALLOCATION_SQL}
        SELECT order_id, order_date, store, consultant, model, days_waiting
        FROM allocated WHERE vin IS NULL ORDER BY days_waiting DESC, store, order_id"""),
    "order_date",
)
_BACKLOG_AGE = replace(_BACKLOG, measure="days_waiting")

# ----------------------------------------------------------------------------- vehicles

_VEHICLE_COLUMNS = f"""v.vin, v.store, v.model, v.ordered_date, v.eta, v.arrival_date,
    v.sold_date, CAST($as_of - v.arrival_date AS INTEGER) AS age_days, v.cost AS cost_cny,
    {inventory.FLOORPLAN_COST} AS floorplan_cost_cny"""


def _vehicles(condition: str, measure: str | None = None) -> _Rows:
    sql = f"""SELECT {_VEHICLE_COLUMNS}
        FROM v_vehicles v LEFT JOIN stores s ON s.store = v.store
        WHERE {inventory._VEHICLE_FILTER} AND {condition}
        ORDER BY v.arrival_date NULLS LAST, v.store, v.vin"""
    return _Rows(_fixed(sql, inventory._windows), "arrival_date", measure)


def _inventory_sales(lo: str, hi: str) -> _Rows:
    sql = f"""SELECT {_ORDER_COLUMNS} FROM orders o
        WHERE {inventory._DELIVERED} AND o.delivery_date BETWEEN {lo} AND {hi}
          AND {store_clause("o")} AND {filter_clause("o.model", "model")}
        ORDER BY o.delivery_date DESC, o.store, o.order_id"""
    return _Rows(_fixed(sql, inventory._windows), "delivery_date")


_WHOLESALE = _Rows(
    _fixed(f"""SELECT vin, store, model, wholesale_date, arrival_date,
               coalesce(wholesale_date, arrival_date) AS counted_date, cost AS cost_cny
        FROM vehicles
        WHERE {programs_mod.WHOLESALE_ROWS}
        ORDER BY counted_date DESC, store, vin"""),
    "counted_date",
)

# ----------------------------------------------------------------------------- repair orders

_RO_COLUMNS = f"""r.ro_id, r.open_date, r.close_date, r.store, r.ro_type, r.advisor,
    r.technician, r.vin, r.customer_id, r.labor_hours,
    r.labor_revenue AS labor_revenue_cny, r.parts_revenue AS parts_revenue_cny,
    r.labor_revenue + r.parts_revenue AS revenue_cny,
    r.parts_revenue - r.parts_cost AS parts_gross_cny, {service._GROSS} AS gross_cny,
    r.comeback, CAST(coalesce(r.close_date, $as_of) - r.open_date AS INTEGER) AS days_open"""


def _ros(condition: str, date: str, measure: str | None = None,
         filters: str = service.RO_FILTER) -> _Rows:  # fmt: skip
    sql = f"""SELECT {_RO_COLUMNS} FROM v_repair_orders r
        WHERE {filters} AND {condition}
        ORDER BY r.{date} DESC NULLS LAST, r.store, r.ro_id"""
    return _Rows(_fixed(sql, service._params), date, measure)


def _closed(measure: str | None = None, condition: str = service.CLOSED) -> _Rows:
    return _ros(condition, "close_date", measure)


def _roster(measure: str | None = None, distinct: bool = False) -> _Rows:
    if distinct:  # one row per (store, technician): revenue_per_technician's denominator
        sql = f"""SELECT t.store, t.technician, min(t.month) AS month,
                   sum(t.available_hours) AS available_hours,
                   sum(t.clocked_hours) AS clocked_hours
            FROM technicians t WHERE {service.ROSTER_FILTER}
            GROUP BY t.store, t.technician ORDER BY t.store, t.technician"""
    else:
        sql = f"""SELECT t.store, t.month, t.technician, t.available_hours, t.clocked_hours,
                   t.training_required, t.training_passed
            FROM technicians t WHERE {service.ROSTER_FILTER}
            ORDER BY t.month, t.store, t.technician"""
    return _Rows(_fixed(sql, service._params), "month", measure)


def _parts(condition: str = "TRUE") -> _Rows:
    sql = f"""WITH latest AS ({service.LATEST_SNAPSHOTS})
        SELECT p.store, p.month, p.part_no, p.qty, p.unit_cost AS unit_cost_cny,
               p.qty * p.unit_cost AS stock_value_cny, p.last_movement_date,
               CAST(CAST(p.month || '-01' AS DATE) + INTERVAL '1 month' - INTERVAL '1 day'
                    AS DATE) - p.last_movement_date AS days_since_movement
        FROM parts_stock p JOIN latest l ON l.store = p.store AND l.month = p.month
        WHERE {condition}
        ORDER BY stock_value_cny DESC, p.store, p.part_no"""
    return _Rows(_fixed(sql, service._params), "last_movement_date", "stock_value_cny")


# ----------------------------------------------------------------------------- customers


def _lead_rows(condition: str = "TRUE") -> _Rows:
    def build(con: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[str, dict[str, Any]]:
        ctes, params = customers._lead_book(con, scope, [scope.as_of], with_consultant=True)
        sql = f"""WITH {ctes}
            SELECT store, customer_id, consultant, lead_level, last_contact, cadence_days,
                   CAST($as_of - last_contact AS INTEGER) AS days_since_contact,
                   CAST($as_of - last_contact AS INTEGER) - cadence_days AS days_overdue,
                   overdue
            FROM open_leads WHERE {condition}
            ORDER BY days_overdue DESC, store, customer_id"""
        return sql, params

    return _Rows(build, "last_contact")


def _surveys(condition: str, measure: str | None = None) -> _Rows:
    sql = f"""SELECT v.survey_id, v.survey_date, v.store, v.department, v.customer_id,
               v.score, v.score * 10 AS score_x10, v.recommend,
               CASE WHEN v.recommend >= 9 THEN 100 WHEN v.recommend <= 6 THEN -100 ELSE 0 END
                   AS nps_points
        FROM surveys v WHERE {customers.SURVEYS_IN_PERIOD} AND {condition}
        ORDER BY v.survey_date DESC, v.store, v.survey_id"""
    return _Rows(_fixed(sql), "survey_date", measure)


def _complaints(condition: str = "TRUE", measure: str | None = None) -> _Rows:
    sql = f"""SELECT c.complaint_id, c.opened_date, c.closed_date, c.store, c.department,
               c.category, c.major, c.satisfied,
               CAST(c.closed_date - c.opened_date AS INTEGER) AS close_days
        FROM complaints c WHERE {customers.COMPLAINTS_CLOSED} AND {condition}
        ORDER BY c.closed_date DESC, c.store, c.complaint_id"""
    return _Rows(_fixed(sql), "closed_date", measure)


def _capture(condition: str = "TRUE") -> _Rows:
    sql = f"""SELECT visit_id, visit_date, store, consultant, customer_id,
               model_interest AS model, channel, lead_level
        FROM traffic WHERE {leads.FIRST_VISITS} AND {condition}
        ORDER BY visit_date DESC, store, visit_id"""
    return _Rows(_fixed(sql), "visit_date")


_LOST = """SELECT store, customer_id, lost_date, consultant, lost_reason, lost_to FROM lost"""
_LOST_ROWS = _Rows(
    _fixed(f"WITH {leads._LOST_CTE} {_LOST} ORDER BY lost_date DESC, store, customer_id",
           leads._params),
    "lost_date",
)  # fmt: skip
# lost_rate's denominator: the lost leads and the period's buyers, one row per customer.
_LOST_OR_BOUGHT = _Rows(
    _fixed(
        f"""WITH {leads._LOST_CTE},
        buyers AS (
            SELECT store, customer_id, min(order_date) AS first_order,
                   arg_min(consultant, order_date) AS consultant
            FROM orders WHERE {leads.BUYER_ORDERS} GROUP BY store, customer_id
        )
        SELECT 'lost' AS outcome, store, customer_id, lost_date AS outcome_date, consultant,
               lost_reason FROM lost
        UNION ALL
        SELECT 'bought', store, customer_id, first_order, consultant, NULL FROM buyers
        ORDER BY outcome_date DESC, store, customer_id""",
        leads._params,
    ),
    "outcome_date",
)

# ----------------------------------------------------------------------------- marketing

_CHANNEL_WALK_INS = _Rows(
    _fixed(f"""SELECT visit_id, visit_date, store, consultant, customer_id,
               coalesce(channel, $unknown) AS channel, event_id, model_interest AS model,
               first_visit, lead_level
        FROM traffic WHERE {marketing.CHANNEL_TRAFFIC} AND kind = 'walk_in'
        ORDER BY visit_date DESC, store, visit_id""",
           lambda s: {**s.params, "unknown": marketing.UNKNOWN_CHANNEL}),
    "visit_date",
)  # fmt: skip

# ----------------------------------------------------------------------------- finance

_FINANCE_DELIVERIES = f"""SELECT {_ORDER_COLUMNS} FROM orders o WHERE {finance.DELIVERED}
    ORDER BY o.delivery_date DESC, o.store, o.order_id"""


def _finance_deliveries(measure: str) -> _Rows:
    return _Rows(_fixed(_FINANCE_DELIVERIES), "delivery_date", measure)


def _expenses(condition: str = "TRUE") -> _Rows:
    sql = f"""WITH {query.WEIGHTS_CTE}
        SELECT e.store, e.month, e.department, e.category, e.fixed, e.amount AS month_amount_cny,
               {finance.EXPENSE_SHARE} AS amount_cny
        FROM expenses e JOIN weights w ON w.month = e.month
        WHERE {finance.EXPENSES_FILTER} AND {condition}
        ORDER BY e.month, e.store, e.department, e.category"""
    return _Rows(_fixed(sql, query.prorate_params), "month", "amount_cny")


_TOTAL_GROSS = _Rows(
    _fixed(f"""SELECT 'delivery' AS source, o.order_id AS record_id, o.delivery_date AS date,
               o.store, o.model AS detail,
               coalesce({finance.VEHICLE_GROSS}, 0) + coalesce(o.fi_income, 0)
                   + coalesce({finance.ACCESSORIES_GROSS}, 0) AS gross_cny
        FROM orders o WHERE {finance.DELIVERED}
        UNION ALL
        SELECT 'repair_order', r.ro_id, r.close_date, r.store, r.ro_type, {service._GROSS}
        FROM repair_orders r WHERE {service.RO_FILTER} AND {service.CLOSED}
        ORDER BY date DESC, store, record_id"""),
    "date",
    "gross_cny",
)

# ----------------------------------------------------------------------------- the catalogue

_S = sales
_RECORDS: dict[str, dict[str, _Rows]] = {
    # sales: traffic
    "walk_in_batches": {"value": _traffic(_S.WALK_IN)},
    "first_visit_batches": {"value": _traffic(_S.FIRST_VISIT)},
    "phone_batches": {"value": _traffic(_S.PHONE)},
    "daily_walk_ins": {"numerator": _traffic(_S.WALK_IN)},
    "test_drives": {"value": _traffic(_S.TEST_DRIVE)},
    "test_drive_rate": {"numerator": _traffic(_S.TEST_DRIVE),
                        "denominator": _traffic(_S.WALK_IN)},
    "event_traffic_share": {"numerator": _traffic(f"{_S.WALK_IN} AND {_S.EVENT_WALK_IN}"),
                            "denominator": _traffic(_S.WALK_IN)},
    # sales: orders and deliveries
    "cohort_close_rate": {
        "numerator": _cohort(_VISIT_COHORT.format("WHERE closed"), "first_visit_date"),
        "denominator": _cohort(_VISIT_COHORT.format(""), "first_visit_date"),
    },
    "phone_to_visit_rate": {
        "numerator": _cohort(_CALL_COHORT.format("WHERE visited"), "first_call_date"),
        "denominator": _cohort(_CALL_COHORT.format(""), "first_call_date"),
    },
    "units_per_consultant": {"numerator": _delivered(), "denominator": _CONSULTANTS},
    "orders": {"value": _ordered()},
    "deliveries": {"value": _delivered()},
    "close_rate": {"numerator": _ordered(_S.RETAIL_ORDERED),
                   "denominator": _traffic(_S.FIRST_VISIT)},
    "cancellation_rate": {"numerator": _ordered(_S.CANCELLED),
                          "denominator": _ordered(_S.IN_PERIOD_ORDER)},
    "fleet_share": {"numerator": _delivered(_S.FLEET_DELIVERED), "denominator": _delivered()},
    "corporate_share": {"numerator": _delivered(_S.CORPORATE_DELIVERED),
                        "denominator": _delivered()},
    "front_gross_per_unit": {"numerator": _delivered(measure="front_gross_cny"),
                             "denominator": _delivered()},
    "total_gross_per_unit": {"numerator": _delivered(measure="gross_cny"),
                             "denominator": _delivered()},
    "finance_penetration": {"numerator": _delivered(f"{_S.RETAIL_DELIVERED} AND o.finance"),
                            "denominator": _delivered(_S.RETAIL_DELIVERED)},
    "insurance_penetration": {"numerator": _delivered(f"{_S.RETAIL_DELIVERED} AND o.insurance"),
                              "denominator": _delivered(_S.RETAIL_DELIVERED)},
    "trade_in_rate": {"numerator": _delivered(f"{_S.RETAIL_DELIVERED} AND o.trade_in"),
                      "denominator": _delivered(_S.RETAIL_DELIVERED)},
    "accessories_per_unit": {"numerator": _delivered(measure="accessories_revenue_cny"),
                             "denominator": _delivered()},
    "accessories_margin": {"numerator": _delivered(measure="accessories_gross_cny"),
                           "denominator": _delivered(measure="accessories_revenue_cny")},
    "backlog_orders": {"value": _BACKLOG},
    "backlog_unmatched": {"value": _UNMATCHED},
    "backlog_age_days": {"numerator": _BACKLOG_AGE, "denominator": _BACKLOG},
    # targets: deliveries ÷ the prorated target (not rows)
    "target_achievement": {"numerator": _delivered()},
    # programmes
    "wholesale_units": {"value": _WHOLESALE},
    # inventory
    "stock_units": {"value": _vehicles(inventory._IN_STOCK)},
    "in_transit_units": {"value": _vehicles(inventory._IN_TRANSIT)},
    "avg_monthly_sales_3m": {"numerator": _inventory_sales("$s3_start", "$s3_end")},
    "avg_days_in_stock": {"numerator": _vehicles(inventory._IN_STOCK, "age_days"),
                          "denominator": _vehicles(inventory._IN_STOCK)},
    "aged_units_90": {"value": _vehicles(inventory.AGED_90)},
    "capital_tied_up": {"value": _vehicles(inventory._IN_STOCK, "cost_cny")},
    "floorplan_cost": {"value": _vehicles(
        f"v.arrival_date IS NOT NULL AND {inventory.FLOORPLAN_COST} > 0", "floorplan_cost_cny")},
    # after-sales
    "ro_count": {"value": _ros(service.OPENED, "open_date")},
    "service_revenue": {"value": _closed("revenue_cny")},
    "avg_ro_value": {"numerator": _closed("revenue_cny"), "denominator": _closed()},
    "service_gross": {"value": _closed("gross_cny")},
    "service_gross_margin": {"numerator": _closed("gross_cny"),
                             "denominator": _closed("revenue_cny")},
    "parts_gross_margin": {"numerator": _closed("parts_gross_cny"),
                           "denominator": _closed("parts_revenue_cny")},
    "effective_labor_rate": {"numerator": _closed("labor_revenue_cny"),
                             "denominator": _closed("labor_hours")},
    "warranty_gross": {"value": _closed("gross_cny", f"{service.CLOSED} AND {service.WARRANTY}")},
    "first_time_fix_rate": {
        "numerator": _ros(f"{service.FTF_BASE} AND NOT coalesce(r.comeback, false)",
                          "open_date"),
        "denominator": _ros(service.FTF_BASE, "open_date"),
    },
    "open_ros": {"value": _ros(service.OPEN_ON_AS_OF, "open_date")},
    "revenue_per_technician": {"numerator": _closed("labor_revenue_cny"),
                               "denominator": _roster(distinct=True)},
    "tech_productivity": {"numerator": _roster("clocked_hours"),
                          "denominator": _roster("available_hours")},
    "tech_efficiency": {"numerator": _closed("labor_hours"),
                        "denominator": _roster("clocked_hours")},
    "tech_proficiency": {"numerator": _closed("labor_hours"),
                         "denominator": _roster("available_hours")},
    "training_compliance": {"numerator": _roster("training_passed"),
                            "denominator": _roster("training_required")},
    "parts_months_supply": {"numerator": _parts()},
    "obsolete_parts_value": {"value": _parts(service.OBSOLETE)},
    # marketing
    "channel_walk_ins": {"value": _CHANNEL_WALK_INS},
    # customers
    "open_leads": {"value": _lead_rows()},
    "overdue_followups": {"value": _lead_rows("overdue")},
    "followup_compliance": {"numerator": _lead_rows("NOT overdue"),
                            "denominator": _lead_rows()},
    "csi_sales": {"numerator": _surveys("v.department = 'sales'", "score_x10"),
                  "denominator": _surveys("v.department = 'sales'")},
    "csi_service": {"numerator": _surveys("v.department = 'service'", "score_x10"),
                    "denominator": _surveys("v.department = 'service'")},
    "nps": {"numerator": _surveys("v.recommend IS NOT NULL", "nps_points"),
            "denominator": _surveys("v.recommend IS NOT NULL")},
    "complaint_satisfaction": {"numerator": _complaints("c.satisfied"),
                               "denominator": _complaints("c.satisfied IS NOT NULL")},
    "complaint_close_days": {"numerator": _complaints(measure="close_days"),
                             "denominator": _complaints()},
    "lead_capture_rate": {"numerator": _capture(leads.CAPTURED), "denominator": _capture()},
    "lost_leads": {"value": _LOST_ROWS},
    "lost_rate": {"numerator": _LOST_ROWS, "denominator": _LOST_OR_BOUGHT},
    "lost_reasons": {"value": _LOST_ROWS},
    # finance (store-wide)
    "vehicle_gross": {"value": _finance_deliveries("vehicle_gross_cny")},
    "fi_gross": {"value": _finance_deliveries("fi_income_cny")},
    "accessories_gross": {"value": _finance_deliveries("accessories_gross_cny")},
    "total_gross": {"value": _TOTAL_GROSS},
    "total_expenses": {"value": _expenses()},
    "service_absorption": {"numerator": _closed("gross_cny"), "denominator": _expenses("e.fixed")},
}  # fmt: skip

# ----------------------------------------------------------------------------- filters

_TRAFFIC_F = frozenset({"consultant", "model", "channel", "buyer_type"})
_ORDER_F = frozenset({"consultant", "model", "channel", "sale_type", "buyer_type"})
_RO_F = frozenset({"advisor", "technician", "ro_type"})
_NONE: frozenset[str] = frozenset()

# The filters each KPI honours (the store always does); the rest do not restrict it.
_SECTION_FILTERS = {
    "sales": _ORDER_F,
    "targets": frozenset({"consultant"}),
    "programs": _NONE,
    "inventory": frozenset({"model"}),
    "service": _RO_F,
    "marketing": frozenset({"channel"}),
    "customers": frozenset({"consultant"}),
    "finance": _NONE,
}
_KPI_FILTERS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("walk_in_batches", "first_visit_batches", "phone_batches", "daily_walk_ins",
                     "test_drives", "test_drive_rate", "event_traffic_share", "close_rate",
                     "cohort_close_rate", "phone_to_visit_rate", "units_per_consultant"),
                    _TRAFFIC_F),
    "backlog_orders": frozenset({"consultant", "model"}),
    "backlog_unmatched": frozenset({"consultant", "model"}),
    "backlog_age_days": frozenset({"consultant", "model"}),
    "time_progress": _NONE,
    "deliveries_forecast": _NONE,
    "deliveries_forecast_low": _NONE,
    "deliveries_forecast_high": _NONE,
    **dict.fromkeys(("revenue_per_technician", "tech_productivity", "tech_efficiency",
                     "tech_proficiency", "training_compliance"), frozenset({"technician"})),
    **dict.fromkeys(("parts_turnover", "parts_months_supply", "obsolete_parts_value",
                     "customer_churn_rate"), _NONE),
    "return_visit_rate": frozenset({"consultant", "advisor", "technician"}),
    **dict.fromkeys(("csi", "csi_sales", "csi_service", "nps", "complaint_satisfaction",
                     "complaint_close_days"), _NONE),
    "lead_capture_rate": frozenset({"consultant", "model", "channel"}),
    "total_expenses": frozenset({"department"}),
}  # fmt: skip


def _kpi(kpi_id: str):
    from kpi import catalogue

    try:
        return catalogue.get(kpi_id)
    except KeyError:
        raise ValueError(f"unknown KPI {kpi_id!r}") from None


def applies(kpi_id: str, filter_name: str) -> bool:
    """Return True when the scope filter `filter_name` restricts the KPI.

    `filter_name` is 'store' or one of kpi.scope.FILTERS. A filter that applies to only some
    of the rows a KPI reads (sale type on close_rate's first visits, department on net
    profit) does not apply: the page says "not filtered by X" and shows the KPI over
    scope_for(scope, kpi_id).
    """
    if filter_name == "store":
        return True
    if filter_name not in FILTERS:
        raise ValueError(f"unknown filter {filter_name!r}")
    kpi = _kpi(kpi_id)
    return filter_name in _KPI_FILTERS.get(kpi_id, _SECTION_FILTERS[kpi.section])


def scope_for(scope: Scope, kpi_id: str) -> Scope:
    """Return the scope without the filters that do not apply to the KPI (store kept)."""
    drop: dict[str, Any] = {
        f: None for f in FILTERS if getattr(scope, f) is not None and not applies(kpi_id, f)
    }
    return replace(scope, **drop) if drop else scope


# ----------------------------------------------------------------------------- the API


def parts(kpi_id: str) -> tuple[str, ...]:
    """Return the drill-downs a KPI offers: ("value",), ("numerator", "denominator"),
    ("numerator",) when the denominator is not rows (days, a target), or () (NO_RECORDS)."""
    _kpi(kpi_id)
    return tuple(p for p in PARTS if p in _RECORDS.get(kpi_id, {}))


def measure(kpi_id: str, part: str = "value") -> str | None:
    """Return the column of records() whose sum is the value, None when it is the row count."""
    return _rows(kpi_id, part).measure


def _rows(kpi_id: str, part: str) -> _Rows:
    offered = parts(kpi_id)
    if part not in offered:
        raise ValueError(f"{kpi_id} has no {part!r} records (parts: {offered or 'none'})")
    return _RECORDS[kpi_id][part]


def records(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    kpi_id: str,
    part: str = "value",
    key: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Return the rows behind a KPI's value (or its numerator / denominator) for the scope.

    The scope's filters that do not apply to the KPI are dropped (scope_for). `by` and `key`
    restrict to one bar, point or cell of a breakdown: the rows whose `by` column equals
    `key` ('unknown' or None: the rows without one); by='month' keeps the rows whose date
    column falls in the 'YYYY-MM' month `key`. Columns are snake_case with units
    (visit_date, consultant, sale_price_cny, age_days, ...); the order is the one a GM reads
    first (newest, oldest stock, most overdue).
    """
    spec = _rows(kpi_id, part)
    scope = scope_for(scope, kpi_id)
    sql, params = spec.sql(con, scope)
    if by is not None:
        if by not in BY:
            raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
        if by == "month":
            column = f"strftime(CAST(x.{spec.date} AS DATE), '%Y-%m')"
            if spec.date == "month":
                column = "x.month"
            condition = f"{column} = $drill_key"
        else:
            column = f"CAST(x.{_BY_COLUMN.get(by, by)} AS VARCHAR)"
            blank = f"nullif({column}, '') IS NULL"
            condition = (
                blank if key is None
                else f"({column} = $drill_key OR ($drill_key = '{UNKNOWN}' AND {blank}))"
            )  # fmt: skip
        names = [
            d[0]
            for d in con.execute(
                f"SELECT * FROM ({sql}) LIMIT 0", query.bind(sql, params)
            ).description
        ]
        wanted = spec.date if by == "month" else _BY_COLUMN.get(by, by)
        if wanted not in names:
            raise ValueError(f"{kpi_id} {part} records have no {by!r} column")
        sql = f"SELECT x.* FROM ({sql}) x WHERE {condition}"
        params = {**params, "drill_key": key}
    return query.frame(con, sql, params)
