"""Manufacturer (厂家商务): the period's retail and wholesale against target, and each rebate
programme against its tiers: earned now, at the current pace, units and gain to the next tier."""

import streamlit as st

from kpi import programs
from ui import data, manufacturer, sidebar
from ui.i18n import t

ctx = sidebar.context()
scope = ctx.scope

st.title(t("page.manufacturer"))
st.caption(f"{ctx.store_label} · {ctx.period_label}")
manufacturer.period_cards(scope)

st.subheader(t("mfr.programmes"))
programmes = data.cached(programs.programs_detail, scope)
if not programmes:
    st.caption(t("mfr.none"))
manufacturer.programmes(programmes, scope)
if programmes:
    st.caption(t("mfr.note"))
