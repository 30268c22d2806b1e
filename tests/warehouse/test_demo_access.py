"""The demo's public settings: private by default, one showroom TV board opened explicitly."""

from warehouse.db import connect


def test_the_demo_opens_one_tv_board_and_nothing_else(demo_db):
    with connect(demo_db, read_only=True) as con:
        rows = con.execute(
            "SELECT store, public_view, public_tv FROM stores ORDER BY store"
        ).fetchall()
    assert rows == [
        ("hz-xihu", False, False),
        ("nb-yinzhou", False, False),
        ("sh-pudong", False, True),  # warehouse.demo.DEMO_PUBLIC_TV
    ]


def test_demo_login_is_a_manager_with_a_private_random_password(tmp_path):
    from warehouse import auth
    from warehouse.db import connect
    from warehouse.demo import DEMO_USER, write_demo_login

    db = tmp_path / "d.duckdb"  # the account needs only the schema, not a demo build
    with connect(db) as con:
        assert con.execute("SELECT count(*) FROM users").fetchone() == (0,)
    login = tmp_path / "login.txt"
    first = write_demo_login(db, login)
    assert login.read_text(encoding="utf-8") == f"user: demo\npassword: {first}\n"
    assert login.stat().st_mode & 0o777 == 0o600
    second = write_demo_login(db, login)  # a rebuild gives a new password
    assert second != first and len(second) >= 16
    with connect(db) as con:
        user = auth.verify(con, DEMO_USER, second)
        assert user is not None and user.role == "manager"
        assert auth.verify(con, DEMO_USER, first) is None
