"""The order backlog (待交车) on the Sales page, and its orders without a car in Order planning.

Both read kpi.backlog on the page's as_of: the allocation (an order's own VIN, then the oldest
order to the oldest matching car in stock, then in transit) and what is left to order.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import backlog
from kpi.scope import Scope
from ui import cards, data, page_cards, tables
from ui.formatting import day_label
from ui.i18n import t

LIST_COLUMNS = [
    ("order_id", "backlog.order", "text"),
    ("consultant", "sales.consultant", "text"),
    ("model", "sales.model", "text"),
    ("order_date", "backlog.order_date", "date"),
    ("days_waiting", "backlog.days_waiting", "int"),
    ("vin", "backlog.vin", "text"),
    ("allocated_from", "backlog.from", "enum:allocated_from"),
]


def section(scope: Scope, overrides: dict | None = None) -> None:
    """Draw the backlog KPIs as cards and every waiting order with the car it is allocated."""
    cards.section(t("backlog.title"), backlog, page_cards.BACKLOG, scope, overrides)
    waiting = data.frame(backlog.backlog_list, scope)
    unmatched = data.summary(backlog, scope).get("backlog_unmatched")  # the cards' pass
    st.caption(t("backlog.caption", date=day_label(scope.as_of), n=unmatched or 0))
    if not waiting.empty:
        waiting["vin"] = (
            waiting["vin"].astype(object).where(waiting["vin"].notna(), t("backlog.needs_ordering"))
        )
    columns = list(LIST_COLUMNS)
    if scope.store is None:
        columns.insert(1, ("store", "sidebar.store", "text"))
    tables.show(waiting, columns, key="backlog")


def with_backlog(gap: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """Return order_gap's rows with backlog_unmatched per model and suggested_with_backlog.

    suggested_order stays the catalogue's order_gap value; suggested_with_backlog adds the
    backlog orders of the model that got no car (summed over stores). A model with such
    orders but no row in order_gap gets a row of its own (suggested_order 0).
    """
    per_model: dict[str, int] = {}
    for (_, model), n in (data.cached(backlog.unmatched_by_model, scope)).items():
        per_model[model] = per_model.get(model, 0) + int(n)
    known = set(gap["model"]) if "model" in gap.columns else set()
    extra = [{"model": m, "suggested_order": 0} for m in sorted(per_model) if m not in known]
    if extra:
        gap = pd.concat([gap, pd.DataFrame(extra)], ignore_index=True)
    if gap.empty:
        return gap
    out = gap.assign(backlog_unmatched=gap["model"].map(per_model).fillna(0).astype("int64"))
    out["suggested_with_backlog"] = (
        out["suggested_order"].fillna(0).astype("int64") + out["backlog_unmatched"]
    )
    return out
