"""Failures of the database file read as a sentence naming what happened and what to do.

On the command line (exit status 2, the sentence on standard error, no traceback) and as a
typed error the pages show (warehouse.errors): a damaged file, a newer schema, a read-only
file system and a full disk (small tmpfs mounts; skipped where mounting is not allowed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from kpi.__main__ import main as kpi_main
from warehouse import errors
from warehouse.db import SCHEMA_VERSION, connect
from warehouse.importer import import_files

TECH = "month,technician,available_hours,clocked_hours,training_required,training_passed"


def tech_file(path: Path, rows: int = 1, start: int = 0) -> Path:
    lines = [TECH] + [f"2026-08,T{start + i},160,150,2,1" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = kpi_main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    assert import_files(path, "technicians", [tech_file(tmp_path / "t.csv")]).committed
    return path


def test_a_damaged_file_is_named_with_what_to_do(tmp_path, capsys):
    path = tmp_path / "store.duckdb"
    path.write_bytes(os.urandom(20_000))
    before = path.read_bytes()
    csv = tech_file(tmp_path / "t.csv")
    code, _, err = run(["import", "--db", str(path), "--table", "technicians", str(csv)], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"error: The file {path} is not a readable store database")
    assert "python -m kpi restore" in err
    code, _, err = run(["report", "--db", str(path), "--period", "2026-08", "--lang", "zh"], capsys)
    assert code == 2 and f"文件 {path} 不是可读取的门店数据库" in err
    assert path.read_bytes() == before
    with pytest.raises(errors.CorruptDatabase):
        with connect(path, read_only=True):
            pass


def test_a_newer_schema_asks_for_an_update_and_leaves_the_data(store, tmp_path, capsys):
    con = duckdb.connect(str(store))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    csv = tech_file(tmp_path / "t2.csv", start=5)
    code, _, err = run(["import", "--db", str(store), "--table", "technicians", str(csv)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"schema 999; this one knows {SCHEMA_VERSION}" in err and "Update the program" in err
    code, _, err = run(["report", "--db", str(store), "--period", "2026-08"], capsys)
    assert code == 2 and "newer version" in err
    with pytest.raises(errors.NewerSchema) as raised:
        with connect(store, read_only=True):
            pass
    assert "更新版本" in raised.value.text("zh")


def test_a_missing_database_for_the_report_says_to_import_first(tmp_path, capsys):
    code, _, err = run(["report", "--db", str(tmp_path / "none.duckdb"), "--period", "2026-08"],
                       capsys)  # fmt: skip
    assert code == 2 and "Import data first" in err


# ---------------------------------------------------------------- tmpfs: read-only, full disk


def _mount(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs is not allowed here")


def _remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    where = tmp_path / "disk"
    _mount(where, "6m")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_a_read_only_file_system_is_a_sentence(small_disk, tmp_path, capsys):
    path = small_disk / "store.duckdb"
    assert import_files(path, "technicians", [tech_file(tmp_path / "t.csv")]).committed
    _remount(small_disk, "ro")
    csv = tech_file(tmp_path / "t2.csv", start=5)
    code, _, err = run(["import", "--db", str(path), "--table", "technicians", str(csv)], capsys)
    assert code == 2 and "Traceback" not in err
    assert f"The database {path} cannot be written" in err
    code, out, err = run(["report", "--db", str(path), "--period", "2026-08"], capsys)
    assert code == 0, err  # reading a read-only database still works
    # A new database on a read-only disk: the same sentence, and no file appears.
    new = small_disk / "new.duckdb"
    code, _, err = run(["import", "--db", str(new), "--table", "technicians", str(csv)], capsys)
    assert code == 2 and "cannot be written" in err and not new.exists()


def test_a_full_disk_is_a_sentence_and_the_next_import_works(small_disk, tmp_path, capsys):
    path = small_disk / "store.duckdb"
    assert import_files(path, "technicians", [tech_file(tmp_path / "t.csv")]).committed
    con = duckdb.connect(str(path), read_only=True)
    before = con.execute("SELECT * FROM technicians ORDER BY ALL").fetchall()
    con.close()
    # Fill the disk, leaving less room than the next import needs.
    free = shutil.disk_usage(small_disk).free
    with open(small_disk / "filler", "wb") as fh:
        fh.write(b"\0" * max(free - 64 * 1024, 0))
    big = tech_file(tmp_path / "big.csv", rows=30_000, start=100)
    argv = ["import", "--db", str(path), "--table", "technicians", "--store", "b", str(big)]
    for _ in range(2):  # the second attempt too: never "no transaction is active"
        code, _, err = run(argv, capsys)
        assert code == 2 and "Traceback" not in err, err
        assert f"The disk holding {path} is full" in err
        assert "no transaction" not in err
    (small_disk / "filler").unlink()
    small = tech_file(tmp_path / "small.csv", rows=3, start=200)
    code, out, err = run(
        ["import", "--db", str(path), "--table", "technicians", "--store", "c", str(small)], capsys
    )
    assert code == 0, err
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert (
            con.execute("SELECT * FROM technicians WHERE store <> 'c' ORDER BY ALL").fetchall()
            == before
        )
        assert con.execute("SELECT count(*) FROM technicians WHERE store = 'c'").fetchall() == [
            (3,)
        ]
    finally:
        con.close()


def test_typed_errors_come_from_duckdb_and_os_errors(tmp_path):
    full = OSError(28, "No space left on device")
    assert isinstance(errors.classify(full, tmp_path), errors.DiskFull)
    ro = duckdb.IOException('Cannot open file "x": Read-only file system')
    assert isinstance(errors.classify(ro, "x"), errors.ReadOnlyDatabase)
    assert errors.classify(ValueError("other"), "x") is None
    busy = errors.DatabaseBusy("s.duckdb")
    assert "in use by another program" in str(busy) and "正被其他程序使用" in busy.text("zh")
