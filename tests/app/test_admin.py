"""Accounts and store settings written by managers only (app/admin.py)."""

from __future__ import annotations

import json

import pytest

from app import admin
from warehouse.auth import User, create_user, list_users, verify
from warehouse.db import connect

BOSS = User("boss", "Boss", "manager")
CLERK = User("clerk", "Clerk", "staff")
READER = User("reader", "Reader", "viewer")


@pytest.fixture
def users(con):
    create_user(con, "boss", "boss-secret", "manager")
    create_user(con, "clerk", "clerk-secret", "staff", email="clerk@store.cn")
    return con


@pytest.mark.parametrize("actor", [None, READER, CLERK])
def test_every_write_refuses_without_manager(users, actor):
    with pytest.raises(PermissionError, match="manager"):
        admin.add_account(users, actor, "x1", "password1", "viewer")
    with pytest.raises(PermissionError, match="manager"):
        admin.change_account(users, actor, "clerk", role="manager")
    with pytest.raises(PermissionError, match="manager"):
        admin.remove_account(users, actor, "clerk")
    with pytest.raises(PermissionError, match="manager"):
        admin.save_store_settings(users, actor, "s1", {"name": "x"})
    assert [u.username for u in list_users(users)] == ["boss", "clerk"]
    assert users.execute("SELECT count(*) FROM stores").fetchone()[0] == 0


def test_manager_adds_changes_and_removes_accounts(users):
    admin.add_account(users, BOSS, "gm2", "another-secret", "viewer", "GM two", "GM2@Store.cn")
    admin.change_account(users, BOSS, "gm2", role="staff", password="new-password")
    assert verify(users, "gm2", "new-password") == User("gm2", "GM two", "staff", "gm2@store.cn")
    assert admin.remove_account(users, BOSS, "gm2") is True
    assert [u.username for u in list_users(users)] == ["boss", "clerk"]


def test_e_mail_maps_to_one_account_only(users):
    with pytest.raises(ValueError, match="already uses the e-mail clerk@store.cn"):
        admin.add_account(users, BOSS, "other", "password1", "viewer", email="Clerk@store.cn")
    with pytest.raises(ValueError, match="already uses"):
        admin.change_account(users, BOSS, "boss", email="clerk@store.cn")


def test_the_last_manager_stays(users):
    with pytest.raises(ValueError, match="only manager"):
        admin.change_account(users, BOSS, "boss", role="staff")
    with pytest.raises(ValueError, match="own account"):
        admin.remove_account(users, BOSS, "boss")
    other = User("boss2", "Boss 2", "manager")
    with pytest.raises(ValueError, match="only manager"):
        admin.remove_account(users, other, "boss")
    assert verify(users, "boss", "boss-secret").role == "manager"


def test_settings_saved_normalised_and_bump_the_data_version(con):
    before = int(con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
    saved = admin.save_store_settings(
        con,
        BOSS,
        "sh-pudong",
        {
            "name": " 浦东店 ",
            "brand": "Nissan",
            "region": "",
            "timezone": "Asia/Urumqi",
            "opening_hours": "08:30-20:00",
            "floorplan_rate": "4.5%",
            "thresholds": '{"close_rate": {"warning": 0.2, "critical": null}}',
            "cadence": {"h": 3, "C": 21.0},
            "public_view": "否",
        },
    )
    assert saved == {
        "store": "sh-pudong",
        "name": "浦东店",
        "brand": "Nissan",
        "region": None,
        "timezone": "Asia/Urumqi",
        "opening_hours": "08:30-20:00",
        "floorplan_rate": 0.045,  # 4.5% = 0.045
        "thresholds": '{"close_rate": {"critical": null, "warning": 0.2}}',
        "cadence": '{"C": 21, "H": 3}',
        "public_view": False,
        "public_tv": False,
    }
    after = int(con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
    assert after == before + 1


def test_bad_settings_are_all_listed_and_nothing_is_saved(con):
    with pytest.raises(admin.SettingsError) as err:
        admin.save_store_settings(
            con,
            BOSS,
            "s1",
            {
                "name": "ok",
                "timezone": "Mars/Olympus",
                "opening_hours": "18:00-09:00",
                "floorplan_rate": "5",
                "thresholds": '{"no_such_kpi": {"warning": 1}}',
                "cadence": "{not json",
                "public_view": "maybe",
            },
        )
    assert sorted(err.value.errors) == [
        "cadence",
        "floorplan_rate",
        "opening_hours",
        "public_view",
        "thresholds",
        "timezone",
    ]
    assert "write a fraction (0.05) or a percent (5%)" in err.value.errors["floorplan_rate"]
    assert "no_such_kpi" in err.value.errors["thresholds"]
    assert con.execute("SELECT count(*) FROM stores").fetchone()[0] == 0


def test_settings_of_a_new_store_are_the_defaults(con):
    assert admin.store_settings(con, "new") == {
        "store": "new",
        "name": None,
        "brand": None,
        "region": None,
        "thresholds": None,
        "cadence": None,
        "timezone": "Asia/Shanghai",
        "opening_hours": "09:00-18:00",
        "floorplan_rate": 0.05,
        "public_view": False,  # private until a manager makes it public (docs/AUTH.md)
        "public_tv": False,
    }


def test_a_store_row_is_private_by_default_and_a_manager_opens_the_tv_board_only(con):
    admin.save_store_settings(con, BOSS, "s1", {"name": "浦东店"})
    row = con.execute("SELECT public_view, public_tv FROM stores WHERE store = 's1'").fetchone()
    assert row == (False, False)
    saved = admin.save_store_settings(con, BOSS, "s1", {"public_tv": "是"})
    assert (saved["public_view"], saved["public_tv"]) == (False, True)
    with pytest.raises(PermissionError):
        admin.save_store_settings(con, None, "s1", {"public_view": True})
    assert admin.store_settings(con, "s1")["public_view"] is False


def test_a_schema_4_database_keeps_a_public_stores_tv_board_only(tmp_path):
    # Before schema 5 every store was public by default: after the upgrade its money figures
    # are private and its showroom TV keeps running; a private store stays private.
    path = tmp_path / "old.duckdb"
    with connect(path) as new:
        new.execute("INSERT INTO stores (store, public_view) VALUES ('a', true), ('b', false)")
        new.execute("ALTER TABLE stores DROP COLUMN public_tv")
        new.execute("ALTER TABLE stores ALTER COLUMN public_view SET DEFAULT true")
        new.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with connect(path) as con:
        rows = con.execute("SELECT store, public_view, public_tv FROM stores ORDER BY 1").fetchall()
        assert rows == [("a", False, True), ("b", False, False)]
        con.execute("INSERT INTO stores (store) VALUES ('c')")
        new_row = con.execute("SELECT public_view, public_tv FROM stores WHERE store = 'c'")
        assert new_row.fetchone() == (False, False)


def test_thresholds_json_round_trips_through_the_catalogue_reader(con):
    saved = admin.save_store_settings(
        con, BOSS, "s1", {"thresholds": {"aged_units_90": {"warning": 0}}}
    )
    assert json.loads(saved["thresholds"]) == {"aged_units_90": {"warning": 0}}


def test_settings_refusals_read_in_either_language():
    from app.admin import SettingsError, clean_settings

    with pytest.raises(SettingsError) as raised:
        clean_settings({"floorplan_rate": "7", "timezone": "Mars/X", "cadence": '{"Q": 1}'})
    exc = raised.value
    assert exc.errors["floorplan_rate"] == (
        "'7' is above 1; write a fraction (0.05) or a percent (5%)"
    )
    assert exc.reason("floorplan_rate", "zh") == "'7' 大于 1；请写成小数（0.05）或百分比（5%）"
    assert exc.reason("timezone", "zh") == "'Mars/X' 不是时区（例如 Asia/Shanghai）"
    assert exc.reason("cadence", "zh") == "'Q' 不是意向级别（O, H, A, B, C）"
