"""The store database's connections: the engine settings every connection opens with."""

from __future__ import annotations

import os

from warehouse import db


def test_every_connection_takes_the_engine_settings(tmp_path, monkeypatch):
    # KPI_DB_THREADS and KPI_DB_MEMORY (warehouse.db.THREADS, MEMORY_LIMIT): the store's
    # connections take both, scratch in-memory ones the threads only (they cannot spill).
    monkeypatch.setattr(db, "THREADS", "1")
    monkeypatch.setattr(db, "MEMORY_LIMIT", "300MB")

    def settings(con) -> tuple:
        return con.execute(
            "SELECT current_setting('threads'), current_setting('memory_limit')"
        ).fetchone()

    with db.connect(tmp_path / "s.duckdb") as con:
        assert settings(con) == (1, "286.1 MiB")  # 300 MB = 300,000,000 bytes = 286.1 MiB
    scratch = db.scratch()
    try:
        threads, limit = settings(scratch)
        assert threads == 1 and limit != "286.1 MiB"  # DuckDB's own limit (most of the RAM)
    finally:
        scratch.close()
    monkeypatch.setattr(db, "THREADS", None)
    with db.connect(tmp_path / "s.duckdb") as con:
        assert settings(con)[0] == os.cpu_count()  # unset: DuckDB's default, one per core
