"""Back up and restore the store database, with its customer-hash key.

``python -m kpi backup --db PATH --out DIR`` writes ``DIR/kpi-backup-<UTC time>/`` holding a
copy of the database file (and its write-ahead log, if any), the key file (warehouse.hashkey)
and ``manifest.json`` (every table's row count, each file's SHA-256). The copy is taken while
a read-only connection is open: DuckDB lets no writer in meanwhile, so the copy is one
consistent state even with the dashboard running. It is written under a hidden ``.partial``
name and renamed into place once complete, so an interrupted backup (even kill -9) leaves no
directory that looks like a backup.

``python -m kpi restore --from DIR --db PATH [--force]`` checks the backup against its
manifest, rebuilds it in a temporary file next to PATH, compares row counts, and renames it
over PATH in one step; it refuses to replace an existing database without ``--force``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

import duckdb

from warehouse import hashkey
from warehouse.db import connect, db_path, engine_config
from warehouse.errors import (
    CorruptDatabase,
    DatabaseError,
    MissingDatabase,
    NewerSchema,
    classify,
)

MANIFEST = "manifest.json"
PREFIX = "kpi-backup-"


class BackupError(ValueError):
    """A backup cannot be made or restored; the message says why and what to do."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy(src: Path, dst: Path) -> None:
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return the row count of every base table of the database."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_catalog = current_database() ORDER BY 1"
        ).fetchall()
    ]
    return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchall()[0][0] for n in names}


def backup(db: str | os.PathLike | None, out: str | os.PathLike) -> Path:
    """Write a consistent backup of the database into a new directory under ``out``.

    Returns the backup directory. Raises MissingDatabase, DatabaseBusy (a writer kept the
    file past the timeout) or another DatabaseError (full disk, read-only folder...).
    """
    source = db_path(db)
    if not source.exists():
        raise MissingDatabase(source)
    out_dir = Path(out)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = out_dir / f"{PREFIX}{stamp}"
    partial = out_dir / f".{PREFIX}{stamp}.{secrets.token_hex(4)}.partial"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
        # The read-only connection keeps writers out while the files are copied.
        with connect(source, read_only=True) as con:
            counts = table_counts(con)
            version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
            key = hashkey.find(con)
            files = {source.name: source}
            wal = Path(f"{source}.wal")
            if wal.exists():
                files[wal.name] = wal
            for name, path in files.items():
                _copy(path, partial / name)
        manifest = {
            "database": source.name,
            "created_utc": stamp,
            "schema_version": int(version[0][0]) if version else None,
            "tables": counts,
            "files": {n: _sha256(partial / n) for n in files},
            "key": None,
        }
        if key is not None:
            name = hashkey.key_file(source).name
            hashkey.write_key_file(partial / name, key)
            manifest["key"] = name
        with open(partial / MANIFEST, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(partial)
        os.rename(partial, final)
        _fsync_dir(out_dir)
    except OSError as exc:
        raise (classify(exc, out_dir) or exc) from exc
    finally:
        if partial.exists():
            shutil.rmtree(partial, ignore_errors=True)
    return final


def find_backup(path: str | os.PathLike) -> Path:
    """Return the backup directory at ``path``, or the newest one inside it."""
    where = Path(path)
    if (where / MANIFEST).exists():
        return where
    found = sorted(p for p in where.glob(f"{PREFIX}*") if (p / MANIFEST).exists())
    if not found:
        raise BackupError(
            f"No backup found at {where}: it holds no {MANIFEST}. Give the directory "
            "python -m kpi backup wrote (or the folder holding several)."
        )
    return found[-1]


def restore(
    source: str | os.PathLike, db: str | os.PathLike | None, force: bool = False
) -> dict[str, int]:
    """Restore the backup at ``source`` as the database ``db``; return its row counts.

    The backup is checked against its manifest, opened in a temporary file next to the
    target (its write-ahead log replayed), its row counts compared, and then renamed over
    the target in one step. Without ``force`` an existing database is never replaced.
    """
    folder = find_backup(source)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        if not (folder / name).exists() or _sha256(folder / name) != digest:
            raise BackupError(
                f"The backup {folder} is damaged: {name} is missing or differs from the "
                "manifest. Use another backup."
            )
    target = db_path(db)
    if target.exists() and not force:
        raise BackupError(
            f"{target} exists already; nothing was restored. Give --force to replace it "
            "(make a backup of it first), or restore to another path."
        )
    staging = target.with_name(f".{target.name}.{secrets.token_hex(6)}.restore")
    key_src = folder / manifest["key"] if manifest.get("key") else None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy(folder / manifest["database"], staging)
        wal = folder / f"{manifest['database']}.wal"
        if wal.exists():
            _copy(wal, Path(f"{staging}.wal"))
        con = duckdb.connect(str(staging), config=engine_config())
        try:
            con.execute("CHECKPOINT")  # replay the log into the file: one file to rename
            counts = table_counts(con)
        finally:
            con.close()
        if counts != manifest["tables"]:
            raise BackupError(
                f"The backup {folder} does not read back as it was written (row counts "
                "differ). Use another backup."
            )
        if target.exists():
            # Fold the current database's log into its file first: a log left next to the
            # restored file would be replayed onto it.
            try:
                with connect(target) as old:
                    old.execute("CHECKPOINT")
            except (CorruptDatabase, NewerSchema):
                pass  # replaced as it is (its log, if any, is removed below)
        if key_src is not None:
            key_tmp = Path(f"{staging}.key")
            hashkey.write_key_file(key_tmp, key_src.read_text().strip())
            os.replace(key_tmp, hashkey.key_file(target))
        os.replace(staging, target)
        Path(f"{target}.wal").unlink(missing_ok=True)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise (classify(exc, target) or exc) from exc
    except duckdb.Error as exc:
        raise (classify(exc, staging) or exc) from exc
    finally:
        for path in (staging, Path(f"{staging}.wal"), Path(f"{staging}.key")):
            path.unlink(missing_ok=True)
    return counts


def main(command: str, argv: list[str]) -> int:
    """Run ``python -m kpi backup`` or ``restore``; 0 on success, 2 with a message otherwise."""
    if command == "backup":
        parser = argparse.ArgumentParser(
            prog="python -m kpi backup",
            description="Copy the database and its customer-hash key into a new directory.",
        )
        parser.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
        parser.add_argument("--out", required=True, help="directory to hold the backups")
    else:
        parser = argparse.ArgumentParser(
            prog="python -m kpi restore",
            description="Restore a backup made by python -m kpi backup.",
        )
        parser.add_argument(
            "--from", dest="source", required=True, help="a backup directory, or a folder of them"
        )
        parser.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
        parser.add_argument("--force", action="store_true", help="replace an existing database")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of errors")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if command == "backup":
            folder = backup(args.db, args.out)
            print(f"Backed up {db_path(args.db)} to {folder}")
        else:
            counts = restore(args.source, args.db, force=args.force)
            rows = sum(counts.values())
            print(f"Restored {db_path(args.db)}: {len(counts)} tables, {rows} rows")
    except DatabaseError as exc:
        print(f"error: {exc.text(args.lang)}", file=sys.stderr)
        return 2
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
