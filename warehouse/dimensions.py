"""The values each sidebar filter offers, per store: derived state written with the data.

A filter's options are the distinct non-empty values of a few columns (``DIMENSIONS``); at a
dealer group's scale a DISTINCT over 14 million traffic rows costs a cold page 0.3 s per
filter. So every write keeps, per source table, the distinct values of its columns for the
stores it touched (``derived_values_<table>``, warehouse.derived), and ``options_sql`` reads
them.
"""

from __future__ import annotations

from collections.abc import Callable

# Filter name -> the (table, column) pairs whose values it offers.
DIMENSIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "consultant": (("traffic", "consultant"), ("orders", "consultant")),
    "model": (("orders", "model"), ("vehicles", "model"), ("traffic", "model_interest")),
    "channel": (("traffic", "channel"), ("orders", "channel")),
    "sale_type": (("orders", "sale_type"),),
    "buyer_type": (("orders", "buyer_type"), ("traffic", "buyer_type")),
    "advisor": (("repair_orders", "advisor"),),
    "technician": (("repair_orders", "technician"),),
    "ro_type": (("repair_orders", "ro_type"),),
    "department": (("expenses", "department"),),
}

SOURCES = tuple(dict.fromkeys(table for pairs in DIMENSIONS.values() for table, _ in pairs))


def table_name(source: str) -> str:
    return f"derived_values_{source}"


def ddl(source: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table_name(source)} "
        "(name VARCHAR NOT NULL, store VARCHAR NOT NULL, value VARCHAR NOT NULL)"
    )


def select(source: str) -> Callable[[str], str]:
    """Return the derived table's SELECT builder (``where``: the store condition template)."""

    def build(where: str) -> str:
        parts = [
            f"SELECT DISTINCT '{name}' AS name, x.store, CAST(x.{col} AS VARCHAR) AS value "
            f"FROM {table} x WHERE nullif(CAST(x.{col} AS VARCHAR), '') IS NOT NULL "
            f"AND {where.format(t='x')}"
            for name, pairs in DIMENSIONS.items()
            for table, col in pairs
            if table == source
        ]
        return " UNION ALL ".join(parts)

    return build


def options_sql(name: str) -> str:
    """Return the SELECT of a filter's sorted distinct values; binds $store (NULL: every store)."""
    parts = [
        f"SELECT value FROM {table_name(table)} "
        f"WHERE name = '{name}' AND ($store::VARCHAR IS NULL OR store = $store)"
        for table in dict.fromkeys(t for t, _ in DIMENSIONS[name])
    ]
    return "SELECT DISTINCT value AS v FROM (" + " UNION ALL ".join(parts) + ") ORDER BY v"
