"""Showroom TV: live sales panels that rotate and refresh themselves (docs/TV.md).

`/kanban?tv=1&store=sh-pudong` hides every piece of Streamlit chrome; without tv=1 the page
shows the same board inside the app, with the TV link for the store chosen in the sidebar.
"""

from datetime import datetime

import streamlit as st

from ui import auth, data, tv
from ui.i18n import t
from warehouse import live

data.current()  # a fresh server may run this file alone: go through dashboard.py first
opts = tv.options_from(st.query_params)
if opts.tv:
    st.html(tv.CHROME_OFF_CSS)
st.html(tv.BOARD_CSS)

if not opts.tv:
    from ui import sidebar

    sidebar.context()
    st.title(t("tv.page_title"))
# The store shown is the one the access decision checked (ui.auth.decide), never re-read here.
decision = auth.access()
if decision is None or decision.part != "tv":  # this file run alone: decide here, same rule
    decision = auth.decide("kanban", opts.tv)
auth.require_view(decision)
store = decision.store
if not opts.tv and store is not None:
    st.caption(t("tv.link_hint"))
    st.code(f"/kanban?tv=1&store={store}", language=None)
bad_params = t("tv.bad_params", names=", ".join(opts.ignored)) if opts.ignored else ""
if bad_params and not opts.tv:
    st.warning(bad_params, icon=":material/link_off:")


@st.fragment(run_every=opts.tick_s)
def board(opts: tv.TvOptions, store: str | None) -> None:
    """Read the numbers (or keep the last ones while the database is away) and draw a panel."""
    if not auth.still_allowed(decision):  # made private while the TV runs: show the sign-in
        st.rerun()
    memo = f"tv_last:{store}"
    note = bad_params if opts.tv else ""
    try:
        found = tv.probe()
        if found is None or store is None:
            st.info(t("tv.no_data"))
            return
        path, version = found
        info = tv.settings(path, version, store)
        if not info["exists"]:
            st.error(t("tv.unknown_store", store=auth.md(store)))
            return
        snap = tv.snapshot(path, version, store)
        st.session_state[memo] = (snap, datetime.now(tv.zone(info["timezone"])))
    except tv.READ_ERRORS:
        if memo not in st.session_state:
            st.info(t("tv.connecting"))
            return
        note = " · ".join(x for x in (t("tv.reconnecting"), note) if x)
    snap, updated = st.session_state[memo]
    tz = snap.settings["timezone"]
    now = tv.store_now(tz)
    shown = tv.panel_at(opts.panels, opts.rotate_s, tv.now_seconds())
    frame = st.container() if opts.tv else st.container(key="tv-preview")  # smaller in the app
    with frame, st.container(key="tv-board"):
        tv.header(snap.settings["name"], t(f"tv.panel.{shown}"), now)
        if live.is_stale(snap.newest, now, opts.stale_min, snap.settings["opening_hours"], tz):
            with st.container(key="tv-stale"):
                st.warning(t("tv.stale", minutes=opts.stale_min))
        with st.container(key=f"tv-panel-{shown}"):
            tv.RENDER[shown](snap)
        tv.footer(opts.panels, shown, updated, note)


board(opts, store)
