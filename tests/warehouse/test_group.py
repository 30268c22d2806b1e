"""The dealer-group generator: N simulated stores, loaded directly, the same as imported."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from warehouse.db import connect
from warehouse.group import build_group, group_store, group_stores, main
from warehouse.importer import import_files
from warehouse.spec import ORDER_OF_IMPORT, TABLES

END = date(2026, 11, 25)
SECRET = "0" * 64  # the same customer-hash key in two databases makes their rows comparable


def _with_secret(path) -> None:
    with connect(path) as con:
        con.execute("INSERT INTO meta VALUES ('customer_hash_key', $v)", {"v": SECRET})


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    """Five stores, three months, loaded into a fresh database with a known hash key."""
    root = tmp_path_factory.mktemp("group")
    db = root / "group.duckdb"
    _with_secret(db)
    summary = build_group(db, stores=5, months=3, seed=7, end=END, workers=1, quiet=True)
    return db, summary


def _rows(path, table: str) -> list[tuple]:
    cols = ", ".join(["store", *TABLES[table].names])
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()


def test_profiles_are_deterministic_and_do_not_depend_on_the_group_size():
    assert group_stores(5, seed=7) == group_stores(5, seed=7)
    assert group_stores(8, seed=7)[:5] == group_stores(5, seed=7)
    assert group_store(3, seed=8) != group_store(3, seed=7)


def test_hundred_stores_have_distinct_ids_and_names_and_every_region_and_brand():
    stores = group_stores(100, seed=7)
    assert len({s.store for s in stores}) == 100
    assert len({s.profile.name for s in stores}) == 100
    assert {s.brand for s in stores} == {"上汽大众", "一汽-大众"}
    assert len({s.profile.region for s in stores}) == 6
    assert {s.kind for s in stores} == {"flagship", "city", "small"}


def test_every_table_is_filled_for_every_store(group):
    db, summary = group
    assert len(summary["stores"]) == 5
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ORDER_OF_IMPORT:
            per_store = dict(
                con.execute(f"SELECT store, count(*) FROM {table} GROUP BY store").fetchall()
            )
            assert set(per_store) == set(summary["stores"]), table
            assert min(per_store.values()) > 0, table
            assert sum(per_store.values()) == summary["rows"][table]


def test_store_settings_carry_name_brand_and_region(group):
    db, summary = group
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT store, name, brand, region FROM stores").fetchall()
    assert sorted(r[0] for r in rows) == sorted(summary["stores"])
    for _store, name, brand, region in rows:
        assert name.endswith("店") and brand in ("上汽大众", "一汽-大众") and region


def test_store_sizes_vary(group):
    db, _ = group
    with duckdb.connect(str(db), read_only=True) as con:
        walk_ins = [
            n
            for (n,) in con.execute(
                "SELECT count(*) FROM traffic WHERE kind = 'walk_in' GROUP BY store"
            ).fetchall()
        ]
    assert max(walk_ins) > 2 * min(walk_ins)


def test_the_load_is_logged_and_bumps_the_data_version(group):
    db, summary = group
    with duckdb.connect(str(db), read_only=True) as con:
        logged = con.execute(
            "SELECT count(*), sum(inserted) FROM imports WHERE username = 'group'"
        ).fetchone()
        version = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
        ids = con.execute("SELECT count(*) FROM repair_orders WHERE import_id IS NULL").fetchone()
    assert logged == (5 * len(ORDER_OF_IMPORT), sum(summary["rows"].values()))
    assert int(version[0]) >= 1
    assert ids == (0,)


@pytest.mark.slow  # builds the group twice
def test_same_seed_gives_the_same_rows(group, tmp_path):
    db, _ = group
    again = tmp_path / "again.duckdb"
    _with_secret(again)
    build_group(again, stores=5, months=3, seed=7, end=END, workers=2, quiet=True)
    for table in ORDER_OF_IMPORT:
        assert _rows(again, table) == _rows(db, table), table


@pytest.mark.slow  # builds a store both ways
def test_direct_load_equals_importing_the_exports(tmp_path):
    direct, imported, out = tmp_path / "direct.duckdb", tmp_path / "imp.duckdb", tmp_path / "out"
    _with_secret(direct)
    _with_secret(imported)
    summary = build_group(
        direct, stores=2, months=2, seed=11, end=END, out_dir=out, workers=1, quiet=True
    )
    for store in summary["stores"]:
        for table in ORDER_OF_IMPORT:
            report = import_files(imported, table, [out / store / f"{table}.csv"], store=store)
            assert report.ok, (store, table, report.rejections[:3])
    for table in ORDER_OF_IMPORT:
        assert _rows(direct, table) == _rows(imported, table), table


def test_refuses_a_database_that_already_has_the_stores(group):
    db, _ = group
    with pytest.raises(ValueError, match="already has store"):
        build_group(db, stores=1, months=1, seed=7, end=END, workers=1, quiet=True)


def test_command_line(tmp_path, capsys):
    db = tmp_path / "cli.duckdb"
    code = main(["--db", str(db), "--stores", "1", "--months", "1", "--end", "2026-11-25",
                 "--workers", "1"])  # fmt: skip
    assert code == 0
    assert "1 stores" in capsys.readouterr().out
    assert main(["--db", str(db), "--stores", "1", "--months", "1", "--end", "2026-11-25"]) == 2
