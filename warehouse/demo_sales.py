"""Simulate one store's showroom: traffic, leads, orders, vehicles, campaigns and follow-ups.

The simulation runs past the window's end (to ``Calendar.horizon``) so that the stock and
the in-transit vehicles on the end date are the ones future sales will draw on; everything
dated after the end is then cut off, which leaves open orders, unsold and in-transit units.
All columns are numpy arrays; dates are day numbers (see demo_world).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from warehouse.demo_world import (
    BUY_P,
    CADENCE,
    CHANNEL_WEIGHTS,
    CHANNELS,
    CNY,
    DOW,
    MODELS,
    NO_DATE,
    NULL,
    Calendar,
    StoreProfile,
    day_no,
    day_parts,
    day_text,
    mobiles,
    pick,
    pick_rows,
    round_to,
    to_date,
    traffic_factors,
)

Frame = dict[str, np.ndarray]

MODEL_NAMES = np.array([m.name for m in MODELS], dtype=object)
MODEL_POP = np.array([m.popularity for m in MODELS])
PHONE_DOW = np.array([1.1, 1.05, 1.05, 1.05, 1.0, 0.85, 0.7])
SHOWROOM_EVENTS = (
    "周末团购会",
    "新车品鉴会",
    "老客户答谢会",
    "金融贴息日",
    "试驾体验日",
    "限时特惠夜",
)
OUTDOOR_EVENTS = ("万达广场静态展", "社区巡展", "商超外展", "企业团购外展", "高铁站静态展")
AD_CHANNELS = (
    ("autohome", "advertising", "汽车之家线索投放", 52_000),
    ("dongchedi", "advertising", "懂车帝线索投放", 34_000),
    ("wechat", "online", "微信朋友圈广告", 16_000),
)


@dataclass
class Sales:
    """The showroom tables of one store plus what the service and office modules need."""

    traffic: Frame
    orders: Frame
    vehicles: Frame
    campaigns: Frame
    followups: Frame
    consultants: list[str]
    active: np.ndarray  # (window months, consultants) bool: on staff that month
    n_customers: int  # CRM numbers used so far (service customers come after)
    n_mobiles: int


def _cat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p) for p in parts])


def _is_none(a: np.ndarray) -> np.ndarray:
    return np.array([x is None for x in a], dtype=bool)


def _obj(n: int, value: object = None) -> np.ndarray:
    a = np.empty(n, dtype=object)
    a[:] = value
    return a


class _Rows:
    """Accumulate blocks of rows with the same columns, then concatenate them."""

    def __init__(self) -> None:
        self.blocks: list[Frame] = []

    def add(self, **cols: np.ndarray) -> None:
        n = {len(v) for v in cols.values()}
        assert len(n) == 1, {k: len(v) for k, v in cols.items()}
        self.blocks.append(cols)

    def frame(self) -> Frame:
        keys = list(self.blocks[0])
        return {k: _cat(*(b[k] for b in self.blocks)) for k in keys}


def take(frame: Frame, idx: np.ndarray) -> Frame:
    """Return the rows of a frame at an index array or boolean mask."""
    return {k: v[idx] for k, v in frame.items()}


def _staff(p: StoreProfile, cal: Calendar, n_months: int, rng: np.random.Generator):
    """Return consultants, their monthly weights (n_months x n) and the window's active mask."""
    names = list(p.consultants)
    if p.turnover:
        names.append(p.turnover[1])
    skill = rng.uniform(0.75, 1.3, len(names))
    weights = np.tile(skill, (n_months, 1))
    if p.turnover:
        leaving, joining, month = p.turnover
        weights[month:, names.index(leaving)] = 0.0
        weights[:month, names.index(joining)] = 0.0
        # A new consultant takes a few months to get a full share of the floor.
        ramp = np.clip((np.arange(n_months) - month + 1) / 4.0, 0, 1)
        weights[:, names.index(joining)] *= ramp
    active = weights[: cal.n_months] > 0
    return names, weights, active


def _events(p: StoreProfile, cal: Calendar, n_months: int, rng: np.random.Generator) -> Frame:
    """Plan every month's showroom and outdoor events (dates, invitations, standards)."""
    rows = []
    for m in range(n_months):
        first, last = cal.month_bounds(m)
        days = np.arange(first, last + 1)
        _, months, _, weekday = day_parts(days)
        sats = days[weekday == 5]
        year = int(day_parts(np.array([first]))[0][0])
        cny = CNY.get(year)
        if cny is not None:
            c0 = day_no(cny)
            sats = sats[(sats < c0 - 12) | (sats > c0 + 8)]
        order = rng.permutation(len(sats))
        yymm = to_date(first).strftime("%y%m")
        mo = to_date(first).strftime("%Y-%m")
        show_day = sats[order[0]]
        invited = int(p.invited * rng.uniform(0.8, 1.25))
        rows.append(
            dict(
                campaign_id=f"EV-{p.code}-{yymm}-S",
                month=mo,
                kind="showroom_event",
                channel="showroom_event",
                name=SHOWROOM_EVENTS[(m + len(p.code)) % 6],
                start_date=show_day,
                end_date=show_day + 1,
                spend=round(invited * rng.uniform(180, 320), -2),
                invited=invited,
                target_arrivals=round(invited * 0.45),
                target_a_leads=max(1, round(invited * 0.12)),
                rate=rng.uniform(0.38, 0.62),
            )
        )
        for k in range(p.outdoor_events):
            if k + 1 >= len(order):
                break
            day = sats[order[k + 1]]
            inv = int(p.invited * 0.7 * rng.uniform(0.8, 1.2))
            name = (
                "金秋车展"
                if int(months[0]) in (9, 10) and k == 0
                else OUTDOOR_EVENTS[(m + k) % len(OUTDOOR_EVENTS)]
            )
            rows.append(
                dict(
                    campaign_id=f"EV-{p.code}-{yymm}-O{k + 1}",
                    month=mo,
                    kind="outdoor_event",
                    channel="outdoor_event",
                    name=name,
                    start_date=day,
                    end_date=day + 1,
                    spend=round(inv * rng.uniform(350, 600), -2),
                    invited=inv,
                    target_arrivals=round(inv * 0.35),
                    target_a_leads=max(1, round(inv * 0.1)),
                    rate=rng.uniform(0.25, 0.45),
                )
            )
    return {
        k: np.array([r[k] for r in rows], dtype=object if isinstance(rows[0][k], str) else None)
        for k in rows[0]
    }


def _ads(p: StoreProfile, cal: Calendar, rng: np.random.Generator) -> Frame:
    """Return each window month's advertising spend per paid channel."""
    size = (p.walk_ins / 1050) ** 0.85
    rows = []
    for m, first in enumerate(cal.months):
        lo, hi = cal.month_bounds(m)
        mo = first.strftime("%Y-%m")
        for channel, kind, name, base in AD_CHANNELS:
            season = 1.25 if first.month in (9, 10, 12) else 1.0
            rows.append(
                dict(
                    campaign_id=f"{channel}-{mo}",
                    month=mo,
                    kind=kind,
                    channel=channel,
                    name=name,
                    start_date=lo,
                    end_date=hi,
                    spend=round(base * size * season * rng.uniform(0.85, 1.15), -2),
                    invited=-1,
                    target_arrivals=-1,
                    target_a_leads=-1,
                )
            )
    return {
        k: np.array([r[k] for r in rows], dtype=object if isinstance(rows[0][k], str) else None)
        for k in rows[0]
    }


def _window_choice(rng, sorted_days, days, lo_off, hi_off):
    """For each day d pick a random position among sorted_days within [d-lo_off, d-hi_off].

    Returns (positions, valid mask); an invalid day had nobody in its window.
    """
    lo = np.searchsorted(sorted_days, days - lo_off, "left")
    hi = np.searchsorted(sorted_days, days - hi_off, "right")
    ok = hi > lo
    pos = lo + np.floor(rng.random(len(days)) * np.maximum(hi - lo, 1)).astype(np.int64)
    return np.minimum(pos, max(len(sorted_days) - 1, 0)), ok


def _levels(rng, n, probs: dict[str, float]) -> np.ndarray:
    keys = np.array(list(probs), dtype=object)
    return keys[pick(rng, n, np.array(list(probs.values())))]


def simulate_sales(p: StoreProfile, cal: Calendar, rng: np.random.Generator, salt: int) -> Sales:
    """Simulate the showroom of one store over the window and the horizon after it."""
    days = cal.days
    n_months = int(cal.month_index(days[-1:])[0]) + 1
    f = traffic_factors(days)
    base = p.walk_ins / (f[:365].mean() * 30.44)
    lam = base * f
    _, _, _, weekday = day_parts(days)
    lam_phone = base * f / DOW[weekday] * PHONE_DOW[weekday]
    names, weights, active = _staff(p, cal, n_months, rng)
    month_of = cal.month_index(days)  # by position in days
    day0 = days[0]

    def consultant_of(d: np.ndarray) -> np.ndarray:
        return pick_rows(rng, weights[month_of[d - day0]])

    def on_staff(d: np.ndarray, cons: np.ndarray) -> np.ndarray:
        """Hand a departed consultant's customers to the one who replaced them."""
        if not p.turnover:
            return cons
        gone, new = names.index(p.turnover[0]), names.index(p.turnover[1])
        return np.where((cons == gone) & (cal.month_index(d) >= p.turnover[2]), new, cons)

    # ---- first visits: everyday traffic, outdoor-event leads, showroom-event newcomers
    n_first = rng.poisson(0.64 * lam)
    if n_first[cal.end - day0] < 3:
        n_first[cal.end - day0] = 3  # the TV needs walk-ins on the last day
    fv_day = np.repeat(days, n_first)
    fv_channel = CHANNELS_ARR[pick(rng, len(fv_day), CHANNEL_WEIGHTS)]
    fv_event = _obj(len(fv_day))
    events = _events(p, cal, n_months, rng)
    ev_rows = _Rows()
    show_returns = []  # (day, event id) of invited existing leads
    for i in range(len(events["campaign_id"])):
        k = rng.binomial(int(events["invited"][i]), float(events["rate"][i]))
        eid = events["campaign_id"][i]
        start = int(events["start_date"][i])
        if events["kind"][i] == "outdoor_event":
            d = start + rng.integers(0, 17, k)
            ev_rows.add(day=d, channel=_obj(k, "outdoor_event"), event=_obj(k, eid))
        else:
            d = start + (rng.random(k) < 0.15)
            new = rng.random(k) < 0.45
            ev_rows.add(
                day=d[new],
                channel=_obj(int(new.sum()), "showroom_event"),
                event=_obj(int(new.sum()), eid),
            )
            show_returns.append((d[~new], eid))
    ev = ev_rows.frame()
    fv_day = _cat(fv_day, ev["day"])
    fv_channel = _cat(fv_channel, ev["channel"])
    fv_event = _cat(fv_event, ev["event"])
    keep = fv_day <= cal.horizon
    order = np.argsort(fv_day[keep], kind="stable")
    fv_day, fv_channel, fv_event = (a[keep][order] for a in (fv_day, fv_channel, fv_event))
    n = len(fv_day)
    # Walk-ins who leave no phone number (匿名/未留档): mostly browsers who will not buy.
    u_anon = rng.random(n)
    fv_cons = consultant_of(fv_day)
    fv_model = pick(rng, n, MODEL_POP)
    corporate = rng.random(n) < 0.07
    buy_p = np.array([BUY_P[c] for c in fv_channel]) * np.where(corporate, 1.2, 1.0)
    buyer = rng.random(n) < buy_p
    anon = (u_anon < np.where(fv_channel == "walk_by", 0.35, 0.16)) & _is_none(fv_event) & ~buyer
    gap = np.where(rng.random(n) < 0.3, 0, 1 + np.minimum(rng.geometric(0.12, n), 39))
    order_day = np.where(buyer, fv_day + gap, NO_DATE)
    level = _levels(rng, n, {"H": 0.08, "A": 0.22, "B": 0.32, "C": 0.22, "F": 0.1, "": 0.06})
    level = np.where(buyer, _levels(rng, n, {"H": 0.5, "A": 0.35, "B": 0.15}), level)
    level = np.where(buyer & (gap == 0), "O", level)
    level = np.where(anon, "", level)
    life = {
        "H": (5, 25),
        "A": (10, 45),
        "B": (20, 70),
        "C": (30, 110),
        "": (20, 70),
        "F": (0, 1),
        "O": (0, 1),
    }
    lo = np.array([life[v][0] for v in level])
    hi = np.array([life[v][1] for v in level])
    lost_day = fv_day + lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64)
    until = np.where(buyer, order_day, lost_day)  # the lead is worked until this day

    # ---- phone-only prospects (called, never came) join the prospect list
    n_po = rng.poisson(0.15 * lam_phone)
    po_day = np.repeat(days, n_po)
    m_po = len(po_day)
    po_level = _levels(rng, m_po, {"C": 0.45, "B": 0.35, "F": 0.2})
    po_lo = np.where(po_level == "F", 0, np.where(po_level == "B", 20, 30))
    po_hi = np.where(po_level == "F", 1, np.where(po_level == "B", 50, 60))
    po_chan = np.array(["autohome", "dongchedi", "wechat", "referral"], dtype=object)[
        pick(rng, m_po, np.array([0.4, 0.3, 0.2, 0.1]))
    ]

    # Prospect table: walk-in prospects first, phone-only after them.
    P = {
        "first": _cat(fv_day, po_day),
        "channel": _cat(fv_channel, po_chan),
        "event": _cat(fv_event, _obj(m_po)),
        "consultant": _cat(fv_cons, consultant_of(po_day)),
        "model": _cat(fv_model, pick(rng, m_po, MODEL_POP)),
        "corporate": _cat(corporate, np.zeros(m_po, bool)),
        "buyer": _cat(buyer, np.zeros(m_po, bool)),
        "order_day": _cat(order_day, _obj(m_po, NO_DATE).astype(np.int64)),
        "level": _cat(level, po_level),
        "until": _cat(
            until, po_day + po_lo + np.floor(rng.random(m_po) * (po_hi - po_lo)).astype(np.int64)
        ),
        "anon": _cat(anon, np.zeros(m_po, bool)),
        "walk": _cat(np.ones(n, bool), np.zeros(m_po, bool)),
    }
    n_p = len(P["first"])
    pid = np.arange(n_p)

    traffic = _Rows()

    def visit(idx, day, kind, first, level_, test_drive, event=None, channel=None):
        k = len(idx)
        traffic.add(
            pid=idx,
            day=day,
            kind=_obj(k, kind),
            first=np.broadcast_to(first, k).copy(),
            channel=P["channel"][idx] if channel is None else channel,
            event=_obj(k) if event is None else event,
            consultant=P["consultant"][idx],
            level=level_,
            model=P["model"][idx],
            test_drive=test_drive,
            corporate=P["corporate"][idx],
        )

    walk_idx = pid[:n]
    td = rng.random(n) < np.where(buyer, 0.78, 0.47)
    visit(walk_idx, fv_day, "walk_in", True, level, td & ~anon, event=fv_event)

    # Returns of live leads: random ones, invited ones at showroom events, and order days.
    named = pid[:n][~anon]
    named_days = fv_day[~anon]

    def live_returns(d: np.ndarray, back: int) -> tuple[np.ndarray, np.ndarray]:
        pos, ok = _window_choice(rng, named_days, d, back, 1)
        who = named[pos]
        ok &= d < P["until"][who]
        return who[ok], ok

    rd = np.repeat(days, rng.poisson(0.22 * lam))
    who, ok = live_returns(rd, 30)
    lv = P["level"][who]
    visit(who, rd[ok], "walk_in", False, np.where(lv == "", "B", lv), rng.random(len(who)) < 0.45)
    for d, eid in show_returns:
        d = d[d <= cal.horizon]
        who, ok = live_returns(d, 60)
        lv = P["level"][who]
        visit(
            who,
            d[ok],
            "walk_in",
            False,
            np.where(lv == "", "B", lv),
            rng.random(len(who)) < 0.4,
            event=_obj(len(who), eid),
        )
    forced = pid[:n][buyer & (gap > 0)]
    visit(
        forced,
        P["order_day"][forced],
        "walk_in",
        False,
        _obj(len(forced), "O"),
        rng.random(len(forced)) < 0.3,
    )

    # Phone rows: calls before a first visit, calls of phone-only prospects, callbacks.
    pre = pid[:n][
        ~anon
        & (_is_none(fv_event))
        & (rng.random(n) < 0.3)
        & np.isin(fv_channel, ["autohome", "dongchedi", "wechat", "referral"])
    ]
    pre_day = P["first"][pre] - rng.integers(1, 8, len(pre))
    keep = pre_day >= cal.start
    pre, pre_day = pre[keep], pre_day[keep]
    visit(
        pre,
        pre_day,
        "phone",
        True,
        _levels(rng, len(pre), {"B": 0.5, "C": 0.5}),
        np.zeros(len(pre), bool),
    )
    po = pid[n:]
    visit(po, P["first"][po], "phone", True, P["level"][po], np.zeros(m_po, bool))
    cd = np.repeat(days, rng.poisson(0.07 * lam_phone))
    who, ok = live_returns(cd, 30)
    lv = P["level"][who]
    visit(who, cd[ok], "phone", False, np.where(lv == "", "B", lv), np.zeros(len(who), bool))

    # ---- retail orders
    b = pid[:n][buyer]
    cancelled = rng.random(len(b)) < 0.04
    retail = _order_lines(p, rng, P["model"][b], P["corporate"][b], "retail")
    retail.update(
        pid=b,
        order_day=P["order_day"][b],
        cancelled=cancelled,
        consultant=P["consultant"][b],
        channel=P["channel"][b],
    )

    # ---- fleet deals and sub-dealers: company customers get their own prospect rows
    extra = _company_orders(p, cal, n_months, rng, names)
    base_pid = n_p
    n_co = int(extra["pid"].max()) + 1 if len(extra["pid"]) else 0
    co_first = np.full(n_co, NO_DATE)
    np.minimum.at(co_first, extra["pid"], extra["visit_day"])
    co_cons = np.zeros(n_co, np.int64)
    co_cons[extra["pid"]] = extra["consultant"]
    co_model = np.zeros(n_co, np.int64)
    co_model[extra["pid"]] = extra["model"]
    P_ext = {
        "first": co_first,
        "channel": _obj(n_co, "referral"),
        "event": _obj(n_co),
        "consultant": co_cons,
        "model": co_model,
        "corporate": np.ones(n_co, bool),
        "buyer": np.ones(n_co, bool),
        "order_day": co_first,
        "level": _obj(n_co, "O"),
        "until": co_first,
        "anon": np.zeros(n_co, bool),
        "walk": np.ones(n_co, bool),
    }
    P = {k: _cat(P[k], P_ext[k]) for k in P}
    n_p = len(P["first"])
    # A fleet buyer visits once before signing and again on the day it signs; a sub-dealer's
    # first order day is its only visit row.
    _, grp = np.unique(np.stack([extra["pid"], extra["order_day"]]), axis=1, return_index=True)
    seen = np.zeros(n_co, bool)
    firsts, h_first, returns = [], [], []
    for j in np.sort(grp):
        c = extra["pid"][j]
        if extra["sale_type"][j] == "sub_dealer":
            if not seen[c]:
                firsts.append(j)
        elif extra["visit_day"][j] < extra["order_day"][j]:
            h_first.append(j)
            returns.append(j)
        else:
            firsts.append(j)
        seen[c] = True
    j = np.array(h_first, dtype=np.int64)
    visit(
        base_pid + extra["pid"][j],
        extra["visit_day"][j],
        "walk_in",
        True,
        _obj(len(j), "H"),
        rng.random(len(j)) < 0.6,
    )
    for rows_, first in ((firsts, True), (returns, False)):
        j = np.array(rows_, dtype=np.int64)
        visit(
            base_pid + extra["pid"][j],
            extra["order_day"][j],
            "walk_in",
            first,
            _obj(len(j), "O"),
            np.zeros(len(j), bool),
        )
    company = _order_lines(
        p, rng, extra["model"], np.ones(len(extra["pid"]), bool), extra["sale_type"]
    )
    company.update(
        pid=base_pid + extra["pid"],
        order_day=extra["order_day"],
        cancelled=np.zeros(len(extra["pid"]), bool),
        consultant=extra["consultant"],
        channel=_obj(len(extra["pid"]), "referral"),
    )
    orders = {k: _cat(retail[k], company[k]) for k in retail}
    orders["consultant"] = np.array(names, dtype=object)[
        on_staff(orders["order_day"], orders["consultant"])
    ]

    # ---- delivery lags, vehicles, then cut everything at the end date
    no = len(orders["pid"])
    u = rng.random(no)
    lag = np.where(
        u < 0.35,
        rng.integers(0, 4, no),
        np.where(u < 0.8, rng.integers(4, 15, no), rng.integers(15, 31, no)),
    )
    lag = np.where(orders["sale_type"] == "fleet", rng.integers(5, 31, no), lag)
    orders["delivery_day"] = orders["order_day"] + lag
    vehicles, orders = _vehicles(p, cal, rng, orders, salt)
    orders["model"] = MODEL_NAMES[orders["model"]]

    tr = traffic.frame()
    tr["consultant"] = np.array(names, dtype=object)[on_staff(tr["day"], tr["consultant"])]
    tr["model"] = MODEL_NAMES[tr["model"]]
    keep = (tr["day"] >= cal.start) & (tr["day"] <= cal.end)
    tr = take(tr, keep)

    # ---- customer ids: CRM numbers in order of first contact, some keyed by mobile number
    ids, n_crm, n_mob = _customer_ids(p, rng, P, salt)
    tr["customer_id"] = ids[tr["pid"]]
    tr["customer_id"] = np.where(P["anon"][tr["pid"]], NULL, tr["customer_id"])
    orders["customer_id"] = ids[orders["pid"]]

    # ---- follow-ups of leads and return visits after deliveries
    fu = _lead_followups(cal, rng, P, ids, orders)
    fu["consultant"] = np.array(names, dtype=object)[on_staff(fu["day"], fu["consultant"])]
    campaigns = _campaign_frame(events, _ads(p, cal, rng), cal)
    tr = _visit_ids(p, tr)
    return Sales(
        traffic=tr,
        orders=orders,
        vehicles=vehicles,
        campaigns=campaigns,
        followups=fu,
        consultants=names,
        active=active,
        n_customers=n_crm,
        n_mobiles=n_mob,
    )


CHANNELS_ARR = np.array(CHANNELS, dtype=object)


def _order_lines(p, rng, model_idx, corporate, sale_type) -> Frame:
    """Price one order line per unit: price, cost, rebate, F&I, trade-in, accessories."""
    n = len(model_idx)
    sale_type = np.broadcast_to(np.asarray(sale_type, dtype=object), n).copy()
    msrp = np.array([m.msrp for m in MODELS])[model_idx]
    disc = np.array([m.discount for m in MODELS])[model_idx] + rng.normal(0, 0.02, n)
    fleet = sale_type == "fleet"
    sub = sale_type == "sub_dealer"
    disc = disc + np.where(fleet, 0.04, 0) + np.where(sub, 0.03, 0)
    price = round_to(msrp * (1 - np.clip(disc, 0.02, 0.3)), 100)
    # Front gross is thin or negative; the manufacturer's rebate and F&I make the money.
    cost = np.round(price * (1 + rng.normal(0.006, 0.012, n)), 2)
    rebate = np.round(cost * rng.uniform(0.02, 0.05, n) * (rng.random(n) > 0.08), 2)
    rebate = np.where(fleet, np.round(cost * rng.uniform(0.04, 0.07, n), 2), rebate)
    retail = sale_type == "retail"
    finance = retail & (rng.random(n) < np.where(corporate, 0.25, 0.55))
    insurance = ~sub & (rng.random(n) < np.where(fleet, 0.7, 0.86))
    fi = finance * price * rng.uniform(0.02, 0.035, n) + insurance * rng.uniform(1200, 3200, n)
    trade_in = retail & (rng.random(n) < 0.26)
    acc = np.where(retail, rng.uniform(2500, 11000, n) * msrp / 180_000, 0)
    acc = np.where(fleet, rng.uniform(500, 1500, n), acc)
    acc = round_to(acc * (rng.random(n) > 0.08), 10)
    acc_cost = np.round(acc * rng.uniform(0.5, 0.66, n), 2)
    return dict(
        model=np.asarray(model_idx),
        sale_type=sale_type,
        buyer_type=np.where(corporate, "corporate", "private").astype(object),
        sale_price=price,
        vehicle_cost=cost,
        rebate=rebate,
        finance=finance,
        insurance=insurance,
        fi_income=np.round(fi, 2),
        trade_in=trade_in,
        accessories_revenue=acc,
        accessories_cost=acc_cost,
    )


def _company_orders(p, cal, n_months, rng, names) -> Frame:
    """Return fleet-deal and sub-dealer order lines (one row per unit)."""
    fleet_models = np.array([i for i, m in enumerate(MODELS) if m.fleet])
    rows = _Rows()
    company = 0
    senior = np.arange(min(2, len(p.consultants)))  # key-account consultants
    dealers = list(range(p.sub_dealers))
    for m in range(n_months):
        first, last = cal.month_bounds(m)
        days = np.arange(first, last + 1)
        weekdays = days[(days + 3) % 7 < 5]
        for _ in range(rng.poisson(p.fleet_deals)):
            units = int(rng.integers(3, 13 if p.fleet_deals > 1 else 7))
            day = int(rng.choice(weekdays))
            model = int(rng.choice(fleet_models))
            cons = int(rng.choice(senior))
            rows.add(
                pid=np.full(units, company),
                order_day=np.full(units, day),
                visit_day=np.full(units, day - int(rng.integers(5, 25))),
                model=np.full(units, model),
                consultant=np.full(units, cons),
                sale_type=_obj(units, "fleet"),
            )
            company += 1
        for d in dealers:
            k = rng.poisson(2.5)
            dd = rng.choice(weekdays, k)
            rows.add(
                pid=np.full(k, 10_000 + d),
                order_day=dd,
                visit_day=dd,
                model=pick(rng, k, MODEL_POP),
                consultant=np.full(k, senior[0]),
                sale_type=_obj(k, "sub_dealer"),
            )
    fr = rows.frame()
    # Renumber companies densely (sub-dealers after the fleet customers).
    uniq, inv = np.unique(fr["pid"], return_inverse=True)
    fr["pid"] = inv
    fr["visit_day"] = np.maximum(fr["visit_day"], cal.start)
    fr["order_day"] = np.maximum(fr["order_day"], fr["visit_day"])
    order = np.lexsort((fr["pid"], fr["order_day"]))
    return take(fr, order)


def _vin(p, model_idx, serial, year_day, kind="A") -> np.ndarray:
    years = day_parts(year_day)[0]
    year_code = np.array(list("LMNPRSTVWXY"), dtype=object)[np.clip(years - 2020, 0, 10)]
    codes = np.array([m.code for m in MODELS], dtype=object)[model_idx]
    serial_txt = np.char.zfill(np.asarray(serial).astype(str), 7).astype(object)
    check = (np.asarray(serial) * 7 % 10).astype(str).astype(object)
    return "LSV" + codes + kind + p.code[0] + check + year_code + "S" + serial_txt


def _vehicles(p, cal, rng, orders: Frame, salt: int) -> tuple[Frame, Frame]:
    """Allocate a vehicle to every non-cancelled order, then cut both tables at the end."""
    o = orders
    no = len(o["pid"])
    has_car = ~o["cancelled"]
    u = rng.random(no)
    age = np.where(
        u < 0.6,
        rng.integers(1, 35, no),
        np.where(u < 0.9, rng.integers(35, 91, no), rng.integers(91, 200, no)),
    )
    age = np.minimum(np.round(age * np.array([m.age_factor for m in MODELS])[o["model"]]), 300)
    arrival = o["delivery_day"] - age.astype(np.int64)
    transit = rng.integers(7, 36, no)
    ordered = arrival - transit
    eta = arrival + rng.integers(-4, 5, no)
    end = cal.end
    _aged_patch(cal, o, arrival, has_car, rng)
    ordered = np.minimum(ordered, arrival - 7)
    vin_idx = np.flatnonzero(has_car)
    vin_idx = vin_idx[np.argsort(arrival[vin_idx], kind="stable")]
    vin = _obj(no)
    vin[vin_idx] = _vin(
        p, o["model"][vin_idx], 1_000_000 + np.arange(len(vin_idx)) * 3 + salt, arrival[vin_idx]
    )

    in_window = o["order_day"] <= end
    delivered = has_car & (o["delivery_day"] <= end)
    status = np.where(o["cancelled"], "cancelled", np.where(delivered, "delivered", "open"))
    keep_car = has_car & (ordered <= end)
    in_transit = keep_car & (arrival > end)
    in_stock = keep_car & (arrival <= end) & ~delivered
    # Open orders carry the VIN of an allocated unit in stock, and usually of one in transit.
    show_vin = (
        delivered | (in_window & in_stock) | (in_window & in_transit & (rng.random(no) < 0.7))
    )
    show_sold = delivered & (rng.random(no) < 0.7)  # the rest is derived from orders
    floor = {"column": 0.045, "partial": 0.055}.get(p.floorplan)
    fp = (
        np.full(no, np.nan)
        if floor is None
        else np.where(rng.random(no) < (0.6 if p.floorplan == "partial" else 1.0), floor, np.nan)
    )
    vehicles = {
        "vin": vin[keep_car],
        "model": MODEL_NAMES[o["model"][keep_car]],
        "ordered_date": ordered[keep_car],
        "eta": eta[keep_car],
        "arrival_date": np.where(in_transit, NO_DATE, arrival)[keep_car],
        "sold_date": np.where(show_sold, o["delivery_day"], NO_DATE)[keep_car],
        "cost": o["vehicle_cost"][keep_car],
        "floorplan_rate": fp[keep_car],
        # Not exported: the true sale day, for the floorplan interest in expenses.
        "_sold_day": np.where(delivered, o["delivery_day"], NO_DATE)[keep_car],
    }
    order_v = np.argsort(vehicles["vin"].astype(str), kind="stable")
    vehicles = take(vehicles, order_v)
    out = {k: v[in_window] for k, v in o.items()}
    out["status"] = status[in_window].astype(object)
    out["delivery_day"] = np.where(delivered, o["delivery_day"], NO_DATE)[in_window]
    out["vin"] = np.where(show_vin & keep_car, vin, NULL)[in_window]
    seq = np.lexsort((out["pid"], out["order_day"]))
    out = take(out, seq)
    yymm = day_text(out["order_day"], "%y%m")
    counter: dict[str, int] = {}
    ids = []
    for ym in yymm:
        counter[ym] = counter.get(ym, 0) + 1
        ids.append(f"SO{p.code}{ym}{counter[ym]:04d}")
    out["order_id"] = np.array(ids, dtype=object)
    return vehicles, out


def _aged_patch(cal, o, arrival, has_car, rng) -> None:
    """Make sure every window month ends with at least one unit over 90 days in stock.

    The age distribution nearly always does this by itself; where a month would have none,
    the arrival of a unit sold after that month is moved back so it is 95-120 days old then.
    """
    sold = o["delivery_day"]
    for m in range(cal.n_months):
        _, last = cal.month_bounds(m)
        at = min(last, cal.end)
        aged = has_car & (arrival <= at - 91) & (sold > at)
        if aged.any():
            continue
        later = np.flatnonzero(has_car & (sold > at) & (o["order_day"] > at))
        if len(later) == 0:
            continue
        j = later[np.argmin(sold[later])]
        arrival[j] = at - int(rng.integers(95, 121))


def _customer_ids(p, rng, P, salt) -> tuple[np.ndarray, int, int]:
    """Return one customer id per prospect: a CRM number (C000123) or a mobile number."""
    n = len(P["first"])
    order = np.argsort(P["first"], kind="stable")
    crm_no = np.empty(n, np.int64)
    crm_no[order] = 100_001 + np.arange(n)
    use_mobile = (rng.random(n) < p.mobile_share) & ~P["corporate"]
    mob = np.empty(n, dtype=object)
    k = int(use_mobile.sum())
    mob[use_mobile] = mobiles(k, 0, salt)
    crm = np.char.add("C", np.char.zfill(crm_no.astype(str), 6)).astype(object)
    ids = np.where(use_mobile, mob, crm)
    return ids, 100_001 + n, k


def _lead_followups(cal, rng, P, ids, orders) -> Frame:
    """Log prospect follow-ups at each level's cadence (some neglected) and return visits."""
    lv = P["level"]
    workable = ~P["anon"] & np.isin(lv, ["H", "A", "B", "C", ""]) & (P["until"] > P["first"])
    workable &= ~(P["buyer"] & (P["order_day"] == P["first"]))
    idx = np.flatnonzero(workable)
    level = np.where(lv[idx] == "", "B", lv[idx])
    cad = np.array([CADENCE[v] for v in level])
    k = 8
    gaps = np.maximum(1, np.round(cad[:, None] * rng.uniform(0.35, 0.95, (len(idx), k))))
    when = P["first"][idx][:, None] + np.cumsum(gaps, axis=1).astype(np.int64)
    ok = when < P["until"][idx][:, None]
    neglected = rng.random(len(idx)) < 0.2
    ok &= ~neglected[:, None] | (np.arange(k)[None, :] < 1)
    rows_i = np.repeat(idx, ok.sum(axis=1))
    rows_lv = np.repeat(level, ok.sum(axis=1))
    rows_d = when[ok]
    rows = _Rows()
    rows.add(
        pid=rows_i,
        day=rows_d,
        kind=_obj(len(rows_i), "lead_followup"),
        level=rows_lv.astype(object),
    )
    # The lead is closed as lost (战败) on its last day unless it became an order.
    lost = idx[~P["buyer"][idx]]
    rows.add(
        pid=lost,
        day=P["until"][lost],
        kind=_obj(len(lost), "lead_followup"),
        level=_obj(len(lost), "F"),
    )
    # A cancelled order puts the customer back to lost a little later.
    canc = orders["status"] == "cancelled"
    cp = orders["pid"][canc]
    rows.add(
        pid=cp,
        day=orders["order_day"][canc] + rng.integers(3, 16, len(cp)),
        kind=_obj(len(cp), "lead_followup"),
        level=_obj(len(cp), "F"),
    )
    # Return visit (回访) after each delivery, mostly within 3 days, a few late or missed.
    deliv = np.flatnonzero(orders["status"] == "delivered")
    _, first = np.unique(
        np.stack([orders["pid"][deliv], orders["delivery_day"][deliv]]), axis=1, return_index=True
    )
    deliv = deliv[np.sort(first)]
    m = len(deliv)
    u = rng.random(m)
    lag = np.where(
        u < 0.78,
        rng.integers(1, 4, m),
        np.where(u < 0.93, rng.integers(4, 8, m), rng.integers(8, 13, m)),
    )
    has = rng.random(m) < 0.95
    rows.add(
        pid=orders["pid"][deliv][has],
        day=orders["delivery_day"][deliv][has] + lag[has],
        kind=_obj(int(has.sum()), "return_visit"),
        level=_obj(int(has.sum())),
    )
    fu = rows.frame()
    fu = take(fu, (fu["day"] >= cal.start) & (fu["day"] <= cal.end))
    fu["customer_id"] = ids[fu["pid"]]
    fu["consultant"] = P["consultant"][fu["pid"]]
    fu["level"] = np.where(fu["level"] == "", NULL, fu["level"])
    return fu


def _campaign_frame(events: Frame, ads: Frame, cal: Calendar) -> Frame:
    """Return the window's campaigns: monthly ad spend per channel plus every event."""
    last_month = cal.months[-1].strftime("%Y-%m")
    first_month = cal.months[0].strftime("%Y-%m")
    ev = take(events, (events["month"] <= last_month) & (events["month"] >= first_month))
    ev = {k: v for k, v in ev.items() if k != "rate"}
    both = {k: _cat(ads[k], ev[k]) for k in ads}
    order = np.lexsort((both["campaign_id"].astype(str), both["month"].astype(str)))
    out = take(both, order)
    for c in ("invited", "target_arrivals", "target_a_leads"):
        out[c] = out[c].astype(np.int64)
    for c in ("start_date", "end_date"):
        out[c] = out[c].astype(np.int64)
    out["spend"] = out["spend"].astype(float)
    return out


def _visit_ids(p: StoreProfile, tr: Frame) -> Frame:
    """Sort the traffic log by day (walk-ins before calls) and number it per day."""
    kind_rank = (tr["kind"] == "phone").astype(np.int64)
    order = np.lexsort((tr["pid"], kind_rank, tr["day"]))
    tr = take(tr, order)
    day = tr["day"]
    start_of_day = np.r_[True, day[1:] != day[:-1]]
    group_start = np.maximum.accumulate(np.where(start_of_day, np.arange(len(day)), 0))
    seq = np.arange(len(day)) - group_start + 1
    dt = day.astype("datetime64[D]").astype(str)
    ymd = np.char.replace(dt.astype(str), "-", "").astype(object)
    tr["visit_id"] = p.code + "-" + ymd + "-" + np.char.zfill(seq.astype(str), 4).astype(object)
    return tr
