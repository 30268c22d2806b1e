"""Manufacturer programme KPIs (厂家商务): wholesale units and each rebate programme's standing.

A programme (``rebate_programs``, one row per tier) counts units from its start_date to the
earlier of its end_date and as_of: deliveries of any sale type for basis retail, vehicles by
wholesale_date (else arrival_date) for basis wholesale (KPI-CATALOGUE.md, "Manufacturer
programmes"). A tier's amount on u units is u × (per_unit + pct_of_cost × c̄), c̄ the mean cost
of the units counted so far (orders.vehicle_cost, vehicles.cost; 0 when none).

- Programmes listed: those of the store whose dates overlap the period [start, end].
- A tier is reached when units counted ÷ target_units ≥ its min_achievement, within 1e-9 (the
  catalogue's ceil(x − 1e-9) rule for the units a tier needs, applied to reaching it too);
  tiers are ordered by min_achievement, then tier number.
- target_units 0: achievement has no value, no tier is reached (rebate_earned 0, the projection
  0 from the programme's start) and there is no next tier.
- rebate_projected: units counted ÷ days of the programme elapsed to as_of × its days, at the
  tier that reaches; from end_date on it equals rebate_earned, before start_date no value.

Per-programme KPIs are objects keyed by program_id for one store and by ``store/program_id``
when stores are pooled (a programme id is unique per store only). Filters other than the store
do not apply: a programme is the store's volume. The module loads no pandas.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb

from kpi import query
from kpi.scope import Scope, store_clause

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"orders", "rebate_programs", "stores", "vehicles"})

TABLE_IDS = (
    "program_achievement",
    "rebate_earned",
    "rebate_next_tier_units",
    "rebate_next_tier_gain",
    "rebate_projected",
)
EPS = 1e-9

# The vehicles wholesale_units counts (kpi.drill lists the same rows).
WHOLESALE_ROWS = (
    f"coalesce(wholesale_date, arrival_date) BETWEEN $start AND $end AND {store_clause()}"
)
_WHOLESALE_SQL = f"""
SELECT count(*) FROM vehicles
WHERE {WHOLESALE_ROWS}
"""

_PROGRAMS_SQL = f"""
WITH prog AS (
    SELECT store, program_id, arg_min(name, tier) AS name, arg_min(basis, tier) AS basis,
           min(start_date) AS start_date, max(end_date) AS end_date,
           arg_min(target_units, tier) AS target_units,
           list({{'tier': tier, 'min_achievement': min_achievement,
                  'per_unit': coalesce(per_unit, 0), 'pct_of_cost': coalesce(pct_of_cost, 0)}}
                ORDER BY min_achievement, tier) AS tiers
    FROM rebate_programs
    WHERE {store_clause()}
    GROUP BY store, program_id
    HAVING min(start_date) <= $period_end AND max(end_date) >= $start
),
retail AS (
    SELECT p.store, p.program_id, count(*) AS units, sum(o.vehicle_cost) AS cost
    FROM prog p
    JOIN orders o ON o.store = p.store AND o.status = 'delivered'
     AND o.delivery_date BETWEEN p.start_date AND least(p.end_date, $as_of)
    WHERE p.basis = 'retail'
    GROUP BY ALL
),
wholesale AS (
    SELECT p.store, p.program_id, count(*) AS units, sum(v.cost) AS cost
    FROM prog p
    JOIN vehicles v ON v.store = p.store
     AND coalesce(v.wholesale_date, v.arrival_date)
         BETWEEN p.start_date AND least(p.end_date, $as_of)
    WHERE p.basis = 'wholesale'
    GROUP BY ALL
)
SELECT p.store, p.program_id, p.name, p.basis, p.start_date, p.end_date, p.target_units,
       p.tiers,
       coalesce(r.units, w.units, 0) AS units,
       coalesce(r.cost, w.cost, 0) AS cost
FROM prog p
LEFT JOIN retail r ON r.store = p.store AND r.program_id = p.program_id
LEFT JOIN wholesale w ON w.store = p.store AND w.program_id = p.program_id
ORDER BY p.store, p.start_date, p.program_id
"""


def _amount(tier: dict[str, Any], units: float, mean_cost: float) -> float:
    """Return a tier's rebate on ``units`` units: units × (per_unit + pct_of_cost × c̄)."""
    return units * (tier["per_unit"] + tier["pct_of_cost"] * mean_cost)


def _reached(tiers: list[dict[str, Any]], achievement: float | None) -> dict[str, Any] | None:
    """Return the highest tier whose min_achievement the achievement reaches, else None."""
    if achievement is None:
        return None
    done = [t for t in tiers if t["min_achievement"] <= achievement + EPS]
    return done[-1] if done else None


def _threshold_units(tier: dict[str, Any], target: float) -> int:
    """Return the units a tier needs: ceil(min_achievement × target_units − 1e-9)."""
    return math.ceil(tier["min_achievement"] * target - EPS)


def _standing(row: dict[str, Any], as_of: date) -> dict[str, Any]:
    """Return one programme's figures on as_of (see programs_detail for the keys)."""
    units, target = row["units"], row["target_units"]
    mean_cost = row["cost"] / units if units else 0.0
    tiers = row["tiers"]
    achievement = units / target if target else None
    reached = _reached(tiers, achievement)
    earned = _amount(reached, units, mean_cost) if reached else 0.0
    # The next tier: the smallest min_achievement above the achievement (none at the top).
    above = (
        []
        if achievement is None
        else [t for t in tiers if t["min_achievement"] > achievement + EPS]
    )
    nxt = above[0] if above else None
    start, end = row["start_date"], row["end_date"]
    days_total = (end - start).days + 1
    days_elapsed = min(max((as_of - start).days + 1, 0), days_total)
    if as_of < start:
        projected_units, projected = None, None
    elif as_of >= end:
        projected_units, projected = float(units), earned
    else:
        projected_units = units / days_elapsed * days_total
        tier = _reached(tiers, projected_units / target if target else None)
        projected = _amount(tier, projected_units, mean_cost) if tier else 0.0
    need = _threshold_units(nxt, target) if nxt else None
    return {
        "store": row["store"],
        "program_id": row["program_id"],
        "name": row["name"],
        "basis": row["basis"],
        "start_date": start,
        "end_date": end,
        "target_units": target,
        "units": units,
        "cost": row["cost"],
        "achievement": achievement,
        "tier_reached": reached["tier"] if reached else None,
        "tiers": [
            {
                "tier": t["tier"],
                "min_achievement": t["min_achievement"],
                "per_unit": t["per_unit"],
                "pct_of_cost": t["pct_of_cost"],
                "units": _threshold_units(t, target),
                "amount": _amount(t, _threshold_units(t, target), mean_cost),
            }
            for t in tiers
        ],
        "earned": earned,
        "projected_units": projected_units,
        "projected": projected,
        "next_tier": nxt["tier"] if nxt else None,
        "next_tier_units": need - units if nxt else None,
        "next_tier_gain": (
            _amount(nxt, need, mean_cost) - earned if nxt and need is not None else None
        ),
        "days_total": days_total,
        "days_elapsed": days_elapsed,
        "days_left": days_total - days_elapsed,
    }


def programs_detail(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[dict[str, Any]]:
    """Return each programme overlapping the period with its standing on as_of, in date order.

    Keys: store, program_id, name, basis, start_date, end_date, target_units, units (counted
    to the earlier of end_date and as_of), cost (their Σ cost), achievement, tier_reached,
    tiers (tier, min_achievement, per_unit, pct_of_cost, units it needs, amount on those
    units), earned, projected_units and projected (None before start_date), next_tier,
    next_tier_units and next_tier_gain (None at the top tier), days_total, days_elapsed and
    days_left (of the programme, on as_of).
    """
    found = query.records(con, _PROGRAMS_SQL, scope.params)
    return [_standing(row, scope.as_of) for row in found]


def _key(row: dict[str, Any], scope: Scope) -> str:
    return row["program_id"] if scope.store is not None else f"{row['store']}/{row['program_id']}"


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, int]:
    """Return wholesale_units: vehicles whose wholesale_date (else arrival_date) is in period."""
    (n,) = query.rows(con, _WHOLESALE_SQL, scope.params)[0]
    return {"wholesale_units": int(n)}


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, Any]]:
    """Return the per-programme KPIs, each an object keyed by program_id (or store/program_id)."""
    detail = programs_detail(con, scope)
    fields = {
        "program_achievement": "achievement",
        "rebate_earned": "earned",
        "rebate_next_tier_units": "next_tier_units",
        "rebate_next_tier_gain": "next_tier_gain",
        "rebate_projected": "projected",
    }
    return {kpi: {_key(d, scope): d[f] for d in detail} for kpi, f in fields.items()}


def report(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    """Return summary() and tables() in one dict: what the report prints for this section."""
    return {**summary(con, scope), **tables(con, scope)}
