"""Import DMS export files into the store database, all or nothing.

One call imports one table from one or more files. Every file is read and checked first
(warehouse/parsing.py, no database access); if any row of any file is rejected nothing is
written. Otherwise one transaction upserts every row by the table's key per store, keeps the
rows it replaced in ``import_replaced`` (so an undo can restore them), replaces provisional
live entries the files cover, logs one ``imports`` row per file and bumps the data version.

The common case at a dealer group's scale, one clean export into a table holding no rows of
its stores, takes a fast path (:func:`_fast_import`): read, parsed, checked and inserted in
one statement; anything that path cannot take rolls back and goes the way above.

Command line: ``python -m kpi import --db PATH --table TABLE [--store STORE] FILE...``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from warehouse import hashkey
from warehouse.db import (
    bump_data_version,
    connect,
    db_path,
    ensure_schema,
    ensure_stores,
    scratch,
)
from warehouse.errors import DatabaseError, rollback
from warehouse.parsing import (
    MOBILE_RE,
    MOBILE_SEPARATORS,
    REJECTION_DETAIL_LIMIT,
    ROW_RULES,
    HeaderChoice,
    ParsedFile,
    Rejection,
    _apply_choice,
    choose_header,
    clean_rows_select,
    normalize_date_order,
    parse_source,
    read_table_file,
    refuse_empty,
    required_columns,
)
from warehouse.profile import timed
from warehouse.readers import (
    EXTRA_COLUMNS,
    HEAD_BYTES,
    ReadError,
    Source,
    TextReader,
    guess_encoding,
    open_reader,
    sniff_format,
)
from warehouse.spec import TABLES

if TYPE_CHECKING:  # pyarrow only on the row-level path: the fast path never loads it
    import pyarrow as pa

__all__ = [
    "FileResult",
    "ImportReport",
    "ParsedFile",
    "Rejection",
    "customer_key",
    "import_files",
    "main",
    "read_table_file",
]

DEFAULT_STORE = "main"
HASH_KEY = "customer_hash_key"
LIVE_DATE = {"traffic": "visit_date", "orders": "order_date"}
CLI_REJECTION_LIMIT = 50


@dataclass
class FileResult:
    """What happened to one file of an import."""

    file: str
    table: str
    encoding: str
    delimiter: str | None
    header_line: int
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int  # data lines not imported because of a rejection
    rejections: list[Rejection]
    sha256: str
    size: int
    problems: int = 0  # every rejection, also those beyond the detail list
    sheet: str | None = None
    stores: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    provisional_replaced: int = 0
    import_id: int | None = None
    error: str | None = None

    @property
    def message(self) -> str:
        """Return a one-line summary of the file."""
        how = self.encoding + (f", sheet {self.sheet}" if self.sheet else "")
        if self.delimiter is not None:
            how += ", " + {",": "comma", "\t": "tab", ";": "semicolon"}[self.delimiter]
        if self.error and not self.rows:
            return f"{self.file}: not imported (the reason follows)"
        text = (
            f"{self.file} ({how}, header on line {self.header_line}): {self.rows} rows, "
            f"{self.inserted} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.rejected} rejected"
        )
        if self.provisional_replaced:
            text += f", {self.provisional_replaced} live entries replaced"
        return text

    def to_dict(self) -> dict:
        """Return the result as plain JSON-ready data."""
        out = {k: v for k, v in self.__dict__.items() if k != "rejections"}
        out["rejections"] = [r.to_dict() for r in self.rejections]
        out["message"] = self.message
        return out


@dataclass
class ImportReport:
    """The outcome of one import call."""

    table: str
    store: str | None
    files: list[FileResult]
    committed: bool
    dry_run: bool
    import_ids: list[int]
    db: str | None = None

    @property
    def ok(self) -> bool:
        """Return True when no file had any rejection."""
        return all(f.problems == 0 and f.error is None for f in self.files)

    @property
    def inserted(self) -> int:
        return sum(f.inserted for f in self.files)

    @property
    def updated(self) -> int:
        return sum(f.updated for f in self.files)

    @property
    def unchanged(self) -> int:
        return sum(f.unchanged for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def problems(self) -> int:
        return sum(f.problems for f in self.files)

    @property
    def rejections(self) -> list[Rejection]:
        """Return every file's rejections (the detail lists), file by file."""
        return [r for f in self.files for r in f.rejections]

    def to_dict(self) -> dict:
        """Return the report as plain JSON-ready data."""
        return {
            "table": self.table,
            "store": self.store,
            "db": self.db,
            "committed": self.committed,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "import_ids": self.import_ids,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "problems": self.problems,
            "files": [f.to_dict() for f in self.files],
        }

    def to_text(self, limit: int = CLI_REJECTION_LIMIT, lang: str = "en") -> str:
        """Return the CLI's text: a line per file, then the first rejections (in ``lang``)."""
        lines = [f.message for f in self.files]
        for f in self.files:
            lines += [f"  {f.file}: {m}" for m in f.messages]
        shown = self.rejections[:limit]
        lines += [r.message_in(lang) for r in shown]
        if self.problems > len(shown):
            lines.append(f"and {self.problems - len(shown)} more")
        if self.committed:
            lines.append(
                f"Imported {self.inserted} new, {self.updated} updated and {self.unchanged} "
                f"unchanged {self.table} rows (import id {', '.join(map(str, self.import_ids))})."
            )
        elif self.dry_run and self.ok:
            lines.append("Dry run: the files are fine; nothing was written.")
        elif not self.ok:
            lines.append(
                f"Nothing was imported: {self.problems} problem(s) in {self.rejected} line(s). "
                "Fix them and import all the files again (one import lands completely or not "
                "at all)."
            )
        return "\n".join(lines)


def file_result(pf: ParsedFile) -> FileResult:
    return FileResult(
        file=pf.file,
        table=pf.table,
        encoding=pf.encoding,
        delimiter=pf.delimiter,
        header_line=pf.header_line,
        rows=pf.row_count,
        inserted=0,
        updated=0,
        unchanged=0,
        rejected=pf.rejected_rows,
        rejections=list(pf.rejections),
        sha256=pf.sha256,
        size=pf.size,
        problems=pf.problems,
        sheet=pf.sheet,
        mapping=dict(pf.mapping),
        unmapped=list(pf.unmapped),
        messages=list(pf.messages),
        error=pf.error,
    )


def _clean_store(store: str | None) -> str:
    return (store or "").strip() or DEFAULT_STORE


def hash_key(con: duckdb.DuckDBPyConnection) -> str:
    """Return the database's secret for customer keys, creating it on first use.

    It lives outside the database file ($KPI_HASH_KEY or ``<db>.key``, warehouse.hashkey).
    """
    return hashkey.get_or_create(con)


def mobile_hash(secret: str, mobile: str) -> str:
    """Return the stored key of an 11-digit mobile number: 'C' + 16 hex of HMAC-SHA256."""
    return "C" + hmac.new(secret.encode(), mobile.encode(), hashlib.sha256).hexdigest()[:16]


def customer_key(con: duckdb.DuckDBPyConnection, value: str | None) -> str | None:
    """Return the customer_id to store for a typed-in value (live entries use this).

    A Chinese mobile number becomes its keyed hash, the same one imports store; any other
    id is kept as written; empty means an anonymous walk-in (None).
    """
    text = (value or "").strip()
    if not text:
        return None
    digits = con.execute(
        "SELECT CASE WHEN regexp_full_match(d, $re) THEN right(d, 11) END "
        "FROM (SELECT regexp_replace($v, $sep, '', 'g') AS d)",
        {"v": text, "re": MOBILE_RE, "sep": MOBILE_SEPARATORS},
    ).fetchall()[0][0]
    return mobile_hash(hash_key(con), digits) if digits else text


def saved_mapping(
    db: str | os.PathLike | None, store: str, table: str
) -> tuple[dict[str, str | None], str | None]:
    """Return the store's saved header mapping and date order for a table (may be empty)."""
    path = db_path(db)
    if not path.exists():
        return {}, None
    with connect(path, read_only=True) as con:
        try:
            rows = con.execute(
                "SELECT header, column_name, date_order FROM column_mappings "
                "WHERE store = $s AND table_name = $t",
                {"s": store, "t": table},
            ).fetchall()
        except duckdb.CatalogException:
            return {}, None
    orders = {r[2] for r in rows if r[2]}
    return {r[0]: r[1] for r in rows}, (orders.pop() if len(orders) == 1 else None)


def import_files(
    db: str | Path | None,
    table: str,
    files: list[str | Path | tuple[str, bytes]],
    store: str | None = None,
    user: str | None = None,
    mapping: Mapping[str, str | None] | None = None,
    date_order: str | None = None,
    dry_run: bool = False,
    allow_partial: bool = False,
) -> ImportReport:
    """Import files of one table into the database at ``db``; all of them or nothing.

    ``files`` are paths or (name, bytes) pairs. Rows without a store cell go to ``store``
    (default 'main'). Without a ``mapping`` the store's saved mapping (if any) is used.
    With ``allow_partial`` the valid rows are written even when others are rejected.
    ``dry_run`` runs the whole import and rolls it back (counts show what would happen).
    Raises DatabaseBusy when another program holds the database for too long.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
    if not files:
        raise ValueError("no files to import")
    default_store = _clean_store(store)
    order = normalize_date_order(date_order)
    if mapping is None:
        saved, saved_order = saved_mapping(db, default_store, table)
        mapping = saved or None
        order = order or saved_order
    sources = [Source.of(f) for f in files]
    if len(sources) == 1 and not dry_run:
        fast = _fast_import(db, table, sources[0], default_store, user, mapping, order)
        if fast is not None:
            return _fast_report(db, table, store, fast)
    parsed = [
        refuse_empty(parse_source(s, table, mapping, order, default_store=default_store))
        for s in sources
    ]
    incoming = combine_files(parsed, table, default_store)
    results = [file_result(pf) for pf in parsed]
    report = ImportReport(
        table=table,
        store=store,
        files=results,
        committed=False,
        dry_run=dry_run,
        import_ids=[],
        db=str(db_path(db)),
    )
    if not report.ok and not allow_partial:
        return report
    ids = _write_into(
        db,
        dry_run,
        lambda con: _write(con, table, incoming, results, default_store, user, dry_run),
    )
    report.committed = not dry_run
    report.import_ids = [] if dry_run else ids
    return report


def _fast_report(
    db: str | Path | None, table: str, store: str | None, fast: FileResult
) -> ImportReport:
    """Return the report of a file the fast path imported (committed, never a dry run)."""
    assert fast.import_id is not None  # written, not a dry run: the import is logged
    return ImportReport(
        table=table,
        store=store,
        files=[fast],
        committed=True,
        dry_run=False,
        import_ids=[fast.import_id],
        db=str(db_path(db)),
    )


def _write_into(
    db: str | Path | None, dry_run: bool, write: Callable[[duckdb.DuckDBPyConnection], list[int]]
) -> list[int]:
    """Return ``write(con)`` run on the database at ``db``, creating it only for a real import.

    A dry run must not create the database: it rehearses on an empty in-memory one. A first
    import builds the database aside (:func:`in_new_database`); when another import created
    it meanwhile, the rows go into that one.
    """
    if not db_path(db).exists():
        if dry_run:
            con = scratch()
            try:
                ensure_schema(con)
                return write(con)
            finally:
                con.close()
        try:
            return in_new_database(db_path(db), write)
        except DatabaseAppeared:
            pass  # another import created the database meanwhile: use it
    with connect(db) as con:
        return write(con)


class _Refused(Exception):
    """The fast path cannot take a file as it is; the row-level path will."""


class DatabaseAppeared(_Refused):
    """A first import built a new database aside, but one appeared at its place meanwhile."""


def _fast_import(
    db: str | Path | None,
    table: str,
    source: Source,
    default_store: str,
    user: str | None,
    mapping: Mapping[str, str | None] | None,
    order: str | None,
) -> FileResult | None:
    """Import one clean UTF-8 text file straight from DuckDB's CSV reader; None if it cannot.

    The common case at a dealer group's scale: a well-formed export into a table holding no
    rows of the file's stores. One statement reads, parses, checks and inserts every row
    (no copy of the rows in Python, no key matching). Anything the row-level path would
    reject or report, a row of a store the table already has, a file DuckDB cannot read or
    whose cells need the wider trim: the transaction rolls back and the caller runs the
    row-level path (parse first, then upsert), so both paths give the same result.
    """
    spec = TABLES[table]
    if table in ROW_RULES:
        return None  # rules across rows: the row-level path applies them
    reader = None
    try:
        head = source.head()
        if not head or sniff_format(head, source.name) != "text":
            return None
        if guess_encoding(head, len(head) < HEAD_BYTES) not in ("utf-8", "utf-8-sig"):
            return None  # other encodings are decoded in Python first: the row-level path
        reader = open_reader(source, count_lines=False)
        if not isinstance(reader, TextReader) or reader.decoded:
            return None
        choice = choose_header(reader.candidates(), spec, mapping, source.name)
        match = choice.match
        if any(c not in match.columns.values() for c in required_columns(spec)):
            return None
        width = max((i for i, h in enumerate(match.headers) if h), default=0) + 1
        seen = _first_stores(choice, default_store)
        reader.set_layout(choice.candidate, choice.line, width + EXTRA_COLUMNS)
        csv_sql, csv_params = reader.csv_select(parallel=True)
        rows_sql, params = clean_rows_select(
            spec, match, width, order, f"({csv_sql}) raw", reader.has_spaces()
        )
        pf = ParsedFile(file=source.name, table=table, encoding=reader.encoding)
        _apply_choice(pf, choice)

        def write(con: duckdb.DuckDBPyConnection) -> FileResult:
            return _fast_write(
                con, table, rows_sql, params | csv_params, pf, reader, default_store, user, seen
            )

        target = db_path(db)
        if target.exists():
            with connect(target) as con:
                return write(con)
        return in_new_database(target, write)
    except (ReadError, _Refused):
        return None
    finally:
        if reader is not None:
            reader.close()


def _first_stores(choice: HeaderChoice, default_store: str) -> set[str]:
    """Return the stores of the rows read to choose the header (``default_store`` for none).

    An upsert into stores the table has is told before any row is read (the insert itself
    checks every row).
    """
    match = choice.match
    store_index = next((i for i, c in match.columns.items() if c == "store"), None)
    return {
        (cells[store_index].strip() if store_index < len(cells) else "") or default_store
        for line, cells in choice.candidate.rows
        if line > choice.line and store_index is not None
    } or {default_store}


def in_new_database(target: Path, write):
    """Run ``write(con)`` on a new database built aside; put it at ``target`` once complete.

    A rejected or interrupted first import (even kill -9) must leave no database, not one
    holding the schema only: the file is built under another name and linked into place
    after its rows landed and were checkpointed. Raises DatabaseAppeared when a database
    appeared at ``target`` meanwhile (the caller then writes into that one).
    """
    staging = target.with_name(f".{target.name}.{secrets.token_hex(6)}.new")
    try:
        with connect(staging) as con:
            result = write(con)
            con.execute("CHECKPOINT")
        _publish(staging, target)
        return result
    except DatabaseError as exc:  # name the database the person asked for, not the aside file
        raise exc.at(target, replace=True) from exc
    finally:
        for path in (staging, Path(f"{staging}.wal")):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # a read-only folder: nothing was created there either


def _publish(staging: Path, target: Path) -> None:
    """Put a new database file at ``target``; raise DatabaseAppeared if one appeared meanwhile."""
    if Path(f"{staging}.wal").exists():
        raise DatabaseAppeared("the new database kept a write-ahead log")
    try:
        os.link(staging, target)  # fails rather than replace a database created meanwhile
    except FileExistsError as exc:
        raise DatabaseAppeared("another import created the database") from exc
    except OSError:
        if target.exists():
            raise DatabaseAppeared("another import created the database") from None
        os.replace(staging, target)  # a file system without hard links


def _hmac_pads(secret: str) -> tuple[bytes, bytes]:
    """Return HMAC-SHA256's inner and outer padded keys for ``secret`` (RFC 2104)."""
    key = secret.encode()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _fast_write(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows_sql: str,
    params: dict[str, object],
    pf: ParsedFile,
    reader: TextReader,
    default_store: str,
    user: str | None,
    seen: set[str],
) -> FileResult:
    """Insert the file's rows in one transaction; raise _Refused (rolled back) when it cannot.

    ``seen`` holds the stores of the file's first rows.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        first_id = _next_import_id(con)
        existing = [r[0] for r in con.execute(f"SELECT DISTINCT store FROM {table}").fetchall()]
        if seen & set(existing):
            raise _Refused("the table has rows of the file's stores")
        params = params | {
            "default_store": default_store,
            "existing": existing,
            "import_id": first_id,
        }
        with timed(f"import {table}: read, check and insert"):
            inserted = _fast_insert(con, table, rows_sql, params)
        with timed(f"import {table}: repeated keys"):
            _refuse_fast_rows(con, table, inserted, pf, reader, first_id)
        stores = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT store FROM {table} WHERE import_id = $id", {"id": first_id}
            ).fetchall()
        ]
        scan = reader.scan
        pf.sha256, pf.size, pf.row_count = scan.sha256, scan.size, int(inserted)
        result = file_result(pf)
        result.inserted = int(inserted)
        by_file = {0: stores} if stores else {}
        with timed(f"import {table}: log and refresh the derived state"):
            _log_imports(con, table, [result], first_id, by_file, default_store, user, False)
        with timed(f"import {table}: commit"):
            con.execute("COMMIT")
    except duckdb.Error as exc:
        rollback(con)
        raise _Refused(str(exc)) from exc
    except BaseException:
        rollback(con)
        raise
    return result


def _next_import_id(con: duckdb.DuckDBPyConnection) -> int:
    """Return the import id the next import logged in this database gets."""
    return con.execute("SELECT coalesce(max(import_id), 0) + 1 FROM imports").fetchall()[0][0]


def _fast_insert(
    con: duckdb.DuckDBPyConnection, table: str, rows_sql: str, params: dict[str, object]
) -> int:
    """Insert the rows of ``rows_sql`` (stores not in $existing) and return how many landed."""
    spec = TABLES[table]
    names = list(spec.names)
    values = {c: f"r.{c}" for c in names}
    if "customer_id" in names:
        values["customer_id"], pads = _fast_customer_id(con)
        params = params | pads
    live_cols = ", provisional, entered_by" if spec.live else ""
    live_vals = ", false, NULL" if spec.live else ""
    # Rows land in file order, as the row-level path lands them. DuckDB keeps the order
    # of a scan-and-project insert, but its IN-list rewrite turns the word lists into
    # joins that hand chunks on out of order: keep them as expressions.
    con.execute("SET disabled_optimizers = 'in_clause'")
    inserted = con.execute(
        f"""INSERT INTO {table} (store, {", ".join(names)}{live_cols}, import_id)
            SELECT r._store, {", ".join(values.values())}{live_vals}, $import_id
            FROM (SELECT coalesce(store, $default_store) AS _store, * FROM ({rows_sql})) r
            WHERE CASE WHEN list_contains(CAST($existing AS VARCHAR[]), r._store)
                       THEN error($refused) ELSE true END""",
        params,
    ).fetchall()[0][0]
    con.execute("RESET disabled_optimizers")
    return inserted


def _fast_customer_id(con: duckdb.DuckDBPyConnection) -> tuple[str, dict[str, object]]:
    """Return the SQL of a row's customer_id and the parameters it names.

    mobile_hash in SQL: HMAC-SHA256 from its padded keys, so no row visits Python. Without
    a secret yet the first mobile number refuses the fast path (the row-level path creates it).
    """
    secret = hashkey.find(con)
    pads: dict[str, object] = {}
    if secret is not None:
        pads["hmac_in"], pads["hmac_out"] = _hmac_pads(secret)
        hashed = (
            "'C' || left(sha256($hmac_out || unhex(sha256($hmac_in || encode(r._mobile)))), 16)"
        )
    else:
        hashed = "error($refused)"
    return f"CASE WHEN r._mobile IS NULL THEN r.customer_id ELSE {hashed} END", pads


def _refuse_fast_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    inserted: int,
    pf: ParsedFile,
    reader: TextReader,
    first_id: int,
) -> None:
    """Raise _Refused when the inserted rows need the row-level path's checks or messages."""
    if not inserted:
        raise _Refused("no data rows: the row-level path refuses the file with its reason")
    if not reader.plain_whitespace(pf.delimiter):
        raise _Refused("cells may need the wider trim")
    # Distinct hashes mean distinct keys; a repeated hash (a repeated key, or rarely two
    # keys with one hash) leaves the exact check and its messages to the row-level path.
    repeated = con.execute(
        f"""SELECT count(*) - count(DISTINCT hash(store, {", ".join(TABLES[table].key)}))
            FROM {table} WHERE import_id = $id""",
        {"id": first_id},
    ).fetchall()[0][0]
    if repeated:
        raise _Refused("repeated keys")


def combine_files(parsed: list[ParsedFile], table: str, default_store: str) -> pa.Table:
    """Return the rows to write from every file, after checking keys across files.

    A key that appears in two files of one call rejects both rows. Rows carry ``_file``
    (index into ``parsed``), their resolved store and ``_mobile`` (the 11-digit number when
    customer_id is a mobile number, for hashing inside the write transaction).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    spec = TABLES[table]
    usable = [i for i, pf in enumerate(parsed) if pf.rows is not None and pf.error is None]
    if len(usable) > 1:
        con = scratch()
        try:
            parts = []
            for index in usable:
                con.register(f"file_{index}", parsed[index].rows)
                parts.append(
                    f"SELECT {index} AS _file, coalesce(store, $store) AS store, "
                    f"* EXCLUDE (store) FROM file_{index}"
                )
            con.execute(
                "CREATE TEMP TABLE rows_all AS " + " UNION ALL BY NAME ".join(parts),
                {"store": default_store},
            )
            _cross_file_duplicates(con, parsed, spec.key)
            rows = con.sql("SELECT * FROM rows_all WHERE _ok").to_arrow_table()
        finally:
            con.close()
    elif usable:
        # One file cannot repeat a key across files: filter its rows without copying them.
        index = usable[0]
        rows = parsed[index].rows
        assert rows is not None  # a usable file has rows
        if parsed[index].rejected_rows:
            rows = rows.filter(rows["_ok"])  # a copy, so only when some row is left out
        rows = rows.append_column("_file", pa.repeat(pa.scalar(index, pa.int64()), rows.num_rows))
        store = pc.fill_null(rows["store"], default_store)
        rows = rows.set_column(rows.schema.get_field_index("store"), "store", store)
    else:
        rows = None
    columns = {"_file": pa.int64(), "store": pa.string()}
    arrow_types = {
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "BOOLEAN": pa.bool_(),
        "DOUBLE": pa.float64(),
        "BIGINT": pa.int64(),
    }
    columns |= {c.name: arrow_types[c.sql_type] for c in spec.columns}
    columns["_mobile"] = pa.string()
    if rows is None:
        return pa.table({n: pa.array([], t) for n, t in columns.items()})
    return pa.table({n: rows[n].cast(t) for n, t in columns.items()})


def _cross_file_duplicates(
    con: duckdb.DuckDBPyConnection, parsed: list[ParsedFile], key: tuple[str, ...]
) -> None:
    """Reject rows whose key (per store) also appears in another file of the call."""
    same = " AND ".join(f"a.{k} IS NOT DISTINCT FROM b.{k}" for k in key)
    text = " || ' / ' || ".join(f"coalesce(CAST(a.{k} AS VARCHAR), '(empty)')" for k in key)
    con.execute(
        f"""CREATE TEMP TABLE cross_dups AS
            SELECT a._file, a._rec, a._line, a._ok, b._file AS o_file, b._line AS o_line,
                   {text} AS key_text
            FROM rows_all a JOIN rows_all b
              ON a.store = b.store AND {same} AND a._file <> b._file
            WHERE a._key_ok AND b._key_ok
            QUALIFY row_number() OVER (PARTITION BY a._file, a._rec
                                       ORDER BY b._file, b._rec) = 1"""
    )
    counts = con.execute(
        "SELECT _file, count(*), count(*) FILTER (WHERE _ok) FROM cross_dups GROUP BY _file"
    ).fetchall()
    if not counts:
        return
    details = con.execute(
        f"""SELECT _file, _line, key_text, o_file, o_line FROM cross_dups
            QUALIFY row_number() OVER (PARTITION BY _file ORDER BY _line)
                    <= {REJECTION_DETAIL_LIMIT}
            ORDER BY _file, _line"""
    ).fetchall()
    column = "+".join(key)
    for file, line, key_text, o_file, o_line in details:
        pf = parsed[file]
        if len(pf.rejections) < REJECTION_DETAIL_LIMIT:
            pf.rejections.append(
                Rejection(
                    pf.file,
                    line,
                    column,
                    key_text,
                    f"the same key is also on line {o_line} of {parsed[o_file].file}: a key may "
                    "appear only once per import",
                )
            )
    for file, total, newly_bad in counts:
        parsed[file].problems += total
        parsed[file].rejected_rows += newly_bad
        parsed[file].rejections.sort(key=lambda r: r.line or 0)
    con.execute(
        "UPDATE rows_all SET _ok = false FROM cross_dups c "
        "WHERE rows_all._file = c._file AND rows_all._rec = c._rec"
    )


def _write(
    con: duckdb.DuckDBPyConnection,
    table: str,
    incoming: pa.Table,
    results: list[FileResult],
    default_store: str,
    user: str | None,
    dry_run: bool,
) -> list[int]:
    """Upsert the rows in one transaction of their own; return the import ids (one per file)."""
    con.execute("BEGIN TRANSACTION")
    try:
        ids = write_rows(con, table, incoming, results, default_store, user, dry_run)
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    except BaseException:
        rollback(con)
        raise
    return ids


def write_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    incoming: pa.Table,
    results: list[FileResult],
    default_store: str,
    user: str | None,
    dry_run: bool = False,
) -> list[int]:
    """Upsert combined rows inside the caller's transaction; return the import ids.

    ``incoming`` comes from :func:`combine_files`, ``results`` from :func:`file_result` (one
    per file, in order; their counts are filled in here). The caller owns BEGIN and COMMIT,
    so one transaction can hold several tables of an upload (app/uploads.py); on an error
    the caller rolls back.
    """
    try:
        first_id = _next_import_id(con)
        con.register("inc", _numbered(con, table, incoming, first_id))
        _match_existing(con, table)
        _set_aside_replaced(con, table)
        _insert_changed(con, table)
        _count_into(con, results)
        stores: dict[int, list[str]] = {}
        for file, store in con.execute("SELECT DISTINCT _file, store FROM inc").fetchall():
            stores.setdefault(file, []).append(store)
        ids = _log_imports(con, table, results, first_id, stores, default_store, user, dry_run)
        for name in ("hits", "verdict", "gone"):
            con.execute(f"DROP TABLE IF EXISTS {name}")
    finally:
        for view in ("inc",):
            try:
                con.unregister(view)
            except duckdb.Error:
                pass
    return ids


def _numbered(
    con: duckdb.DuckDBPyConnection, table: str, incoming: pa.Table, first_id: int
) -> pa.Table:
    """Return the rows with their number ``_n``, their file's ``_import_id`` and hashed mobiles.

    A customer_id that is a mobile number becomes its keyed hash (:func:`mobile_hash`).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    inc = incoming.append_column("_n", pa.array(range(incoming.num_rows), pa.int64()))
    inc = inc.append_column("_import_id", pc.add(inc["_file"], first_id))
    if "customer_id" not in TABLES[table].names:
        return inc
    mobiles = pc.unique(inc["_mobile"].drop_null()).to_pylist()
    if not mobiles:
        return inc
    secret = hash_key(con)
    hashed = pa.array([mobile_hash(secret, m) for m in mobiles], pa.string())
    keys = pc.take(hashed, pc.index_in(inc["_mobile"], pa.array(mobiles)))
    customer = pc.coalesce(keys, inc["customer_id"])
    return inc.set_column(inc.schema.get_field_index("customer_id"), "customer_id", customer)


def _match_existing(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create ``hits`` (rows of the table with an incoming row's key) and ``verdict``.

    verdict: per incoming row 'inserted' (no such key), 'unchanged' (one stored row, the
    same values, not a live entry) or 'updated'.
    """
    spec = TABLES[table]
    key_match = " AND ".join(f"t.{k} IS NOT DISTINCT FROM i.{k}" for k in spec.key)
    same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in spec.names)
    if spec.live:
        same += " AND NOT t.provisional"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE hits AS
            SELECT i._n, t.rowid AS _rid, ({same}) AS _same
            FROM inc i JOIN {table} t ON t.store = i.store AND {key_match}"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE verdict AS
           SELECT i._n, i._file, i._import_id,
                  CASE WHEN h._n IS NULL THEN 'inserted'
                       WHEN h.n = 1 AND h.all_same THEN 'unchanged'
                       ELSE 'updated' END AS v
           FROM inc i LEFT JOIN (
               SELECT _n, count(*) AS n, bool_and(_same) AS all_same FROM hits GROUP BY _n
           ) h ON h._n = i._n"""
    )


def _set_aside_replaced(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Move the rows the import replaces (``gone``) into import_replaced, for an undo."""
    gone = [
        """SELECT h._rid, v._import_id, v._file, 'update' AS why
           FROM hits h JOIN verdict v ON v._n = h._n WHERE v.v = 'updated'"""
    ]
    if TABLES[table].live:
        date = LIVE_DATE[table]
        # The export is the record: live entries of the store within the dates the file
        # covers are replaced, also those whose id the export does not carry.
        gone.append(
            f"""SELECT t.rowid, min(r._import_id), arg_min(r._file, r._import_id), 'live'
                FROM {table} t JOIN (
                    SELECT _file, _import_id, store, min({date}) AS lo, max({date}) AS hi
                    FROM inc GROUP BY _file, _import_id, store
                ) r ON t.store = r.store AND t.{date} BETWEEN r.lo AND r.hi
                WHERE t.provisional AND t.rowid NOT IN (SELECT _rid FROM hits)
                GROUP BY t.rowid"""
        )
    con.execute("CREATE OR REPLACE TEMP TABLE gone AS " + " UNION ALL ".join(gone))
    con.execute(
        f"""INSERT INTO import_replaced (import_id, table_name, row_json)
            SELECT g._import_id, $table, CAST(to_json(t) AS VARCHAR)
            FROM {table} t JOIN gone g ON t.rowid = g._rid""",
        {"table": table},
    )
    con.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT _rid FROM gone)")


def _insert_changed(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Insert the incoming rows whose verdict is not 'unchanged'."""
    spec = TABLES[table]
    names = list(spec.names)
    live_cols = ", provisional, entered_by" if spec.live else ""
    live_vals = ", false, NULL" if spec.live else ""
    # Without a matching key every row is new: skip the join with the verdicts.
    fresh = not con.execute("SELECT count(*) FROM hits").fetchall()[0][0]
    con.execute(
        f"""INSERT INTO {table} (store, {", ".join(names)}{live_cols}, import_id)
            SELECT i.store, {", ".join("i." + c for c in names)}{live_vals}, i._import_id
            FROM inc i"""
        + ("" if fresh else " JOIN verdict v ON v._n = i._n WHERE v.v <> 'unchanged'")
    )


def _count_into(con: duckdb.DuckDBPyConnection, results: list[FileResult]) -> None:
    """Fill each file's inserted, updated, unchanged and live entries replaced counts."""
    counts = {
        r[0]: r[1:]
        for r in con.execute(
            """SELECT _file, count(*) FILTER (WHERE v = 'inserted'),
                      count(*) FILTER (WHERE v = 'updated'),
                      count(*) FILTER (WHERE v = 'unchanged')
               FROM verdict GROUP BY _file"""
        ).fetchall()
    }
    live = dict(
        con.execute("SELECT _file, count(*) FROM gone WHERE why = 'live' GROUP BY _file").fetchall()
    )
    for index, result in enumerate(results):
        result.inserted, result.updated, result.unchanged = counts.get(index, (0, 0, 0))
        result.provisional_replaced = live.get(index, 0)


def _log_imports(
    con: duckdb.DuckDBPyConnection,
    table: str,
    results: list[FileResult],
    first_id: int,
    stores: dict[int, list[str]],
    default_store: str,
    user: str | None,
    dry_run: bool,
) -> list[int]:
    """Log one ``imports`` row per file, create new stores and bump the data version.

    Runs inside the caller's write transaction, after the rows landed; ``stores`` maps a
    file's index to the stores of its rows. Returns the import ids.
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ids = []
    for index, result in enumerate(results):
        import_id = first_id + index
        ids.append(import_id)
        result.stores = sorted(stores.get(index, [default_store]))
        result.import_id = None if dry_run else import_id
        con.execute(
            """INSERT INTO imports (import_id, imported_at, username, store, table_name,
                   file_name, file_size, sha256, inserted, updated, unchanged, rejected)
               VALUES ($id, $at, $user, $store, $table, $file, $size, $sha, $ins, $upd,
                       $unch, $rej)""",
            {
                "id": import_id,
                "at": now,
                "user": user,
                "store": ",".join(result.stores),
                "table": table,
                "file": result.file,
                "size": result.size,
                "sha": result.sha256,
                "ins": result.inserted,
                "upd": result.updated,
                "unch": result.unchanged,
                "rej": result.rejected,
            },
        )
    all_stores = sorted({s for r in results for s in r.stores})
    ensure_stores(con, all_stores)
    bump_data_version(con, tables={table}, stores=all_stores)
    return ids


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kpi import",
        description="Import DMS export files (CSV/TSV/TXT or .xlsx) of one table. All files "
        "land together or, when anything is rejected, nothing is written.",
    )
    parser.add_argument("--db", help="database file (default: $KPI_DB or data/store.duckdb)")
    parser.add_argument("--table", required=True, choices=list(TABLES))
    parser.add_argument("--store", help="store for rows without a store column (default main)")
    parser.add_argument("--user", help="name recorded in the import log")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--date-order",
        choices=("DMY", "MDY"),
        type=str.upper,
        help="order of day-first/month-first dates such as 05/09/2026",
    )
    parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="write the valid rows even when others are rejected",
    )
    parser.add_argument(
        "--lang", choices=("en", "zh"), default="en", help="language of the problems listed"
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    return parser


def main(argv: list[str]) -> int:
    """Run ``python -m kpi import``; return 0 when all landed, 1 on rejections, 2 on errors."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        report = import_files(
            args.db,
            args.table,
            args.files,
            store=args.store,
            user=args.user,
            date_order=args.date_order,
            dry_run=args.dry_run,
            allow_partial=args.allow_partial,
        )
    except DatabaseError as exc:
        print(f"error: {exc.text(args.lang)}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report.to_text(lang=args.lang))
    # Partial imports (--allow-partial) still exit 1: something was left out.
    return 0 if report.ok and (report.committed or report.dry_run) else 1
