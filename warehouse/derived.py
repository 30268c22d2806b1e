"""Derived state: tables computed from the contract tables when data is written, not when read.

Some KPIs need state that every read would otherwise recompute over the whole history: which
repair orders are comebacks (an earlier RO of the same VIN within 30 days) and each lead's
latest level and last contact as of every month end (the lead book over millions of
contacts). At a dealer group's scale that is seconds per page; so every write refreshes them
inside its own transaction, for the stores and tables it changed, and readers read results.

``refresh(con, tables, stores)`` is called by ``warehouse.db.bump_data_version``: each writer
already calls that in its transaction, so the derived tables can never lag the data they come
from, and a rolled-back write rolls back their refresh too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import duckdb

from warehouse import (
    coverage,
    dimensions,
    forecast_points,
    summary_customers,
    summary_leads,
    summary_sales,
    summary_service,
)
from warehouse.leadbook import lead_book_select, lead_months_select
from warehouse.profile import timed
from warehouse.spec import TABLES


@dataclass(frozen=True)
class Derived:
    """A derived table: its DDL, the contract tables it reads and its SELECT (store-filtered).

    ``select(where)`` returns a SELECT of the table's columns in DDL order; ``where`` is a
    condition on a ``store`` column that the SELECT must apply to every source it reads.
    ``batch``: refresh at most this many stores per statement (windows over every contact of
    a group need more than the connection's memory limit at once), None: all in one.
    """

    name: str
    ddl: str
    sources: frozenset[str]
    select: Callable[[str], str]
    batch: int | None = None


# The stores per statement of the derived tables whose SELECT sorts or windows a whole
# store's history (the lead changes, cohorts, return visits, churn, forecast points).
HEAVY_BATCH = 50


def _comebacks_select(where: str) -> str:
    # The contract's derivation (v_repair_orders) as a join: a repair or warranty RO opened
    # within 30 days after an earlier repair or warranty RO of the same VIN closed. An
    # equality join on (store, vin) then a filter is several times faster than the EXISTS.
    return f"""
    SELECT DISTINCT r.store, r.ro_id
    FROM repair_orders r
    JOIN repair_orders e ON e.store = r.store AND e.vin = r.vin
    WHERE r.comeback IS NULL AND r.ro_type IN ('repair', 'warranty')
      AND e.ro_type IN ('repair', 'warranty') AND e.ro_id <> r.ro_id
      AND e.close_date IS NOT NULL AND e.close_date <= r.open_date
      AND r.open_date <= e.close_date + 30
      AND (e.open_date < r.open_date OR (e.open_date = r.open_date AND e.ro_id < r.ro_id))
      AND {where.format(t="r")} AND {where.format(t="e")}
    """


# The vehicles with the contract's sold-date rule applied (v_vehicles reads this table): a
# vehicle without a sold date is sold on the first delivery of an order carrying its VIN.
# Every stock KPI reads it; rebuilding it per read cost 1-2 s at 700 stores.
_VEHICLE_COLUMNS = [c for c in TABLES["vehicles"].columns if c.name != "sold_date"]
_VEHICLES_DDL = (
    "CREATE TABLE IF NOT EXISTS derived_vehicles (store VARCHAR NOT NULL, "
    + ", ".join(f"{c.name} {c.sql_type}" for c in _VEHICLE_COLUMNS)
    + ", sold_date DATE)"
)


def _vehicles_select(where: str) -> str:
    cols = ", ".join(f"v.{c.name}" for c in _VEHICLE_COLUMNS)
    return f"""
    SELECT v.store, {cols}, coalesce(v.sold_date, d.delivery_date) AS sold_date
    FROM vehicles v
    LEFT JOIN (
        SELECT o.store, o.vin, min(o.delivery_date) AS delivery_date
        FROM orders o
        WHERE o.status = 'delivered' AND o.vin IS NOT NULL AND o.delivery_date IS NOT NULL
          AND {where.format(t="o")}
        GROUP BY o.store, o.vin
    ) d ON d.store = v.store AND d.vin = v.vin
    WHERE {where.format(t="v")}
    """


DERIVED: tuple[Derived, ...] = (
    Derived(
        "derived_comebacks",
        "CREATE TABLE IF NOT EXISTS derived_comebacks (store VARCHAR NOT NULL, "
        "ro_id VARCHAR NOT NULL)",
        frozenset({"repair_orders"}),
        _comebacks_select,
    ),
    Derived(
        "derived_lead_months",
        """CREATE TABLE IF NOT EXISTS derived_lead_months (
            store VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, m INTEGER NOT NULL,
            next_m INTEGER, last_contact DATE, l_hi BIGINT, l_lo BIGINT)""",
        frozenset({"traffic", "followups"}),
        lead_months_select,
        batch=HEAVY_BATCH,
    ),
    Derived("derived_vehicles", _VEHICLES_DDL, frozenset({"vehicles", "orders"}), _vehicles_select),
    Derived(
        "derived_forecast_points",
        forecast_points.DDL,
        frozenset({"orders"}),
        forecast_points.stored_select,
        batch=HEAVY_BATCH,
    ),
    # Rows per store and month of every contract table (warehouse.coverage).
    *(
        Derived(coverage.table_name(t), coverage.ddl(t), frozenset({t}), coverage.select(t))
        for t in coverage.DATE_COLUMNS
    ),
    # Each sidebar filter's values per store, one table per source (warehouse.dimensions).
    *(
        Derived(dimensions.table_name(t), dimensions.ddl(t), frozenset({t}), dimensions.select(t))
        for t in dimensions.SOURCES
    ),
    # The sales section's additive parts per store and day (warehouse.summary_sales).
    *(Derived(s.name, s.ddl(), frozenset({s.source}), s.select) for s in summary_sales.SUMMARIES),
    Derived(
        summary_sales.COHORTS_NAME,
        summary_sales.COHORTS_DDL,
        frozenset({"traffic", "orders"}),
        summary_sales.cohorts_select,
        batch=HEAVY_BATCH,
    ),
    Derived(
        summary_sales.CONSULTANT_DAYS_NAME,
        summary_sales.CONSULTANT_DAYS_DDL,
        frozenset({"traffic", "orders"}),
        summary_sales.consultant_days_select,
        batch=HEAVY_BATCH,
    ),
    # Customers (warehouse.summary_customers): return visits, surveys, complaints per day.
    Derived(
        "summary_customer_visits",
        summary_customers.VISITS_DDL,
        frozenset({"orders", "repair_orders", "followups"}),
        summary_customers.visits_select,
        batch=HEAVY_BATCH,
    ),
    Derived(
        "summary_customer_surveys",
        summary_customers.SURVEYS_DDL,
        frozenset({"surveys"}),
        summary_customers.surveys_select,
    ),
    Derived(
        "summary_customer_complaints",
        summary_customers.COMPLAINTS_DDL,
        frozenset({"complaints"}),
        summary_customers.complaints_select,
    ),
    Derived(
        "summary_customer_leads",
        summary_customers.LEADS_DDL,
        frozenset({"traffic", "followups", "orders"}),
        summary_customers.leads_select,
        batch=HEAVY_BATCH,
    ),
    # After-sales (warehouse.summary_service). summary_service_days reads the comebacks
    # through v_repair_orders: it comes after derived_comebacks, refreshed first.
    Derived(
        "summary_service_days",
        summary_service.DAYS_DDL,
        frozenset({"repair_orders"}),
        summary_service.days_select,
    ),
    Derived(
        "summary_service_churn",
        summary_service.CHURN_DDL,
        frozenset({"repair_orders"}),
        summary_service.churn_select,
        batch=HEAVY_BATCH,
    ),
    Derived(
        "summary_service_parts",
        summary_service.PARTS_DDL,
        frozenset({"parts_stock"}),
        summary_service.parts_select,
    ),
    Derived(
        "summary_service_tech_months",
        summary_service.TECH_MONTHS_DDL,
        frozenset({"repair_orders"}),
        summary_service.tech_months_select,
    ),
    # Leads (warehouse.summary_leads): lead capture per day, lost leads and the exact lead book.
    Derived(
        "summary_lead_capture",
        summary_leads.CAPTURE_DDL,
        frozenset({"traffic"}),
        summary_leads.capture_select,
    ),
    Derived(
        "summary_lead_lost",
        summary_leads.LOST_DDL,
        frozenset({"traffic", "followups"}),
        summary_leads.lost_select,
        batch=HEAVY_BATCH,
    ),
    Derived(
        "summary_lead_book",
        summary_leads.BOOK_DDL,
        frozenset({"traffic", "followups", "orders"}),
        lead_book_select,
        batch=HEAVY_BATCH,
    ),
)


# Derived tables an older version kept and this one replaced (create_tables drops them).
RETIRED = ("summary_sales_cohorts",)  # now summary_sales_cohort_starts


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create every derived table if missing (empty; ``refresh`` fills them); drop RETIRED."""
    for name in RETIRED:
        con.execute(f"DROP TABLE IF EXISTS {name}")
    for d in DERIVED:
        con.execute(d.ddl)


def refresh(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str] | None = None,
    stores: Iterable[str] | None = None,
    names: Iterable[str] | None = None,
) -> list[str]:
    """Recompute the derived tables that read any of ``tables`` for ``stores``; name them.

    None means every table or every store; ``names`` limits the refresh to those derived
    tables (a migration filling new ones). Runs on the caller's connection and transaction.
    """
    changed = None if tables is None else set(tables)
    only = None if names is None else set(names)
    store_list = None if stores is None else sorted(set(stores))
    if store_list == []:
        return []
    done = []
    for d in DERIVED:
        if changed is not None and not d.sources & changed:
            continue
        if only is not None and d.name not in only:
            continue
        with timed(f"refresh {d.name}"):
            if store_list is None:
                con.execute(f"DELETE FROM {d.name}")
                if d.batch is None:
                    con.execute(f"INSERT INTO {d.name} {d.select('true')}")
                else:
                    _insert_batches(con, d, _stores_of(con, d.sources))
            else:
                params = {"stores": store_list}
                con.execute(f"DELETE FROM {d.name} WHERE list_contains($stores, store)", params)
                _insert_batches(con, d, store_list)
        done.append(d.name)
    return done


def _stores_of(con: duckdb.DuckDBPyConnection, sources: frozenset[str]) -> list[str]:
    """Return every store with a row in any of the source tables (sorted)."""
    union = " UNION ".join(f"SELECT DISTINCT store FROM {t}" for t in sorted(sources))
    return sorted(r[0] for r in con.execute(union).fetchall())


def _insert_batches(con: duckdb.DuckDBPyConnection, d: Derived, stores: list[str]) -> None:
    """Insert the derived rows of ``stores``, ``d.batch`` stores per statement (all at once
    when it has none)."""
    size = d.batch or max(len(stores), 1)
    where = "list_contains($stores, {t}.store)"
    for i in range(0, len(stores), size):
        con.execute(f"INSERT INTO {d.name} {d.select(where)}", {"stores": stores[i : i + size]})
