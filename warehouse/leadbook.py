"""The stored lead book: how a customer's running lead state is encoded in derived state.

`derived_lead_months` (warehouse.derived) keeps, per customer and month with a contact, the
state after that month; kpi.customers reads it back. The encoding lives here, with the
storage, so the store package needs nothing from the KPI library: a row's order key ``k``
(by date, a followup after a visit of the same day) times 8 plus its level code, maximised,
gives the latest row's level (``hi``), and ``k * 8 + 7 - code`` the other end of a tie
(``lo``).
"""

from __future__ import annotations

# Lead levels in the order a tie-free latest row is decoded from (an 8-way key).
LEVEL_CODES = ("O", "H", "A", "B", "C", "F")
# The levels of an open lead (the catalogue's: a customer at one of them who has not ordered).
OPEN_LEVELS = LEVEL_CODES[:5]


def level_code() -> str:
    """Return SQL giving a row's lead level code: O 1, H 2, A 3, B 4, C 5, F 6, other 7."""
    whens = " ".join(f"WHEN '{v}' THEN {i}" for i, v in enumerate(LEVEL_CODES, start=1))
    return f"CASE lead_level {whens} ELSE 7 END"


def level_decode(key: str) -> str:
    """Return SQL turning an 8-way key (k * 8 + code) back into its lead level."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(LEVEL_CODES, start=1))
    return f"CASE {key} % 8 {whens} END"


def maybe_open(hi: str, lo: str) -> str:
    """Return SQL true when the latest rows' highest or lowest level code is O, H, A, B or C."""
    return f"({hi} % 8 BETWEEN 1 AND 5 OR 7 - {lo} % 8 BETWEEN 1 AND 5)"


def lead_months_select(where: str) -> str:
    """Return the SELECT that fills ``derived_lead_months`` (see warehouse.derived).

    For each customer and month with a contact: ``m`` (year * 12 + month - 1), the next such
    month of the customer (``next_m``, NULL for the last), and the running state after month
    m: the last contact date and the greatest ``k * 8 + code`` / ``k * 8 + 7 - code`` over
    rows with a level (kpi.customers reads the states back). A month end's lead book is the
    rows with m <= month < next_m. Only states whose level may be open are kept (O, H, A, B
    or C among the latest rows): a later month's contacts only ever replace a state, so a
    state with no level, or lost (F), can never make a lead. ``where`` is a condition
    template on ``{t}.store``.
    """
    return _months(where, exact=False)


def lead_book_select(where: str) -> str:
    """Return the SELECT that fills ``summary_lead_book`` (warehouse.summary_leads).

    The states of ``derived_lead_months`` with the exact values a reader would otherwise look
    up in the rows: ``level``, the level of the latest row with a level so far (by date, a
    followup after a visit of the same day, then the greater id), and ``consultant``, the
    consultant of the latest contact so far (the month's own latest row: every stored month
    has a contact), and ``first_order``, the customer's first non-cancelled order (a state is
    a lead as of a date before it). Only states whose level is O, H, A, B or C, of customers
    who had not ordered before the state's month, are kept. Columns: store, customer_id, m,
    next_m, last_contact, level, consultant, first_order.
    """
    return _months(where, exact=True)


def _months(where: str, exact: bool) -> str:
    """Return the lead book's SELECT: the integer keys, or (``exact``) the exact values."""
    code = level_code()
    buyers = ""
    if exact:
        buyers = f"""LEFT JOIN (
            SELECT o.store AS b_store, o.customer_id AS b_customer, min(o.order_date) AS first_order
            FROM orders o
            WHERE o.status <> 'cancelled' AND o.customer_id IS NOT NULL AND {where.format(t="o")}
            GROUP BY 1, 2
        ) b ON b.b_store = store AND b.b_customer = customer_id"""
        month_cols = """arg_max(lead_level, (k, row_id)) FILTER (
                   WHERE lead_level IS NOT NULL) AS lvl,
               arg_max_null(consultant, (k, row_id)) AS consultant"""
        running_cols = """last_value(lvl IGNORE NULLS) OVER w AS level, consultant,
               first_order"""
        # a customer who ordered before a state's month is no lead while it holds
        kept = (
            "level IN ("
            + ", ".join(f"'{v}'" for v in OPEN_LEVELS)
            + ")"
            + """
      AND (first_order IS NULL OR year(first_order) * 12 + month(first_order) - 1 >= m)"""
        )
        out = "store, customer_id, m, next_m, last_contact, level, consultant, first_order"
    else:
        month_cols = f"""max(k * 8 + {code}) FILTER (WHERE lead_level IS NOT NULL) AS hi,
               max(k * 8 + 7 - {code}) FILTER (WHERE lead_level IS NOT NULL) AS lo"""
        running_cols = "max(hi) OVER w AS l_hi, max(lo) OVER w AS l_lo"
        kept = maybe_open("l_hi", "l_lo")
        out = "*"
    return f"""
    WITH contacts AS (
        SELECT store, customer_id, visit_date AS contact_date,
               (visit_date - DATE '1970-01-01') * 2 AS k, visit_id AS row_id, consultant,
               nullif(lead_level, '') AS lead_level
        FROM traffic t
        WHERE customer_id IS NOT NULL AND {where.format(t="t")}
        UNION ALL
        SELECT store, customer_id, followup_date,
               (followup_date - DATE '1970-01-01') * 2 + 1, followup_id, consultant,
               nullif(lead_level, '')
        FROM followups f
        WHERE customer_id IS NOT NULL AND {where.format(t="f")}
    ),
    months AS (
        SELECT store, customer_id, year(contact_date) * 12 + month(contact_date) - 1 AS m,
               max(contact_date) AS last_d,
               {month_cols}
        FROM contacts
        GROUP BY 1, 2, 3
    ),
    running AS (
        SELECT store, customer_id, m, lead(m) OVER p AS next_m,
               max(last_d) OVER w AS last_contact, {running_cols}
        FROM months
        {buyers}
        WINDOW p AS (PARTITION BY store, customer_id ORDER BY m),
               w AS (PARTITION BY store, customer_id ORDER BY m
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT {out} FROM running
    WHERE {kept}
    -- in next_m order: a read of one month's state (next_m after it) skips most row groups
    ORDER BY next_m NULLS LAST
    """
