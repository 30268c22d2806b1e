"""The month-end outlook a GM reads first: deliveries so far, the forecast and its range.

One widget for the Overview, Sales and Targets pages. The forecast (kpi.forecast, through
kpi.targets' summary) stands beside the month's target and the straight line (pace); its
80 % range and the chance of reaching the target say how sure it is.
"""

from __future__ import annotations

import streamlit as st

from kpi import targets
from kpi.scope import Scope
from ui import data
from ui.formatting import is_missing, number, percent
from ui.i18n import kpi_help, kpi_label, t

NO_VALUE = "—"


def _units(value: object) -> str:
    return NO_VALUE if is_missing(value) else number(float(value), 0)


def outlook(scope: Scope) -> None:
    """Draw the deliveries forecast of as_of's month against its target, in one bordered row."""
    pacing = data.summary(targets, scope)
    value = pacing.get("deliveries_forecast")
    if is_missing(value):
        return
    low, high = pacing.get("deliveries_forecast_low"), pacing.get("deliveries_forecast_high")
    target = pacing.get("month_deliveries_target")
    chance = pacing.get("target_chance")
    with st.container(border=True, key="outlook"):
        st.markdown(f"**{t('outlook.title', month=f'{scope.as_of:%Y-%m}')}**")
        cols = st.columns(4)
        cols[0].metric(kpi_label("deliveries_forecast"), _units(value),
                       help=kpi_help("deliveries_forecast"))  # fmt: skip
        rng = NO_VALUE if is_missing(low) or is_missing(high) else f"{_units(low)}–{_units(high)}"
        cols[1].metric(t("outlook.range"), rng, help=t("outlook.range_help"))
        cols[2].metric(t("outlook.target"), _units(target))
        cols[3].metric(t("outlook.pace"), _units(pacing.get("pace")), help=kpi_help("pace"))
        if not is_missing(target) and not is_missing(chance):
            st.caption(t("outlook.chance", chance=percent(float(chance), 0),
                         target=_units(target)))  # fmt: skip
        elif is_missing(target):
            st.caption(t("outlook.no_target"))
