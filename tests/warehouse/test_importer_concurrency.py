"""Two imports at once on one database file: both land, or one fails as busy; never half."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from warehouse.importer import import_files

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)


def traffic_file(path: Path, prefix: str, count: int) -> Path:
    """Write a traffic CSV of ``count`` rows whose ids start with ``prefix``."""
    lines = [f"{prefix}{i},2026-09-{i % 28 + 1:02d},walk_in,1,a,b,c,A,m,0" for i in range(count)]
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def counts(db: Path) -> tuple[int, int, int]:
    """Return (rows, distinct keys, import log rows) of the traffic table."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM traffic), (SELECT count(DISTINCT visit_id) FROM "
            "traffic), (SELECT count(*) FROM imports)"
        ).fetchall()[0]
    finally:
        con.close()


def run_cli(db: Path, source: Path, timeout_s: str) -> subprocess.Popen:
    env = dict(os.environ, KPI_DB_TIMEOUT=timeout_s)
    return subprocess.Popen(
        [sys.executable, "-m", "kpi", "import", "--db", str(db), "--table", "traffic",
         str(source)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_threads_import_at_once(tmp_path):
    db = tmp_path / "s.duckdb"
    files = [traffic_file(tmp_path / f"{p}.csv", p, 300) for p in ("A", "B")]
    reports = {}

    def run(path: Path) -> None:
        reports[path.name] = import_files(db, "traffic", [path])

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [reports[f.name].inserted for f in files] == [300, 300]
    assert counts(db) == (600, 600, 2)


@pytest.mark.slow  # two processes: the full gate
def test_two_processes_import_at_once(tmp_path):
    db = tmp_path / "s.duckdb"
    files = [traffic_file(tmp_path / f"{p}.csv", p, 2000) for p in ("A", "B")]
    procs = [run_cli(db, f, "60") for f in files]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    landed = 0
    for code, (out, err) in results:
        assert code in (0, 2), (out, err)
        if code == 2:
            assert "in use by another program" in err
        else:
            landed += 1
    assert landed >= 1
    # Each file lands whole (2000 rows) or not at all; no row is lost or doubled.
    assert counts(db) == (2000 * landed, 2000 * landed, landed)


@pytest.mark.slow  # a process holding the database: the full gate
def test_busy_database_exits_2_with_the_message_and_writes_nothing(tmp_path):
    db = tmp_path / "s.duckdb"
    source = traffic_file(tmp_path / "a.csv", "A", 10)
    holder = duckdb.connect(str(db))  # another program holding the file
    try:
        proc = run_cli(db, source, "0.5")
        code = proc.wait(timeout=120)
        out, err = proc.communicate()
    finally:
        holder.close()
    assert code == 2, (out, err)
    assert "is in use by another program" in err and "Nothing was written" in err
    proc = run_cli(db, source, "10")
    assert proc.wait(timeout=120) == 0
    assert counts(db) == (10, 10, 1)
