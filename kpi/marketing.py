"""Marketing KPIs (市场): walk-ins and cost per channel, and the results of events.

Every marketing KPI is per channel or per event (KPI-CATALOGUE.md, "Marketing"). Spend
reaches a channel through ``campaigns.channel``; a campaign's monthly spend counts in
proportion to that month's days inside the period.

Filters: the store and channel filters apply (the channel filter to ``traffic.channel``,
``orders.channel`` and ``campaigns.channel``). The consultant and model filters are ignored
here: spend, invitations and event targets cannot be split by consultant or model, and a cost
per walk-in over a filtered subset of walk-ins would be wrong.

Keys: channels are keys as they are written (walk-ins and orders without a channel are grouped
under ``UNKNOWN_CHANNEL``; a campaign without a channel reaches no channel). Events are keyed
by ``campaign_id`` for one store and by ``"<store>/<campaign_id>"`` when all stores are pooled,
because a campaign id is unique per store only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb

from kpi import query
from kpi.scope import Scope, add_months, filter_clause, month_end, month_start, store_clause

# The tables this module reads, directly or through the kpi functions it calls: ui.data
# caches its results on their versions (tests/kpi/test_reads.py checks the list).
READS: frozenset[str] = frozenset({"campaigns", "orders", "stores", "traffic"})

if TYPE_CHECKING:
    import pandas as pd

UNKNOWN_CHANNEL = "unknown"
EVENT_KINDS = ("outdoor_event", "showroom_event")
EVENT_ORDER_WINDOW_DAYS = 30


# The traffic and orders the channel KPIs count (kpi.drill lists the same rows).
CHANNEL_TRAFFIC = f"""visit_date BETWEEN $start AND $end AND {store_clause()}
      AND {filter_clause("channel", "channel")}"""
CHANNEL_ORDERS = f"""order_date BETWEEN $start AND $end AND status <> 'cancelled'
      AND {store_clause()} AND {filter_clause("channel", "channel")}"""

_CHANNELS_SQL = f"""
WITH {query.WEIGHTS_CTE},
spend AS (
    SELECT c.channel, sum(c.spend * w.inside / w.total) AS spend_cny
    FROM campaigns c JOIN weights w ON w.month = c.month
    WHERE {store_clause("c")} AND c.channel IS NOT NULL AND {filter_clause("c.channel", "channel")}
    GROUP BY c.channel
),
visits AS (
    SELECT coalesce(channel, $unknown) AS channel,
           count(*) FILTER (WHERE kind = 'walk_in') AS walk_ins,
           count(*) FILTER (WHERE kind = 'phone') AS calls
    FROM traffic
    WHERE {CHANNEL_TRAFFIC}
    GROUP BY 1
),
deals AS (
    SELECT coalesce(channel, $unknown) AS channel, count(*) AS orders
    FROM orders
    WHERE {CHANNEL_ORDERS}
    GROUP BY 1
),
channels AS (
    SELECT channel FROM spend UNION SELECT channel FROM visits UNION SELECT channel FROM deals
)
SELECT ch.channel,
       coalesce(v.walk_ins, 0) AS walk_ins,
       coalesce(v.calls, 0) AS calls,
       coalesce(d.orders, 0) AS orders,
       s.spend_cny,
       s.channel IS NOT NULL AS has_campaign,
       s.spend_cny / nullif(coalesce(v.walk_ins, 0), 0) AS cost_per_walk_in,
       s.spend_cny / nullif(coalesce(d.orders, 0), 0) AS cost_per_order
FROM channels ch
LEFT JOIN spend s ON s.channel = ch.channel
LEFT JOIN visits v ON v.channel = ch.channel
LEFT JOIN deals d ON d.channel = ch.channel
ORDER BY walk_ins DESC, ch.channel
"""

_EVENTS_SQL = f"""
WITH ev AS (
    SELECT store, campaign_id, name, kind, month, invited, target_arrivals, target_a_leads, spend
    FROM campaigns
    WHERE kind IN ('outdoor_event', 'showroom_event')
      AND month IN (SELECT unnest($months))
      AND {store_clause()} AND {filter_clause("channel", "channel")}
),
visits AS (
    -- an event's walk-ins are all walk-in rows carrying its id, whatever their date, up to
    -- as_of while the period runs ($horizon)
    -- (event_id IS NOT NULL in the scan: the other columns are read for those rows only)
    SELECT e.store, e.campaign_id, t.visit_date, t.customer_id, t.lead_level
    FROM ev e
    JOIN (
        SELECT store, event_id, visit_date, customer_id, lead_level
        FROM traffic
        WHERE event_id IS NOT NULL AND kind = 'walk_in' AND visit_date <= $horizon
    ) t ON t.store = e.store AND t.event_id = e.campaign_id
),
-- The orders deals can count, read once: not cancelled, placed by a customer of those
-- walk-ins between the earliest of their dates and $horizon (an order outside that span
-- is within 30 days after none of them).
placed AS (
    SELECT o.store, o.customer_id, o.order_id, o.order_date
    FROM orders o
    SEMI JOIN (SELECT DISTINCT store, customer_id FROM visits) b
      ON b.store = o.store AND b.customer_id = o.customer_id
    WHERE o.status <> 'cancelled' AND o.order_date <= $horizon
      AND o.order_date >= (SELECT min(visit_date) FROM visits)
),
arrivals AS (
    SELECT store, campaign_id, count(*) AS arrived,
           count(DISTINCT customer_id) FILTER (WHERE lead_level IN ('O', 'H', 'A')) AS a_leads
    FROM visits
    GROUP BY store, campaign_id
),
deals AS (
    SELECT v.store, v.campaign_id, count(DISTINCT o.order_id) AS orders_30d
    FROM visits v
    JOIN placed o ON o.store = v.store AND o.customer_id = v.customer_id
     AND o.order_date BETWEEN v.visit_date AND v.visit_date + $window
    GROUP BY v.store, v.campaign_id
)
SELECT e.store, e.campaign_id, e.name, e.kind, e.month, e.invited,
       coalesce(a.arrived, 0) AS arrived,
       CAST(coalesce(a.arrived, 0) AS DOUBLE) / nullif(e.invited, 0) AS event_arrival_rate,
       e.target_arrivals,
       coalesce(a.a_leads, 0) AS a_leads,
       e.target_a_leads,
       coalesce(d.orders_30d, 0) AS orders_30d,
       e.spend AS spend_cny,
       e.spend / nullif(coalesce(d.orders_30d, 0), 0) AS cost_per_order
FROM ev e
LEFT JOIN arrivals a ON a.store = e.store AND a.campaign_id = e.campaign_id
LEFT JOIN deals d ON d.store = e.store AND d.campaign_id = e.campaign_id
ORDER BY e.month, e.store, e.campaign_id
"""

_EVENT_COLUMNS = [
    "store", "campaign_id", "name", "kind", "month", "invited", "arrived", "event_arrival_rate",
    "target_arrivals", "a_leads", "target_a_leads", "orders_30d", "spend_cny", "cost_per_order",
]  # fmt: skip


def _channel_rows(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[tuple]:
    """Return per channel (channel, walk_ins, calls, orders, spend, has_campaign, cpw, cpo)."""
    p = query.prorate_params(scope) | {"unknown": UNKNOWN_CHANNEL}
    return query.rows(con, _CHANNELS_SQL, p)


def _event_rows(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[tuple]:
    """Return one row per event of the period, in the order of _EVENT_COLUMNS."""
    # The period's events: those of the months it touches up to as_of's month.
    p = dict(scope.params, months=scope.known().months(), window=EVENT_ORDER_WINDOW_DAYS)
    return query.rows(con, _EVENTS_SQL, p)


def event_key(scope: Scope, store: str, campaign_id: str) -> str:
    """Return an event's key: its campaign_id for one store, "store/campaign_id" when pooled."""
    return campaign_id if scope.store is not None else f"{store}/{campaign_id}"


def tables(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, dict[str, Any]]:
    """Return every marketing KPI as an object keyed by channel or by event.

    channel_walk_ins lists the channels with walk-ins in the period; the cost KPIs list the
    channels with a campaign in the period (None when the channel has no walk-ins or orders);
    the event KPIs list the period's events (campaigns of an event kind whose month the
    period touches).
    """
    channels = _channel_rows(con, scope)
    out: dict[str, dict[str, Any]] = {
        "channel_walk_ins": {r[0]: r[1] for r in channels if r[1] > 0},
        "cost_per_walk_in": {r[0]: query.plain(r[6]) for r in channels if r[5]},
        "cost_per_order": {r[0]: query.plain(r[7]) for r in channels if r[5]},
        "event_arrival_rate": {},
        "event_a_leads": {},
        "event_orders": {},
    }
    for r in _event_rows(con, scope):
        row = dict(zip(_EVENT_COLUMNS, r, strict=True))
        key = event_key(scope, row["store"], row["campaign_id"])
        out["event_arrival_rate"][key] = query.plain(row["event_arrival_rate"])
        out["event_a_leads"][key] = row["a_leads"]
        out["event_orders"][key] = row["orders_30d"]
    return out


def summary(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | int | None]:
    """Return the period's marketing totals (ids that are not catalogue ids).

    marketing_spend: Σ campaign spend of the period's months, each month weighted by its days
    inside the period (campaigns without a channel included); marketing_events: the number of
    the period's events.
    """
    sql = f"""
    WITH {query.WEIGHTS_CTE}
    SELECT coalesce(sum(c.spend * w.inside / w.total), 0) AS marketing_spend,
           count(*) FILTER (WHERE c.kind IN ('outdoor_event', 'showroom_event')) AS events
    FROM campaigns c JOIN weights w ON w.month = c.month
    WHERE {store_clause("c")} AND {filter_clause("c.channel", "channel")}
    """
    spend, events = query.rows(con, sql, query.prorate_params(scope))[0]
    return {"marketing_spend": float(spend), "marketing_events": int(events)}


def by_channel(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return one row per channel with walk-ins, calls, orders, spend and the cost KPIs.

    Channels appear when they have walk-ins, calls, orders or a campaign in the period;
    spend_cny and the cost KPIs are empty for a channel without a campaign.
    """
    import pandas as pd

    rows = [r[:5] + r[6:] for r in _channel_rows(con, scope)]
    cols = ["channel", "walk_ins", "calls", "orders", "spend_cny", "cost_per_walk_in",
            "cost_per_order"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=cols)
    for c in ("spend_cny", "cost_per_walk_in", "cost_per_order"):
        frame[c] = frame[c].astype("float64")
    return frame


def channel_monthly(con: duckdb.DuckDBPyConnection, scope: Scope, months: int = 13) -> pd.DataFrame:
    """Return walk-ins per calendar month and channel for the months ending with as_of's month.

    Columns: month ('YYYY-MM'), channel, walk_ins; months and channels without walk-ins are
    absent.
    """
    last = month_start(scope.as_of)
    first = add_months(last, -(months - 1))
    # Walk-ins counted per day and channel first: the month label is then formatted once a
    # day rather than once a row (the same counts, summed).
    sql = f"""
    WITH per_day AS (
        SELECT visit_date, channel, count(*) AS n
        FROM traffic
        WHERE kind = 'walk_in' AND visit_date BETWEEN $first AND $last
          AND {store_clause()} AND {filter_clause("channel", "channel")}
        GROUP BY ALL
    )
    SELECT strftime(visit_date, '%Y-%m') AS month, coalesce(channel, $unknown) AS channel,
           sum(n)::BIGINT AS walk_ins
    FROM per_day
    GROUP BY 1, 2
    ORDER BY 1, 3 DESC, 2
    """
    p = dict(scope.params, first=first, last=month_end(last), unknown=UNKNOWN_CHANNEL)
    import pandas as pd

    return pd.DataFrame(query.rows(con, sql, p), columns=["month", "channel", "walk_ins"])


def events(con: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Return one row per event of the period with its arrivals, A-leads, orders and cost.

    spend_cny is the event's whole spend (not prorated) and cost_per_order = spend_cny ÷
    orders_30d (orders within 30 days after one of the event's walk-ins).
    """
    import pandas as pd

    frame = pd.DataFrame(_event_rows(con, scope), columns=_EVENT_COLUMNS)
    for c in ("event_arrival_rate", "spend_cny", "cost_per_order"):
        frame[c] = frame[c].astype("float64")
    for c in ("invited", "target_arrivals", "target_a_leads"):
        frame[c] = frame[c].astype("Int64")
    return frame


def channel_walk_ins(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, int]:
    """Return the period's walk-ins per channel."""
    return tables(con, scope)["channel_walk_ins"]


def cost_per_walk_in(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | None]:
    """Return the period's spend per walk-in for each channel with a campaign."""
    return tables(con, scope)["cost_per_walk_in"]


def cost_per_order(con: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, float | None]:
    """Return the period's spend per order for each channel with a campaign."""
    return tables(con, scope)["cost_per_order"]
