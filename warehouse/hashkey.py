"""The secret that turns customers' mobile numbers into stored keys, kept outside the database.

A database file that leaks (a copied backup, a laptop) must not carry the key that would let
anyone test guessed mobile numbers against its hashes. So the key lives in
``$KPI_HASH_KEY`` when set (a secrets manager or the service's environment), else in a file
next to the database, ``<db>.key``, readable by its owner only (0600). Backups copy that file
separately (warehouse.backup). A database from before this rule holds the key in its ``meta``
table: the first use moves it into the key file and deletes it from the database.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import duckdb

KEY_ENV = "KPI_HASH_KEY"
META_KEY = "customer_hash_key"  # where databases before schema 5 kept it
# A database the importer builds aside (importer.in_new_database) keeps its final name's key.
_STAGING = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{12}\.new$")


def key_file(db: str | os.PathLike) -> Path:
    """Return the key file of a database file: ``<db>.key`` next to it."""
    path = Path(db)
    staged = _STAGING.match(path.name)
    name = staged.group("name") if staged else path.name
    return path.with_name(name + ".key")


def database_file(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Return the file the connection's database lives in (None: in memory)."""
    rows = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def _from_meta(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = $k", {"k": META_KEY}).fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows else None


def write_key_file(path: Path, value: str) -> None:
    """Create the key file with owner-only permissions; keep one that exists already."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def find(con: duckdb.DuckDBPyConnection) -> str | None:
    """Return the key for this database, or None when none exists yet (nothing is created).

    Order: $KPI_HASH_KEY, the key file, then the ``meta`` row of an older database (moved
    into the key file on the way when the connection can write).
    """
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return env
    db = database_file(con)
    if db is None:
        return _from_meta(con)  # an in-memory copy (the upload dry run) carries it in meta
    path = key_file(db)
    if path.exists():
        return path.read_text().strip()
    old = _from_meta(con)
    if old is not None:
        _migrate(con, path, old)
    return old


def _migrate(con: duckdb.DuckDBPyConnection, path: Path, value: str) -> None:
    """Move a key from the database's meta table into the key file (when writable)."""
    try:
        write_key_file(path, value)
    except FileExistsError:
        pass
    except OSError:
        return  # a read-only folder: keep using the meta row
    try:
        con.execute("DELETE FROM meta WHERE key = $k", {"k": META_KEY})
    except duckdb.Error:
        pass  # a read-only connection: the next write deletes it


def get_or_create(con: duckdb.DuckDBPyConnection) -> str:
    """Return the key for this database, creating it (in the key file) on first use."""
    found = find(con)
    if found is not None:
        return found
    value = secrets.token_hex(32)
    db = database_file(con)
    if db is None:
        con.execute("INSERT INTO meta VALUES ($k, $v)", {"k": META_KEY, "v": value})
        return value
    path = key_file(db)
    try:
        write_key_file(path, value)
    except FileExistsError:  # another import created it meanwhile
        return path.read_text().strip()
    return value
