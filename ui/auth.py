"""Sign-in and roles in the app: who is signed in, the sign-in widget, and the page gates.

Two ways to sign in (docs/AUTH.md):
- password accounts (warehouse.auth): the default; a signed-in account lives in the session
  (a new browser tab or a reload signs out);
- single sign-on: when `.streamlit/secrets.toml` has an `[auth]` section, the sign-in offers
  the identity provider's button (`st.login`) instead of the password form, and the person is
  mapped to an account by e-mail (users.email). An e-mail without an account gets no role.

Roles include the ones before them: viewer < staff < manager. Every store is private until a
manager makes it public: `public_view` opens all its KPI pages and downloads to anyone,
`public_tv` only its showroom board (/kanban, counts without money). Each rerun takes one
access decision (:func:`decide`) on the canonical id of the store the page shows; the showroom
board shows exactly the store that was checked. Every write page calls :func:`require_role`
itself, so typing a page's URL does not get around the menu.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import streamlit as st

from ui import data
from ui.i18n import t
from warehouse import auth as accounts
from warehouse import db
from warehouse.auth import ROLES, User, has_role, user_for_email

SESSION_KEY = "_auth_user"
ACCESS_KEY = "_access"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


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
    with data.reading(path) as con:
        return fn(con, *args, **kwargs)


def write(fn, *args: Any, **kwargs: Any) -> Any:
    """Run fn(con, *args) on a short read-write connection (the admin pages' writes)."""
    with data.writing(_path()) as con:
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


_EDGE_JUNK = ("Cc", "Cf", "Zs", "Zl", "Zp")  # controls, zero-width marks, every kind of space


def canonical_store(raw: object) -> str | None:
    """Return a store id as the database spells it: no spaces, tabs or invisible marks around.

    `?store=hz-xihu%20`, `%09hz-xihu` and `hz-xihu` all name hz-xihu; case is kept (store ids
    are compared as stored). None when nothing is left.
    """
    if raw is None:
        return None
    text = str(raw)
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) in _EDGE_JUNK:
        start += 1
    while end > start and unicodedata.category(text[end - 1]) in _EDGE_JUNK:
        end -= 1
    return text[start:end] or None


def _public_table(con) -> dict[str, tuple[bool, bool]]:
    rows = con.execute(
        "SELECT store, coalesce(public_view, false), coalesce(public_tv, false) FROM stores"
    ).fetchall()
    return {r[0]: (bool(r[1]), bool(r[2])) for r in rows}


@st.cache_data(show_spinner=False, max_entries=16)
def _public_cached(path: str, version: int) -> dict[str, tuple[bool, bool]]:
    with data.reading(path) as con:
        return _public_table(con)


def _publicity() -> dict[str, tuple[bool, bool]]:
    """Return {store: (whole store public, TV board public)} for every known store."""
    path = _path()
    if not os.path.exists(path):
        return {}
    return _public_cached(path, data.current().version)


def is_public(store: str | None, part: str = "all") -> bool:
    """Return True when anyone may read `part` ('all' pages, or the 'tv' board) of the store.

    None means all stores pooled: every store must be public. An unknown store is private.
    """
    table = _publicity()
    if store is None:
        return bool(table) and all(whole for whole, _ in table.values())
    whole, board = table.get(store, (False, False))
    return whole or (part == "tv" and board)


def may_view(store: str | None, part: str = "all") -> bool:
    """Return True when this session may read the store's pages (`part` 'all') or board ('tv')."""
    return has_role(session_role(), "viewer") or is_public(store, part)


@dataclass(frozen=True)
class Access:
    """This rerun's access decision: the store shown (None: all), which part, known, allowed."""

    store: str | None
    part: str
    known: bool
    allowed: bool


def board_store(tv_mode: bool) -> str | None:
    """Return the store the showroom board shows: the TV's ?store=, else the sidebar's, else the
    first store. The one function the gate and the board both use."""
    wanted = st.query_params.get("store")
    if tv_mode and wanted is not None:
        return canonical_store(wanted)
    ctx = st.session_state.get("_ctx")
    store = getattr(ctx, "store", None) if not tv_mode else None
    if store is None:
        known = data.stores()
        store = known[0] if known else None
    return store


def decide(url_path: str | None, tv_mode: bool = False) -> Access:
    """Take this rerun's access decision for the page at `url_path` and remember it.

    The board (kanban) shows one store and needs its TV board public; the group view shows
    every store; every other page shows the sidebar's store (None: all stores pooled).
    """
    if url_path == "kanban":
        store, part = board_store(tv_mode), "tv"
    elif url_path == "group":
        store, part = None, "all"
    else:
        ctx = st.session_state.get("_ctx")
        store, part = getattr(ctx, "store", None), "all"
    known = store is None or store in data.stores()
    user = refresh_user()  # a deleted account or a changed role counts at once
    allowed = has_role(user.role if user else None, "viewer") or (known and is_public(store, part))
    decision = Access(store, part, known, allowed)
    st.session_state[ACCESS_KEY] = decision
    return decision


def access() -> Access | None:
    """Return this rerun's access decision (None before :func:`decide` ran)."""
    found = st.session_state.get(ACCESS_KEY)
    return found if isinstance(found, Access) else None


def still_allowed(decision: Access) -> bool:
    """Return True when the decision's store may still be read (a fragment's re-check)."""
    if has_role(session_role(), "viewer"):
        return True
    return decision.known and is_public(decision.store, decision.part)


# ------------------------------------------------------------------ signing in and out


def client_id() -> str:
    """Return who is knocking for the sign-in throttle: the connection's IP address.

    Streamlit gives None for a browser on the server itself ('local'). Headers such as
    X-Forwarded-For are not trusted: any client can write them.
    """
    try:
        ip = st.context.ip_address
    except Exception:  # no browser connection (a script run)
        ip = None
    return ip if isinstance(ip, str) and ip else "local"


def sign_in(username: str, password: str) -> User | None:
    """Check a password through the database's throttle and sign the session in.

    Returns the account or None. Raises warehouse.auth.Throttled while this name from this
    client (or this client) must wait.
    """
    user = accounts.sign_in(_path(), username, password or "", client_id())
    if user is not None:
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
            except accounts.Throttled as exc:
                st.error(t("auth.throttled", seconds=math.ceil(exc.wait_s)))
                return
            except db.DatabaseBusy:
                st.warning(t("common.db_busy"))
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


def require_view(decision: Access | None = None) -> None:
    """Stop the page with a sign-in unless this rerun's access decision allows it.

    An anonymous visitor of a private or unknown store sees the same sign-in: whether a store
    exists is not told to strangers.
    """
    decision = decision or access()
    if decision is not None and decision.allowed:
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
