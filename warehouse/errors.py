"""Failures of the database file a person can act on, as typed errors with a sentence each.

DuckDB reports a full disk, a read-only file, a damaged file or a lock as an exception whose
text names the cause. :func:`classify` turns those into a :class:`DatabaseError` subclass whose
message (warehouse.messages, English and Chinese) says what happened and what to do; the
command line prints it on standard error with a non-zero exit status, the pages show it with
``st.error`` (ui.data.database_error), and nobody sees a traceback.
"""

from __future__ import annotations

import errno
import os

import duckdb

from warehouse import messages


class DatabaseError(RuntimeError):
    """A failure of the database file itself, with a message a person can act on."""

    code = "db_io"

    def __init__(self, path: str | os.PathLike | None = None, **params: object) -> None:
        self.path = str(path) if path is not None else "the database"
        self.params = {"path": self.path, **params}
        super().__init__(self.text("en"))

    def text(self, lang: str = "en") -> str:
        """Return the sentence in ``lang`` ('en' or 'zh')."""
        return messages.text(self.code, lang, **self.params)

    def at(self, path: str | os.PathLike, replace: bool = False) -> DatabaseError:
        """Return the same error naming ``path`` (when it was raised without one, or always
        with ``replace``: a file built aside stands for the database it becomes)."""
        if self.path != "the database" and not replace:
            return self
        params = {k: v for k, v in self.params.items() if k != "path"}
        return type(self)(path, **params)


class DatabaseBusy(DatabaseError):
    """The database file stayed locked by another process for longer than the timeout."""

    code = "db_busy"


class DiskFull(DatabaseError):
    """The disk holding the database has no room left."""

    code = "db_disk_full"


class ReadOnlyDatabase(DatabaseError):
    """The database file or its folder cannot be written by this program."""

    code = "db_read_only"


class CorruptDatabase(DatabaseError):
    """The file is not a readable DuckDB database (damaged, or another kind of file)."""

    code = "db_corrupt"


class NewerSchema(DatabaseError):
    """The database was written by a newer version of the program."""

    code = "db_newer"


class MissingDatabase(DatabaseError):
    """There is no database file at the path."""

    code = "db_missing"


_PATTERNS: tuple[tuple[type[DatabaseError], tuple[str, ...]], ...] = (
    (DiskFull, ("no space left", "disk full", "disk is full", "not enough space")),
    (ReadOnlyDatabase, ("read-only file system", "permission denied", "read only file system")),
    (
        CorruptDatabase,
        (
            "not a valid duckdb database",
            "corrupt",
            "checksum",
            "invalid magic",
            "file is too small",
            "could not read enough bytes",
            "serialization error",
            "unsupported version",
        ),
    ),
)


def classify(exc: BaseException, path: str | os.PathLike | None = None) -> DatabaseError | None:
    """Return the typed error an exception of DuckDB or the OS stands for (None: not ours)."""
    if isinstance(exc, DatabaseError):
        return exc.at(path) if path is not None else exc
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            return DiskFull(path)
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return ReadOnlyDatabase(path)
        return None
    if not isinstance(exc, duckdb.Error):
        return None
    text = str(exc).lower()
    for kind, words in _PATTERNS:
        if any(w in text for w in words):
            return kind(path)
    return None


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the connection's transaction, if one is still open.

    After a failed COMMIT (a full disk) DuckDB has ended the transaction already; a second
    ROLLBACK would raise "no transaction is active" and hide the real error.
    """
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass
