"""What needs the GM's attention: every KPI past a line, judged like for like.

Pure: the Overview's attention list, the digest and the tests read the same list. A running
period is judged as the catalogue's rule "A period still running" reads it: measures taken on
as_of (stock, aging, WIP, the lead book) from the first day; rates over the days so far, and
the target's traffic light, once a week is known (kpi.catalogue.judged). So on days 1–7 only
real problems show: aged stock, open repair orders, overdue follow-ups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kpi import catalogue
from kpi.scope import Scope

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
