"""Sign-in and roles in the app: the password form, single sign-on when [auth] is set, the
menu and the page gates, public view, and the managers' accounts and settings pages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.signin import (
    ROOT,
    made_public,
    page_files,
    sign_in,
    start,
    steady_navigation,
    texts,
)
from tests.ui.signin import with_accounts as copy_with_accounts
from ui.i18n import t
from warehouse.auth import verify
from warehouse.db import connect

ADMIN_PAGES = {"upload.py", "users.py", "settings.py"}
SSO = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-secret-that-is-long-enough-for-the-check",
    "client_id": "dashboard",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://sso.example.invalid/.well-known/openid-configuration",
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from tests.ui.sample_store import build

    return build(tmp_path_factory.mktemp("auth") / "sample.duckdb")


@pytest.fixture
def db(sample, tmp_path) -> Path:
    return copy_with_accounts(sample, tmp_path / "store.duckdb")


def test_anonymous_session_sees_no_admin_page_and_cannot_open_one(db, monkeypatch):
    at = start(db, monkeypatch)
    assert not ADMIN_PAGES & set(page_files(at))
    assert "overview.py" in page_files(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/upload.py")


@pytest.mark.parametrize("page", ["upload.py", "users.py", "settings.py"])
def test_typing_an_admin_page_url_stops_at_its_own_gate(db, monkeypatch, page):
    """A first visit on a fresh server runs pages/<page> without the entry file's menu."""
    monkeypatch.setenv("KPI_DB", str(db))
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    assert texts(at.title) == ["Sign-in needed"]
    assert texts(at.info) == ["This page needs a manager account. Sign in to continue."]
    assert not at.file_uploader and not at.dataframe


def test_staff_sees_no_admin_page_and_is_told_why_at_the_gate(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "clerk")
    assert "Signed in: clerk (staff)" in texts(at.sidebar.caption)
    assert not ADMIN_PAGES & set(page_files(at))
    monkeypatch.setenv("KPI_DB", str(db))
    direct = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=120)
    direct.session_state["lang"] = "en"
    direct.session_state["_auth_user"] = at.session_state["_auth_user"]
    direct.run()
    assert texts(direct.warning) == [
        "This page needs the manager role; your account has staff. Ask a manager."
    ]
    assert not direct.file_uploader


def test_manager_signs_in_with_the_password_and_gets_the_admin_pages(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "boss")
    assert "Signed in: boss (manager)" in texts(at.sidebar.caption)
    assert ADMIN_PAGES <= set(page_files(at))
    at.switch_page("pages/upload.py").run()
    assert texts(at.title) == ["Upload DMS exports"]
    assert len(at.file_uploader) == 1
    next(b for b in at.sidebar.button if b.key == "auth-sign-out").click().run()
    assert not ADMIN_PAGES & set(page_files(at))


def test_a_wrong_password_signs_nobody_in(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "boss", "not-the-password")
    assert texts(at.sidebar.error) == ["Wrong user name or password."]
    assert "_auth_user" not in at.session_state
    assert not ADMIN_PAGES & set(page_files(at))


def test_a_role_taken_away_applies_at_the_next_gate(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "boss")
    at.switch_page("pages/users.py").run()
    with connect(db) as con:
        con.execute("UPDATE users SET role = 'viewer' WHERE username = 'boss'")
    at.run()
    assert texts(at.warning) == [
        "This page needs the manager role; your account has viewer. Ask a manager."
    ]


# ------------------------------------------------------------------ single sign-on


def test_configured_auth_section_offers_single_sign_on_instead_of_passwords(db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(db))
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.secrets["auth"] = dict(SSO)
    at.user = {"is_logged_in": False}
    at.run()
    labels = [b.label for b in at.sidebar.button]
    assert "Sign in with company account" in labels
    assert not [w for w in at.sidebar.text_input if w.key in ("sidebar-name", "sidebar-password")]


def test_named_providers_get_one_button_each(db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(db))
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    shared = {k: SSO[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: SSO[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at.secrets["auth"] = {**shared, "microsoft": dict(provider), "google": dict(provider)}
    at.user = {"is_logged_in": False}
    at.run()
    labels = [b.label for b in at.sidebar.button]
    assert "Sign in with microsoft" in labels and "Sign in with google" in labels


def test_single_sign_on_identity_maps_to_the_account_with_that_email(db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(db))
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.secrets["auth"] = dict(SSO)
    at.user = {"is_logged_in": True, "email": "GM@store.cn", "name": "The GM"}
    at.run()
    assert "Signed in: boss (manager)" in texts(at.sidebar.caption)
    assert ADMIN_PAGES <= set(page_files(at))


def test_single_sign_on_without_an_account_gets_no_role(db, monkeypatch):
    monkeypatch.setenv("KPI_DB", str(db))
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.secrets["auth"] = dict(SSO)
    at.user = {"is_logged_in": True, "email": "stranger@else.cn"}
    at.run()
    assert not ADMIN_PAGES & set(page_files(at))
    assert any("stranger@else" in w for w in texts(at.sidebar.warning))


# ------------------------------------------------------------------ public view


KPI_PAGES = (
    "overview", "sales", "inventory", "service", "workshop", "order_planning", "marketing",
    "customers", "finance", "targets", "group", "data_status", "kanban", "manufacturer",
)  # fmt: skip
# How a URL may spell store s1: every one names s1 (or nothing known) and none gets past the gate.
SPELLINGS = ("s1", "s1 ", " s1", "s1\t", "\ts1", "s1\u3000", "s1\u200b", "\ns1\r\n", "S1")


def refused(at: AppTest) -> bool:
    """Return True when the run shows the sign-in gate and no figure, table or download."""
    return (
        texts(at.title) == ["Sign-in needed"]
        and texts(at.info) == ["This store's figures are not public. Sign in to see them."]
        and not at.metric and not at.dataframe and not at.table
        and not at.get("download_button")
    )  # fmt: skip


def test_a_new_store_is_private_and_a_viewer_reads_it(db, monkeypatch):
    at = start(db, monkeypatch, store="s1")
    assert refused(at)
    at = sign_in(at, "reader")
    assert texts(at.title) == ["Overview"]


@pytest.mark.parametrize("page", KPI_PAGES)
def test_every_page_refuses_anyone_while_no_store_is_public(db, monkeypatch, page):
    at = start(db, monkeypatch, store="s1")
    assert at.sidebar.selectbox(key="store").options == ["All stores (pooled)"]  # no names
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    assert refused(at)


@pytest.mark.parametrize("page", KPI_PAGES)
def test_a_public_store_is_all_anyone_can_choose_and_see(db, monkeypatch, page):
    made_public(db, ("s2",))
    at = start(db, monkeypatch, store="s1")  # asked for s1, which is private
    assert at.sidebar.selectbox(key="store").options == ["s2"]  # no s1, no "all stores"
    assert at.sidebar.selectbox(key="store").value == "s2"
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    if page == "group":  # every store side by side: s1 is private
        assert refused(at)
    else:
        assert texts(at.title) != ["Sign-in needed"]


def test_the_in_app_board_shows_the_store_it_checked(db, monkeypatch):
    # /kanban?store=s1 (private), then the sidebar's public s2: the board is s2's, not s1's.
    with connect(db) as con:
        con.execute("UPDATE stores SET name = '私密店' WHERE store = 's1'")
        con.execute("UPDATE stores SET name = '公开店' WHERE store = 's2'")
    made_public(db, ("s2",))
    at = start(db, monkeypatch)
    at.query_params["store"] = "s1"
    at.switch_page("pages/kanban.py").run()
    at.sidebar.selectbox(key="store").set_value("s2").run()
    shown = texts(at.text) + texts(at.code)
    assert "公开店" in shown
    assert not any("私密店" in x or "store=s1" in x for x in shown)


@pytest.mark.parametrize("spelling", SPELLINGS, ids=repr)
def test_the_tv_refuses_a_private_store_in_every_spelling(db, monkeypatch, spelling):
    made_public(db, ("s2",))  # the whole of s2 public; s1 private
    at = tv(db, monkeypatch, spelling)
    assert not at.exception
    assert refused(at)


@pytest.mark.parametrize("spelling", SPELLINGS[:-1], ids=repr)
def test_the_tv_of_a_public_board_opens_in_every_spelling(db, monkeypatch, spelling):
    made_public(db, ("s1",), part="tv")
    at = tv(db, monkeypatch, spelling)
    assert not at.exception
    assert texts(at.title) != ["Sign-in needed"]
    assert "s1" in texts(at.text)  # the header names the store shown: s1 (its id as name)


def test_the_tv_of_an_unknown_or_case_changed_store_is_refused(db, monkeypatch):
    made_public(db, part="tv")
    for store in ("S1", "nowhere", "**Closed** [Sign in](https://evil.example)"):
        at = tv(db, monkeypatch, store)
        assert refused(at), store
        assert not [m for m in at.markdown if "evil" in m.value]


def test_a_tv_only_board_keeps_every_other_page_private(db, monkeypatch):
    made_public(db, part="tv")
    at = start(db, monkeypatch, store="s1")
    for page in KPI_PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert refused(at) is (page != "kanban"), page


def test_a_viewer_sees_a_private_board_and_is_told_of_an_unknown_store(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "reader")
    at.query_params.update({"tv": "1", "store": " s1 ", "panel": "leaderboard"})
    at.switch_page("pages/kanban.py").run()
    assert at.table
    at.query_params["store"] = "**Closed** [Sign in](https://evil.example)"
    at.run()
    assert len(at.error) == 1
    assert "\\*\\*Closed\\*\\* \\[Sign in\\]\\(https\\://evil" in at.error[0].value


def tv(db: Path, monkeypatch, store: str) -> AppTest:
    """Return an AppTest of the TV URL /kanban?tv=1&store=<store> run once, signed out."""
    monkeypatch.setenv("KPI_DB", str(db))
    steady_navigation(monkeypatch)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params.update({"tv": "1", "store": store, "panel": "leaderboard"})
    at.switch_page("pages/kanban.py")
    return at.run()


# ------------------------------------------------------------------ accounts and settings


def test_manager_adds_an_account_on_the_accounts_page(db, monkeypatch):
    at = sign_in(start(db, monkeypatch), "boss")
    at.switch_page("pages/users.py").run()
    form = [w for w in at.text_input if w.form_id == "users-add"]
    labels = {w.label: w for w in form}
    labels["User name"].input("advisor1")
    labels["Name shown"].input("赵敏")
    labels["E-mail"].input("ZhaoMin@store.cn")
    labels["Password"].input("advisor-pass")
    next(s for s in at.selectbox if s.form_id == "users-add").set_value("staff")
    next(b for b in at.button if b.key == "FormSubmitter:users-add-Add").click().run()
    assert texts(at.success) == ["Account advisor1 added."]
    with connect(db, read_only=True) as con:
        user = verify(con, "advisor1", "advisor-pass")
    assert (user.display_name, user.role, user.email) == ("赵敏", "staff", "zhaomin@store.cn")


def test_manager_saves_store_settings_and_bad_json_is_refused(db, monkeypatch):
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.switch_page("pages/settings.py").run()
    fields = {w.label: w for w in at.text_input}
    fields["Display name"].input("浦东店")
    fields["Opening hours"].input("08:30-19:00")
    areas = {w.label: w for w in at.text_area}
    areas["KPI warning lines (JSON)"].input('{"close_rate": {"warning": 0.25}}')
    next(b for b in at.button if b.key == "FormSubmitter:settings-s1-Save settings").click().run()
    assert texts(at.success) == ["Settings of s1 saved."]
    with connect(db, read_only=True) as con:
        row = con.execute(
            "SELECT name, opening_hours, thresholds FROM stores WHERE store = 's1'"
        ).fetchone()
    assert row[:2] == ("浦东店", "08:30-19:00")
    assert json.loads(row[2]) == {"close_rate": {"warning": 0.25}}
    areas = {w.label: w for w in at.text_area}
    areas["Follow-up cadence in days (JSON)"].input("{H: 3}")
    next(b for b in at.button if b.key == "FormSubmitter:settings-s1-Save settings").click().run()
    assert len(at.error) == 1 and "not valid JSON" in at.error[0].value


# ------------------------------------------------------------------ sign-in throttle


def test_repeated_wrong_passwords_make_the_next_try_wait_then_the_right_one_works(db, monkeypatch):
    at = start(db, monkeypatch)
    for _ in range(3):  # three failures are free
        at = sign_in(at, "boss", "not-the-password")
        assert texts(at.sidebar.error) == ["Wrong user name or password."]
    now = datetime.now(UTC).replace(tzinfo=None)
    with connect(db) as con:  # the last failure a moment ago: the next try waits 1 s from it
        con.execute("UPDATE login_attempts SET tried_at = $t", {"t": now + timedelta(seconds=30)})
    at = sign_in(at, "boss")  # even the right password waits its turn on this computer
    assert len(at.sidebar.error) == 1
    assert re.fullmatch(
        r"Too many failed sign-ins from this computer\. Try again in 3[01] s\.",
        at.sidebar.error[0].value,
    )
    assert "_auth_user" not in at.session_state
    with connect(db) as con:  # a minute passes
        con.execute("UPDATE login_attempts SET tried_at = $t", {"t": now - timedelta(minutes=1)})
    at = sign_in(at, "boss")
    assert "Signed in: boss (manager)" in texts(at.sidebar.caption)


def test_the_settings_page_says_what_is_public_and_opens_the_tv_board_only(db, monkeypatch):
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.switch_page("pages/settings.py").run()
    assert "Public now: nothing (sign-in needed)." in texts(at.info)
    toggles = {w.label: w for w in at.toggle}
    assert not toggles[t("settings.public_view", "en")].value
    toggles[t("settings.public_tv", "en")].set_value(True)
    next(b for b in at.button if b.key == "FormSubmitter:settings-s1-Save settings").click().run()
    assert "Public now: the showroom TV board only." in texts(at.info)
    with connect(db, read_only=True) as con:
        row = con.execute("SELECT public_view, public_tv FROM stores WHERE store = 's1'")
        assert row.fetchone() == (False, True)
