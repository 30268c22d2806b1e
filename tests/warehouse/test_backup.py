"""Backup and restore (python -m kpi backup / restore), the hash key outside the database,
and a first import that leaves either nothing or the complete store."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from kpi.__main__ import main as kpi_main
from warehouse import backup, hashkey
from warehouse.importer import import_files

ROOT = Path(__file__).resolve().parents[2]
TRAFFIC = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)


def every_table(path: Path) -> dict[str, list[tuple]]:
    """Return every base table's rows, sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}
    finally:
        con.close()


@pytest.fixture
def store(demo_db, tmp_path) -> Path:
    """A copy of the demo store (its key file too, when it has one)."""
    path = tmp_path / "live" / "store.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_db, path)
    key = hashkey.key_file(demo_db)
    if key.exists():
        shutil.copy(key, hashkey.key_file(path))
    return path


def test_backup_then_restore_is_the_same_store_row_for_row(store, tmp_path, capsys):
    original = every_table(store)
    assert kpi_main(["backup", "--db", str(store), "--out", str(tmp_path / "backups")]) == 0
    (folder,) = (tmp_path / "backups").iterdir()
    assert folder.name.startswith("kpi-backup-") and (folder / "manifest.json").exists()
    target = tmp_path / "restored" / "store.duckdb"
    code = kpi_main(["restore", "--from", str(tmp_path / "backups"), "--db", str(target)])
    assert code == 0, capsys.readouterr().err
    assert "Restored" in capsys.readouterr().out
    restored = every_table(target)
    assert restored.keys() == original.keys()
    for table in original:
        assert restored[table] == original[table], table
    # The key travels beside the database, owner-only, never inside it.
    key = hashkey.key_file(target)
    assert key.read_text() == hashkey.key_file(store).read_text()
    assert key.stat().st_mode & 0o777 == 0o600
    assert ("customer_hash_key",) not in {(r[0],) for r in restored["meta"]}


def test_restore_refuses_to_replace_a_database_without_force(store, tmp_path, capsys):
    folder = backup.backup(store, tmp_path / "b")
    other = tmp_path / "other.duckdb"
    body = f"{TRAFFIC}\nV1,2026-08-01,walk_in,1,web,Li,CRM1,A,Han,0\n".encode()
    assert import_files(other, "traffic", [("t.csv", body)]).committed
    before = every_table(other)
    code = kpi_main(["restore", "--from", str(folder), "--db", str(other)])
    err = capsys.readouterr().err
    assert code == 2 and "exists already; nothing was restored. Give --force" in err
    assert every_table(other) == before
    assert kpi_main(["restore", "--from", str(folder), "--db", str(other), "--force"]) == 0
    assert every_table(other) == every_table(store)


def test_a_damaged_backup_is_refused(store, tmp_path, capsys):
    folder = backup.backup(store, tmp_path / "b")
    with open(folder / "store.duckdb", "r+b") as fh:
        fh.seek(5000)
        fh.write(b"garbage")
    code = kpi_main(["restore", "--from", str(folder), "--db", str(tmp_path / "new.duckdb")])
    assert code == 2 and "is damaged" in capsys.readouterr().err
    assert not (tmp_path / "new.duckdb").exists()


def test_backup_runs_while_the_dashboard_reads(store, tmp_path):
    reader = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
         "c.execute('SELECT count(*) FROM orders').fetchall(); print('ready', flush=True); "
         "time.sleep(30)", str(store)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert reader.stdout.readline().strip() == "ready"
        folder = backup.backup(store, tmp_path / "b")
    finally:
        reader.kill()
        reader.wait()
    counts = backup.restore(folder, tmp_path / "r.duckdb")
    assert counts["orders"] == len(every_table(store)["orders"])


@pytest.mark.slow  # kills a process at many moments
def test_kill_9_during_backup_leaves_no_corrupt_backup(store, tmp_path):
    out = tmp_path / "b"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rng = random.Random(13)
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "kpi", "backup", "--db", str(store), "--out", str(out)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(rng.uniform(0.2, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for folder in out.glob("kpi-backup-*"):  # every complete-looking backup restores
        target = tmp_path / "r" / f"{folder.name}.duckdb"
        target.parent.mkdir(exist_ok=True)
        backup.restore(folder, target)
        assert every_table(target)["orders"] == every_table(store)["orders"]
    # A later backup still works next to the leftovers.
    assert backup.find_backup(backup.backup(store, out)).exists()


def test_an_old_database_key_moves_out_of_the_file(tmp_path):
    path = tmp_path / "old.duckdb"
    body = f"{TRAFFIC}\nV1,2026-08-01,walk_in,1,web,Li,CRM1,A,Han,0\n".encode()
    assert import_files(path, "traffic", [("t.csv", body)]).committed
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO meta VALUES ('customer_hash_key', 'old-secret')")
    con.close()
    mobile = f"{TRAFFIC}\nV2,2026-08-02,walk_in,1,web,Li,13812345678,A,Han,0\n".encode()
    assert import_files(path, "traffic", [("m.csv", mobile)]).committed
    assert hashkey.key_file(path).read_text().strip() == "old-secret"
    con = duckdb.connect(str(path), read_only=True)
    try:
        meta = con.execute("SELECT value FROM meta WHERE key = 'customer_hash_key'").fetchall()
        stored = con.execute("SELECT customer_id FROM traffic WHERE visit_id = 'V2'").fetchall()
    finally:
        con.close()
    assert meta == []
    assert stored == [(importer_hash("old-secret", "13812345678"),)]


def importer_hash(secret: str, mobile: str) -> str:
    from warehouse.importer import mobile_hash

    return mobile_hash(secret, mobile)


def test_the_environment_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_HASH_KEY", "from-env")
    path = tmp_path / "env.duckdb"
    mobile = f"{TRAFFIC}\nV2,2026-08-02,walk_in,1,web,Li,13812345678,A,Han,0\n".encode()
    assert import_files(path, "traffic", [("m.csv", mobile)]).committed
    assert not hashkey.key_file(path).exists()
    con = duckdb.connect(str(path), read_only=True)
    try:
        stored = con.execute("SELECT customer_id FROM traffic").fetchall()
    finally:
        con.close()
    assert stored == [(importer_hash("from-env", "13812345678"),)]


@pytest.mark.slow  # kills a process at many moments
@pytest.mark.parametrize("path_kind", ["fast", "row-level"])
def test_kill_9_during_a_first_import_leaves_nothing_or_everything(tmp_path, path_kind):
    rows = 60_000
    csv = tmp_path / "t.csv"
    lines = [TRAFFIC] + [
        f"V{i},2026-08-{1 + i % 28:02d},walk_in,1,web,Li,CRM{i},A,Han,0" for i in range(rows)
    ]
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = (
        "import sys; from warehouse import importer\n"
        + ("importer._fast_import = lambda *a, **k: None\n" if path_kind == "row-level" else "")
        + "importer.import_files(sys.argv[1], 'traffic', [sys.argv[2]])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    rng = random.Random(7)
    outcomes = set()
    for attempt in range(5):
        db = tmp_path / f"s{attempt}.duckdb"
        argv = [sys.executable, "-c", script, str(db), str(csv)]
        proc = subprocess.Popen(argv, cwd=ROOT, env=env)
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if not db.exists():
            outcomes.add("nothing")
            continue
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM traffic").fetchall() == [(rows,)]
        finally:
            con.close()
        outcomes.add("everything")
    assert outcomes
