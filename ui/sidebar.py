"""The shared sidebar: language, store and period; it yields the Context every page reads.

The entry file renders it once per rerun before the page runs; widgets keep fixed keys so a
choice survives moving between pages. Later pages (uploads, TV, group view) reuse `render`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from kpi.scope import Scope, add_months, month_end, month_start
from ui import data
from ui.formatting import day_label, month_label, period_text
from ui.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, t
from ui.nav import run_through_entry_point

MONTHS_BACK = 36


@dataclass(frozen=True)
class Context:
    """What the sidebar chose: language, store (None = all pooled), period and today."""

    lang: str
    store: str | None
    scope: Scope
    today: date
    month: str | None  # 'YYYY-MM' when the period is one calendar month

    @property
    def store_text(self) -> str:
        """Return the store's display name as plain text (a table cell, a file)."""
        if self.store is None:
            return t("sidebar.all_stores", self.lang)
        return data.store_name(self.store) or self.store

    @property
    def store_label(self) -> str:
        """Return the store's display name for Markdown (captions, headers): escaped."""
        from ui.auth import md

        return md(self.store_text)

    @property
    def period_label(self) -> str:
        """Return the period as a caption says it: a running one up to as_of, marked running."""
        return period_text(self.scope, self.lang)


def init_language() -> str:
    """Set the session's language from ?lang= on first load; return it."""
    if st.session_state.get("lang") not in LANGS:
        wanted = st.query_params.get("lang")
        st.session_state["lang"] = wanted if wanted in LANGS else DEFAULT_LANG
    return st.session_state["lang"]


def _month_options(today: date) -> list[str]:
    newest = month_start(today)
    known = data.data_span()  # oldest and newest months with data (cheap; no coverage scan)
    oldest = date.fromisoformat(known[0] + "-01") if known else add_months(newest, -MONTHS_BACK)
    if known and known[-1] > f"{newest:%Y-%m}":
        newest = date.fromisoformat(known[-1] + "-01")
    oldest = max(oldest, add_months(newest, -MONTHS_BACK))
    out, d = [], newest
    while d >= oldest:
        out.append(f"{d:%Y-%m}")
        d = add_months(d, -1)
    return out


def _keep_valid(key: str, options: list) -> None:
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]


def render() -> Context:
    """Draw the sidebar and return the chosen Context (also kept for the page)."""
    lang = init_language()
    today = data.today()
    with st.sidebar:
        st.radio(
            t("sidebar.language"),
            LANGS,
            key="lang",
            format_func=LANG_NAMES.get,
            horizontal=True,
        )
        lang = st.session_state["lang"]
        stores = _visible_stores()
        options: list[str | None] = ([None] if len(stores) != 1 else []) + stores
        if len(stores) < len(data.stores()):  # all stores pooled only for who may see them all
            options = stores or [None]  # none: "all stores", which asks for a sign-in
        names = {s: data.store_name(s) for s in stores}
        _keep_valid("store", options)
        _store_from_url(options)
        store = st.selectbox(
            t("sidebar.store"),
            options,
            key="store",
            format_func=lambda s: t("sidebar.all_stores", lang) if s is None else names[s],
        )
        mode = st.radio(
            t("sidebar.period"),
            ["month", "range"],
            key="period_mode",
            format_func=lambda m: t(f"sidebar.period_{m}", lang),
            horizontal=True,
        )
        month = None
        scope = None
        if mode == "range":
            scope = _range_scope(today, store)
        if scope is None:
            months = _month_options(today)
            _keep_valid("month", months)
            default = f"{today:%Y-%m}"
            month = st.selectbox(
                t("sidebar.month"),
                months,
                index=months.index(default) if default in months else 0,
                key="month",
                format_func=lambda m: month_label(m, lang),
            )
            scope = Scope.for_month(month, today=today, store=store)
        st.caption(t("sidebar.as_of", date=day_label(scope.as_of)))
    ctx = Context(lang=lang, store=store, scope=scope, today=today, month=month)
    st.session_state["_ctx"] = ctx
    return ctx


def _visible_stores() -> list[str]:
    """Return the stores this session may read (a stranger is not shown private store names)."""
    from ui import auth

    return [s for s in data.stores() if auth.may_view(s)]


def _store_from_url(options: list[str | None]) -> None:
    """Preselect ?store= (a shared link) on a session's first page, when it is an option."""
    from ui import auth

    wanted = auth.canonical_store(st.query_params.get("store"))
    # None (no ?store=) must not be set: a selectbox whose state is None shows no choice.
    if wanted is not None and "store" not in st.session_state and wanted in options:
        st.session_state["store"] = wanted


def _range_scope(today: date, store: str | None) -> Scope | None:
    first = month_start(today)
    picked = st.date_input(
        t("sidebar.range"),
        value=(first, today),
        max_value=month_end(today),
        key="range",
        format="YYYY-MM-DD",
    )
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        st.caption(t("sidebar.range_incomplete"))
        return None
    return Scope.for_range(picked[0], picked[1], today=today, store=store)


def context() -> Context:
    """Return this rerun's Context (rendering the sidebar if the entry file did not)."""
    run_through_entry_point()
    ctx = st.session_state.get("_ctx")
    return ctx if isinstance(ctx, Context) else render()
