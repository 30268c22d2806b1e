import hashlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from warehouse.auth import (
    Throttled,
    create_user,
    delete_user,
    has_role,
    list_users,
    sign_in,
    update_user,
    verify,
)
from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]


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


# ------------------------------------------------------------------ hashes and the sign-in throttle

T0 = datetime(2026, 11, 25, 9, 0, 0)  # a fixed clock: the throttle's waits are hand-computed


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def store_db(tmp_path):
    path = tmp_path / "store.duckdb"
    with connect(path) as c:
        create_user(c, "gm", "right-password", "manager")
    return path


@pytest.mark.production_hash_cost  # the tests' cheap hash cost is off here (tests/conftest.py)
def test_a_new_hash_is_pbkdf2_sha256_at_600000_iterations(con):
    create_user(con, "wang", "s3cret-pass", "manager")
    salt, stored = con.execute("SELECT salt, password_hash FROM users").fetchone()
    expected = hashlib.pbkdf2_hmac("sha256", b"s3cret-pass", bytes.fromhex(salt), 600_000).hex()
    assert stored == f"pbkdf2_sha256$600000${expected}"


@pytest.mark.production_hash_cost
def test_an_old_hash_signs_in_and_is_rehashed_at_600000(store_db):
    salt = "ab" * 16
    old = hashlib.pbkdf2_hmac("sha256", b"old-password", bytes.fromhex(salt), 240_000).hex()
    with connect(store_db) as c:
        c.execute(
            "INSERT INTO users (username, display_name, role, salt, password_hash) "
            "VALUES ('li', 'Li', 'staff', $s, $h)",
            {"s": salt, "h": old},
        )
    assert sign_in(store_db, "li", "wrong-password", "pc-1", at(0)) is None
    with connect(store_db, read_only=True) as c:  # a wrong password changes nothing
        stored = c.execute("SELECT password_hash FROM users WHERE username = 'li'").fetchone()
    assert stored == (old,)
    assert sign_in(store_db, "li", "old-password", "pc-1", at(1)).role == "staff"
    with connect(store_db, read_only=True) as c:
        new_salt, new = c.execute(
            "SELECT salt, password_hash FROM users WHERE username = 'li'"
        ).fetchone()
        assert new_salt != salt and new.startswith("pbkdf2_sha256$600000$")
        assert verify(c, "li", "old-password").username == "li"


def test_a_name_from_one_client_waits_longer_after_each_failure(store_db):
    # Failures 1-3 are free; after the 3rd the wait is 1 s, after the 4th 2 s (1, 2, 4 ... s).
    for second in (0, 1, 2):
        assert sign_in(store_db, "gm", "guess", "pc-1", at(second)) is None
    with pytest.raises(Throttled) as err:
        sign_in(store_db, "gm", "guess", "pc-1", at(2.5))  # last failure at 2 s + 1 s = 3 s
    assert err.value.wait_s == pytest.approx(0.5)
    assert sign_in(store_db, "gm", "guess", "pc-1", at(3)) is None  # the 4th failure
    with pytest.raises(Throttled) as err:
        sign_in(store_db, "gm", "right-password", "pc-1", at(4))  # 3 s + 2 s = 5 s
    assert err.value.wait_s == pytest.approx(1.0)
    # A delay, not a lockout: after the wait the right password signs in, and the name's
    # count starts again.
    assert sign_in(store_db, "gm", "right-password", "pc-1", at(5)).username == "gm"
    assert sign_in(store_db, "gm", "guess", "pc-1", at(5.1)) is None


def test_the_right_password_from_another_client_is_never_held_up(store_db):
    for second in range(4):
        assert sign_in(store_db, "gm", "guess", "attacker", at(second)) is None
    with pytest.raises(Throttled):
        sign_in(store_db, "gm", "guess", "attacker", at(4))
    assert sign_in(store_db, "gm", "right-password", "gm-office-pc", at(4)).username == "gm"


def test_one_client_trying_many_names_waits_too(store_db):
    # 10 failures from one client under 10 names are free; the 11th name waits 1 s.
    for i in range(10):
        assert sign_in(store_db, f"name{i}", "guess", "pc-9", at(i)) is None
    with pytest.raises(Throttled) as err:
        sign_in(store_db, "gm", "guess", "pc-9", at(9.25))
    assert err.value.wait_s == pytest.approx(0.75)  # the 10th failure at 9 s + 1 s = 10 s
    assert sign_in(store_db, "gm", "right-password", "pc-2", at(9.25)).username == "gm"


def test_parallel_tries_are_counted_not_all_checked(store_db):
    # 8 tries at the same instant from one client: the first 3 are checked, 5 must wait.
    def attempt(_):
        try:
            return sign_in(store_db, "gm", "guess", "pc-1", at(0))
        except Throttled:
            return "waited"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert results.count(None) == 3 and results.count("waited") == 5
    with connect(store_db, read_only=True) as c:
        rows = c.execute("SELECT ok, count(*) FROM login_attempts GROUP BY ok").fetchall()
    assert rows == [(False, 3)]


def test_the_throttle_survives_a_restart(store_db):
    # Attempts are rows of the database, not memory: a new process sees them.
    for second in range(3):
        sign_in(store_db, "gm", "guess", "pc-1", at(second))
    code = (
        "import sys, datetime as d\n"
        "from warehouse.auth import sign_in, Throttled\n"
        "try:\n"
        f"    sign_in(sys.argv[1], 'gm', 'right-password', 'pc-1', d.datetime({T0.year}, "
        f"{T0.month}, {T0.day}, 9, 0, 2, 500000))\n"
        "except Throttled:\n"
        "    sys.exit(3)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(store_db)], cwd=ROOT)
    assert done.returncode == 3


def test_a_megabyte_password_is_a_wrong_one_not_a_long_hash(store_db):
    assert sign_in(store_db, "gm", "x" * 1_000_000, "pc-1", at(0)) is None
    with pytest.raises(ValueError, match="at most 1024"):
        with connect(store_db) as c:
            create_user(c, "big", "x" * 1025, "viewer")
