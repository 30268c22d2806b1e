"""Rows per store and month of every contract table: derived state written with the data.

The Data status page and the sidebar show what was loaded: rows per table, store and month,
each table's newest date, the months with data. Counted from the rows, that is a scan of every
table (45 million follow-ups at a 700-store group) on every cold page; so every write keeps,
per table, its rows per store and month (``derived_coverage_<table>``; month NULL for rows
without a date) with the newest date of each, and the pages read those.
"""

from __future__ import annotations

from collections.abc import Callable

from warehouse.spec import DATE_COLUMNS, TABLES


def table_name(source: str) -> str:
    return f"derived_coverage_{source}"


def ddl(source: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table_name(source)} (store VARCHAR NOT NULL, "
        "month VARCHAR, n_rows BIGINT NOT NULL, newest VARCHAR)"
    )


def month_sql(source: str, alias: str = "x") -> str:
    """Return the 'YYYY-MM' of a row of ``source`` (its date column; a month column as is)."""
    col = f"{alias}.{DATE_COLUMNS[source]}"
    return (
        col
        if TABLES[source].column(DATE_COLUMNS[source]).kind == "month"
        else (f"strftime({col}, '%Y-%m')")
    )


def select(source: str) -> Callable[[str], str]:
    """Return the derived table's SELECT builder (``where``: the store condition template)."""
    col = f"x.{DATE_COLUMNS[source]}"

    def build(where: str) -> str:
        return (
            f"SELECT x.store, {month_sql(source)} AS month, count(*) AS n_rows, "
            f"CAST(max({col}) AS VARCHAR) AS newest FROM {source} x "
            f"WHERE {where.format(t='x')} GROUP BY 1, 2"
        )

    return build


def union_sql() -> str:
    """Return every table's coverage rows: table_name, store, month, n_rows, newest."""
    return " UNION ALL ".join(
        f"SELECT '{t}' AS table_name, store, month, n_rows, newest FROM {table_name(t)}"
        for t in DATE_COLUMNS
    )
