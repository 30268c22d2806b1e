"""Overview: the GM's cockpit, headline cards of every department and what needs attention."""

import streamlit as st

from kpi import backlog, programs, targets
from ui import cards, data, page_cards, sidebar
from ui.i18n import t
from ui.outlook import outlook
from ui.report_button import report_button

ctx = sidebar.context()
scope = ctx.scope
overrides = data.thresholds(ctx.store)

st.title(t("overview.title"))
st.caption(t("overview.caption", store=ctx.store_label, period=ctx.period_label))
report_button(ctx, key="report_overview")
attention_box = st.container(border=True)
outlook(scope)

for dept, ids in page_cards.HEADLINES.items():  # each department's headline cards
    section = cards.kpi_cards(ids, scope)
    if section:
        st.subheader(t(f"dept.{dept}"))
        cards.grid(section, overrides)

# Every KPI of every section is checked, not only the cards shown: this period's
# summary is complete in the cards' (light) summaries too.
values: dict = {}
for module in page_cards.by_module(page_cards.headline_ids()):
    values.update(data.summary(module, scope, light=True))
# The backlog on as_of (its age judged by its lines, cars missing) and the rebate gaps.
waiting = data.cached(backlog.summary, scope)
values.update(waiting)
programmes = data.cached(programs.programs_detail, scope)
lines = cards.attention_lines(values, data.summary(targets, scope), scope, overrides,
                              programmes=programmes, backlog=waiting)  # fmt: skip
with attention_box:
    st.markdown(f"**{t('overview.attention')}**")
    st.markdown("\n".join(f"- {line}" for line in lines) or t("overview.all_clear"))
