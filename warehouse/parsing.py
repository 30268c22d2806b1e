"""Map an export's headers onto a contract table and parse every cell, in SQL.

:func:`parse_source` finds the header row, maps headers to canonical columns (aliases from
warehouse/spec.py, the canonical names, and a caller's mapping), stages the records in an
in-memory DuckDB and parses them column by column with vectorised SQL (regular expressions,
try_cast, word lists). Every bad cell, short or long row, duplicate key and wrong total row
becomes a :class:`Rejection`; nothing here writes to the store database.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import duckdb

from warehouse import messages
from warehouse.db import scratch
from warehouse.readers import (
    EXTRA_COLUMNS,
    HEAD_ROWS,
    Candidate,
    ReadError,
    Source,
    open_reader,
    scan_bytes,
)

if TYPE_CHECKING:  # pandas only for previews: an import process need not load it
    import pandas as pd
    import pyarrow as pa

from warehouse.spec import (
    BOOL,
    DATE,
    ENUM,
    INT,
    KEY_MAY_BE_EMPTY,
    MONEY,
    MONTH,
    NUMBER,
    RATE,
    SCORE,
    STORE,
    TABLES,
    TEXT,
    Column,
    Table,
)

REJECTION_DETAIL_LIMIT = 1000  # rejections kept per file; the count covers all of them
FAST_PATH_REFUSED = "kpi-import: the file needs the row-level checks"
NUMERIC_KINDS = (NUMBER, INT, MONEY, RATE, SCORE)
SUMMABLE_KINDS = (NUMBER, INT, MONEY)
WHITESPACE = " \t\r\n\u3000\u00a0\ufeff"
FULL_WIDTH = ("０１２３４５６７８９．，－＋％￥", "0123456789.,-+%¥")
TRUE_WORDS = ["1", "true", "t", "yes", "y", "是", "√", "✓", "✔"]
FALSE_WORDS = ["0", "false", "f", "no", "n", "否", "×", "✗", "✘"]
# first_visit's header alias 首次/再次 implies cells that say 首次 or 再次.
EXTRA_BOOL_WORDS = {"first_visit": (["首次", "首访", "新客"], ["再次", "复访", "老客"])}
TOTAL_RE = r"^(合计|总计|小计|grand\s*total|sub\s*total|total)([^a-z].*)?$"
_COUNT_IN_LABEL = re.compile(
    r"^(?:合计|总计|小计|grand\s*total|sub\s*total|total)\s*[:：]?\s*(?:共\s*)?(\d+)\s*"
    r"(?:条|行|笔|台|单|辆|个|项|rows?|records?|items?)?$",
    re.IGNORECASE,
)
_COUNT_CELL = re.compile(
    r"^(?:共\s*)?(\d+)\s*(?:条|行|笔|台|单|辆|个|项|rows?|records?|items?)?$", re.IGNORECASE
)

_TIME = r"(?:(?:[ t]+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?"
DATE_ISO = r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$"
DATE_ZH = (
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?$"
)
DATE_GLOB = "[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]"  # a form DATE_ISO matches
DATE_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
DATE_DAY_MONTH = r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})" + _TIME + "$"
MONTH_PATTERNS = (
    r"^(\d{4})[-/.](\d{1,2})$",
    r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$",
    r"^(\d{4})(\d{2})$",
    r"^(\d{4})[-/.](\d{1,2})[-/.]0?1$",  # Excel turns 2026-09 into the date 2026-09-01
)
_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?"
NUMBER_RE = r"^([-+]?)(rmb|cny|¥)?([-+]?)(" + _NUM + r")(%?)(元)?$"
# An 11-digit Chinese mobile number, optionally with +86/86, spaces, dashes or brackets; such
# customer ids are stored as a keyed hash (warehouse.importer), found here by ``_mobile``.
MOBILE_SEPARATORS = r"[\s\-()（）]"
MOBILE_RE = r"(?:\+?86)?1[3-9]\d{9}"
# Thousands separators and a yuan sign: the usual money form, checked before NUMBER_RE.
GROUPED_RE = r"^[¥￥]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"

# Plausibility (docs/DECISIONS.md, "Plausibility"): what one cell of a real store's export
# cannot exceed, by kind, then by column. A larger value is a unit or decimal-point mistake
# (or an attack), and it would turn sums into infinity or overflow a BIGINT.
KIND_CEILINGS = {MONEY: 100_000_000, NUMBER: 1_000_000_000, INT: 10_000_000, RATE: 1.0}
COLUMN_CEILINGS = {
    # One repair order's amounts: a total-loss accident repair of a luxury car stays below.
    ("repair_orders", "labor_revenue"): 10_000_000,
    ("repair_orders", "labor_cost"): 10_000_000,
    ("repair_orders", "parts_revenue"): 10_000_000,
    ("repair_orders", "parts_cost"): 10_000_000,
    ("repair_orders", "labor_hours"): 1_000,
    # A month has at most 31 x 24 = 744 hours.
    ("technicians", "available_hours"): 744,
    ("technicians", "clocked_hours"): 744,
    ("technicians", "training_required"): 1_000,
    ("technicians", "training_passed"): 1_000,
    ("parts_stock", "unit_cost"): 10_000_000,
    ("parts_stock", "qty"): 10_000_000,
    # A programme tier's threshold is a rate above 100 % (110 %, 120 %); 500 % is not one.
    ("rebate_programs", "min_achievement"): 5.0,
}
EARLIEST_DATE = dt.date(2000, 1, 1)
MAX_COLUMNS = 300  # a header row naming more columns than any export has is refused
# (table, later date column) -> the date column it must not precede on the same row.
ORDERED_DATES = {
    ("repair_orders", "close_date"): "open_date",
    ("orders", "delivery_date"): "order_date",
    ("complaints", "closed_date"): "opened_date",
    ("rebate_programs", "end_date"): "start_date",
}


def ceiling(table: str, column: Column) -> float | None:
    """Return the largest magnitude a cell of the column may hold (None: no ceiling)."""
    return COLUMN_CEILINGS.get((table, column.name), KIND_CEILINGS.get(column.kind))


def date_bounds(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Return the first and last date a store's data may carry: 2000-01-01 to a year ahead."""
    today = today or dt.date.today()
    try:
        return EARLIEST_DATE, today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return EARLIEST_DATE, today.replace(year=today.year + 1, day=28)


REASONS = {
    "empty": "is empty; every row needs a value here",
    "bad_date": "is not a date; write 2026-09-05 (2026/9/5, 2026.09.05 and 2026年9月5日 also work)",
    "ambiguous_date": (
        "could be day/month or month/day; write dates as YYYY-MM-DD, or say which comes first "
        "(date order DMY = day first, MDY = month first) in the column mapping or with "
        "--date-order"
    ),
    "impossible_date": "is not a real calendar date (that day does not exist)",
    "bad_month": "is not a month; write it as 2026-09 (2026/09 and 2026年9月 also work)",
    "bad_money": "is not an amount in yuan; write e.g. 1234.50, 1,234.50 or ¥1,234.50",
    "bad_number": "is not a number",
    "bad_int": "is not a whole number",
    "bad_score": "is not a score from 0 to 10",
    "bad_rate": "is not a rate; write 3.5% or 0.035",
    "negative": "is negative; this column cannot be below zero",
    "not_whole": "must be a whole number",
    "score_range": "is outside the 0-10 scale",
    "rate_bare_over_1": "is a bare number above 1 in a rate column; write 5%, not 5 (or 0.05)",
    "bad_bool": "is not yes/no; write 是/否, yes/no, y/n, true/false, 1/0 or √/×",
}


@dataclass
class Rejection:
    """One problem that keeps a row (or a whole file) out of the database."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str  # in English; :meth:`text` gives it in either language
    code: str | None = None  # a warehouse.messages code, when the reason has one
    params: dict | None = None

    def text(self, lang: str = "en") -> str:
        """Return the reason in ``lang`` ('en' or 'zh'), the English one when it has no code."""
        if self.code is None or lang == "en":
            return self.reason
        params = dict(self.params or {})
        header = params.pop("_header", None)
        prefix = messages.text("column_prefix", lang, header=header) if header else ""
        return prefix + messages.text(self.code, lang, **params)

    @property
    def message(self) -> str:
        """Return 'file:line column=value reason', the form the CLI prints."""
        return self.message_in("en")

    def message_in(self, lang: str = "en") -> str:
        """Return :attr:`message` with the reason in ``lang``."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        what = ""
        if self.column is not None:
            what = f" {self.column}" + (f"={self.value!r}" if self.value is not None else "")
        elif self.value is not None:
            what = f" {self.value!r}"
        return f"{where}{what} {self.text(lang)}"

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        """Return the rejection as plain JSON-ready data."""
        return asdict(self)


def normalize_header(text: str) -> str:
    """Return a header reduced for matching: NFKC, case-folded, letters and digits only.

    Both sides (file headers and the spec's names and aliases) go through this, so
    'Visit ID', 'visit_id' and 'VISIT-ID' all become 'visitid', and full-width
    punctuation and spaces never matter.
    """
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


_UNIT_SUFFIX = re.compile(r"[(\[【（][^()\[\]【】（）]*[)\]】）]\s*$|[*＊]+\s*$")


def _strip_unit(text: str) -> str:
    """Return a header without a trailing unit or note: '成交价(元)' -> '成交价'."""
    return _UNIT_SUFFIX.sub("", unicodedata.normalize("NFKC", str(text)).strip())


def table_lookup(spec: Table) -> dict[str, tuple[str, int]]:
    """Return normalized name or alias -> (column, priority); lower priority = stronger."""
    return _lookup(spec.name)


@functools.cache
def _lookup(table: str) -> dict[str, tuple[str, int]]:
    spec = TABLES[table]
    lookup: dict[str, tuple[str, int]] = {}
    for column in (STORE, *spec.columns):
        names = (column.name, *column.aliases)
        for rank, name in enumerate(names, start=1):
            lookup.setdefault(normalize_header(name), (column.name, rank))
    return lookup


@dataclass
class HeaderMatch:
    """How one header row maps onto a table."""

    columns: dict[int, str]  # cell index -> canonical column (may include 'store')
    headers: list[str]
    unmapped: list[str]
    notes: list[str]
    # column -> other cell indexes whose header is the very same text as the used one's: a
    # repeated header whose cells must agree on every row (else the row is rejected).
    repeats: dict[str, list[int]] = field(default_factory=dict)

    @property
    def score(self) -> int:
        """Return the number of contract columns (not counting store) the row names."""
        return sum(1 for c in self.columns.values() if c != "store")


def match_headers(
    cells: list[str], spec: Table, mapping: Mapping[str, str | None] | None = None
) -> HeaderMatch:
    """Map header cells to canonical columns; a caller's mapping wins over aliases.

    ``mapping`` is {header as in the file: column}; a column of None or '' ignores that
    header. When two headers name the same column the stronger match wins (mapping, then
    canonical name, then the earlier alias), else the leftmost; the other is listed as
    unmapped with a note.
    """
    lookup = table_lookup(spec)
    user = {normalize_header(h): (c or None) for h, c in (mapping or {}).items()}
    valid = {"store", *spec.names}
    for column in user.values():
        if column is not None and column not in valid:
            raise ValueError(f"the mapping names {column!r}, which is not a column of {spec.name}")
    best: dict[str, tuple[int, int]] = {}  # column -> (priority, index)
    headers = [str(c).strip() for c in cells]
    for index, header in enumerate(headers):
        key = normalize_header(header)
        if not key:
            continue
        if key in user:
            mapped = user[key]
            if mapped is None:
                continue
            column, priority = mapped, 0
        elif key in lookup:
            column, priority = lookup[key]
        elif normalize_header(_strip_unit(header)) in lookup:
            column, priority = lookup[normalize_header(_strip_unit(header))]
            priority += 50
        else:
            continue
        if column not in best or (priority, index) < best[column]:
            best[column] = (priority, index)
    columns = {index: column for column, (_, index) in best.items()}
    unmapped, notes = [], []
    for index, header in enumerate(headers):
        if header and index not in columns:
            unmapped.append(header)
    for column, (_, index) in best.items():
        for other, header in enumerate(headers):
            if other != index and header and other not in columns:
                key = normalize_header(header)
                hit = user.get(key) if key in user else lookup.get(key, (None,))[0]
                if hit == column:
                    notes.append(f"header {header!r} also names {column}; used {headers[index]!r}")
    repeats: dict[str, list[int]] = {}
    for column, (_, index) in best.items():
        same = normalize_header(headers[index])
        again = [i for i, h in enumerate(headers) if i != index and normalize_header(h) == same]
        if again:
            repeats[column] = again
    return HeaderMatch(columns, headers, unmapped, notes, repeats)


def required_columns(spec: Table) -> list[str]:
    """Return the columns a file must have (every non-optional one)."""
    return [c.name for c in spec.columns if not c.optional]


def header_threshold(spec: Table) -> int:
    """Return how many columns a row must name to count as the header row."""
    return max(2, math.ceil(len(required_columns(spec)) / 2))


def _column_label(column: Column) -> str:
    zh = next((a for a in column.aliases if not a.isascii()), None)
    return f"{column.name} ({zh})" if zh else column.name


@dataclass
class HeaderChoice:
    candidate: Candidate
    line: int
    match: HeaderMatch


def choose_header(
    candidates: list[Candidate], spec: Table, mapping: Mapping[str, str | None] | None, file: str
) -> HeaderChoice:
    """Return the header row: the first row naming enough of the table's columns.

    Among delimiters (or sheets) the one whose header names most columns wins. Raises
    ReadError when no row qualifies, or when the file matches another table better.
    """
    need = header_threshold(spec)
    best: HeaderChoice | None = None
    weak: HeaderChoice | None = None
    for candidate in candidates:
        for line, cells in candidate.rows:
            match = match_headers(cells, spec, mapping)
            if match.score >= need:
                if best is None or match.score > best.match.score:
                    best = HeaderChoice(candidate, line, match)
                break
            if match.score >= 2 and (weak is None or match.score > weak.match.score):
                weak = HeaderChoice(candidate, line, match)
    if best is None:
        other = _other_table(candidates, spec)
        if other is not None:
            raise other
        if weak is None:
            expected = ", ".join(_column_label(spec.column(c)) for c in required_columns(spec))
            params = {
                "table": spec.name,
                "title": spec.title_zh,
                "rows": HEAD_ROWS,
                "expected": expected,
            }
            raise ReadError(messages.text("no_header", "en", **params), None, "no_header", params)
        best = weak
    score = best.match.score
    missing = [c for c in required_columns(spec) if c not in best.match.columns.values()]
    for name, other_spec in TABLES.items():
        if name == spec.name:
            continue
        other_score = match_headers(best.match.headers, other_spec).score
        if other_score > score and (missing or other_score >= 2 * score):
            raise _looks_like(other_spec, spec, best.line, best.match.headers)
    count = sum(1 for h in best.match.headers if h)
    if count > MAX_COLUMNS:
        params = {"line": best.line, "count": count, "table": spec.name, "limit": MAX_COLUMNS}
        raise ReadError(
            messages.text("too_many_columns", "en", **params), best.line, "too_many_columns", params
        )
    return best


def _other_table(candidates: list[Candidate], spec: Table) -> ReadError | None:
    """Return a refusal message when some row is clearly another table's header."""
    found = None
    for candidate in candidates:
        for line, cells in candidate.rows:
            for name, other in TABLES.items():
                if name == spec.name:
                    continue
                score = match_headers(cells, other).score
                if score >= header_threshold(other) and (found is None or score > found[0]):
                    found = (score, other, line, cells)
    if found is None:
        return None
    _, other, line, cells = found
    return _looks_like(other, spec, line, [str(c).strip() for c in cells])


def _looks_like(other: Table, spec: Table, line: int, headers: list[str]) -> ReadError:
    params = {
        "other": other.name,
        "other_title": other.title_zh,
        "table": spec.name,
        "title": spec.title_zh,
        "line": line,
        "headers": ", ".join(h for h in headers if h)[:300],
    }
    return ReadError(messages.text("other_table", "en", **params), line, "other_table", params)


def normalize_date_order(order: str | None) -> str | None:
    """Return 'DMY', 'MDY' or None from forms like 'D/M/Y', 'dmy', 'day first'."""
    if order is None or not str(order).strip():
        return None
    letters = "".join(ch for ch in str(order).upper() if ch.isalpha())
    if letters in ("DMY", "DAYFIRST", "DM"):
        return "DMY"
    if letters in ("MDY", "MONTHFIRST", "MD"):
        return "MDY"
    raise ValueError(f"date order {order!r}: use DMY (day first) or MDY (month first)")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Sql:
    """Collect SQL fragments and the named parameters they use."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def param(self, name: str, value: object) -> str:
        self.params[name] = value
        return "$" + name


def must_have_value(table: str, column: Column, key: tuple[str, ...]) -> bool:
    """Return True when an empty cell in this (present) column is a rejection."""
    if column.needs_value:
        return True
    return (
        column.kind == TEXT and column.name in key and (table, column.name) not in KEY_MAY_BE_EMPTY
    )


def _trim(expr: str, sql: _Sql, plain: bool, spaces: bool = True) -> str:
    """Return SQL for a trimmed cell, NULL when empty.

    Plain trim() is several times faster than trimming a character set, so the wider set
    (tabs, ideographic and no-break spaces, stray BOMs) is used only when the file has them;
    a plain file without a single space (``spaces`` false) has nothing to trim at all.
    """
    if plain and not spaces:
        return f"nullif({expr}, '')"
    if plain:
        # Most cells have no space to trim: test first, trim() copies every string.
        return (
            f"nullif(CASE WHEN {expr} LIKE ' %' OR {expr} LIKE '% ' THEN trim({expr}) "
            f"ELSE {expr} END, '')"
        )
    return f"nullif(trim({expr}, {sql.param('ws', WHITESPACE)}), '')"


# Helper columns per stage, the value expression and the error expression of one column.
ColumnSql = tuple[list[list[str]], str, str]


@dataclass(frozen=True)
class _Cell:
    """The names one column's parsing SQL uses."""

    name: str
    empty: str  # the error code of an empty cell: 'empty' when it needs a value, else NULL

    @property
    def raw(self) -> str:
        """Return the column holding the trimmed cell."""
        return _q(self.name + "__raw")

    def helper(self, suffix: str) -> str:
        """Return the helper column of a stage, e.g. ``__x`` (the parsed value)."""
        return _q(self.name + suffix)


def _column_sql(spec: Table, column: Column, sql: _Sql, date_order: str | None) -> ColumnSql:
    """Return (helper columns per stage, value expression, error expression).

    Helper columns come in four stages so that no regular expression runs twice and each
    stage can use the previous one's results. Common forms take a fast path (try_cast)
    and only the other cells go through regular expressions. The value is NULL whenever
    the error code is set.
    """
    must = must_have_value(spec.name, column, spec.key)
    cell = _Cell(column.name, "'empty'" if must else "NULL")
    kind = column.kind
    if kind == TEXT:
        return _text_sql(cell, sql)
    if kind == DATE:
        return _date_sql(cell, sql, date_order)
    if kind == MONTH:
        return _month_sql(cell, sql)
    if kind == BOOL:
        return _bool_sql(cell, sql)
    if kind == ENUM:
        return _enum_sql(cell, column, sql)
    if kind in NUMERIC_KINDS:
        return _number_sql(cell, spec, column, sql)
    raise ValueError(f"unknown column kind {kind!r}")


def _text_sql(cell: _Cell, sql: _Sql) -> ColumnSql:
    """Return a text column's SQL: Excel's ="..." guard unwrapped, no helper column."""
    r = cell.raw
    inner = f"substr({r}, 3, length({r}) - 3)"
    value = f"CASE WHEN {r} LIKE '=\"%\"' THEN {_trim(inner, sql, False)} ELSE {r} END"
    error = f"CASE WHEN {r} IS NULL THEN {cell.empty} END"
    return [[], [], [], []], value, error


def _date_sql(cell: _Cell, sql: _Sql, date_order: str | None) -> ColumnSql:
    """Return a date column's SQL: the cell rewritten as yyyy-mm-dd (``__ymd``), then cast."""
    r, p = cell.raw, cell.helper
    lower = f"lower({r})"
    whens = [
        f"WHEN {r} LIKE '____-__-__' AND try_cast({r} AS DATE) IS NOT NULL THEN {r}",
        # What DATE_ISO makes of 2026/09/05, without a regular expression: several times
        # cheaper on a file of slash dates.
        f"WHEN {r} GLOB {sql.param('glob_date', DATE_GLOB)} THEN replace({r}, '/', '-')",
    ]
    for label, pattern in (("iso", DATE_ISO), ("zh", DATE_ZH), ("compact", DATE_COMPACT)):
        ref = sql.param(f"re_date_{label}", pattern)
        whens.append(
            f"WHEN regexp_full_match({lower}, {ref}) "
            f"THEN regexp_replace({lower}, {ref}, '\\1-\\2-\\3')"
        )
    amb = sql.param("re_date_dm", DATE_DAY_MONTH)
    if date_order is not None:
        order = "'\\3-\\2-\\1'" if date_order == "DMY" else "'\\3-\\1-\\2'"
        whens.append(
            f"WHEN regexp_full_match({lower}, {amb}) THEN regexp_replace({lower}, {amb}, {order})"
        )
    stages: list[list[str]] = [[], [], [], []]
    stages[0].append(f"CASE {' '.join(whens)} END AS {p('__ymd')}")
    stages[1].append(f"try_cast({p('__ymd')} AS DATE) AS {p('__x')}")
    stages[1].append(
        f"CASE WHEN {p('__ymd')} IS NULL THEN regexp_full_match({lower}, {amb}) END AS {p('__amb')}"
    )
    low, high = date_bounds()
    error = (
        f"CASE WHEN {r} IS NULL THEN {cell.empty} WHEN {p('__ymd')} IS NULL THEN "
        f"(CASE WHEN {p('__amb')} THEN 'ambiguous_date' ELSE 'bad_date' END) "
        f"WHEN {p('__x')} IS NULL THEN 'impossible_date' "
        f"WHEN {p('__x')} NOT BETWEEN {sql.param('date_low', low)} "
        f"AND {sql.param('date_high', high)} THEN 'date_range' END"
    )
    return stages, p("__x"), error


def _month_sql(cell: _Cell, sql: _Sql) -> ColumnSql:
    """Return a month column's SQL: the cell rewritten as yyyy-m (``__ym``), then yyyy-mm."""
    r, p = cell.raw, cell.helper
    lower = f"lower({r})"
    whens = []
    for i, pattern in enumerate(MONTH_PATTERNS):
        ref = sql.param(f"re_month_{i}", pattern)
        whens.append(
            f"WHEN regexp_full_match({lower}, {ref}) THEN regexp_replace({lower}, {ref}, '\\1-\\2')"
        )
    stages: list[list[str]] = [[], [], [], []]
    stages[0].append(f"CASE {' '.join(whens)} END AS {p('__ym')}")
    year = f"try_cast(split_part({p('__ym')}, '-', 1) AS INTEGER)"
    month = f"try_cast(split_part({p('__ym')}, '-', 2) AS INTEGER)"
    stages[1].append(
        f"CASE WHEN {month} BETWEEN 1 AND 12 THEN printf('%04d-%02d', {year}, {month}) "
        f"END AS {p('__x')}"
    )
    low, high = date_bounds()
    error = (
        f"CASE WHEN {r} IS NULL THEN {cell.empty} WHEN {p('__x')} IS NULL THEN 'bad_month' "
        f"WHEN {p('__x')} NOT BETWEEN {sql.param('month_low', low.isoformat()[:7])} "
        f"AND {sql.param('month_high', high.isoformat()[:7])} THEN 'month_range' END"
    )
    return stages, p("__x"), error


def _bool_sql(cell: _Cell, sql: _Sql) -> ColumnSql:
    """Return a yes/no column's SQL: the cell looked up in the true and false words."""
    r, x = cell.raw, cell.helper("__x")
    extra_true, extra_false = EXTRA_BOOL_WORDS.get(cell.name, ([], []))
    t = sql.param(f"bool_true_{cell.name}", TRUE_WORDS + extra_true)
    f = sql.param(f"bool_false_{cell.name}", FALSE_WORDS + extra_false)
    stage = (
        f"CASE WHEN list_contains({t}, lower({r})) THEN true "
        f"WHEN list_contains({f}, lower({r})) THEN false END AS {x}"
    )
    error = f"CASE WHEN {r} IS NULL THEN {cell.empty} WHEN {x} IS NULL THEN 'bad_bool' END"
    return [[stage], [], [], []], x, error


def _enum_sql(cell: _Cell, column: Column, sql: _Sql) -> ColumnSql:
    """Return a choice column's SQL: the cell's word looked up in the column's choices."""
    r, x = cell.raw, cell.helper("__x")
    words = column.choices or {}
    k = sql.param(f"enum_k_{cell.name}", list(words))
    v = sql.param(f"enum_v_{cell.name}", list(words.values()))
    stage = f"list_extract({v}, list_position({k}, lower({r}))) AS {x}"
    error = f"CASE WHEN {r} IS NULL THEN {cell.empty} WHEN {x} IS NULL THEN 'bad_enum' END"
    return [[stage], [], [], []], x, error


def _number_sql(cell: _Cell, spec: Table, column: Column, sql: _Sql) -> ColumnSql:
    """Return a numeric column's SQL: parsed in four stages (``__x``), then range-checked."""
    kind = column.kind
    stages = _number_stages(cell, kind, sql)
    x = cell.helper("__x")
    checks = [
        f"WHEN {cell.raw} IS NULL THEN {cell.empty}",
        f"WHEN {x} IS NULL THEN 'bad_{kind}'",
        f"WHEN NOT isfinite({x}) THEN 'not_finite'",
    ]
    limit = ceiling(spec.name, column)
    if limit is not None and kind != RATE:
        checks.append(f"WHEN abs({x}) > {sql.param(f'max_{cell.name}', float(limit))} "
                      "THEN 'too_large'")  # fmt: skip
    if not column.signed:
        checks.append(f"WHEN {x} < 0 THEN 'negative'")
    if kind == INT:
        checks.append(f"WHEN {x} <> floor({x}) THEN 'not_whole'")
    if kind == SCORE:
        checks.append(f"WHEN {x} > 10 THEN 'score_range'")
    if kind == RATE:
        assert limit is not None  # KIND_CEILINGS holds one for rates
        m = cell.helper("__m")
        checks.append(f"WHEN coalesce({m}.pct, '') = '' AND {x} > 1 THEN 'rate_bare_over_1'")
        checks.append(f"WHEN {x} > {sql.param(f'max_{cell.name}', float(limit))} THEN 'too_large'")
    error = f"CASE {' '.join(checks)} END"
    value = f"CAST({x} AS BIGINT)" if kind == INT else x
    return stages, value, error


def _number_stages(cell: _Cell, kind: str, sql: _Sql) -> list[list[str]]:
    """Return the helper columns that parse a number: ``__f`` (a plain number), ``__g`` (a
    grouped one), ``__m`` (the general expression's parts) and ``__x`` (the value).

    Fast paths: a plain number casts directly ('_' is excluded: DuckDB reads 1_000);
    1,234.50 and ¥1,234.50 drop their commas and sign. Only the rest (RMB, %, -¥5,
    full-width digits) pays for the general regular expression.
    """
    r, p = cell.raw, cell.helper
    f, g, m = p("__f"), p("__g"), p("__m")
    first = f"CASE WHEN NOT contains({r}, '_') THEN try_cast({r} AS DOUBLE) END AS {f}"
    grouped = sql.param("re_grouped", GROUPED_RE)
    plain = f"replace(replace(replace({r}, ',', ''), '¥', ''), '￥', '')"
    second = (
        f"CASE WHEN {f} IS NOT NULL AND isfinite({f}) THEN {f} "
        f"WHEN {f} IS NULL AND regexp_full_match({r}, {grouped}) "
        f"THEN try_cast({plain} AS DOUBLE) END AS {g}"
    )
    wide = (
        f"CASE WHEN strlen({r}) <> length({r}) THEN translate({r}, "
        f"{sql.param('fw_from', FULL_WIDTH[0])}, {sql.param('fw_to', FULL_WIDTH[1])}) "
        f"ELSE {r} END"
    )
    groups = "['s1', 'cur', 's2', 'num', 'pct', 'yuan']"
    third = (
        f"CASE WHEN {g} IS NULL AND {r} IS NOT NULL THEN regexp_extract("
        f"lower(replace({wide}, ' ', '')), {sql.param('re_number', NUMBER_RE)}, {groups}) "
        f"END AS {m}"
    )
    return [[first], [second], [third], [_number_value(cell, kind)]]


def _number_value(cell: _Cell, kind: str) -> str:
    """Return the last stage of a number: the grouped number, else the general one's parts."""
    r, f, g, m = cell.raw, cell.helper("__f"), cell.helper("__g"), cell.helper("__m")
    syntax = [f"{m}.num <> ''", f"NOT ({m}.s1 <> '' AND {m}.s2 <> '')"]
    if kind != MONEY:
        syntax.append(f"{m}.cur = '' AND {m}.yuan = ''")
    if kind != RATE:
        syntax.append(f"{m}.pct = ''")
    sign = f"(CASE WHEN {m}.s1 = '-' OR {m}.s2 = '-' THEN -1 ELSE 1 END)"
    scale = f"(CASE WHEN {m}.pct = '%' THEN 100.0 ELSE 1.0 END)"
    if kind != MONEY:
        # ¥ belongs to money only; a grouped number elsewhere must not carry it (a cell
        # that casts to a number has no ¥, so only the others are looked at).
        g = (
            f"(CASE WHEN {f} IS NULL AND ({r} LIKE '%¥%' OR {r} LIKE '%￥%') THEN NULL "
            f"ELSE {g} END)"
        )
    return (
        f"CASE WHEN {m} IS NULL THEN {g} "
        f"WHEN {' AND '.join(syntax)} THEN "
        f"try_cast(replace({m}.num, ',', '') AS DOUBLE) * {sign} / {scale} END "
        f"AS {cell.helper('__x')}"
    )


@dataclass
class ParsedFile:
    """One file read and checked against a table; nothing written anywhere.

    ``rows`` holds every data row with a well-formed field count, as an arrow table of
    ``_rec`` (record number), ``_line`` (line in the file), ``_ok`` (no rejection),
    ``_key_ok`` (key parsed), ``_mobile`` (the 11 digits when customer_id is a Chinese
    mobile number, else NULL), ``store`` (the file's store cell, NULL when absent) and the
    table's canonical columns, typed (a cell that failed to parse is NULL).
    """

    file: str
    table: str
    size: int = 0
    sha256: str = ""
    encoding: str = ""
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 0
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    rows: pa.Table | None = None
    row_count: int = 0
    rejected_rows: int = 0
    problems: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    error: str | None = None
    error_code: str | None = None  # the error as a warehouse.messages code, when it has one
    error_params: dict | None = None

    def error_text(self, lang: str = "en") -> str | None:
        """Return why the whole file was refused, in ``lang`` (None when it was not)."""
        if self.error is None or self.error_code is None or lang == "en":
            return self.error
        return messages.text(self.error_code, lang, **(self.error_params or {}))

    @property
    def ok(self) -> bool:
        """Return True when nothing in the file was rejected."""
        return self.problems == 0 and self.error is None

    def frame(self, limit: int | None = None) -> pd.DataFrame:
        """Return the parsed rows (canonical columns plus store and line) as a DataFrame."""
        import pandas as pd

        if self.rows is None:
            return pd.DataFrame(columns=["line", "store", *TABLES[self.table].names])
        table = self.rows if limit is None else self.rows.slice(0, limit)
        frame = table.to_pandas()
        frame = frame.rename(columns={"_line": "line"})
        return frame[["line", "store", *TABLES[self.table].names]]

    def add(self, rejection: Rejection) -> None:
        """Record a rejection (details kept up to the limit, every one counted)."""
        self.problems += 1
        if len(self.rejections) < REJECTION_DETAIL_LIMIT:
            self.rejections.append(rejection)


def read_table_file(
    name: str,
    data: bytes,
    table: str,
    mapping: Mapping[str, str | None] | None = None,
    date_order: str | None = None,
) -> ParsedFile:
    """Decode, split, map and parse one uploaded file for ``table``; write nothing.

    The upload page uses it for previews; the importer uses :func:`parse_source`.
    """
    return parse_source(Source(name=name, data=bytes(data)), table, mapping, date_order)


def parse_source(
    source: Source,
    table: str,
    mapping: Mapping[str, str | None] | None = None,
    date_order: str | None = None,
    *,
    default_store: str = "main",
) -> ParsedFile:
    """Read and check one file for ``table``.

    ``default_store`` only matters for duplicate keys: a row without a store cell belongs
    to it. File-level problems (unreadable, no header, another table's file, a missing
    column) leave ``error`` set and one rejection each.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
    spec = TABLES[table]
    order = normalize_date_order(date_order)
    result = ParsedFile(file=source.name, table=table, size=source.size)
    reader = None
    con = scratch()
    try:
        reader = open_reader(source)
        result.encoding = reader.encoding
        choice = choose_header(reader.candidates(), spec, mapping, source.name)
        _apply_choice(result, choice)
        match = choice.match
        width = max((i for i, h in enumerate(match.headers) if h), default=0) + 1
        reader.stage(con, choice.candidate, choice.line, width + EXTRA_COLUMNS)
        missing = [c for c in required_columns(spec) if c not in match.columns.values()]
        while True:  # reading ``raw`` may fail; the reader then stages it another way
            try:
                if missing:
                    count = _count_data_rows(con, width + EXTRA_COLUMNS)
                else:
                    plain = reader.plain_whitespace(choice.candidate.delimiter)
                    _parse(con, spec, match, width, order, plain, reader.has_spaces())
                break
            except duckdb.Error as exc:
                if not reader.recover(con, exc):
                    raise
        result.encoding = reader.encoding
        if missing:
            _reject_missing(result, spec, missing, choice)
            result.row_count = result.rejected_rows = count
        else:
            reader.fix_lines(con, "parsed")
            _collect_rejections(
                con,
                result,
                spec,
                match,
                [c for c in spec.columns if c.name in match.columns.values()],
                width,
                default_store,
            )
            if table in ROW_RULES:
                ROW_RULES[table](result, default_store)
        scan = getattr(reader, "scan", None) or scan_bytes(source)
    except ReadError as exc:
        result.error = str(exc)
        result.error_code, result.error_params = exc.code, exc.params
        line = exc.line or result.header_line or None
        result.add(Rejection(source.name, line, None, None, str(exc), exc.code, exc.params))
        scan = scan_bytes(source)
    finally:
        con.close()
        if reader is not None:
            reader.close()
    result.sha256, result.size = scan.sha256, scan.size
    return result


def _programme_rules(result: ParsedFile, default_store: str) -> None:
    """Reject rebate_programs rows whose programme dates or target differ between its tiers.

    Every tier of one programme (per store) carries the same start_date, end_date and
    target_units (the contract); a row that differs from the programme's first clean row in
    the file is rejected, naming that line. (A programme ending before it starts is a cell
    rule: ORDERED_DATES.)
    """
    import pyarrow

    rows = result.rows
    if rows is None or rows.num_rows == 0:
        return
    cols = ("_ok", "_line", "store", "program_id", "start_date", "end_date", "target_units")
    data = rows.select(list(cols)).to_pylist()
    ok = [r["_ok"] for r in data]
    first: dict[tuple[str, str], dict] = {}
    found: list[Rejection] = []
    for i, r in enumerate(data):
        if not r["_ok"]:
            continue
        head = first.setdefault((r["store"] or default_store, r["program_id"]), r)
        for col in ("start_date", "end_date", "target_units"):
            if r[col] != head[col]:
                text = (lambda v: f"{v:g}") if col == "target_units" else (lambda v: v.isoformat())
                params = {"line": head["_line"], "program": r["program_id"], "was": text(head[col])}
                reason = messages.text("programme_differs", "en", **params)
                found.append(Rejection(result.file, r["_line"], col, text(r[col]), reason,
                                       "programme_differs", params))  # fmt: skip
                ok[i] = False
    if not found:
        return
    for rejection in found:
        result.add(rejection)
    result.rejected_rows += sum(1 for r, now in zip(data, ok, strict=True) if r["_ok"] and not now)
    result.rejections.sort(key=lambda r: r.line or 0)
    ok_at = rows.schema.get_field_index("_ok")
    result.rows = rows.set_column(ok_at, "_ok", pyarrow.array(ok, pyarrow.bool_()))


# Rules across a table's rows beyond each cell's own (the importer's fast path leaves these
# tables to the row-level path, which applies them).
ROW_RULES = {"rebate_programs": _programme_rules}


def refuse_empty(result: ParsedFile) -> ParsedFile:
    """Refuse a file with a header row but no data rows (an import, not a preview, calls it).

    A 0-row import would log an import and bump the data version while changing nothing.
    """
    if result.error is None and result.row_count == 0:
        params = {"file": result.file}
        result.error_code, result.error_params = "no_rows", params
        result.error = messages.text("no_rows", **params)
        line = result.header_line or None
        result.add(rejection(result.file, line, None, None, "no_rows", params))
    return result


def _apply_choice(result: ParsedFile, choice: HeaderChoice) -> None:
    match = choice.match
    result.delimiter = choice.candidate.delimiter
    result.sheet = choice.candidate.sheet
    result.header_line = choice.line
    result.headers = match.headers
    result.mapping = {match.headers[i]: c for i, c in sorted(match.columns.items())}
    result.unmapped = match.unmapped
    result.messages.extend(match.notes)
    if match.unmapped:
        result.messages.append("ignored columns: " + ", ".join(match.unmapped))


def _reject_missing(
    result: ParsedFile, spec: Table, missing: list[str], choice: HeaderChoice
) -> None:
    found = ", ".join(h for h in choice.match.headers if h)
    for name in missing:
        params = {"column": _column_label(spec.column(name)), "line": choice.line, "found": found}
        result.add(rejection(result.file, choice.line, name, None, "missing_column", params))
    result.error_code, result.error_params = "missing_columns", {"columns": ", ".join(missing)}
    result.error = messages.text(result.error_code, **result.error_params)


def _nonblank_sql(width: int, sql: _Sql, plain: bool, spaces: bool = True) -> str:
    """Return SQL for a record's first non-empty cell, NULL for a blank record."""
    first = _trim("c0", sql, plain, spaces)
    if width == 1:
        return first
    # coalesce() would trim every cell of every record: only records whose first cell is
    # empty look further.
    rest = ", ".join(_trim(f"c{i}", sql, plain, spaces) for i in range(1, width))
    return f"CASE WHEN {first} IS NOT NULL THEN {first} ELSE coalesce({rest}) END"


def _is_total_sql(cell: str, sql: _Sql) -> str:
    """Return SQL telling a total row by its first non-empty cell (cheap prefilter first)."""
    # First characters of 合计 总计 小计 total grand sub (either case), as code points.
    starts = ", ".join(str(ord(ch)) for ch in "合总小tTgGsS")
    prefilter = f"ascii({cell}) IN ({starts})"
    return (
        f"CASE WHEN {prefilter} THEN regexp_full_match(lower({cell}), "
        f"{sql.param('total', TOTAL_RE)}) ELSE false END"
    )


def _count_data_rows(con: duckdb.DuckDBPyConnection, width: int) -> int:
    sql = _Sql()
    first = _nonblank_sql(width, sql, False)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT {first} AS f FROM raw) "
        f"WHERE f IS NOT NULL AND NOT {_is_total_sql('f', sql)}",
        sql.params,
    ).fetchall()[0]
    return int(row[0])


def _parse(
    con: duckdb.DuckDBPyConnection,
    spec: Table,
    match: HeaderMatch,
    width: int,
    order: str | None,
    plain: bool,
    spaces: bool = True,
) -> None:
    """Parse every record of ``raw`` into table ``parsed`` (values and error codes).

    Blank records stay in (``is_data`` false) so that ``parsed`` counts every record.
    """
    query, params = parse_select(spec, match, width, order, plain, spaces=spaces)
    con.execute("DROP TABLE IF EXISTS parsed")
    con.execute("CREATE TEMP TABLE parsed AS " + query, params)


def parse_select(
    spec: Table,
    match: HeaderMatch,
    width: int,
    order: str | None,
    plain: bool,
    source: str = "raw",
    spaces: bool = True,
) -> tuple[str, dict[str, object]]:
    """Return the SELECT that parses every record of ``source``, and its parameters.

    ``source`` is a relation of ``rec, line, c0..`` (the staged ``raw``, or a subquery).
    Each record gives its shape, total-row and blank flags, ``store``, an error code per
    present column and the typed value of every canonical column. ``plain`` and ``spaces``
    say what the file's cells may need trimmed (see :func:`_trim`).
    """
    sql = _Sql()
    base = _base_columns(spec, match, width, sql, plain, spaces)
    stages: list[list[str]] = [[], [], [], []]
    values, errors = [], []
    for column in spec.columns:
        if column.name not in match.columns.values():
            default = sql.param("default_" + column.name, column.default)
            values.append(f"CAST({default} AS {column.sql_type}) AS {_q(column.name)}")
            continue
        helpers, value, error = _present_column_sql(spec, match, column, sql, order)
        for stage, extra_columns in zip(stages, helpers, strict=True):
            stage.extend(extra_columns)
        values.append(value)
        errors.append(error)
    present = [c for c in spec.columns if c.name in match.columns.values()]
    shape = f"CASE WHEN nf < {width} THEN 'short' WHEN extra IS NOT NULL THEN 'long' END AS _shape"
    helper = lambda exprs: "".join(", " + e for e in exprs)  # noqa: E731
    query = f"""
        WITH base AS (SELECT {", ".join(base)} FROM {source}),
        s0 AS (
            SELECT *, {_is_total_sql("first_cell", sql)} AS is_total {helper(stages[0])}
            FROM base
        ),
        s1 AS (SELECT * {helper(stages[1])} FROM s0),
        s2 AS (SELECT * {helper(stages[2])} FROM s1),
        s3 AS (SELECT * {helper(stages[3])} FROM s2),
        checked AS (SELECT * {helper(errors)}, {shape} FROM s3)
        SELECT rec, line, nf, extra, first_cell, first_cell IS NULL AS blank,
            coalesce(is_total, false) AS is_total,
            first_cell IS NOT NULL AND NOT coalesce(is_total, false) AS is_data, _shape, store
            {helper(_q(c.name + "__err") for c in present)}
            {helper(values)}
        FROM checked
    """
    return query, sql.params


def _base_columns(
    spec: Table, match: HeaderMatch, width: int, sql: _Sql, plain: bool, spaces: bool
) -> list[str]:
    """Return the columns of ``base``: a record's field count (``nf``), its cells past the
    header's width (``extra``), its first non-empty cell, its store and each present column's
    trimmed cell (``<name>__raw``, and ``<name>__rep<n>`` for a repeated header)."""
    full = width + EXTRA_COLUMNS
    index_of = {column: index for index, column in match.columns.items()}
    # A record of exactly the header's width (the usual one) is told by NULL tests alone;
    # only the others count their fields.
    exact = " AND ".join(
        [f"c{i} IS NOT NULL" for i in range(width)] + [f"c{i} IS NULL" for i in range(width, full)]
    )
    count = " + ".join(f"(c{i} IS NOT NULL)::INTEGER" for i in range(full))
    nf = f"CASE WHEN {exact} THEN {width} ELSE {count} END"
    cells = [_trim(f"c{i}", sql, plain, spaces) for i in range(full)]
    extra = "coalesce(" + ", ".join(cells[width:]) + ")"
    base = [
        "rec",
        "line",
        f"{nf} AS nf",
        f"{extra} AS extra",
        f"{_nonblank_sql(full, sql, plain, spaces)} AS first_cell",
    ]
    store_index = index_of.get("store")
    base.append(
        f"{cells[store_index]} AS store"
        if store_index is not None
        else "CAST(NULL AS VARCHAR) AS store"
    )
    for column in spec.columns:
        if column.name in index_of:
            base.append(f"{cells[index_of[column.name]]} AS {_q(column.name + '__raw')}")
            for n, again in enumerate(match.repeats.get(column.name, [])):
                base.append(f"{cells[again]} AS {_q(column.name + f'__rep{n}')}")
    return base


def _present_column_sql(
    spec: Table, match: HeaderMatch, column: Column, sql: _Sql, order: str | None
) -> ColumnSql:
    """Return a present column's helper columns, its value column and its error column.

    On top of :func:`_column_sql`: the column's default for an empty cell, a date before
    the one it must follow (``date_before``) and a repeated header's cells that disagree.
    """
    helpers, value, error = _column_sql(spec, column, sql, order)
    name = column.name
    if column.default is not None:
        value = (
            f"CASE WHEN {_q(name + '__raw')} IS NULL THEN "
            f"CAST({sql.param('default_' + name, column.default)} AS {column.sql_type}) "
            f"ELSE {value} END"
        )
    before = ORDERED_DATES.get((spec.name, name))
    if before is not None and before in match.columns.values():
        error = (
            f"coalesce({error}, CASE WHEN {_q(name + '__x')} < "
            f"{_q(before + '__x')} THEN 'date_before' END)"
        )
    if match.repeats.get(name):
        differs = " OR ".join(
            f"{_q(name + '__raw')} IS DISTINCT FROM {_q(name + f'__rep{n}')}"
            for n in range(len(match.repeats[name]))
        )
        error = f"coalesce({error}, CASE WHEN {differs} THEN 'repeat_conflict' END)"
    value = f"CASE WHEN {_q(name + '__err')} IS NULL THEN {value} END AS {_q(name)}"
    return helpers, value, f"{error} AS {_q(name + '__err')}"


def _collect_rejections(
    con: duckdb.DuckDBPyConnection,
    result: ParsedFile,
    spec: Table,
    match: HeaderMatch,
    present: list[Column],
    width: int,
    default_store: str,
) -> None:
    """Fill ``result`` from table ``parsed``: its counts, its first rejections and its rows.

    Every rejection lands in table ``rejects`` (a record may have several); the detail list
    holds the first REJECTION_DETAIL_LIMIT by line, the total row's own among them.
    """
    _create_rejects(con, spec, present, default_store)
    totals = _check_total_row(con, result, match, present, width)
    count, rejected_rows = con.execute(
        "SELECT count(*), count(DISTINCT rec) FROM rejects"
    ).fetchall()[0]
    data_rows = con.execute("SELECT count(*) FROM parsed WHERE is_data").fetchall()[0][0]
    result.row_count = int(data_rows)
    result.rejected_rows = int(rejected_rows) + (1 if totals else 0)
    result.problems += int(count) + len(totals)
    found = _first_rejections(con, result, spec, match, width)
    found.extend(totals)
    found.sort(key=lambda r: r.line or 0)
    result.rejections.extend(found[:REJECTION_DETAIL_LIMIT])
    key_ok = " AND ".join(f"p.{_q(k + '__err')} IS NULL" for k in spec.key)
    mobile, params = _mobile_sql(spec)
    result.rows = con.sql(
        f"""SELECT p.rec AS _rec, p.line AS _line, b.rec IS NULL AS _ok, ({key_ok}) AS _key_ok,
                {mobile} AS _mobile,
                p.store, {", ".join("p." + _q(c) for c in spec.names)}
            FROM parsed p LEFT JOIN (SELECT DISTINCT rec FROM rejects) b ON b.rec = p.rec
            WHERE p.is_data AND p._shape IS NULL ORDER BY p.rec""",
        params=params or None,
    ).to_arrow_table()


def _create_rejects(
    con: duckdb.DuckDBPyConnection, spec: Table, present: list[Column], default_store: str
) -> None:
    """Create table ``rejects``: (rec, line, col, value, code, other_line) per rejection.

    A bad cell (its code; value NULL: read back from ``raw``), a short or long record (the
    field count in other_line) and a repeated key (the other line), over the data records.
    """
    parts = []
    for column in present:
        err = _q(column.name + "__err")
        parts.append(
            f"SELECT rec, line, '{column.name}' AS col, CAST(NULL AS VARCHAR) AS value, "
            f"{err} AS code, "
            f"CAST(NULL AS BIGINT) AS other_line FROM parsed "
            f"WHERE is_data AND _shape IS NULL AND {err} IS NOT NULL"
        )
    parts.append(
        "SELECT rec, line, NULL, coalesce(extra, first_cell), _shape, nf FROM parsed "
        "WHERE is_data AND _shape IS NOT NULL"
    )
    parts.append(_duplicates_sql(spec))
    key_ok = " AND ".join(f"{_q(k + '__err')} IS NULL" for k in spec.key)
    keys = ", ".join(_q(k) for k in spec.key)
    con.execute(
        f"""CREATE TEMP TABLE keyed AS
            SELECT rec, line, coalesce(store, $store) AS s, {keys} FROM parsed
            WHERE is_data AND _shape IS NULL AND {key_ok}""",
        {"store": default_store},
    )
    con.execute("CREATE TEMP TABLE rejects AS " + " UNION ALL ".join(parts))


def _duplicates_sql(spec: Table) -> str:
    """Return the rejections of records of table ``keyed`` whose key (per store) repeats.

    Each names the key's other line: the second one's for the first record, else the first.
    """
    keys = ", ".join(_q(k) for k in spec.key)
    key_text = " || ' / ' || ".join(
        f"coalesce(CAST({_q(k)} AS VARCHAR), '(empty)')" for k in spec.key
    )
    same_key = " AND ".join(f"d.{_q(k)} IS NOT DISTINCT FROM k.{_q(k)}" for k in spec.key)
    # Find repeated keys with a cheap aggregate first; only their rows get the window.
    return f"""SELECT rec, line, '{"+".join(spec.key)}', key_text, 'duplicate',
                CASE WHEN rec = r1 THEN l2 ELSE l1 END
            FROM (
                SELECT k.rec, k.line, {key_text} AS key_text,
                    first_value(k.rec) OVER w AS r1, first_value(k.line) OVER w AS l1,
                    nth_value(k.line, 2) OVER w AS l2
                FROM keyed k SEMI JOIN (
                    SELECT s, {keys} FROM keyed GROUP BY ALL HAVING count(*) > 1
                ) d ON d.s = k.s AND {same_key}
                WINDOW w AS (PARTITION BY k.s, {", ".join("k." + _q(x) for x in spec.key)}
                             ORDER BY k.rec
                             ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
            )"""


def _first_rejections(
    con: duckdb.DuckDBPyConnection,
    result: ParsedFile,
    spec: Table,
    match: HeaderMatch,
    width: int,
) -> list[Rejection]:
    """Return the first REJECTION_DETAIL_LIMIT rows of ``rejects`` as messages a GM reads."""
    detail = con.execute(
        "SELECT rec, line, col, value, code, other_line FROM rejects ORDER BY line, rec, col "
        f"LIMIT {REJECTION_DETAIL_LIMIT}"
    ).fetchall()
    index_of = {column: index for index, column in match.columns.items()}
    cells = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT rec, " + ", ".join(f"c{i}" for i in range(width)) + " FROM raw "
            "WHERE rec IN (SELECT unnest($recs))",
            {"recs": sorted({d[0] for d in detail if d[2] in index_of and d[3] is None})},
        ).fetchall()
    }
    found = []
    for rec, line, col, value, code, other in detail:
        if value is None and col in index_of and rec in cells:
            value = (cells[rec][index_of[col]] or "").strip(WHITESPACE)
        if code == "short":
            # Name the first column the line does not reach, not the row's first cell.
            col = _header_name(match, other)
            params = {"fields": other, "width": width, "row": value}
            value = None
        elif code == "long":
            params = {"last": _header_name(match, width - 1), "fields": other, "width": width}
        else:
            code, params = _reason(spec, match, col, code, other, result.file)
        found.append(rejection(result.file, line, col, value, code, params))
    return found


def _mobile_sql(spec: Table) -> tuple[str, dict[str, object]]:
    """Return SQL for ``_mobile`` of a row ``p`` (the 11 digits of a mobile customer id)."""
    if "customer_id" not in spec.names:
        return "CAST(NULL AS VARCHAR)", {}
    # Cheap tests first: most ids are not 11-20 characters long, and a mobile number starts
    # with a digit, '+', a bracket, a dash or a space (code points below 'A', or （ and ）).
    digits = "regexp_replace(p.customer_id, $sep, '', 'g')"
    mobile = (
        "CASE WHEN length(p.customer_id) BETWEEN 11 AND 20 AND (ascii(p.customer_id) < 65 "
        "OR ascii(p.customer_id) BETWEEN 65288 AND 65289) "
        f"AND regexp_full_match({digits}, $mobile) THEN right({digits}, 11) END"
    )
    return mobile, {"sep": MOBILE_SEPARATORS, "mobile": MOBILE_RE}


def clean_rows_select(
    spec: Table,
    match: HeaderMatch,
    width: int,
    order: str | None,
    source: str,
    spaces: bool = True,
) -> tuple[str, dict[str, object]]:
    """Return a SELECT of a file's data rows, typed, that fails unless every row is clean.

    For the importer's fast path: :func:`parse_select` with plain whitespace, keeping the
    data rows only, as ``store`` (the file's cell, NULL when absent), the canonical columns
    and ``_mobile``. Any record the row-level path would reject or treat specially (a bad
    cell, a short or long row, a total or subtotal row) raises an error whose message holds
    :data:`FAST_PATH_REFUSED`, so the caller can fall back to :func:`parse_source`. Blank
    records are skipped, as that path skips them.
    """
    query, params = parse_select(spec, match, width, order, True, source, spaces)
    present = [c for c in spec.columns if c.name in match.columns.values()]
    bad = ["p.is_total", "p._shape IS NOT NULL"]
    bad += [f"p.{_q(c.name + '__err')} IS NOT NULL" for c in present]
    mobile, mobile_params = _mobile_sql(spec)
    params = params | mobile_params | {"refused": FAST_PATH_REFUSED}
    query = f"""
        SELECT p.store, {", ".join("p." + _q(c) for c in spec.names)}, {mobile} AS _mobile
        FROM ({query}) p
        WHERE CASE WHEN p.blank THEN false WHEN {" OR ".join(bad)} THEN error($refused)
                   ELSE true END"""
    return query, params


def _header_name(match: HeaderMatch, index: int) -> str:
    """Return the canonical column at a header position, else the header text there."""
    if index in match.columns:
        return match.columns[index]
    return match.headers[index] if index < len(match.headers) else f"field {index + 1}"


def rejection(
    file: str,
    line: int | None,
    column: str | None,
    value: str | None,
    code: str,
    params: dict | None = None,
) -> Rejection:
    """Return a Rejection for a message code (warehouse.messages), its reason in English."""
    shown = dict(params or {})
    header = shown.pop("_header", None)
    prefix = messages.text("column_prefix", "en", header=header) if header else ""
    reason = prefix + messages.text(code, "en", **shown)
    return Rejection(file, line, column, value, reason, code, params)


def _reason(
    spec: Table,
    match: HeaderMatch,
    col: str,
    code: str,
    other: int | None,
    file: str,
) -> tuple[str, dict]:
    """Return the message code and parameters a GM reads for a cell or duplicate-key code."""
    if code == "duplicate":
        return code, {"line": other, "file": file}
    column = spec.column(col)
    header = next(
        (
            h
            for i, h in enumerate(match.headers)
            if match.columns.get(i) == col and normalize_header(h) != normalize_header(col)
        ),
        None,
    )
    params: dict = {"_header": header} if header else {}
    if code == "bad_enum":
        accepted: dict[str, list[str]] = {}
        for word, canonical in (column.choices or {}).items():
            accepted.setdefault(canonical, []).append(word)
        listed = "; ".join(
            f"{canonical} ({', '.join(w for w in words if w != canonical.lower())})"
            if len(words) > 1
            else canonical
            for canonical, words in accepted.items()
        )
        return code, params | {"listed": listed}
    if code == "too_large":
        return code, params | {"limit": f"{ceiling(spec.name, column):,.0f}"}
    if code == "date_range":
        low, high = date_bounds()
        return code, params | {"low": low.isoformat(), "high": high.isoformat()}
    if code == "month_range":
        low, high = date_bounds()
        return code, params | {"low": low.isoformat()[:7], "high": high.isoformat()[:7]}
    if code == "date_before":
        return code, params | {"column": col, "other": ORDERED_DATES[(spec.name, col)]}
    if code == "repeat_conflict":
        again = match.repeats[col][0]
        return code, params | {"header": match.headers[again], "field": again + 1}
    return code, params


def _check_total_row(
    con: duckdb.DuckDBPyConnection,
    result: ParsedFile,
    match: HeaderMatch,
    present: list[Column],
    width: int,
) -> list[Rejection]:
    """Skip total rows; check a trailing one's row count and column sums against the data.

    Returns the rejections of the total row's line (a count or a sum that does not match).
    """
    tail = con.execute(
        "SELECT rec, line, is_total, first_cell FROM parsed WHERE NOT blank "
        "ORDER BY rec DESC LIMIT 1"
    ).fetchall()
    last = tail[0] if tail else None
    totals = con.execute("SELECT count(*) FROM parsed WHERE is_total").fetchall()[0][0]
    if not last or not last[2]:
        if totals:
            result.messages.append(f"skipped {totals} subtotal row(s)")
        return []
    rec, line, _, label = last
    result.messages.append(f"line {line}: total row skipped")
    index_of = {column: index for index, column in match.columns.items()}
    cells = con.execute(
        "SELECT " + ", ".join(f"c{i}" for i in range(width)) + " FROM raw WHERE rec = $rec",
        {"rec": rec},
    ).fetchall()[0]
    texts = {c.name: (cells[index_of[c.name]] or "").strip() for c in present}
    out = _total_count_mismatch(con, result.file, line, label, present, texts)
    if con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]:
        return out  # sums cannot match while rows are rejected; those rejections say why
    return out + _total_sum_mismatches(con, result.file, rec, line, present, texts)


def _total_count_mismatch(
    con: duckdb.DuckDBPyConnection,
    file: str,
    line: int,
    label: str,
    present: list[Column],
    texts: dict[str, str],
) -> list[Rejection]:
    """Return a rejection when the total row states a row count the data rows do not have.

    The count is read from the row's label (合计 12 行) or else its first non-numeric cell
    that says one.
    """
    claims: list[tuple[str | None, str, int]] = []
    found = _COUNT_IN_LABEL.match(label.strip())
    if found:
        claims.append((None, label, int(found.group(1))))
    for column in present:
        text = texts[column.name]
        if column.kind not in NUMERIC_KINDS and text and text != label:
            found = _COUNT_CELL.match(text)
            if found:
                claims.append((column.name, text, int(found.group(1))))
    if not claims:
        return []
    data_rows = con.execute("SELECT count(*) FROM parsed WHERE is_data").fetchall()[0][0]
    col, text, claimed = claims[0]
    if claimed == data_rows:
        return []
    return [
        Rejection(
            file,
            line,
            col,
            text,
            f"the total row says {claimed} rows but the file has {data_rows} data rows: "
            "the file may be cut off or rows were deleted; export it again",
        )
    ]


def _total_sum_mismatches(
    con: duckdb.DuckDBPyConnection,
    file: str,
    rec: int,
    line: int,
    present: list[Column],
    texts: dict[str, str],
) -> list[Rejection]:
    """Return a rejection per summable column whose total differs from its data rows' sum.

    The total may be rounded to the decimals it is written with.
    """
    out = []
    for column in present:
        if column.kind not in SUMMABLE_KINDS:
            continue
        text = texts[column.name]
        stated, err, actual = con.execute(
            f"SELECT (SELECT {_q(column.name)} FROM parsed WHERE rec = $rec), "
            f"(SELECT {_q(column.name + '__err')} FROM parsed WHERE rec = $rec), "
            f"(SELECT coalesce(sum({_q(column.name)}), 0) FROM parsed WHERE is_data)",
            {"rec": rec},
        ).fetchall()[0]
        if not text or err is not None or stated is None:
            continue
        decimals = len(text.rsplit(".", 1)[1]) if "." in text else 0
        tolerance = 0.5 * 10 ** (-decimals) + 1e-9 * abs(actual)
        if abs(stated - actual) > tolerance:
            out.append(
                Rejection(
                    file,
                    line,
                    column.name,
                    text,
                    f"the total row says {column.name} adds up to {text} but the rows add up to "
                    f"{actual:,.2f}: the file may be cut off or edited; export it again",
                )
            )
    return out
