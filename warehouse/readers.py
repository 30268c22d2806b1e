"""Read an uploaded export into raw text cells, without knowing what the cells mean.

A source is a CSV/TSV/TXT file in one of the encodings Chinese DMS exports use, or an .xlsx
workbook. This module detects the format (by content, not by extension) and the encoding,
offers the first rows of the file under each plausible delimiter (or sheet) so that the
caller can find the header row, and then stages every record after the header into DuckDB
as a table of VARCHAR cells with its line number in the file.

Staging is the one step whose speed matters for multi-million-row exports, so it lives in a
single replaceable method, :meth:`TextReader.stage`: DuckDB's parallel CSV reader does the
splitting, and Python's csv module takes over only when DuckDB refuses the file.
"""

from __future__ import annotations

import codecs
import concurrent.futures
import csv
import datetime as dt
import hashlib
import io
import mmap
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:  # pyarrow only when Python splits the rows: DuckDB's reader needs none
    import _csv

    import pyarrow as pa

HEAD_BYTES = 256 * 1024  # enough text to hold any title block and header row
HEAD_ROWS = 60  # rows offered to the header search
EXTRA_COLUMNS = 4  # staged cells beyond the header width, to see over-long rows
DELIMITERS = (",", "\t", ";")
CHUNK = 16 * 1024 * 1024

csv.field_size_limit(1 << 30)
_SCAN_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="kpi-scan")


class ReadError(Exception):
    """The file as a whole cannot be read; the message says why in plain words."""

    def __init__(
        self,
        message: str,
        line: int | None = None,
        code: str | None = None,
        params: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line  # the line the problem is on, when there is one (a header row)
        self.code = code  # a warehouse.messages code (the message in either language)
        self.params = params


@dataclass
class Source:
    """One uploaded file: its display name and either a path on disk or its bytes."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def of(cls, item: str | os.PathLike | tuple[str, bytes]) -> Source:
        """Return the source for a path or a (name, bytes) pair."""
        if isinstance(item, tuple):
            name, data = item
            return cls(name=os.path.basename(str(name)) or "upload", data=bytes(data))
        path = Path(item)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        return cls(name=path.name, path=path)

    @property
    def file(self) -> Path:
        """Return the path of a source given as a path (a source has a path or bytes)."""
        assert self.path is not None, f"{self.name}: neither a path nor bytes"
        return self.path

    @property
    def size(self) -> int:
        """Return the file size in bytes."""
        return len(self.data) if self.data is not None else self.file.stat().st_size

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """Return the first ``n`` bytes."""
        if self.data is not None:
            return self.data[:n]
        with open(self.file, "rb") as fh:
            return fh.read(n)

    def chunks(self) -> Iterator[bytes]:
        """Yield the content in large chunks (without holding a large file in memory)."""
        if self.data is not None:
            for i in range(0, len(self.data), CHUNK):
                yield self.data[i : i + CHUNK]
            return
        with open(self.file, "rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    def read_all(self) -> bytes:
        """Return the whole content."""
        return self.data if self.data is not None else self.file.read_bytes()


@dataclass
class Scan:
    """What one pass over the raw bytes tells: checksum and physical line count."""

    sha256: str
    size: int
    lines: int  # lines up to the last non-empty one (trailing line breaks ignored); -1: not counted
    odd_space: bool = True  # holds a non-ASCII space that plain trim() keeps
    tabs: bool = True


# UTF-8 of the ideographic space, no-break space and a BOM (after the start).
ODD_SPACES_UTF8 = (b"\xe3\x80\x80", b"\xc2\xa0", b"\xef\xbb\xbf")
ODD_SPACES = ("\u3000", "\u00a0", "\ufeff", "\t")


def _contains(data: bytes | mmap.mmap, mark: bytes, start: int = 0) -> bool:
    """Return whether ``mark`` occurs in ``data`` from ``start``, finding its lead byte first.

    The lead bytes of the odd spaces are rare in Chinese text, and finding one byte is a
    memchr, several times faster than searching for the whole mark; a text where the
    lead byte is common goes back to the plain search.
    """
    lead, rest = mark[:1], mark[1:]
    at = data.find(lead, start)
    for _ in range(64):
        if at < 0:
            return False
        if data[at + 1 : at + len(mark)] == rest:
            return True
        at = data.find(lead, at + 1)
    return data.find(mark, start) >= 0


def _scan_mapped(path: Path) -> Scan:
    """Return a file's checksum, size and space flags, read through a memory map.

    No copy of the file passes through Python and no line is counted (``lines`` is -1):
    for the importer's fast path, which needs no line numbers.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return Scan(digest.hexdigest(), 0, 0, False, False)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
            with memoryview(view) as buffer:
                for start in range(0, size, CHUNK):
                    digest.update(buffer[start : start + CHUNK])
            start = len(codecs.BOM_UTF8) if view[:3] == codecs.BOM_UTF8 else 0
            odd = any(_contains(view, mark, start) for mark in ODD_SPACES_UTF8)
            tabs = view.find(b"\t") >= 0
    return Scan(digest.hexdigest(), size, -1, odd, tabs)


def scan_bytes(source: Source, lines: bool = True) -> Scan:
    """Return the sha256, size and line count of a source in one streaming pass.

    Without ``lines`` a file on disk is scanned through a memory map and ``lines`` is -1.
    """
    if not lines and source.path is not None:
        return _scan_mapped(source.path)
    digest = hashlib.sha256()
    size = newlines = trailing = 0
    last = b""
    odd = tabs = False
    tail = b""
    for chunk in source.chunks():
        digest.update(chunk)
        if not odd:
            window = tail + (
                chunk[3:] if size == 0 and chunk.startswith(codecs.BOM_UTF8) else chunk
            )
            odd = any(_contains(window, mark) for mark in ODD_SPACES_UTF8)
            tail = chunk[-2:]
        tabs = tabs or b"\t" in chunk
        size += len(chunk)
        newlines += chunk.count(b"\n")
        stripped = chunk.rstrip(b"\r\n")
        if stripped:
            trailing = chunk[len(stripped) :].count(b"\n")
            last = stripped[-1:]
        else:
            trailing += chunk.count(b"\n")
    line_count = newlines - trailing + 1 if last else 0
    return Scan(digest.hexdigest(), size, line_count, odd, tabs)


def count_text_lines(text: str) -> int:
    """Return the number of lines of a text up to its last non-empty line."""
    body = text.rstrip("\r\n")
    return body.count("\n") + 1 if body else 0


def sniff_format(head: bytes, name: str) -> str:
    """Return 'xlsx' or 'text' from the file's first bytes; refuse other binary formats."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError(
            f"{name} is an old Excel .xls workbook; open it in Excel or WPS and save it as "
            ".xlsx or CSV, then import that file."
        )
    if head.startswith(b"%PDF"):
        raise ReadError(f"{name} is a PDF; export the table from the DMS as CSV or .xlsx.")
    return "text"


def _utf16_without_bom(head: bytes) -> str | None:
    """Return 'utf-16-le'/'utf-16-be' for a BOM-less UTF-16 sample, else None.

    UTF-8 and GBK text never holds NUL bytes, while UTF-16 puts one in every ASCII
    character (a tab, a digit, a line break): on odd positions for LE, even ones for BE.
    """
    sample = head[:4096]
    if b"\x00" not in sample:
        return None
    odd = sample[1::2].count(b"\x00")
    even = sample[0::2].count(b"\x00")
    return "utf-16-le" if odd >= even else "utf-16-be"


def _decodes(head: bytes, encoding: str, final: bool) -> bool:
    """Return True when ``head`` decodes (a cut multibyte character at the end is fine)."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(head, final=final)
    except UnicodeDecodeError:
        return False
    return True


def guess_encoding(head: bytes, complete: bool) -> str:
    """Return the encoding of a text file judged from its first bytes.

    BOMs first (UTF-8, UTF-16 LE/BE), then NUL bytes (BOM-less UTF-16), then whichever of
    UTF-8, GBK and GB18030 decodes the sample. The answer for a sample may be revised when
    the whole file is decoded (see :func:`decode_text`).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16
    for encoding in ("utf-8", "gbk", "gb18030"):
        if _decodes(head, encoding, complete):
            return encoding
    raise ReadError("cannot tell the text encoding (tried UTF-8, GBK, GB18030 and UTF-16)")


def decode_text(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode a whole file, trying the next plausible encoding when the guess fails.

    Returns (text, encoding used). A BOM is removed from the text.
    """
    if encoding.startswith("utf-16"):
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else codecs.BOM_UTF16_BE
        body = data[2:] if data.startswith(bom) else data
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise ReadError(f"the file is not valid {encoding.upper()} text: {exc}") from exc
    order = ["utf-8-sig"] if encoding == "utf-8-sig" else []
    order += [e for e in ("utf-8", "gbk", "gb18030") if e not in order]
    start = order.index(encoding) if encoding in order else 0
    for candidate in order[start:]:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise ReadError("cannot tell the text encoding (tried UTF-8, GBK, GB18030 and UTF-16)")


@dataclass
class Candidate:
    """One way to split the file: a delimiter (text) or a sheet (xlsx), and its first rows."""

    delimiter: str | None
    sheet: str | None
    rows: list[tuple[int, list[str]]]  # (line number, cells)


def split_head_rows(
    text: str, delimiter: str, limit: int = HEAD_ROWS
) -> list[tuple[int, list[str]]]:
    """Split the start of a text into records, each with the line number it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[tuple[int, list[str]]] = []
    while len(rows) < limit:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except (StopIteration, csv.Error):
            break
        if record:
            rows.append((start, record))
    return rows


def _columns_table(rows: list[list[str]], lines: list[int], width: int) -> pa.Table:
    """Return staged records as an arrow table rec, line, c0..c{width-1} (rows padded)."""
    import pyarrow as pa

    padded = [r[:width] + [None] * (width - len(r)) if len(r) < width else r[:width] for r in rows]
    columns = list(zip(*padded, strict=True)) if padded else [()] * width
    data = {
        "rec": pa.array(range(1, len(rows) + 1), pa.int64()),
        "line": pa.array(lines, pa.int64()),
    }
    for i in range(width):
        data[f"c{i}"] = pa.array(columns[i], pa.string())
    return pa.table(data)


@dataclass
class TextReader:
    """A delimited text file (CSV, TSV, TXT) in any of the supported encodings."""

    source: Source
    encoding: str = ""
    head_text: str = ""
    _scan: Scan | None = field(default=None, repr=False)
    _scanning: concurrent.futures.Future | None = field(default=None, repr=False)
    _tmpdir: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    _text: str | None = field(default=None, repr=False)
    _layout: tuple[str, int, int] = field(default=(",", 0, 0), repr=False)
    _mode: str = field(default="duckdb", repr=False)
    _parallel: bool = field(default=True, repr=False)
    count_lines: bool = True  # False: the caller needs no line numbers (a cheaper scan)

    def __post_init__(self) -> None:
        head = self.source.head()
        complete = len(head) < HEAD_BYTES
        self.encoding = guess_encoding(head, complete)
        if self.encoding.startswith("utf-16") or self.encoding in ("gbk", "gb18030"):
            self._decode_all()
            assert self._text is not None  # _decode_all set it
            self.head_text = self._text[:HEAD_BYTES]
        else:
            text = codecs.getincrementaldecoder(self.encoding)("replace").decode(head, complete)
            self.head_text = text.lstrip("\ufeff")
            # Checksum, line count and odd spaces come from one pass over the bytes, run
            # while DuckDB reads the file (hashlib releases the GIL).
            self._scanning = _SCAN_POOL.submit(scan_bytes, self.source, self.count_lines)
        if not complete:
            # The sample may end inside a record; the header search only needs whole lines.
            self.head_text = self.head_text[: self.head_text.rfind("\n") + 1]

    def _decode_all(self) -> None:
        """Decode the whole file (needed for non-UTF-8 files, or when the guess was wrong)."""
        if self._text is None:
            self._text, self.encoding = decode_text(self.source.read_all(), self.encoding)
            self.head_text = self._text[:HEAD_BYTES]

    def candidates(self) -> list[Candidate]:
        """Return the first rows of the file split by each supported delimiter."""
        return [Candidate(d, None, split_head_rows(self.head_text, d)) for d in DELIMITERS]

    def _utf8_path(self) -> Path:
        """Return a path to the content as UTF-8 text, writing a temporary file if needed."""
        if self._text is None and self.source.path is not None:
            return self.source.path
        if self._tmpdir is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="kpi-import-")
        target = Path(self._tmpdir.name) / "staged.csv"
        if self._text is not None:
            with open(target, "w", encoding="utf-8", newline="") as fh:
                fh.write(self._text)
        else:
            assert self.source.data is not None  # a source has a path or bytes
            target.write_bytes(self.source.data)
        return target

    def plain_whitespace(self, delimiter: str | None) -> bool:
        """Return True when no cell can hold a tab or a non-ASCII space (plain trim works)."""
        if self._text is not None:
            marks = [m for m in ODD_SPACES if m != delimiter]
            return not any(m in self._text[1:] for m in marks)
        scan = self.scan
        return not scan.odd_space and (delimiter == "\t" or not scan.tabs)

    def has_spaces(self) -> bool:
        """Return True when the file holds an ASCII space anywhere (a cell may need trim)."""
        if self._text is not None:
            return " " in self._text
        if self.source.data is not None:
            return b" " in self.source.data
        # A memchr over the mapped file: no copy, a fraction of a second for 400 MB.
        with open(self.source.file, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return False
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as view:
                return view.find(b" ") >= 0

    @property
    def scan(self) -> Scan:
        """Return the pass over the raw bytes (checksum, lines, spaces), waiting for it."""
        if self._scan is None:
            if self._scanning is not None:
                self._scan = self._scanning.result()
            else:
                self._scan = scan_bytes(self.source)
        return self._scan

    def _line_count(self) -> int:
        if self._text is not None:
            return count_text_lines(self._text)
        return self.scan.lines

    def stage(
        self, con: duckdb.DuckDBPyConnection, candidate: Candidate, header_line: int, width: int
    ) -> None:
        """Create ``raw(rec, line, c0..c{width-1})``: every record after the header.

        ``rec`` numbers the records (blank lines are not records); ``line`` is the line in
        the file where the record starts. Empty fields are '' and missing trailing fields
        NULL, so a short record can be told from one with empty cells.

        ``raw`` is a view: DuckDB's CSV reader splits the file while the parser reads it,
        with no copy in between. ``line`` assumes one line per record with no blank line
        after the header; :meth:`fix_lines` corrects the parsed records when that was not
        so. A file DuckDB cannot read fails when ``raw`` is first read; then
        :meth:`recover` stages it another way.
        """
        assert candidate.delimiter is not None  # a text file's candidates split by one
        self._layout = (candidate.delimiter, header_line, width)
        self._mode = "duckdb"
        self._stage_duckdb(con, parallel=True)

    def _stage_duckdb(self, con: duckdb.DuckDBPyConnection, parallel: bool) -> None:
        self._parallel = parallel
        query, params = self.csv_select(parallel)
        con.sql(query, params=params).create_view("raw", replace=True)

    def csv_select(self, parallel: bool = True) -> tuple[str, dict[str, object]]:
        """Return the SELECT of ``rec, line, c0..`` over DuckDB's CSV reader, and its parameters.

        The layout is the one :meth:`stage` was given. A file DuckDB cannot read fails when
        the SELECT runs.
        """
        delimiter, header_line, width = self._layout
        cells = ", ".join(f"c{i}" for i in range(width))
        # nullstr is a byte no export contains: empty fields stay '' and only the padding
        # of a short record is NULL.
        query = (
            f"SELECT ordinality AS rec, ordinality + $skip AS line, {cells} FROM read_csv($path, "
            "columns = $columns, delim = $delim, quote = '\"', escape = '\"', "
            "header = false, auto_detect = false, null_padding = true, nullstr = $nullstr, "
            "skip = $skip, strict_mode = false, parallel = $parallel) WITH ORDINALITY"
        )
        params = {
            "path": str(self._utf8_path()),
            "columns": {f"c{i}": "VARCHAR" for i in range(width)},
            "delim": delimiter,
            "nullstr": "\x01",
            "skip": header_line,
            "parallel": parallel,
        }
        return query, params

    def set_layout(self, candidate: Candidate, header_line: int, width: int) -> None:
        """Set how the file splits (delimiter, header line, cells per record) without staging."""
        assert candidate.delimiter is not None  # a text file's candidates split by one
        self._layout = (candidate.delimiter, header_line, width)

    @property
    def decoded(self) -> bool:
        """Return True when the file was decoded in Python (not UTF-8, or a wrong guess)."""
        return self._text is not None

    def recover(self, con: duckdb.DuckDBPyConnection, error: Exception) -> bool:
        """Stage ``raw`` another way after reading it failed; False when out of options.

        In turn: decode the whole file when the UTF-8 guess was wrong, read serially (the
        parallel reader refuses quoted line breaks in padded rows), split with Python.
        """
        if self._mode != "duckdb":
            return False
        if "unicode" in str(error).lower() and self._text is None:
            self._decode_all()  # the sample looked like UTF-8 but the rest is not
            self._stage_duckdb(con, parallel=True)
        elif self._parallel:
            self._stage_duckdb(con, parallel=False)
        else:
            self._mode = "python"
            con.execute("DROP VIEW IF EXISTS raw")
            self._stage_python(con, *self._layout)
        return True

    def fix_lines(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """Set ``line`` of every record in ``table`` when ``raw`` could not know it.

        ``table`` holds every record of ``raw`` (blank ones too). Nothing to do when the
        file has exactly one line per record after the header, the usual case.
        """
        if self._mode != "duckdb":
            return
        delimiter, header_line, _ = self._layout
        records = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        if self._line_count() == header_line + records:
            return
        con.register("raw_lines", self._record_lines(delimiter, header_line))
        con.execute(f"UPDATE {table} SET line = l.line FROM raw_lines l WHERE {table}.rec = l.rec")
        con.unregister("raw_lines")

    def _python_reader(self, delimiter: str) -> _csv.Reader:
        self._decode_all()
        return csv.reader(io.StringIO(self._text, newline=""), delimiter=delimiter, strict=False)

    def _record_lines(self, delimiter: str, header_line: int) -> pa.Table:
        """Return (rec, line) for every record after the header, counted as DuckDB does."""
        import pyarrow as pa

        reader = self._python_reader(delimiter)
        recs: list[int] = []
        lines: list[int] = []
        for _record in reader:
            if reader.line_num >= header_line:
                break
        start = reader.line_num + 1
        for record in reader:
            if record:
                recs.append(len(recs) + 1)
                lines.append(start)
            start = reader.line_num + 1
        return pa.table({"rec": pa.array(recs, pa.int64()), "line": pa.array(lines, pa.int64())})

    def _stage_python(
        self, con: duckdb.DuckDBPyConnection, delimiter: str, header_line: int, width: int
    ) -> None:
        reader = self._python_reader(delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        for _record in reader:
            if reader.line_num >= header_line:
                break
        start = reader.line_num + 1
        for record in reader:
            if record:
                rows.append(record)
                lines.append(start)
            start = reader.line_num + 1
        con.execute("DROP TABLE IF EXISTS raw")
        con.register("raw_arrow", _columns_table(rows, lines, width))
        con.execute("CREATE TEMP TABLE raw AS SELECT * FROM raw_arrow")
        con.unregister("raw_arrow")

    def close(self) -> None:
        """Remove temporary files."""
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None


def cell_text(value: object) -> str:
    """Return an Excel cell value as the text a CSV export would carry."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()  # a datetime keeps its date
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        text = repr(value)
        return f"{value:.15f}".rstrip("0") if "e" in text else text
    return str(value)


@dataclass
class XlsxReader:
    """An .xlsx workbook; every sheet is a candidate, real date cells become ISO dates."""

    source: Source
    encoding: str = "xlsx"
    _book: Any = field(default=None, repr=False)  # openpyxl's Workbook (untyped); None: closed

    def plain_whitespace(self, delimiter: str | None) -> bool:
        """Return False: Excel cells may hold any kind of space."""
        return False

    def has_spaces(self) -> bool:
        """Return True: the cells are not scanned for spaces."""
        return True

    def recover(self, con: duckdb.DuckDBPyConnection, error: Exception) -> bool:
        """Return False: the rows were staged from Python, there is no other way."""
        return False

    def fix_lines(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        """Do nothing: every staged row knows its line."""

    def __post_init__(self) -> None:
        import openpyxl

        stream = io.BytesIO(self.source.data) if self.source.data is not None else self.source.path
        try:
            self._book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
            raise ReadError(
                f"{self.source.name} looks like a zip file but is not an Excel .xlsx workbook"
            ) from exc

    def _rows(self, sheet: str) -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(self._book[sheet].iter_rows(values_only=True), 1):
            yield number, [cell_text(v) for v in values]

    def candidates(self) -> list[Candidate]:
        """Return the first rows of every sheet (non-empty rows only)."""
        out = []
        for sheet in self._book.sheetnames:
            rows = []
            for number, cells in self._rows(sheet):
                if any(c.strip() for c in cells):
                    rows.append((number, cells))
                if len(rows) >= HEAD_ROWS:
                    break
            out.append(Candidate(None, sheet, rows))
        return out

    def stage(
        self, con: duckdb.DuckDBPyConnection, candidate: Candidate, header_line: int, width: int
    ) -> None:
        """Create table ``raw(rec, line, c0..)`` from the sheet's rows below the header."""
        assert candidate.sheet is not None  # a workbook's candidates are its sheets
        rows: list[list[str]] = []
        lines: list[int] = []
        for number, cells in self._rows(candidate.sheet):
            if number <= header_line:
                continue
            # Excel has no short rows: a cell left empty is an empty field, so pad with ''.
            while cells and not cells[-1].strip() and len(cells) > width:
                cells.pop()
            rows.append(cells + [""] * (width - len(cells)))
            lines.append(number)
        con.execute("DROP TABLE IF EXISTS raw")
        con.register("raw_arrow", _columns_table(rows, lines, width))
        con.execute("CREATE TEMP TABLE raw AS SELECT * FROM raw_arrow")
        con.unregister("raw_arrow")

    def close(self) -> None:
        """Close the workbook."""
        if self._book is not None:
            self._book.close()
            self._book = None


def open_reader(source: Source, count_lines: bool = True) -> TextReader | XlsxReader:
    """Return the reader for a source, chosen by the file's content.

    ``count_lines`` False: a text file's scan counts no lines (no line numbers are needed).
    """
    head = source.head(8)
    if not head:
        raise ReadError(f"{source.name} is empty", None, "empty_file", {"file": source.name})
    if sniff_format(head, source.name) == "xlsx":
        return XlsxReader(source)
    return TextReader(source, count_lines=count_lines)
