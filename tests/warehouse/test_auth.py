import subprocess
import sys

import pytest

from warehouse.auth import create_user, delete_user, has_role, list_users, update_user, verify


@pytest.mark.parametrize(
    ("role", "needed", "expected"),
    [
        ("viewer", "viewer", True),
        ("viewer", "staff", False),
        ("staff", "staff", True),
        ("staff", "manager", False),
        ("manager", "staff", True),
        ("manager", "manager", True),
        (None, "viewer", False),
        ("root", "viewer", False),
    ],
)
def test_has_role_orders_roles(role, needed, expected):
    assert has_role(role, needed) is expected


def test_password_is_salted_and_verified(con):
    create_user(con, "wang", "s3cret-pass", "manager", "王经理")
    create_user(con, "li", "s3cret-pass", "staff")
    rows = con.execute("SELECT username, salt, password_hash FROM users ORDER BY 1").fetchall()
    # same password, different salts -> different hashes; the password itself is not stored
    assert rows[0][1] != rows[1][1] and rows[0][2] != rows[1][2]
    assert all("s3cret-pass" not in r[2] for r in rows)
    user = verify(con, "wang", "s3cret-pass")
    assert user is not None and user.role == "manager" and user.display_name == "王经理"
    assert verify(con, "wang", "wrong-pass") is None
    assert verify(con, "nobody", "s3cret-pass") is None


def test_update_and_delete(con):
    create_user(con, "zhao", "first-pass", "viewer")
    update_user(con, "zhao", role="staff", password="second-pass")
    assert verify(con, "zhao", "first-pass") is None
    assert verify(con, "zhao", "second-pass").role == "staff"
    assert delete_user(con, "zhao") is True
    assert delete_user(con, "zhao") is False
    assert list_users(con) == []


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("ok", "short", "staff", "at least 8"),
        ("bad name!", "long-enough", "staff", "user name"),
        ("ok", "long-enough", "admin", "Unknown role"),
    ],
)
def test_invalid_accounts_are_refused(con, name, password, role, message):
    with pytest.raises(ValueError, match=message):
        create_user(con, name, password, role)


def test_duplicate_user_refused(con):
    create_user(con, "sun", "long-enough", "staff")
    with pytest.raises(ValueError, match="exists"):
        create_user(con, "sun", "another-one", "manager")


def test_cli_creates_account(tmp_path):
    db = tmp_path / "s.duckdb"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kpi",
            "users",
            "--db",
            str(db),
            "add",
            "gm",
            "--role",
            "manager",
            "--password-stdin",
        ],
        input="manager-pass\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "kpi", "users", "--db", str(db), "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert listed.split("\t")[:2] == ["gm", "manager"]
