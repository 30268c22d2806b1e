"""What needs the GM's attention: every KPI past a line, judged like for like.

Pure: the Overview's attention list, the digest and the tests read the same list. A running
period is judged as the catalogue's rule "A period still running" reads it: measures taken on
as_of (stock, aging, WIP, the lead book) from the first day; rates over the days so far, and
the target's traffic light, once a week is known (kpi.catalogue.judged). So on days 1–7 only
real problems show: aged stock, open repair orders, overdue follow-ups.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kpi import catalogue
from kpi.scope import Scope

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset()

SEVERITY = {"red": 0, "amber": 1}


def items(
    values: Mapping[str, Any], scope: Scope, overrides: Mapping | None = None
) -> list[tuple[str, str, Any]]:
    """Return (status, kpi_id, value) for every catalogue KPI past a line, red first.

    ``values`` maps KPI ids to this period's values (ids outside the catalogue are ignored).
    Within one severity the catalogue's order is kept.
    """
    order = {kpi_id: n for n, kpi_id in enumerate(catalogue.CATALOGUE)}
    found = []
    for kpi_id, value in values.items():
        if kpi_id not in catalogue.CATALOGUE:
            continue
        state = catalogue.status(kpi_id, value, overrides, scope.elapsed)
        if state in SEVERITY:
            found.append((state, kpi_id, value))
    return sorted(found, key=lambda it: (SEVERITY[it[0]], order[it[1]]))


def target_light(pacing: Mapping[str, Any], scope: Scope) -> str:
    """Return the deliveries target's light as the attention list judges it.

    The report's traffic_light as the catalogue defines it, but 'neutral' while a running
    period is younger than a week (too few days to tell a slow start from a problem).
    """
    light = pacing.get("traffic_light")
    if not isinstance(light, str) or not catalogue.judged("traffic_light", scope.elapsed):
        return "neutral"
    return light


# A rebate gap is worth the GM's push when the units still needed are a small share of the
# programme's target, or no more than the current pace brings by end_date with half again on
# top: a push of days, not a different month.
REACH_SHARE = 0.10
REACH_PACE = 1.5


def within_reach(programme: Mapping[str, Any]) -> bool:
    """Return True when a programme's next tier is within reach (see programme_items)."""
    need = programme.get("next_tier_units")
    if need is None:
        return False
    target = programme.get("target_units") or 0
    elapsed, left = programme.get("days_elapsed") or 0, programme.get("days_left") or 0
    pace_more = programme["units"] / elapsed * left if elapsed else 0.0
    return need <= REACH_SHARE * target or need <= REACH_PACE * pace_more


def programme_items(programmes: Sequence[Mapping[str, Any]], scope: Scope) -> list[dict]:
    """Return the rebate gap of every running programme whose next tier is within reach.

    ``programmes`` are kpi.programs.programs_detail's rows. Running: start_date ≤ as_of ≤
    end_date. Within reach: the units the next tier still needs are at most REACH_SHARE of
    target_units, or at most REACH_PACE × the units the current pace adds by end_date (units ÷
    days elapsed × days left). A forward-looking fact, shown from the first day (not a rate
    over the days so far). Largest gain first; each item: store, program_id, name, basis,
    tier, units, gain, days_left.
    """
    found = [
        {
            "store": p["store"],
            "program_id": p["program_id"],
            "name": p["name"],
            "basis": p["basis"],
            "tier": p["next_tier"],
            "units": p["next_tier_units"],
            "gain": p["next_tier_gain"],
            "days_left": p["days_left"],
        }
        for p in programmes
        if p["start_date"] <= scope.as_of <= p["end_date"] and within_reach(p)
    ]
    return sorted(found, key=lambda it: -(it["gain"] or 0))


def backlog_items(backlog: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """Return ('amber', 'backlog_unmatched', n) when n backlog orders have no vehicle, else [].

    A measure on as_of (the allocation of that day): shown from the first day of a period.
    """
    n = backlog.get("backlog_unmatched")
    return [("amber", "backlog_unmatched", n)] if n else []
