"""The first-run screen: what to do when the database is missing or holds no data yet."""

from __future__ import annotations

import streamlit as st

from ui import auth
from ui.data import Source
from ui.i18n import t


def render(src: Source) -> None:
    """Point a manager to the Upload page; keep the command line for IT in an expander."""
    st.title(t("first_run.title"))
    key = "first_run.missing" if src.state == "missing" else "first_run.empty"
    st.info(t(key, path=auth.md(src.path)), icon=":material/database:")
    st.markdown(t("first_run.upload"))
    if auth.allowed("manager"):
        st.page_link(
            "pages/upload.py", label=t("first_run.open_upload"), icon=":material/upload_file:"
        )
    with st.expander(t("first_run.it"), icon=":material/terminal:"):
        st.markdown(t("first_run.demo"))
        st.code("make run", language="bash")
        st.markdown(t("first_run.import"))
        st.code(
            f"python -m kpi import --db {src.path} --table traffic --store main 来店登记.csv\n"
            f"python -m kpi import --db {src.path} --table orders --store main 订单.xlsx",
            language="bash",
        )
        st.markdown(t("first_run.after"))
