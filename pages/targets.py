"""Targets: achievement to date (year, quarter, month, consultant) and the annual plan editor."""

import streamlit as st

from app import targets_edit as te
from kpi import targets, workbook
from kpi.scope import Scope
from kpi.targets import METRICS
from ui import auth, data, sidebar, tables
from ui.highlight import light_table
from ui.i18n import kpi_label, t
from ui.outlook import outlook
from ui.report_button import report_button

ctx = sidebar.context()
scope = ctx.scope
st.title(t("tgt.title"))
st.caption(t("tgt.caption", store=ctx.store_label, period=ctx.period_label))
report_button(ctx, key="report_targets")
metric = st.selectbox(t("tgt.metric"), te.TARGET_METRICS, key="tgt_metric",
                      format_func=lambda m: kpi_label(m, ctx.lang))  # fmt: skip
kind = "money" if metric == "service_revenue" else "int"
number_format = "¥%,.0f" if kind == "money" else "%,.0f"


outlook(scope)
st.subheader(t("tgt.levels"))
st.caption(t("tgt.levels_note"))
levels = data.frame(workbook.target_levels, scope, metric=metric)
if not levels.empty:
    levels["level"] = levels["level"].map(lambda v: t(f"tgt.level_{v}"))
light_table(
    levels,
    [("level", "tgt.level", "text"), ("period", "tgt.period", "text"),
     ("actual", "tgt.actual", kind), ("target", "tgt.target", kind),
     ("achievement", "tgt.achievement", "percent"), ("expected", "tgt.expected", "percent"),
     ("traffic_light", "tgt.status", "text")],
    key="levels",
)  # fmt: skip
if metric in METRICS:
    month = Scope.for_month(f"{scope.as_of:%Y-%m}", today=ctx.today, store=ctx.store)
    people = data.frame(targets.achievement, month, metric=metric, by="consultant")
    people = people[people["consultant"].notna()] if not people.empty else people
    st.markdown(f"**{t('tgt.consultants', month=f'{scope.as_of:%Y-%m}')}**")
    light_table(
        people,
        [("consultant", "sales.consultant", "text"), ("store", "sidebar.store", "text"),
         ("actual", "tgt.actual", kind), ("target", "tgt.target", kind),
         ("achievement", "tgt.achievement", "percent"), ("pace", None, "number"),
         ("traffic_light", "tgt.status", "text")],
        key="consultants",
    )  # fmt: skip

st.subheader(t("tgt.plan"))
if ctx.store is None:
    st.info(t("tgt.pick_store"), icon=":material/storefront:")
    st.stop()


@st.cache_data(show_spinner=False, max_entries=32)
def load(path: str, version: int, store: str, year: int, metric: str, as_of) -> te.EditorData:
    return te.load_editor(path, store, year, metric, as_of)


user = auth.refresh_user()
manager = user is not None and user.can("manager")
src = data.current()
year = int(st.number_input(t("tgt.year"), 2000, 2100, scope.as_of.year, key="tgt_year"))
loaded = load(src.path, src.version, ctx.store, year, metric, scope.as_of)
plans = st.session_state.setdefault("tgt_plans", {})
plan_key = f"{ctx.store}|{year}|{metric}"
frame = plans.get(plan_key, loaded.saved)
config = {te.MONTH_COLUMN: st.column_config.TextColumn(t("common.month"), disabled=True)}
for col in frame.columns[1:]:
    label = t("tgt.store_col") if col == te.STORE_COLUMN else col
    config[col] = st.column_config.NumberColumn(label, min_value=0, format=number_format)

if manager:
    left, right = st.columns([1, 2], vertical_alignment="bottom")
    saved_total = float(te.store_monthly(loaded.saved).sum())
    annual = left.number_input(t("tgt.annual"), min_value=0.0, value=saved_total, step=1.0,
                               format="%.0f", key=f"tgt_annual_{plan_key}")  # fmt: skip
    if right.button(t("tgt.split"), help=t("tgt.split_help"), icon=":material/call_split:"):
        others = [c for c in loaded.saved.columns[2:] if c not in loaded.team]
        plans[plan_key] = te.proposal(year, annual, loaded.history, loaded.team, others)
        st.session_state["tgt_plan_n"] = st.session_state.get("tgt_plan_n", 0) + 1
        st.rerun()
    if plan_key in plans:
        st.caption(t("tgt.unsaved"))
    version = st.session_state.get("tgt_plan_n", 0)
    edited = st.data_editor(frame, column_config=config, hide_index=True, num_rows="fixed",
                            height=460, placeholder="—",
                            key=f"tgt_editor_{plan_key}_{version}")  # fmt: skip
else:
    st.info(t("tgt.read_only"), icon=":material/lock:")
    with st.expander(t("auth.sign_in"), icon=":material/login:"):
        auth.sign_in_form("targets")
    st.dataframe(frame, column_config=config, hide_index=True, height=460, placeholder="—")
    edited = frame

if te.store_monthly(edited).isna().all():
    st.caption(t("tgt.no_targets", year=year))
off = te.mismatched_months(edited)
if off:
    st.warning(t("tgt.mismatch", months=", ".join(off)), icon=":material/warning:")
quarter_col, week_col = st.columns(2)
with quarter_col:
    st.markdown(f"**{t('tgt.quarters')}**")
    tables.show(te.quarters(edited),
                [("quarter", "tgt.quarter", "text"), ("target", "tgt.target", kind)])  # fmt: skip
with week_col:
    week_month = f"{scope.as_of:%Y-%m}" if year == scope.as_of.year else f"{year}-01"
    st.markdown(f"**{t('tgt.weeks', month=week_month)}**")
    tables.show(te.weeks(week_month, te.store_monthly(edited).get(week_month)),
                [("week", "tgt.week", "text"), ("days", "tgt.days", "int"),
                 ("target", "tgt.target", "number")])  # fmt: skip

if manager and st.button(t("tgt.save"), type="primary", icon=":material/save:", key="tgt_save"):
    try:
        result = te.save_targets(src.path, ctx.store, te.rows_from_frame(edited, metric), user)
    except (te.TargetsError, PermissionError) as exc:
        st.error(t("tgt.not_saved", reason=auth.md(exc)))
    else:
        plans.pop(plan_key, None)
        counts = {"inserted": result.inserted, "updated": result.updated,
                  "deleted": result.deleted}  # fmt: skip
        st.session_state["tgt_flash"] = t("tgt.saved", **counts)
        st.rerun()
if flash := st.session_state.pop("tgt_flash", None):
    st.success(flash, icon=":material/check_circle:")
