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
