"""The shared sidebar: language, store and period; it yields the Context every page reads.

The entry file renders it once per rerun before the page runs; widgets keep fixed keys so a
choice survives moving between pages. Later pages (uploads, TV, group view) reuse `render`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import streamlit as st

from kpi.scope import Scope, add_months, month_end, month_start
from ui import data, filters, links
from ui.entry import run_through_entry_point
from ui.formatting import day_label, month_label, period_text
from ui.i18n import DEFAULT_LANG, LANG_NAMES, LANGS, t

MONTHS_BACK = 36


@dataclass(frozen=True)
class Context:
    """What the sidebar chose: language, store (None = all pooled), period and today."""

    lang: str
    store: str | None
    scope: Scope
    today: date
    month: str | None  # 'YYYY-MM' when the period is one calendar month
    filters: dict = field(default_factory=dict)  # the page's sidebar filters set {name: value}
    page: str | None = None  # url_path of the page the sidebar was drawn for

    @property
    def filter_label(self) -> str:
        """Return what the page is filtered by, for its caption ('' when nothing is)."""
        return filters.caption(self.filters)

    @property
    def filter_suffix(self) -> str:
        """Return " · Filtered: …" for a page caption ('' when nothing is filtered)."""
        return f" · {self.filter_label}" if self.filters else ""

    @property
    def unfiltered(self) -> Scope:
        """Return the scope without the page's filters (a store's average, a ranking)."""
        return self.scope.with_filters(**dict.fromkeys(self.filters))

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


def render(page: str | None = None) -> Context:
    """Draw the sidebar for the page at url_path ``page``; return the chosen Context.

    A link's parameters (ui.links.incoming) replace the session's choices first; the view
    chosen is written back into the URL at the end.
    """
    wanted = links.incoming()
    if wanted is not None and wanted.get("lang") is not None:
        if wanted["lang"] in LANGS:
            st.session_state["lang"] = wanted["lang"]
        else:
            links.reject("lang")
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
        names = data.store_names(stores)
        _keep_valid("store", options)
        _store_from_url(options, wanted)
        _period_from_url(wanted, today)
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
        active = filters.render(page, store, wanted)
        st.caption(t("sidebar.as_of", date=day_label(scope.as_of)))
    from ui import drill

    scope = scope.with_filters(**active)
    opened = drill.from_link(wanted, page)
    ctx = Context(lang, store, scope, today, month, active, page)
    st.session_state["_ctx"] = ctx
    span = None if month is not None else (scope.start, scope.end)
    links.publish(links.view(lang, store, month, span, active, opened))
    links.notify()
    return ctx


def _visible_stores() -> list[str]:
    """Return the stores this session may read (a stranger is not shown private store names)."""
    from ui import auth

    stores = data.stores()
    if auth.has_role(auth.session_role(), "viewer"):  # may_view's first test, once, not per store
        return stores
    return [s for s in stores if auth.is_public(s)]


def _store_from_url(options: list[str | None], link: dict[str, str] | None) -> None:
    """Select ?store= of a link (a shared one, back or forward) when this session may see it.

    The store is canonicalised as the access gate does (ui.auth.canonical_store); a store
    the session may not see (private, unknown) is not an option, so it is refused: the
    sidebar keeps its store and the notice names only the parameter, never the value.
    """
    from ui import auth

    if link is None:
        return
    if "store" not in link:  # a link of all stores pooled: the picker's first option
        # None must not be set: a selectbox whose state is None shows no choice.
        if None in options:
            st.session_state.pop("store", None)
        return
    wanted = auth.canonical_store(link["store"])
    if wanted is not None and wanted in options:
        st.session_state["store"] = wanted
    else:
        links.reject("store")


def _period_from_url(link: dict[str, str] | None, today: date) -> None:
    """Select the link's month (?month=YYYY-MM) or custom range (?from=&to=), else the default."""
    if link is None:
        return
    if "from" in link or "to" in link:
        span = links.parse_range(link.get("from"), link.get("to"), today)
        if span is not None:
            st.session_state["period_mode"] = "range"
            st.session_state["range"] = span
            return
        links.reject("from/to")
    st.session_state["period_mode"] = "month"
    asked = link.get("month")
    if asked is not None and asked in _month_options(today):
        st.session_state["month"] = asked
        return
    if asked is not None:
        links.reject("month")
    st.session_state.pop("month", None)


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
