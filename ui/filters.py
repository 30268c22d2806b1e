"""The sidebar's page filters (issue 17): which page offers which, their options and labels.

A filter narrows the page's Scope (kpi.scope.FILTERS), so every card, chart, table and
download of the page reads the filtered library value. A KPI the filter does not restrict
(kpi.drill.applies) says so on its card instead of passing an unfiltered figure off as a
filtered one.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from ui import data, links
from ui.i18n import current_lang, enum_label, t

SALES_FILTERS = ("consultant", "model", "channel", "sale_type", "buyer_type")
SERVICE_FILTERS = ("advisor", "technician", "ro_type")
# Page url_path -> the filters its sidebar offers (pages not listed offer none).
PAGE_FILTERS: dict[str, tuple[str, ...]] = {
    "sales": SALES_FILTERS,
    "customers": SALES_FILTERS,
    "marketing": SALES_FILTERS,
    "inventory": ("model",),
    "order_planning": ("model",),
    "service": SERVICE_FILTERS,
    "workshop": SERVICE_FILTERS,
    "finance": ("department",),
    "consultant": ("consultant",),
}
ALL = ""  # the choice "every value" of a filter

# Filters whose values are a fixed vocabulary (ui.i18n.ENUMS kind); the rest are names.
ENUM_KINDS = {
    "channel": "channel",
    "sale_type": "sale_type",
    "buyer_type": "buyer_type",
    "ro_type": "ro_type",
    "department": "department",
}


def for_page(page: str | None) -> tuple[str, ...]:
    """Return the filters the page at url_path ``page`` offers."""
    return PAGE_FILTERS.get(page or "", ())


def value_label(name: str, value: object, lang: str | None = None) -> str:
    """Return a filter value as the UI shows it: enum values translated, names as they are."""
    if value is None or value == ALL:
        return t("filter.all", lang)
    kind = ENUM_KINDS.get(name)
    return enum_label(kind, value, lang) if kind else str(value)


def options(name: str, store: str | None) -> list[str]:
    """Return the values a filter can take for the store in scope (None: every store)."""
    return data.filter_options(name, store)


def render(page: str | None, store: str | None, wanted: Mapping[str, str] | None) -> dict:
    """Draw the page's filters (in the sidebar) and return {name: value} of those set.

    ``wanted``: a link's parameters (ui.links.incoming) that replace the session's choices;
    a value the store's data does not hold is dropped with a notice (ui.links.reject).
    The "all" choice is "" (a selectbox whose state is None would show no choice).
    """
    chosen: dict[str, str] = {}
    names = for_page(page)
    if not names:
        return chosen
    st.caption(t("filter.heading"))
    lang = current_lang()
    for name in names:
        key = f"flt_{name}"
        values = options(name, store)
        choices = [ALL, *values]
        if wanted is not None:
            asked = wanted.get(name)
            st.session_state[key] = asked if asked in values else ALL
            if asked is not None and asked not in values:
                links.reject(name)
        if st.session_state.get(key, ALL) not in choices:
            st.session_state[key] = ALL
        picked = st.selectbox(
            t(f"filter.{name}"),
            choices,
            key=key,
            format_func=lambda v, n=name, lang=lang: value_label(n, v, lang),
        )
        if picked:
            chosen[name] = picked
    return chosen


def applies(kpi_id: str, name: str) -> bool:
    """Return True when the filter restricts the KPI (kpi.drill.applies; True if unknown)."""
    try:
        from kpi import drill
    except ImportError:
        return True
    try:
        return bool(drill.applies(kpi_id, name))
    except (NotImplementedError, KeyError, ValueError):
        return True


def not_applied(kpi_id: str, active: Mapping[str, str]) -> list[str]:
    """Return the active filters the KPI ignores (its card says it is not filtered by them)."""
    return [name for name in active if not applies(kpi_id, name)]


def caption(active: Mapping[str, str]) -> str:
    """Return what is filtered, e.g. 'Filtered: Consultant 张三 · Model A4L' ('' for none)."""
    if not active:
        return ""
    from ui.auth import md

    parts = [f"{t(f'filter.{n}')} {md(value_label(n, v))}" for n, v in active.items()]
    return t("filter.caption", what=" · ".join(parts))
