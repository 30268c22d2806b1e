"""Demo manufacturer business: wholesale invoices, rebate programmes and lost-lead reasons.

What issue 18 added to a store's exports, simulated from the sales already simulated:
- ``wholesale_dates``: the manufacturer invoices a vehicle (批发/提车开票) a few days to three
  weeks before it arrives, never before it was ordered; an invoice after the demo's end is not
  exported yet, and a few DMS rows leave the date empty (arrival stands for it).
- ``rebate_programs``: a quarterly retail programme with three tiers (80 / 100 / 110 %, per
  unit plus a share of cost) and a quarterly wholesale programme with two (90 / 100 %), for
  every quarter the window touches. Targets are set near the quarter's volume (the
  manufacturer knows the store), so achievement lands around 80-125 %; the running quarter's
  target comes from the previous quarter's volume.
- ``lost_reasons``: the reason (战败原因) on follow-ups that set level F, mostly price or a
  competitor, with the competing model bought (战败车型) when the customer went elsewhere.

Each function draws from its own generator, so the rest of the demo is the same with or
without these columns.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from warehouse.demo_world import NO_DATE, NULL, Calendar, StoreProfile, day_no, to_date

Frame = dict[str, np.ndarray]

# Competing models a Volkswagen (SAIC) store loses customers to, most frequent first.
COMPETITORS = (
    "比亚迪 秦PLUS", "丰田 凯美瑞", "本田 雅阁", "比亚迪 宋PLUS", "日产 轩逸", "特斯拉 Model Y",
    "一汽-大众 迈腾", "比亚迪 汉", "吉利 星越L", "丰田 RAV4荣放", "理想 L6", "小鹏 P7",
)  # fmt: skip
COMPETITOR_WEIGHTS = np.array([14, 12, 11, 10, 9, 9, 8, 7, 6, 6, 4, 4], dtype=float)
REASONS = ("price", "competitor", "financing", "no_stock", "postponed", "other", None)
REASON_WEIGHTS = np.array([0.30, 0.30, 0.07, 0.07, 0.15, 0.05, 0.06])

RETAIL_TIERS = ((0.8, 1000.0, 0.0), (1.0, 2000.0, 0.005), (1.1, 2500.0, 0.01))
WHOLESALE_TIERS = ((0.9, 0.0, 0.01), (1.0, 500.0, 0.015))
QUARTER_ZH = ("一", "二", "三", "四")


def _rng(seed: int, index: int, part: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, 18, part])


def wholesale_dates(vehicles: Frame, cal: Calendar, seed: int, index: int) -> np.ndarray:
    """Return each vehicle's wholesale (invoice) day number, NO_DATE when not exported."""
    rng = _rng(seed, index, 1)
    n = len(vehicles["vin"])
    arrival = np.asarray(vehicles["arrival_date"], dtype=np.int64)
    eta = np.asarray(vehicles["eta"], dtype=np.int64)
    ordered = np.asarray(vehicles["ordered_date"], dtype=np.int64)
    base = np.where(arrival != NO_DATE, arrival, eta)
    invoiced = np.maximum(base - rng.integers(3, 22, n), ordered)
    blank = (base == NO_DATE) | (invoiced > cal.end) | (rng.random(n) < 0.04)
    return np.where(blank, NO_DATE, invoiced)


def _quarters(cal: Calendar) -> list[tuple[int, int, date, date]]:
    """Return (year, quarter, first day, last day) of every quarter the window touches."""
    out: list[tuple[int, int, date, date]] = []
    for m in cal.months:
        q = (m.month - 1) // 3
        key = (m.year, q + 1)
        if out and out[-1][:2] == key:
            continue
        first = date(m.year, 3 * q + 1, 1)
        last = date(m.year + (q == 3), 1, 1) if q == 3 else date(m.year, 3 * q + 4, 1)
        out.append((*key, first, date.fromordinal(last.toordinal() - 1)))
    return out


def _count(days: np.ndarray, first: date, last: date) -> int:
    return int(((days >= day_no(first)) & (days <= day_no(last))).sum())


def rebate_programs(
    p: StoreProfile, cal: Calendar, orders: Frame, wholesale: np.ndarray, seed: int, index: int
) -> Frame:
    """Return the store's quarterly retail and wholesale programmes, one row per tier."""
    rng = _rng(seed, index, 2)
    delivered = np.where(orders["status"] == "delivered", orders["delivery_day"], NO_DATE)
    volumes = {
        "retail": np.asarray(delivered, dtype=np.int64),
        "wholesale": np.asarray(wholesale, dtype=np.int64),
    }
    rows: dict[str, list] = {k: [] for k in (
        "program_id", "name", "start_date", "end_date", "basis", "target_units", "tier",
        "min_achievement", "per_unit", "pct_of_cost",
    )}  # fmt: skip
    previous: dict[str, int] = {}
    end = to_date(cal.end)
    for year, q, first, last in _quarters(cal):
        for basis, tiers, word in (("retail", RETAIL_TIERS, "零售"),
                                   ("wholesale", WHOLESALE_TIERS, "批发")):  # fmt: skip
            done = last <= end
            actual = _count(volumes[basis], first, last)
            base = actual if done else previous.get(basis, actual)
            previous[basis] = actual if done else previous.get(basis, actual)
            target = max(1, round(base * rng.uniform(0.82, 1.22)))
            for n, (share, per_unit, pct) in enumerate(tiers, start=1):
                rows["program_id"].append(f"{year}Q{q}-{basis}")
                rows["name"].append(f"{year}年第{QUARTER_ZH[q - 1]}季度{word}商务政策")
                rows["start_date"].append(day_no(first))
                rows["end_date"].append(day_no(last))
                rows["basis"].append(basis)
                rows["target_units"].append(float(target))
                rows["tier"].append(float(n))
                rows["min_achievement"].append(share)
                rows["per_unit"].append(per_unit)
                rows["pct_of_cost"].append(pct)
    out: Frame = {}
    for k, v in rows.items():
        if k in ("start_date", "end_date"):
            out[k] = np.array(v, dtype=np.int64)
        elif k in ("program_id", "name", "basis"):
            out[k] = np.array(v, dtype=object)
        else:
            out[k] = np.array(v, dtype=float)
    return out


def lost_reasons(followups: Frame, seed: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (lost_reason, lost_to) for the follow-ups: set on those that set level F."""
    rng = _rng(seed, index, 3)
    n = len(followups["day"])
    lost = np.asarray(followups["level"] == "F")
    pick = rng.choice(len(REASONS), n, p=REASON_WEIGHTS / REASON_WEIGHTS.sum())
    reason = np.array([REASONS[i] for i in pick], dtype=object)
    model = rng.choice(len(COMPETITORS), n, p=COMPETITOR_WEIGHTS / COMPETITOR_WEIGHTS.sum())
    went = (reason == "competitor") | ((reason == "price") & (rng.random(n) < 0.35))
    lost_to = np.array([COMPETITORS[i] for i in model], dtype=object)
    reason = np.where(lost, reason, NULL)
    lost_to = np.where(lost & went, lost_to, NULL)
    return reason, lost_to
