"""Sign-in and roles in the app: who is signed in, the sign-in widget, and the page gates.

Two ways to sign in (docs/AUTH.md):
- password accounts (warehouse.auth): the default; a signed-in account lives in the session
  (a new browser tab or a reload signs out);
- single sign-on: when `.streamlit/secrets.toml` has an `[auth]` section, the sign-in offers
  the identity provider's button (`st.login`) instead of the password form, and the person is
  mapped to an account by e-mail (users.email). An e-mail without an account gets no role.

Roles include the ones before them: viewer < staff < manager. KPI pages are open to anyone
while the store's `public_view` setting is on; otherwise they need a viewer. Every write page
calls :func:`require_role` itself, so typing a page's URL does not get around the menu.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

import streamlit as st

from ui.i18n import t
from warehouse import db
from warehouse.auth import ROLES, User, has_role, user_for_email, verify

SESSION_KEY = "_auth_user"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
# Password guessing: after this many failures for one name within the window, wait.
MAX_FAILURES = 5
FAILURE_WINDOW_S = 600.0
LOCKOUT_S = 60.0
_failures: dict[str, list[float]] = {}
_failures_lock = threading.Lock()


def md(text: object) -> str:
    """Return text with Markdown characters escaped: data (a file or user name) shows as written.

    Streamlit renders Markdown in alerts, captions and labels; data never goes through HTML.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# ------------------------------------------------------------------ who is signed in


def oidc_enabled() -> bool:
    """Return True when secrets.toml has an `[auth]` section (single sign-on replaces passwords)."""
    try:
        # load_if_toml_exists() answers False without a secrets file instead of raising
        return st.secrets.load_if_toml_exists() and bool(st.secrets.get("auth"))
    except Exception:  # an unreadable secrets file: no single sign-on
        return False


def oidc_providers() -> list[str | None]:
    """Return the providers to offer: [None] for a flat `[auth]`, else each `[auth.<name>]`."""
    if not oidc_enabled():
        return []
    section = st.secrets["auth"]
    if "client_id" in section or "server_metadata_url" in section:
        return [None]
    named = [k for k, v in section.items() if hasattr(v, "keys") and "client_id" in v]
    return named or [None]


def _path() -> str:
    return str(db.db_path())


def read(fn, *args: Any, **kwargs: Any) -> Any:
    """Run fn(con, *args) on a short read-only connection; None when there is no database."""
    path = _path()
    if not os.path.exists(path):
        return None
    with db.connect(path, read_only=True) as con:
        return fn(con, *args, **kwargs)


def write(fn, *args: Any, **kwargs: Any) -> Any:
    """Run fn(con, *args) on a short read-write connection (the admin pages' writes)."""
    with db.connect(_path()) as con:
        return fn(con, *args, **kwargs)


def _account(con, username: str) -> User | None:
    row = con.execute(
        "SELECT username, display_name, role, email FROM users WHERE username = $u",
        {"u": username},
    ).fetchone()
    return User(*row) if row else None


def _oidc_user() -> User | None:
    info = st.user
    if not info.get("is_logged_in"):
        return None
    if info.get("email_verified") is False:  # a provider that says the address is unproven
        return None
    return read(user_for_email, info.get("email"))


def current_user() -> User | None:
    """Return the signed-in account of this session, or None (anonymous)."""
    if oidc_enabled():
        cached = st.session_state.get(SESSION_KEY)
        email = st.user.get("email") if st.user.get("is_logged_in") else None
        if isinstance(cached, User) and email and cached.email == email.strip().lower():
            return cached
        user = _oidc_user()
        st.session_state[SESSION_KEY] = user
        return user
    cached = st.session_state.get(SESSION_KEY)
    return cached if isinstance(cached, User) else None


def refresh_user() -> User | None:
    """Re-read the session's account from the database (a changed role or a deleted account)."""
    user = current_user()
    if user is None:
        return None
    fresh = read(_account, user.username)
    if fresh is None:
        st.session_state.pop(SESSION_KEY, None)
        return None
    st.session_state[SESSION_KEY] = fresh
    return fresh


def session_role() -> str | None:
    """Return the role of this session ('viewer', 'staff', 'manager') or None."""
    user = current_user()
    return user.role if user else None


def allowed(role: str | None) -> bool:
    """Return True when the session may see a page that needs `role` (None: anyone).

    'viewer' pages are always listed: whether their data shows depends on the store's
    public_view setting, checked by :func:`require_view`.
    """
    if role in (None, "public", "viewer"):
        return True
    return has_role(session_role(), role)


# ------------------------------------------------------------------ public view


def _public(con, store: str | None) -> bool:
    row = con.execute(
        "SELECT coalesce(bool_and(public_view), true) FROM stores WHERE $s IS NULL OR store = $s",
        {"s": store},
    ).fetchone()
    return bool(row[0])


@st.cache_data(show_spinner=False, max_entries=64)
def _public_cached(path: str, version: int, store: str | None) -> bool:
    with db.connect(path, read_only=True) as con:
        return _public(con, store)


def is_public(store: str | None) -> bool:
    """Return True when anyone may read the store's KPIs (all stores public when None)."""
    path = _path()
    if not os.path.exists(path):
        return True
    from ui import data

    return _public_cached(path, data.current().version, store)


def may_view(store: str | None) -> bool:
    """Return True when this session may read the store's KPI pages."""
    return is_public(store) or has_role(session_role(), "viewer")


# ------------------------------------------------------------------ signing in and out


def _locked_out(username: str) -> bool:
    now = time.monotonic()
    with _failures_lock:
        recent = [s for s in _failures.get(username, []) if now - s < FAILURE_WINDOW_S]
        _failures[username] = recent
        return len(recent) >= MAX_FAILURES and now - recent[-1] < LOCKOUT_S


def _note_failure(username: str) -> None:
    with _failures_lock:
        _failures.setdefault(username, []).append(time.monotonic())


def sign_in(username: str, password: str) -> User | None:
    """Check a password and sign the session in; return the account or None.

    Raises PermissionError while the name is locked out after repeated failures.
    """
    username = (username or "").strip()
    if _locked_out(username):
        raise PermissionError(t("auth.locked"))
    user = read(verify, username, password or "")
    if user is None:
        _note_failure(username)
        return None
    with _failures_lock:
        _failures.pop(username, None)
    st.session_state[SESSION_KEY] = user
    return user


def sign_out() -> None:
    """Sign the session out (and out of the identity provider with single sign-on)."""
    st.session_state.pop(SESSION_KEY, None)
    if oidc_enabled() and st.user.get("is_logged_in"):
        st.logout()


def _password_form(key: str) -> None:
    with st.form(f"{key}-form", border=key != "sidebar"):
        name = st.text_input(t("auth.username"), key=f"{key}-name")
        password = st.text_input(t("auth.password"), type="password", key=f"{key}-password")
        if st.form_submit_button(t("auth.sign_in"), type="primary"):
            try:
                user = sign_in(name, password)
            except PermissionError as exc:
                st.error(str(exc))
                return
            if user is None:
                st.error(t("auth.wrong"))
                return
            st.rerun()


def _sso_buttons(key: str) -> None:
    for provider in oidc_providers():
        label = t("auth.sso") if provider is None else t("auth.sso_named", name=provider)
        if st.button(label, key=f"{key}-sso-{provider or 'default'}", type="primary",
                     icon=":material/login:"):  # fmt: skip
            try:
                st.login(provider)
            except Exception as exc:  # Authlib missing or an incomplete [auth] section
                st.error(t("auth.sso_broken", reason=type(exc).__name__))


def sign_in_form(key: str = "main") -> None:
    """Draw the sign-in: the password form, or the single sign-on button when [auth] is set."""
    if oidc_enabled():
        if st.user.get("is_logged_in") and current_user() is None:
            st.warning(t("auth.sso_unknown", email=md(st.user.get("email") or "?")))
            if st.button(t("auth.sign_out"), key=f"{key}-sso-out"):
                sign_out()
            return
        _sso_buttons(key)
        return
    _password_form(key)


def sidebar_widget() -> None:
    """Show who is signed in with a sign-out button, or a small sign-in, in the sidebar."""
    user = current_user()
    with st.sidebar:
        if user is not None:
            st.caption(
                t("auth.signed_in_as", name=md(user.display_name), role=t(f"auth.role.{user.role}"))
            )
            if st.button(t("auth.sign_out"), key="auth-sign-out", icon=":material/logout:"):
                sign_out()
                st.rerun()
            return
        with st.expander(t("auth.sign_in"), icon=":material/login:"):
            sign_in_form("sidebar")


# ------------------------------------------------------------------ gates


def require_role(role: str) -> User:
    """Return the signed-in account when it has `role`; otherwise explain, offer sign-in, stop.

    Every write page calls this first: the menu hides such pages, and this check holds when
    someone types the page's URL. The account is re-read so a changed role applies at once.
    """
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user = refresh_user()
    if user is not None and user.can(role):
        return user
    st.title(t("auth.needs_title"))
    if user is None:
        st.info(t("auth.needs_sign_in", role=t(f"auth.role.{role}")), icon=":material/lock:")
        sign_in_form("gate")
    else:
        st.warning(
            t("auth.needs_role", role=t(f"auth.role.{role}"), have=t(f"auth.role.{user.role}")),
            icon=":material/lock:",
        )
    st.stop()
    raise RuntimeError("unreachable")  # st.stop() raises; keeps type checkers honest


def viewed_store() -> str | None:
    """Return the store this rerun shows: the sidebar's choice, else ?store= (the TV), else None."""
    wanted = st.query_params.get("store") or None
    if wanted and st.query_params.get("tv"):
        return wanted
    ctx = st.session_state.get("_ctx")
    if ctx is not None and hasattr(ctx, "store"):
        return ctx.store
    return wanted


def require_view(store: str | None = None, *, use_context: bool = True) -> None:
    """Stop the page with a sign-in unless the store is public or a viewer is signed in.

    Without a store, the store this rerun shows is used (None: all stores, which must all be
    public).
    """
    if store is None and use_context:
        store = viewed_store()
    if may_view(store):
        return
    st.title(t("auth.needs_title"))
    st.info(t("auth.private_store"), icon=":material/lock:")
    sign_in_form("gate")
    st.stop()


SETUP_PAGES = ("upload", "users", "settings")


def setup_page(page: object) -> bool:
    """Return True when a manager opens an admin page of a database without data yet.

    The first-run screen would otherwise hide the Upload page that fills the database.
    """
    return getattr(page, "url_path", None) in SETUP_PAGES and allowed("manager")
