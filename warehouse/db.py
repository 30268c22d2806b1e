"""The store database: one embedded DuckDB file, its schema, and short-lived connections.

DuckDB lets one process write a file at a time, so every operation opens a connection, does
its work and closes it; a connection that finds the file locked retries for a few seconds and
then raises :class:`DatabaseBusy` with a message a person can act on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse import derived
from warehouse.spec import TABLES

SCHEMA_VERSION = 7
DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "store.duckdb"
DB_ENV = "KPI_DB"
BUSY_TIMEOUT_S = float(os.environ.get("KPI_DB_TIMEOUT", "8"))
MEMORY_LIMIT = os.environ.get("KPI_DB_MEMORY", "1GB")
# DuckDB's worker threads per connection (unset: one per core). The tests set 1: they run one
# pytest worker per core, and two workers each spreading tiny queries over both cores spend
# a tenth more time than one thread each.
THREADS = os.environ.get("KPI_DB_THREADS")


def engine_config(memory_limit: bool = True) -> dict[str, str | bool | int | float | list[str]]:
    """Return the DuckDB settings a connection opens with (``memory_limit``: the store's
    cap; scratch in-memory databases keep DuckDB's own, they cannot spill to disk)."""
    config: dict[str, str | bool | int | float | list[str]] = (
        {"memory_limit": MEMORY_LIMIT} if memory_limit else {}
    )
    if THREADS:
        config["threads"] = THREADS
    return config


def scratch() -> duckdb.DuckDBPyConnection:
    """Return a new in-memory DuckDB connection (parsing, dry runs, staging copies)."""
    return duckdb.connect(config=engine_config(memory_limit=False))


STORE_DEFAULTS = {
    "timezone": "Asia/Shanghai",
    "opening_hours": "09:00-18:00",
    "floorplan_rate": 0.05,
}

# One process-wide lock: DuckDB refuses to open a file with a read-only and a read-write
# connection at the same time inside one process, so threads take turns.
_PROCESS_LOCK = threading.RLock()


# The typed failures of the file (full disk, read-only, damaged, newer, busy): warehouse.errors.
from warehouse.errors import (  # noqa: E402, F401
    DatabaseBusy,
    DatabaseError,
    NewerSchema,
    classify,
    rollback,
)


def db_path(path: str | os.PathLike | None = None) -> Path:
    """Return the database path: the argument, else $KPI_DB, else data/store.duckdb."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "different configuration" in text or "being used" in text


@contextmanager
def connect(
    path: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    timeout_s: float | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store database for one operation, retrying while another process holds it.

    A read-write connection creates the file and migrates its schema first. Raises
    DatabaseBusy when the file stays locked past ``timeout_s`` seconds.
    """
    target = db_path(path)
    deadline = time.monotonic() + (BUSY_TIMEOUT_S if timeout_s is None else timeout_s)
    delay = 0.05
    with _PROCESS_LOCK:
        while True:
            try:
                if not read_only:
                    target.parent.mkdir(parents=True, exist_ok=True)
                con = duckdb.connect(str(target), read_only=read_only, config=engine_config())
                break
            except OSError as exc:
                raise (classify(exc, target) or exc) from exc
            except (duckdb.IOException, duckdb.ConnectionException) as exc:
                if not _is_lock_error(exc) or time.monotonic() >= deadline:
                    if _is_lock_error(exc):
                        raise DatabaseBusy(target) from exc
                    raise (classify(exc, target) or exc) from exc
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            # No progress bar: a long KPI query must not draw on the server's terminal.
            con.execute("SET enable_progress_bar = false")
            if not read_only:
                ensure_schema(con)
            elif _needs_migration(con):
                # A database from an older version: migrate it once with a short write.
                con.close()
                with connect(target, timeout_s=timeout_s) as writer:
                    writer.execute("CHECKPOINT")
                con = duckdb.connect(str(target), read_only=True, config=engine_config())
                con.execute("SET enable_progress_bar = false")
            elif _schema_version(con) > SCHEMA_VERSION:
                raise NewerSchema(target, found=_schema_version(con), known=SCHEMA_VERSION)
            yield con
        except (duckdb.Error, OSError, DatabaseError) as exc:
            typed = classify(exc, target)
            if typed is None:
                raise
            raise typed from exc
        finally:
            con.close()


def _schema_version(con: duckdb.DuckDBPyConnection) -> int:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        return 0
    return int(rows[0][0]) if rows else 0


def _needs_migration(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.CatalogException:
        return False  # not our database (or an empty file): nothing to migrate
    if not rows:
        return False
    version = int(rows[0][0])
    return version < SCHEMA_VERSION or (version == SCHEMA_VERSION and bool(missing_derived(con)))


def missing_derived(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the derived tables (warehouse.derived) the database does not have yet."""
    # duckdb_tables(), not information_schema.tables: a fifth of the time, on every open.
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
    ).fetchall()}  # fmt: skip
    return [d.name for d in derived.DERIVED if d.name not in have]


def _fill_missing_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Create the derived tables a newer program added and fill them from the stored rows.

    A derived table added without a schema version of its own (a summary of a new KPI) is
    then there on the first write open, and a read-only open asks for that write first.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        missing = missing_derived(con)
        derived.create_tables(con)
        derived.refresh(con, names=missing)
        con.execute("COMMIT")
    except Exception:
        rollback(con)
        raise


def _table_ddl(table_name: str) -> str:
    table = TABLES[table_name]
    cols = ["store VARCHAR NOT NULL"] + [f"{c.name} {c.sql_type}" for c in table.columns]
    if table.live:
        cols += ["provisional BOOLEAN NOT NULL DEFAULT false", "entered_by VARCHAR"]
    cols.append("import_id BIGINT")
    return f"CREATE TABLE IF NOT EXISTS {table_name} (\n  " + ",\n  ".join(cols) + "\n)"


META_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    # The data version at which each table's rows of a store last changed ('*': every store).
    """CREATE TABLE IF NOT EXISTS data_versions (
        table_name VARCHAR NOT NULL, store VARCHAR NOT NULL, version BIGINT NOT NULL,
        PRIMARY KEY (table_name, store))""",
    """CREATE TABLE IF NOT EXISTS stores (
        store VARCHAR PRIMARY KEY, name VARCHAR, brand VARCHAR, region VARCHAR,
        timezone VARCHAR NOT NULL DEFAULT 'Asia/Shanghai',
        opening_hours VARCHAR NOT NULL DEFAULT '09:00-18:00',
        floorplan_rate DOUBLE NOT NULL DEFAULT 0.05,
        thresholds VARCHAR, cadence VARCHAR,
        -- Nothing is public until a manager says so (docs/AUTH.md): the whole store, or only
        -- the showroom TV board (counts, no money).
        public_view BOOLEAN NOT NULL DEFAULT false, public_tv BOOLEAN NOT NULL DEFAULT false)""",
    # Sign-in attempts (warehouse.auth's throttle): ok NULL while the password is checked.
    """CREATE TABLE IF NOT EXISTS login_attempts (
        tried_at TIMESTAMP NOT NULL, username VARCHAR NOT NULL, client VARCHAR NOT NULL,
        ok BOOLEAN, attempt_id UBIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS imports (
        import_id BIGINT PRIMARY KEY, imported_at TIMESTAMP NOT NULL, username VARCHAR,
        store VARCHAR, table_name VARCHAR NOT NULL, file_name VARCHAR, file_size BIGINT,
        sha256 VARCHAR, inserted BIGINT, updated BIGINT, unchanged BIGINT, rejected BIGINT,
        undone BOOLEAN NOT NULL DEFAULT false)""",
    """CREATE TABLE IF NOT EXISTS import_replaced (
        import_id BIGINT NOT NULL, table_name VARCHAR NOT NULL, row_json VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS column_mappings (
        store VARCHAR NOT NULL, table_name VARCHAR NOT NULL, header VARCHAR NOT NULL,
        column_name VARCHAR, date_order VARCHAR, PRIMARY KEY (store, table_name, header))""",
    """CREATE TABLE IF NOT EXISTS users (
        username VARCHAR PRIMARY KEY, display_name VARCHAR, role VARCHAR NOT NULL,
        salt VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, email VARCHAR,
        created_at TIMESTAMP NOT NULL DEFAULT current_timestamp)""",
)


# The tables each view and derived table reads: what a reader of it depends on.
VIEW_SOURCES = {
    "v_vehicles": frozenset({"vehicles", "orders"}),
    "v_repair_orders": frozenset({"repair_orders"}),
}
# Store settings (thresholds, cadence, floorplan rate) count as a table of their own.
SETTINGS = "stores"


def _views() -> tuple[str, ...]:
    """Return views that apply the contract's derivation rules once for every KPI.

    v_vehicles: sold_date filled from a delivered order carrying the VIN (kept in
    derived_vehicles by every write of vehicles or orders, see warehouse.derived).
    v_repair_orders: comeback derived where empty: a repair or warranty RO of the same VIN
    opened within 30 days after an earlier repair or warranty RO of that VIN closed (those
    ROs are kept in derived_comebacks by every write, see warehouse.derived).
    """
    ro = [c.name for c in TABLES["repair_orders"].columns if c.name != "comeback"]
    return (
        # the rule is applied when vehicles or orders are written (derived_vehicles)
        "CREATE OR REPLACE VIEW v_vehicles AS SELECT * FROM derived_vehicles",
        f"""CREATE OR REPLACE VIEW v_repair_orders AS
        SELECT r.store, {", ".join("r." + c for c in ro)},
               coalesce(r.comeback, r.ro_type IN ('repair', 'warranty') AND c.ro_id IS NOT NULL)
                   AS comeback
        FROM repair_orders r
        LEFT JOIN derived_comebacks c ON c.store = r.store AND c.ro_id = r.ro_id""",
    )


def _rebuild_in_spec_order(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> None:
    """Give older tables the contract's new columns, in the order a new database has them.

    A column added with ALTER TABLE would come last (after import_id), and the copies that
    move rows between databases by position (the upload dry run) would then misplace it; so
    a table missing columns is rebuilt from the current DDL and its rows copied by name.
    """
    for name in names:
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $t",
            {"t": name},
        ).fetchall()}  # fmt: skip
        if {c.name for c in TABLES[name].columns} <= have:
            continue
        old = f"{name}_schema_old"
        con.execute(f"ALTER TABLE {name} RENAME TO {old}")
        con.execute(_table_ddl(name))
        con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {old}")
        con.execute(f"DROP TABLE {old}")


def _private_by_default(con: duckdb.DuckDBPyConnection) -> None:
    """Schema 5: stores are private by default; a store that was public keeps only its TV board.

    Before schema 5 every store was public unless a manager turned it off, so a public store
    was rarely a choice: its money figures go private, its showroom TV keeps running
    (docs/DECISIONS.md, "Access").
    """
    have = con.execute(
        "SELECT 1 FROM information_schema.columns "
        "WHERE table_name = 'stores' AND column_name = 'public_tv'"
    ).fetchone()
    if have:  # a database that already took this step
        return
    con.execute("ALTER TABLE stores ADD COLUMN public_tv BOOLEAN DEFAULT false")
    con.execute("ALTER TABLE stores ALTER COLUMN public_view SET DEFAULT false")
    con.execute("UPDATE stores SET public_tv = coalesce(public_view, false), public_view = false")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view if missing and record the schema version (idempotent)."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    current = int(row[0]) if row else 0
    if current == SCHEMA_VERSION:
        if missing_derived(con):
            _fill_missing_derived(con)
        return
    if current > SCHEMA_VERSION:
        raise NewerSchema(found=current, known=SCHEMA_VERSION)
    con.execute("BEGIN TRANSACTION")
    try:
        # Derived tables this version adds are filled from the rows already stored.
        missing = missing_derived(con) if current > 0 else []
        for ddl in META_DDL:
            con.execute(ddl)
        for name in TABLES:
            con.execute(_table_ddl(name))
        if 0 < current < 6:
            # 6: vehicles.wholesale_date, followups.lost_reason and lost_to (rebate_programs
            # is new, created above).
            _rebuild_in_spec_order(con, ("vehicles", "followups"))
        if current > 0:
            _private_by_default(con)
        derived.create_tables(con)
        for ddl in _views():
            con.execute(ddl)
        # Future migrations go here: `if current < 4: ...`, each step idempotent.
        if 0 < current < 3:
            # 2: the derived tables appeared; 3: derived_lead_months keeps open-level states only.
            derived.refresh(con)
        elif missing:
            # 7: the summary tables and derived_vehicles, _forecast_points, _values_* (issue 15)
            derived.refresh(con, names=missing)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)", {"v": str(SCHEMA_VERSION)}
        )
        con.execute("INSERT OR IGNORE INTO meta VALUES ('data_version', '0')")
        con.execute("COMMIT")
    except Exception:
        rollback(con)
        raise


def ensure_store(con: duckdb.DuckDBPyConnection, store: str) -> None:
    """Create a store's settings row with the contract's defaults if it does not exist."""
    ensure_stores(con, [store])


def ensure_stores(con: duckdb.DuckDBPyConnection, stores: list[str]) -> None:
    """Create the settings rows of the stores that have none, in one statement."""
    con.execute("INSERT OR IGNORE INTO stores (store) SELECT unnest($s::VARCHAR[])", {"s": stores})


def bump_data_version(
    con: duckdb.DuckDBPyConnection,
    tables: Iterable[str] | None = None,
    stores: Iterable[str] | None = None,
) -> int:
    """Refresh derived state and increment the data version; call in every write transaction.

    ``tables`` and ``stores`` name what the write changed (None: anything; a settings write
    passes ``tables={"stores"}``, the SETTINGS pseudo-table). Only the derived tables that read
    those tables are recomputed, and only for those stores (warehouse.derived); the new
    version is recorded for each (table, store) in data_versions, so a cache can key a result
    on the versions of just the tables and store it reads (see table_versions).
    """
    derived.refresh(con, tables, stores)
    con.execute(
        "UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR) "
        "WHERE key = 'data_version'"
    )
    version = data_version(con)
    names = sorted({*TABLES, SETTINGS} if tables is None else set(tables))
    keys = ["*"] if stores is None else sorted(set(stores))
    if names and keys:
        con.execute(
            """INSERT OR REPLACE INTO data_versions
               SELECT t, s, $v FROM unnest($tables) u(t), unnest($stores) w(s)""",
            {"v": version, "tables": names, "stores": keys},
        )
    return version


def table_versions(con: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str, int], ...]:
    """Return (table, store, version) of every recorded change, sorted ('*': every store)."""
    try:
        rows = con.execute("SELECT * FROM data_versions ORDER BY ALL").fetchall()
    except duckdb.CatalogException:
        return ()
    return tuple((t, s, int(v)) for t, s, v in rows)


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the number of writes the database has seen (0 for a new one)."""
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    except duckdb.CatalogException:
        return 0
    return int(row[0]) if row else 0


def list_stores(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Return the stores that exist (created by their first import), in name order."""
    return [r[0] for r in con.execute("SELECT store FROM stores ORDER BY store").fetchall()]
