"""Accounts: who may sign in and with which role; managers only (docs/AUTH.md)."""

import secrets

import pandas as pd
import streamlit as st

from app import admin
from ui import auth
from ui.i18n import current_lang, t
from warehouse.auth import ROLES, list_users
from warehouse.db import DatabaseBusy

user = auth.require_role("manager")
sso = auth.oidc_enabled()


lang = current_lang()  # bound now: widget labels are also formatted outside the run


def role_label(role: str) -> str:
    return t(f"auth.role.{role}", lang)


def attempt(fn, *args, done: str, **kwargs) -> None:
    """Run an account write; say what happened (the error in words on failure)."""
    try:
        auth.write(fn, user, *args, **kwargs)
    except (ValueError, PermissionError) as exc:
        st.error(auth.md(exc))
        return
    except DatabaseBusy:
        st.warning(t("upload.busy"))
        return
    st.session_state["_users_notice"] = done
    st.rerun()


st.title(t("users.title"))
st.markdown(t("users.roles"))
st.caption(t("users.sso_on") if sso else t("users.cli"))
if notice := st.session_state.pop("_users_notice", None):
    st.success(notice, icon=":material/task_alt:")

accounts = auth.read(list_users) or []
st.dataframe(
    pd.DataFrame(
        {
            t("users.col.username"): [a.username for a in accounts],
            t("users.col.name"): [a.display_name for a in accounts],
            t("users.col.role"): [role_label(a.role) for a in accounts],
            t("users.col.email"): [a.email or "" for a in accounts],
        }
    ),
    hide_index=True,
)

with st.expander(t("users.add"), icon=":material/person_add:"), st.form("users-add"):
    name = st.text_input(t("users.col.username"))
    shown = st.text_input(t("users.col.name"))
    email = st.text_input(t("users.col.email"), help=t("users.email_help"))
    role = st.selectbox(t("users.col.role"), ROLES, format_func=role_label)
    password = st.text_input(t("users.password"), type="password", help=t("users.password_help"))
    if st.form_submit_button(t("users.add_button"), type="primary"):
        if sso and not password:
            password = secrets.token_urlsafe(24)  # single sign-on: the password is never used
        attempt(admin.add_account, name.strip(), password, role, shown.strip(), email.strip(),
                done=t("users.added", name=auth.md(name.strip())))  # fmt: skip

names = [a.username for a in accounts]
if names:
    with st.expander(t("users.change"), icon=":material/manage_accounts:"):
        who = st.selectbox(t("users.which"), names, key="users-which")
        current = next(a for a in accounts if a.username == who)
        with st.form("users-change"):
            new_role = st.selectbox(
                t("users.col.role"), ROLES, index=ROLES.index(current.role), format_func=role_label
            )
            new_name = st.text_input(t("users.col.name"), value=current.display_name)
            new_email = st.text_input(t("users.col.email"), value=current.email or "")
            new_password = st.text_input(t("users.new_password"), type="password")
            if st.form_submit_button(t("users.save")):
                attempt(admin.change_account, who, role=new_role, password=new_password or None,
                        display_name=new_name.strip(), email=new_email,
                        done=t("users.changed", name=auth.md(who)))  # fmt: skip
        sure = st.checkbox(t("users.delete_confirm", name=auth.md(who)), key="users-delete-sure")
        if st.button(t("users.delete"), disabled=not sure, key="users-delete"):
            attempt(admin.remove_account, who, done=t("users.deleted", name=auth.md(who)))
