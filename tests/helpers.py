"""Small helpers for tests: a fresh in-memory store database and row insertion."""

from __future__ import annotations

import hashlib
import itertools
import tempfile
from pathlib import Path

import duckdb

from warehouse.db import ensure_schema, scratch
from warehouse.derived import refresh
from warehouse.spec import TABLES

# The process's one DuckDB instance for in-memory test databases: a new instance costs 13 ms
# (DuckDB registers its built-in functions each time), most of a small test; an in-memory
# database attached to a shared one costs well under one.
_instance: duckdb.DuckDBPyConnection | None = None
_names = itertools.count()


def memory_db() -> duckdb.DuckDBPyConnection:
    """Return a connection to a new, empty in-memory database with the full store schema.

    Its own catalog (ATTACH ':memory:'), the connection's default (USE): nothing is shared
    with another test's database but the engine. ``release`` drops it.
    """
    global _instance
    if _instance is None:
        _instance = scratch()
    name = f"test_{next(_names)}"
    _instance.execute(f"ATTACH ':memory:' AS {name}")
    con = _instance.cursor()
    con.execute(f"USE {name}")
    ensure_schema(con)
    return con


def release(con: duckdb.DuckDBPyConnection) -> None:
    """Close a connection of ``memory_db`` and drop its database."""
    name = con.execute("SELECT current_database()").fetchone()[0]
    assert name.startswith("test_"), f"release() takes memory_db()'s connections, not {name}"
    con.close()
    assert _instance is not None
    _instance.execute(f"DETACH {name}")


def insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict], store: str = "s1") -> None:
    """Insert rows given as dicts; missing columns are NULL (or the contract's default).

    A row may carry its own ``store``; otherwise ``store`` is used.
    """
    spec = TABLES[table]
    cols = ["store"] + [c.name for c in spec.columns]
    defaults = {c.name: c.default for c in spec.columns}
    placeholders = ", ".join(f"${c}" for c in cols)
    values = []
    for row in rows:
        unknown = set(row) - set(cols)
        if unknown:
            raise KeyError(f"{table} has no column {sorted(unknown)}")
        values.append({c: row.get(c, defaults.get(c)) for c in cols})
        values[-1]["store"] = row.get("store", store)
    if values:  # one prepared statement for every row (a statement per row cost ~2 ms a row)
        con.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({placeholders})", values)
    con.execute("INSERT OR IGNORE INTO stores (store) SELECT DISTINCT store FROM " + table)
    # As every writer does (warehouse.db.bump_data_version): derived state follows the rows.
    refresh(con, tables={table})


def copy_db(source: Path, target: Path) -> Path:
    """Copy a store database file and its hash key file (if any) to ``target``; return it.

    The source must be closed and checkpointed (no .wal beside it): the copy is its whole state.
    """
    assert not source.with_name(source.name + ".wal").exists()
    target.write_bytes(source.read_bytes())
    key = source.with_name(source.name + ".key")
    if key.exists():
        target.with_name(target.name + ".key").write_bytes(key.read_bytes())
    return target


class FileState:
    """A database file's exact state: equal when its bytes and its write-ahead log's are
    (then so is every table).

    Cheap to take (a hash of the bytes); on a mismatch the assertion message lists a digest
    of every table's rows, read from the bytes kept here.
    """

    def __init__(self, path: Path) -> None:
        self._bytes = path.read_bytes()
        wal = path.with_name(path.name + ".wal")
        self._wal = wal.read_bytes() if wal.exists() else None
        self.sha256 = hashlib.sha256(self._bytes + b"\0wal\0" + (self._wal or b"")).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FileState) and self.sha256 == other.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def tables(self) -> dict[str, str]:
        """Return a digest of every base table's sorted rows."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.duckdb"
            path.write_bytes(self._bytes)
            if self._wal is not None:
                path.with_name(path.name + ".wal").write_bytes(self._wal)
            con = duckdb.connect(str(path), read_only=True)
            try:
                names = con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()
                return {
                    t: hashlib.sha256(
                        repr(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()).encode()
                    ).hexdigest()
                    for (t,) in names
                }
            finally:
                con.close()

    def __repr__(self) -> str:
        return f"FileState({self.sha256[:12]}, tables={self.tables()})"
