"""Uploads from the app: table detection, dry run with KPI changes, one-transaction commit,
import history, undo, and the per-store column mapping memory.

Built on the importer's public API (warehouse/importer.py, warehouse/parsing.py): it parses,
maps and checks one table's files (warehouse.parsing, `combine_files`, `file_result`) and writes
them with `write_rows` inside the caller's transaction. An upload may hold files of several
tables that must land together, so :func:`commit` writes each table inside one transaction
of ours. A dry run applies exactly the same steps to an in-memory copy of the stores
concerned, which also gives the KPIs before and after.

Everything that writes takes the acting user and raises PermissionError unless a manager.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from app.admin import require
from warehouse import hashkey, importer
from warehouse.auth import User
from warehouse.db import bump_data_version, connect, db_path, ensure_schema, scratch
from warehouse.derived import DERIVED
from warehouse.errors import rollback
from warehouse.messages import MessageError
from warehouse.parsing import (
    ParsedFile,
    Rejection,
    header_threshold,
    match_headers,
    normalize_date_order,
    parse_source,
    refuse_empty,
    required_columns,
)
from warehouse.readers import ReadError, Source, open_reader
from warehouse.spec import DATE_COLUMNS, TABLES

MAX_FILE_MB = 50
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
FILE_TYPES = ("csv", "tsv", "txt", "xlsx")
KPI_MONTHS = 4  # newest affected months whose KPIs a dry run compares (each costs ~1 s)
DEFAULT_STORE = importer.DEFAULT_STORE

SNAPSHOT_TABLES = ("vehicles", "parts_stock")


class UploadError(MessageError):
    """An upload cannot go ahead; the message says why in plain words (``text(lang)``)."""


# ------------------------------------------------------------------ plans and checks


@dataclass
class FilePlan:
    """One uploaded file and how to read it: its table, header mapping and date order."""

    name: str
    data: bytes
    table: str
    mapping: dict[str, str | None] | None = None
    date_order: str | None = None
    allow_partial: bool = False

    @property
    def sha256(self) -> str:
        """Return the content hash (the import log's identity of a file)."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        """Return the size in bytes."""
        return len(self.data)


def check_size(name: str, size: int, limit: int = MAX_FILE_BYTES) -> None:
    """Raise UploadError when a file is larger than the upload limit."""
    if size > limit:
        raise UploadError(
            "upload_too_big", name=name, size_mb=size / 1024 / 1024, limit_mb=limit // 1024 // 1024
        )


@dataclass
class Detection:
    """Which table a file's headers match: the best table (None when none fits) and scores."""

    table: str | None
    scores: dict[str, int]
    error: str | None = None
    error_code: str | None = None  # the error as a warehouse.messages code, when it has one
    error_params: dict | None = None


def detect_table(
    name: str, data: bytes, saved: dict[str, dict[str, str | None]] | None = None
) -> Detection:
    """Return the table whose columns the file's header row names best.

    A table counts only when some row names enough of its required columns (the importer's
    header threshold); ties go to the table whose required columns are best covered.
    ``saved`` maps table -> the store's saved header mapping, so that a file whose headers
    were mapped by hand last month is recognised this month.
    """
    try:
        reader = open_reader(Source(name=name, data=bytes(data)))
        try:
            candidates = reader.candidates()
        finally:
            reader.close()
    except ReadError as exc:
        return Detection(None, {}, str(exc), exc.code, exc.params)
    scores: dict[str, int] = {}
    ranked: list[tuple[bool, int, float, str]] = []
    for table, spec in TABLES.items():
        mapping = (saved or {}).get(table)
        best = 0
        for candidate in candidates:
            for _, cells in candidate.rows:
                try:
                    best = max(best, match_headers(cells, spec, mapping).score)
                except ValueError:  # a saved mapping naming a column the table lost
                    best = max(best, match_headers(cells, spec).score)
        scores[table] = best
        coverage = best / len(required_columns(spec))
        ranked.append((best >= header_threshold(spec), best, coverage, table))
    top = max(ranked)
    return Detection(top[3] if top[0] else None, scores)


def parse(plan: FilePlan, store: str | None = None) -> ParsedFile:
    """Read and check one planned file (no database access); a file without rows is refused."""
    parsed = parse_source(
        Source(name=plan.name, data=plan.data),
        plan.table,
        plan.mapping,
        plan.date_order,
        default_store=_store(store),
    )
    return refuse_empty(parsed)


def _store(store: str | None) -> str:
    return (store or "").strip() or DEFAULT_STORE


def file_stores(parsed: ParsedFile, store: str | None) -> list[str]:
    """Return the stores a file's rows go to: its store cells, else the chosen store."""
    if parsed.rows is None or parsed.rows.num_rows == 0:
        return [_store(store)]
    cells = parsed.rows.column("store").to_pylist()
    return sorted({(c or "").strip() or _store(store) for c in cells})


# ------------------------------------------------------------------ mapping memory


def saved_mappings(
    con: duckdb.DuckDBPyConnection, store: str
) -> dict[str, tuple[dict[str, str | None], str | None]]:
    """Return per table the store's saved {header: column or None} and date order."""
    rows = con.execute(
        "SELECT table_name, header, column_name, date_order FROM column_mappings "
        "WHERE store = $s ORDER BY table_name, header",
        {"s": _store(store)},
    ).fetchall()
    out: dict[str, tuple[dict[str, str | None], str | None]] = {}
    for table, header, column, order in rows:
        mapping, saved_order = out.get(table, ({}, None))
        mapping[header] = column
        out[table] = (mapping, saved_order or order)
    return out


def save_mapping(
    con: duckdb.DuckDBPyConnection,
    user: User | None,
    store: str,
    table: str,
    mapping: dict[str, str | None],
    date_order: str | None,
) -> None:
    """Remember the mapping used for a store's table (replacing the previous one).

    Every header the file had is saved with its column (None = ignored), and the date order
    on each row, which is the form warehouse.importer.saved_mapping reads back.
    """
    require(user, "manager")
    order = normalize_date_order(date_order)
    con.execute(
        "DELETE FROM column_mappings WHERE store = $s AND table_name = $t",
        {"s": _store(store), "t": table},
    )
    for header, column in mapping.items():
        if not str(header).strip():
            continue
        con.execute(
            "INSERT INTO column_mappings (store, table_name, header, column_name, date_order) "
            "VALUES ($s, $t, $h, $c, $o)",
            {"s": _store(store), "t": table, "h": str(header), "c": column or None, "o": order},
        )


def full_mapping(parsed: ParsedFile, plan: FilePlan) -> dict[str, str | None]:
    """Return every header of the file with the column it was read into (None: ignored)."""
    used = dict(parsed.mapping)
    wanted = plan.mapping or {}
    return {h: used.get(h, wanted.get(h)) for h in parsed.headers if str(h).strip()}


# ------------------------------------------------------------------ history


def already_imported(
    con: duckdb.DuckDBPyConnection, stores: str, table: str, sha256: str
) -> dt.datetime | None:
    """Return when the same content was imported for these stores and table (not undone)."""
    row = con.execute(
        "SELECT min(imported_at) FROM imports WHERE sha256 = $h AND table_name = $t "
        "AND store = $s AND NOT undone",
        {"h": sha256, "t": table, "s": stores},
    ).fetchone()
    return row[0] if row and row[0] is not None else None


def history(
    con: duckdb.DuckDBPyConnection, store: str | None = None, limit: int = 200
) -> pd.DataFrame:
    """Return the import log, newest first: who imported which file when, and its counts.

    ``undoable`` is true for the newest import of each store and table that is not undone.
    """
    return con.execute(
        """WITH log AS (
               SELECT *, import_id = max(import_id) FILTER (WHERE NOT undone)
                          OVER (PARTITION BY store, table_name) AS last_one
               FROM imports)
           SELECT import_id, imported_at, username, store, table_name, file_name, file_size,
                  sha256, inserted, updated, unchanged, rejected, undone,
                  coalesce(last_one AND NOT undone, false) AS undoable
           FROM log
           WHERE $s IS NULL OR list_contains(string_split(store, ','), $s)
           ORDER BY import_id DESC
           LIMIT $n""",
        {"s": store, "n": limit},
    ).df()


@dataclass
class UndoResult:
    """What an undo did: the import, rows deleted and rows put back."""

    import_id: int
    table: str
    file_name: str
    deleted: int
    restored: int


def undo_import(con: duckdb.DuckDBPyConnection, user: User | None, import_id: int) -> UndoResult:
    """Undo one import: delete the rows it wrote and put back the rows it replaced.

    Only the newest import of its table and store(s) that is not undone can be undone (a later
    one may have replaced its rows). One transaction; bumps the data version. Raises
    PermissionError unless a manager, UploadError when the import cannot be undone.
    """
    require(user, "manager")
    import_id = int(import_id)
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            "SELECT table_name, store, file_name, undone FROM imports WHERE import_id = $i",
            {"i": import_id},
        ).fetchone()
        if row is None:
            raise UploadError("upload_no_import", import_id=import_id)
        table, stores, file_name, undone = row
        if undone:
            raise UploadError("upload_undone_already", file=file_name)
        later = con.execute(
            """SELECT file_name, imported_at FROM imports
               WHERE table_name = $t AND import_id > $i AND NOT undone
                 AND len(list_intersect(string_split(store, ','), string_split($s, ','))) > 0
               ORDER BY import_id DESC LIMIT 1""",
            {"t": table, "i": import_id, "s": stores},
        ).fetchone()
        if later is not None:
            raise UploadError("upload_undo_newest_first", later=later[0], file=file_name)
        deleted = _delete_rows(con, table, import_id)
        restored = _restore_rows(con, table, import_id)
        con.execute("UPDATE imports SET undone = true WHERE import_id = $i", {"i": import_id})
        bump_data_version(con, tables={table}, stores=[s for s in stores.split(",") if s])
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return UndoResult(import_id, table, file_name, deleted, restored)


def undo_preview(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, Any] | None:
    """Return what undoing an import would do, without doing it (None: no such import).

    Keys: table, stores (list), file_name, imported_at (UTC), username, remove (rows the
    import wrote that are still there) and restore (earlier rows it replaced).
    """
    row = con.execute(
        "SELECT table_name, store, file_name, imported_at, username FROM imports "
        "WHERE import_id = $i",
        {"i": int(import_id)},
    ).fetchall()
    if not row:
        return None
    table, stores, file_name, imported_at, username = row[0]
    remove = con.execute(
        f"SELECT count(*) FROM {table} WHERE import_id = $i", {"i": int(import_id)}
    ).fetchall()[0][0]
    restore = con.execute(
        "SELECT count(*) FROM import_replaced WHERE import_id = $i AND table_name = $t",
        {"i": int(import_id), "t": table},
    ).fetchall()[0][0]
    return {
        "table": table,
        "stores": [s for s in (stores or "").split(",") if s],
        "file_name": file_name,
        "imported_at": imported_at,
        "username": username,
        "remove": int(remove),
        "restore": int(restore),
    }


def _delete_rows(con: duckdb.DuckDBPyConnection, table: str, import_id: int) -> int:
    n = con.execute(
        f"SELECT count(*) FROM {table} WHERE import_id = $i", {"i": import_id}
    ).fetchone()[0]
    con.execute(f"DELETE FROM {table} WHERE import_id = $i", {"i": import_id})
    return int(n)


def _restore_rows(con: duckdb.DuckDBPyConnection, table: str, import_id: int) -> int:
    """Insert the rows an import replaced back from their JSON copies, typed as the table."""
    described = con.execute(f"DESCRIBE {table}").fetchall()
    names = [r[0] for r in described]
    structure = "{" + ", ".join(f'"{n}": "{t}"' for n, t, *_ in described) + "}"
    cols = ", ".join(names)
    n = con.execute(
        "SELECT count(*) FROM import_replaced WHERE import_id = $i AND table_name = $t",
        {"i": import_id, "t": table},
    ).fetchone()[0]
    con.execute(
        f"""INSERT INTO {table} ({cols})
            SELECT {", ".join("r." + c for c in names)}
            FROM (SELECT json_transform(row_json, $structure) AS r
                  FROM import_replaced WHERE import_id = $i AND table_name = $t)""",
        {"structure": structure, "i": import_id, "t": table},
    )
    return int(n)


# ------------------------------------------------------------------ applying an upload


@dataclass
class FileOutcome:
    """What an upload did (or would do) with one file."""

    name: str
    table: str
    status: str  # 'imported' | 'duplicate' | 'refused' | 'failed'
    stores: list[str]
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: int = 0
    provisional_replaced: int = 0
    import_id: int | None = None
    already_on: dt.datetime | None = None
    rejections: list[Rejection] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    sha256: str = ""
    size: int = 0


@dataclass
class UploadResult:
    """The outcome of a dry run or a commit: per file, plus what a dry run found besides."""

    files: list[FileOutcome]
    committed: bool
    import_ids: list[int] = field(default_factory=list)
    vanished_vins: pd.DataFrame | None = None
    kpi_changes: pd.DataFrame | None = None
    kpi_months: list[str] = field(default_factory=list)
    kpi_months_skipped: list[str] = field(default_factory=list)
    kpi_error: str | None = None  # why the KPI comparison is missing, when it failed

    @property
    def importable(self) -> list[FileOutcome]:
        """Return the files that land (or would land)."""
        return [f for f in self.files if f.status == "imported"]


def _outcome(plan: FilePlan, parsed: ParsedFile, stores: list[str]) -> FileOutcome:
    refused = parsed.error is not None or (parsed.problems > 0 and not plan.allow_partial)
    return FileOutcome(
        name=plan.name,
        table=plan.table,
        status="refused" if refused else "imported",
        stores=stores,
        rows=parsed.row_count,
        rejected=parsed.rejected_rows,
        problems=parsed.problems,
        rejections=list(parsed.rejections),
        messages=list(parsed.messages),
        error=parsed.error,
        sha256=parsed.sha256,
        size=parsed.size,
    )


def _apply(
    con: duckdb.DuckDBPyConnection,
    store: str,
    plans: Sequence[FilePlan],
    parsed: Sequence[ParsedFile],
    username: str | None,
    user: User | None,
) -> list[FileOutcome]:
    """Write the accepted files table by table on ``con`` (inside the caller's transaction)."""
    outcomes = []
    for plan, pf in zip(plans, parsed, strict=True):
        stores = file_stores(pf, store)
        outcome = _outcome(plan, pf, stores)
        if outcome.status == "imported":
            when = already_imported(con, ",".join(stores), plan.table, pf.sha256)
            if when is not None:
                outcome.status, outcome.already_on = "duplicate", when
        outcomes.append(outcome)
    for table in _tables_in_order(plans):
        index = [
            i for i, (p, o) in enumerate(zip(plans, outcomes, strict=True))
            if p.table == table and o.status == "imported"
        ]  # fmt: skip
        if not index:
            continue
        group = [parsed[i] for i in index]
        incoming = importer.combine_files(group, table, store)
        for i, pf in zip(index, group, strict=True):
            # Keys repeated across files of the upload are rejections found only now.
            outcomes[i].problems, outcomes[i].rejected = pf.problems, pf.rejected_rows
            outcomes[i].rejections = list(pf.rejections)
            if pf.problems and not plans[i].allow_partial:
                raise UploadError("upload_keys_across_files", file=pf.file, rows=pf.problems)
        results = [importer.file_result(pf) for pf in group]
        # inside this upload's one transaction (commit() and the dry run own it)
        ids = importer.write_rows(con, table, incoming, results, store, username)
        for i, result, import_id in zip(index, results, ids, strict=True):
            o = outcomes[i]
            o.inserted, o.updated, o.unchanged = result.inserted, result.updated, result.unchanged
            o.provisional_replaced = result.provisional_replaced
            o.stores = result.stores
            o.import_id = import_id
        for i in index:
            if user is not None:
                save_mapping(
                    con, user, store, table, full_mapping(parsed[i], plans[i]),
                    plans[i].date_order,
                )  # fmt: skip
    return outcomes


def _tables_in_order(plans: Iterable[FilePlan]) -> list[str]:
    from warehouse.spec import ORDER_OF_IMPORT

    wanted = {p.table for p in plans}
    return [t for t in ORDER_OF_IMPORT if t in wanted]


class _NothingWritten(Exception):
    """A first upload refused every file: the database it was building is not kept."""

    def __init__(self, outcomes: list[FileOutcome]) -> None:
        super().__init__("nothing written")
        self.outcomes = outcomes


def commit(
    path: str | os.PathLike | None,
    store: str | None,
    plans: Sequence[FilePlan],
    user: User | None,
) -> UploadResult:
    """Import every accepted file of an upload in one transaction, as a manager.

    A file with rejected rows is refused (left out) unless its plan allows a partial import;
    a file whose content was imported already for the same store and table is skipped and
    reported with its date. The mapping used for each imported file is saved for next time.
    Raises PermissionError unless a manager, DatabaseBusy when another program holds the
    database too long (nothing written), UploadError when the files conflict.
    """
    actor = require(user, "manager")
    store = _store(store)
    for plan in plans:
        check_size(plan.name, plan.size)
    parsed = [parse(p, store) for p in plans]

    def write(con: duckdb.DuckDBPyConnection) -> list[FileOutcome]:
        con.execute("BEGIN TRANSACTION")
        try:
            done = _apply(con, store, plans, parsed, actor.username, actor)
            con.execute("COMMIT")
        except BaseException:
            rollback(con)
            raise
        return done

    def write_new(con: duckdb.DuckDBPyConnection) -> list[FileOutcome]:
        done = write(con)
        if not any(o.import_id is not None for o in done):
            raise _NothingWritten(done)  # no new database for an upload that wrote nothing
        return done

    target = db_path(path)
    outcomes = None
    if not target.exists():
        # A first upload leaves no database, or the whole one (built aside, then linked).
        try:
            outcomes = importer.in_new_database(target, write_new)
        except _NothingWritten as nothing:
            outcomes = nothing.outcomes
        except importer.DatabaseAppeared:  # another import created it meanwhile
            outcomes = None
    if outcomes is None:
        with connect(path) as con:
            outcomes = write(con)
    ids = [o.import_id for o in outcomes if o.import_id is not None]
    return UploadResult(outcomes, committed=bool(ids), import_ids=ids)


# ------------------------------------------------------------------ dry run


def _copy_stores(path: str | os.PathLike | None, stores: list[str]) -> duckdb.DuckDBPyConnection:
    """Return an in-memory database holding the stores' rows, the import log and the meta."""
    mem = scratch()
    ensure_schema(mem)
    mem.execute("DELETE FROM meta")
    target = Path(path) if path else None
    from warehouse.db import db_path

    source = db_path(target)
    if not source.exists():
        mem.execute("INSERT INTO meta VALUES ('data_version', '0')")
        return mem
    with connect(source, read_only=True) as con:
        # The derived state too: the KPIs before the upload read it like the app does.
        names = [*TABLES, *(d.name for d in DERIVED)]
        copies = [(t, f"SELECT * FROM {t} WHERE list_contains($s, store)") for t in names]
        copies += [
            ("stores", "SELECT * FROM stores WHERE list_contains($s, store)"),
            ("imports", "SELECT * FROM imports"),
            ("meta", "SELECT * FROM meta"),
        ]
        for table, sql in copies:
            params = {"s": stores} if "$s" in sql else None
            rows = con.sql(sql, params=params).to_arrow_table()
            mem.register("copy_rows", rows)
            mem.execute(f"INSERT INTO {table} SELECT * FROM copy_rows")
            mem.unregister("copy_rows")
        # The customer-hash key lives outside the file (warehouse.hashkey): the copy carries
        # it in its meta, so the dry run hashes mobile numbers as the import will.
        key = hashkey.find(con)
    if key is not None:
        mem.execute(
            "INSERT OR REPLACE INTO meta VALUES ($k, $v)", {"k": hashkey.META_KEY, "v": key}
        )
    return mem


def _months_touched(
    con: duckdb.DuckDBPyConnection, outcomes: list[FileOutcome], today: dt.date
) -> list[str]:
    """Return the months whose rows the applied import wrote or replaced, newest first."""
    months: set[str] = set()
    for o in outcomes:
        if o.import_id is None:
            continue
        col = DATE_COLUMNS[o.table]
        kind = TABLES[o.table].column(col).kind
        expr = col if kind == "month" else f"strftime({col}, '%Y-%m')"
        new = con.execute(
            f"SELECT DISTINCT {expr} FROM {o.table} WHERE import_id = $i AND {col} IS NOT NULL",
            {"i": o.import_id},
        ).fetchall()
        old = con.execute(
            "SELECT DISTINCT left(json_extract_string(row_json, $p), 7) FROM import_replaced "
            "WHERE import_id = $i AND json_extract_string(row_json, $p) IS NOT NULL",
            {"i": o.import_id, "p": f"$.{col}"},
        ).fetchall()
        months |= {r[0] for r in new + old if r[0]}
        if o.table in SNAPSHOT_TABLES or o.provisional_replaced:
            months.add(f"{today:%Y-%m}")
    return sorted((m for m in months if m <= f"{today:%Y-%m}"), reverse=True)


def _kpis(
    con: duckdb.DuckDBPyConnection, stores: list[str], months: list[str], today: dt.date
) -> dict[tuple[str, str, str], Any]:
    from kpi.report import compute_kpis, flatten
    from kpi.scope import Scope

    out: dict[tuple[str, str, str], Any] = {}
    for store in stores:
        for month in months:
            scope = Scope.for_month(month, today=today, store=store)
            for kpi_id, value in flatten(compute_kpis(con, scope)):
                out[(store, month, kpi_id)] = value
    return out


def _differs(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    if isinstance(a, int | float) and isinstance(b, int | float):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return False
        return not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a != b


def _kpi_changes(before: dict, after: dict) -> pd.DataFrame:
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if not _differs(old, new):
            continue
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        rows.append(
            {
                "store": key[0],
                "month": key[1],
                "kpi": key[2],
                "before": old,
                "after": new,
                "change": new - old if numeric else None,
            }
        )
    columns = ["store", "month", "kpi", "before", "after", "change"]
    return pd.DataFrame(rows, columns=columns)


def _vanished_vins(
    con: duckdb.DuckDBPyConnection,
    plans: Sequence[FilePlan],
    parsed: Sequence[ParsedFile],
    outcomes: list[FileOutcome],
    store: str,
) -> pd.DataFrame | None:
    """Return the VINs stored as unsold that an uploaded vehicles snapshot no longer lists."""
    snapshot = [
        pf for p, pf, o in zip(plans, parsed, outcomes, strict=True)
        if p.table == "vehicles" and o.status == "imported" and pf.rows is not None
    ]  # fmt: skip
    if not snapshot:
        return None
    listed = sorted({v for pf in snapshot for v in pf.rows.column("vin").to_pylist() if v})
    stores = sorted({s for o in outcomes if o.table == "vehicles" for s in o.stores})
    return con.execute(
        """SELECT store, vin, model, arrival_date, cost FROM v_vehicles
           WHERE list_contains($stores, store) AND sold_date IS NULL
             AND NOT list_contains($listed, vin)
           ORDER BY store, arrival_date NULLS LAST, vin""",
        {"stores": stores or [store], "listed": listed},
    ).df()


def _fresh(pf: ParsedFile) -> ParsedFile:
    return dataclasses.replace(pf, rejections=list(pf.rejections), messages=list(pf.messages))


def dry_run(
    path: str | os.PathLike | None,
    store: str | None,
    plans: Sequence[FilePlan],
    today: dt.date,
    kpi_months: int = KPI_MONTHS,
) -> UploadResult:
    """Show what a commit would do, writing nothing: counts per file, VINs a vehicles
    snapshot drops, and which KPIs of which months change and by how much.

    The upload is applied to an in-memory copy of the stores it touches; KPIs are computed
    with kpi.report.compute_kpis on the copy before and after, for the newest ``kpi_months``
    months the upload writes or replaces rows in.
    """
    store = _store(store)
    for plan in plans:
        check_size(plan.name, plan.size)
    parsed = [parse(p, store) for p in plans]
    # Applying adds cross-file key rejections to the parsed files; the second pass starts clean.
    parsed_again = [_fresh(pf) for pf in parsed]
    stores = sorted({s for pf in parsed for s in file_stores(pf, store)})
    mem = _copy_stores(path, stores)
    try:
        mem.execute("BEGIN TRANSACTION")
        outcomes = _apply(mem, store, plans, parsed, None, None)
        months = _months_touched(mem, outcomes, today)
        mem.execute("ROLLBACK")
        vanished = _vanished_vins(mem, plans, parsed, outcomes, store)
        chosen, skipped = months[:kpi_months], months[kpi_months:]
        touched = sorted({s for o in outcomes if o.import_id is not None for s in o.stores})
        kpi_error = None
        try:
            before = _kpis(mem, touched, chosen, today) if chosen else {}
        except Exception as exc:  # the KPI library failing must not hide the counts
            before, kpi_error = {}, f"{type(exc).__name__}: {exc}"
        parsed = [_fresh(pf) for pf in parsed_again]
        mem.execute("BEGIN TRANSACTION")
        _apply(mem, store, plans, parsed, None, None)
        mem.execute("COMMIT")
        after = {}
        if chosen and kpi_error is None:
            try:
                after = _kpis(mem, touched, chosen, today)
            except Exception as exc:
                before, kpi_error = {}, f"{type(exc).__name__}: {exc}"
    finally:
        mem.close()
    for o in outcomes:
        o.import_id = None
    return UploadResult(
        outcomes,
        committed=False,
        vanished_vins=vanished,
        kpi_changes=_kpi_changes(before, after),
        kpi_months=sorted(chosen),
        kpi_months_skipped=sorted(skipped),
        kpi_error=kpi_error,
    )


def rejections_frame(
    outcomes: Iterable[FileOutcome | ParsedFile], lang: str = "en"
) -> pd.DataFrame:
    """Return every file's rejections as rows (file, line, column, value, reason).

    The reason is in ``lang`` ('en' or 'zh'; warehouse.messages).
    """
    rows = [r.to_dict() | {"reason": r.text(lang)} for o in outcomes for r in o.rejections]
    return pd.DataFrame(rows, columns=["file", "line", "column", "value", "reason"])
