"""Simulate one store's workshop: repair orders, the technician roster and parts stock.

Cars come to the workshop from the store's existing customer base (the "parc", sold before
the window) and from the window's own deliveries, every few months for maintenance, now and
then for repairs, warranty claims and accidents; a few repairs come back (返修).

The roster follows from the jobs: each job goes to a technician at work the day it is
completed, his clocked hours are those of the jobs he completed (their flat-rate hours divided
by his efficiency, booked on completion as DMS dispatch slips are), his attendance the days he
was at work. So the roster and the repair orders agree
in every month, the running one included: its roster holds attendance and clocked hours up to
the end date, like a DMS export taken that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from warehouse.demo_sales import Frame, Sales, take
from warehouse.demo_world import (
    CNY,
    MODELS,
    NO_DATE,
    Calendar,
    StoreProfile,
    day_no,
    day_parts,
    day_text,
    mobiles,
    pick,
)

RO_TYPES = np.array(["maintenance", "repair", "warranty", "accident"], dtype=object)
MODEL_POP = np.array([m.popularity for m in MODELS])
PRICE_FACTOR = np.array([m.msrp for m in MODELS]) / 180_000
DAY_HOURS = 8.0  # a technician's working day
# Each technician's weekly day off (Monday = 0): the workshop opens every day, quieter on
# Sundays, so most rest on Sunday and the others rotate through the week.
REST_DAY = np.array([6, 1, 6, 2, 3, 6, 4])
# Flat-rate hours a technician sells in a complete month: about 196 h attended, 88 % of it
# clocked on jobs at about 110 % efficiency.
HOURS_SOLD_PER_TECHNICIAN = 190.0


@dataclass
class Service:
    """The workshop tables of one store."""

    repair_orders: Frame
    technicians: Frame
    parts_stock: Frame
    return_visits: Frame  # followups (return_visit) after closed ROs


def _vin(code: str, model_idx: np.ndarray, serial: np.ndarray, years: np.ndarray) -> np.ndarray:
    year_code = np.array(list("HJKLMNPRSTVWXY"), dtype=object)[np.clip(years - 2017, 0, 13)]
    codes = np.array([m.code for m in MODELS], dtype=object)[model_idx]
    serial_txt = np.char.zfill(serial.astype(str), 7).astype(object)
    check = (serial * 3 % 10).astype(str).astype(object)
    return "LSV" + codes + "B" + code[0] + check + year_code + "S" + serial_txt


def simulate_service(
    p: StoreProfile, cal: Calendar, rng: np.random.Generator, sales: Sales, salt: int
) -> Service:
    """Simulate the workshop of one store over the window."""
    span = cal.end - cal.start + 1
    # Parc sized so that the window's ROs come out near the profile's monthly volume.
    n_parc = int(p.ros * 12 / 1.45 * 0.72)
    parc_model = pick(rng, n_parc, MODEL_POP)
    parc_age = rng.uniform(0.3, 8.0, n_parc)  # years since sale at the window's start
    parc_year = (day_parts(np.array([cal.start]))[0][0] - np.floor(parc_age)).astype(np.int64)
    parc_vin = _vin(p.code, parc_model, 5_000_000 + np.arange(n_parc) * 7 + salt, parc_year)
    use_mobile = rng.random(n_parc) < p.mobile_share
    parc_owner = np.char.add("C", np.char.zfill((1 + np.arange(n_parc)).astype(str), 6)).astype(
        object
    )
    parc_owner[use_mobile] = mobiles(int(use_mobile.sum()), sales.n_mobiles + 1000, salt)

    o = sales.orders
    sold = (o["status"] == "delivered") & (o["sale_type"] != "sub_dealer")
    new_vin = o["vin"][sold]
    new_model = np.array(
        [[m.name for m in MODELS].index(x) for x in o["model"][sold]], dtype=np.int64
    )
    new_owner = o["customer_id"][sold]
    new_day = o["delivery_day"][sold]

    vin = np.concatenate([parc_vin, new_vin])
    model = np.concatenate([parc_model, new_model])
    owner = np.concatenate([parc_owner, new_owner])
    nv = len(vin)
    is_new = np.r_[np.zeros(n_parc, bool), np.ones(len(new_vin), bool)]
    warranty_ok = np.r_[parc_age < 3, np.ones(len(new_vin), bool)]
    # Customers drift away to independent garages; new cars stay loyal longer.
    leave = np.where(
        is_new,
        new_day_or(new_day, n_parc) + rng.exponential(2000, nv),
        cal.start + rng.exponential(1100, nv),
    )
    interval = rng.uniform(110, 230, nv)
    first = np.where(
        is_new,
        new_day_or(new_day, n_parc) + rng.uniform(60, 180, nv),
        cal.start + rng.uniform(0, 1, nv) * interval,
    )
    k = span // 110 + 2
    steps = interval[:, None] * (np.arange(k)[None, :] + rng.normal(0, 0.08, (nv, k)))
    when = np.floor(first[:, None] + steps).astype(np.int64)
    ok = (when >= cal.start) & (when <= cal.end) & (when < leave[:, None])
    car = np.repeat(np.arange(nv), ok.sum(axis=1))
    open_day = when[ok]
    open_day = _workshop_days(open_day, rng, cal.end)
    n = len(car)
    t = pick(rng, n, np.array([0.63, 0.18, 0.07, 0.12]))
    t = np.where((t == 2) & ~warranty_ok[car], 1, t)
    ro_type = RO_TYPES[t]

    # Comebacks: a few repair/warranty jobs return within days of closing.
    close_lag = _close_lag(rng, ro_type)
    close_day = open_day + close_lag
    fix = np.isin(ro_type, ["repair", "warranty"])
    back = fix & (rng.random(n) < 0.045)
    cb_open = close_day[back] + rng.integers(1, 26, int(back.sum()))
    cb_keep = cb_open <= cal.end
    cb_car = car[back][cb_keep]
    cb_open = cb_open[cb_keep]
    cb_type = np.where(ro_type[back][cb_keep] == "warranty", "warranty", "repair").astype(object)
    cb_lag = _close_lag(rng, cb_type)

    # Internal jobs: pre-delivery inspection of arriving stock, and used-car reconditioning.
    veh = sales.vehicles
    arrived = (veh["arrival_date"] >= cal.start) & (veh["arrival_date"] <= cal.end)
    pdi = arrived & (rng.random(len(veh["vin"])) < 0.3)
    int_vin = veh["vin"][pdi]
    int_day = veh["arrival_date"][pdi]
    int_model = np.array(
        [[m.name for m in MODELS].index(x) for x in veh["model"][pdi]], dtype=np.int64
    )

    ro = {
        "vin": np.concatenate([vin[car], vin[cb_car], int_vin]),
        "customer_id": np.concatenate([owner[car], owner[cb_car], np.full(len(int_vin), None)]),
        "model": np.concatenate([model[car], model[cb_car], int_model]),
        "open_day": np.concatenate([open_day, cb_open, int_day]),
        "close_day": np.concatenate(
            [close_day, cb_open + cb_lag, int_day + rng.integers(0, 3, len(int_vin))]
        ),
        "ro_type": np.concatenate(
            [ro_type, cb_type, np.full(len(int_vin), "internal", dtype=object)]
        ),
        "comeback": np.concatenate(
            [np.zeros(n, bool), np.ones(len(cb_car), bool), np.zeros(len(int_vin), bool)]
        ),
    }
    ro = take(ro, np.lexsort((ro["vin"].astype(str), ro["open_day"])))
    nr = len(ro["vin"])
    # A few jobs wait for parts or insurance approval well past their normal lag.
    stuck = (ro["ro_type"] == "accident") & (rng.random(nr) < 0.02)
    ro["close_day"] = np.where(stuck, ro["close_day"] + rng.integers(20, 60, nr), ro["close_day"])
    ro["close_day"] = np.where(ro["close_day"] > cal.end, NO_DATE, ro["close_day"])
    _money(p, rng, ro)
    ro["advisor"] = np.array(p.advisors, dtype=object)[
        pick(rng, nr, np.linspace(1.3, 0.8, len(p.advisors)))
    ]
    roster, names, skill = _roster(p, cal, ro, rng)
    present = _schedule(cal, roster, rng)
    ro["technician"] = _assign_technicians(cal, ro, roster, present, skill, names, rng)
    ro["ro_id"] = _ro_ids(p, ro["open_day"])
    clocked = _clocked_on_jobs(cal, ro, skill, names, rng)
    techs = _technician_rows(cal, roster, present, names, clocked, rng)
    parts = _parts(p, cal, ro, rng)
    visits = _return_visits(cal, ro, rng)
    return Service(repair_orders=ro, technicians=techs, parts_stock=parts, return_visits=visits)


def new_day_or(new_day: np.ndarray, n_parc: int) -> np.ndarray:
    """Return the delivery day for new cars, aligned after n_parc parc cars (0 for those)."""
    return np.r_[np.zeros(n_parc, np.int64), new_day]


def _workshop_days(day: np.ndarray, rng: np.random.Generator, end: int) -> np.ndarray:
    """Move visits off the Spring Festival holiday and some Sundays to the next Monday."""
    years = day_parts(day)[0]
    out = day.copy()
    for y in np.unique(years):
        c = CNY.get(int(y))
        if c is None:
            continue
        c0 = day_no(c)
        hol = (out >= c0 - 1) & (out <= c0 + 5)
        out = np.where(hol, c0 + 6 + rng.integers(0, 7, len(out)), out)
    sunday = ((out + 3) % 7 == 6) & (rng.random(len(out)) < 0.4)
    return np.minimum(out + sunday, end)  # nothing opens after the last day of data


def _close_lag(rng: np.random.Generator, ro_type: np.ndarray) -> np.ndarray:
    n = len(ro_type)
    lag = np.where(rng.random(n) < 0.75, 0, 1)  # maintenance: same day or next
    lag = np.where(ro_type == "repair", rng.integers(0, 4, n), lag)
    lag = np.where(ro_type == "warranty", rng.integers(1, 6, n), lag)
    lag = np.where(ro_type == "accident", rng.integers(2, 10, n), lag)
    return lag.astype(np.int64)


def _money(p: StoreProfile, rng: np.random.Generator, ro: Frame) -> None:
    """Price labour and parts per RO type; warranty is billed to the maker, internal at cost."""
    n = len(ro["vin"])
    t = ro["ro_type"]
    pf = PRICE_FACTOR[ro["model"]] ** 0.5
    hours = np.select(
        [t == "maintenance", t == "repair", t == "warranty", t == "accident"],
        [
            rng.uniform(0.8, 2.0, n),
            rng.gamma(2.0, 1.5, n) + 0.5,
            rng.gamma(2.0, 1.2, n) + 0.5,
            rng.gamma(3.0, 3.0, n) + 1.0,
        ],
        rng.uniform(0.5, 2.0, n),
    )
    hours = np.round(hours * 2) / 2  # flat-rate tables use half hours
    rate = p.labor_rate * np.select([t == "warranty", t == "internal"], [0.72, 0.5], 1.0)
    labor = np.round(hours * rate, 2)
    parts = (
        np.select(
            [t == "maintenance", t == "repair", t == "warranty", t == "accident"],
            [
                rng.uniform(320, 950, n),
                rng.lognormal(7.0, 0.8, n),
                rng.lognormal(6.9, 0.7, n),
                rng.lognormal(8.4, 0.7, n),
            ],
            rng.uniform(50, 400, n),
        )
        * pf
    )
    parts = np.round(parts, 2)
    parts_margin = np.select(
        [t == "maintenance", t == "repair", t == "warranty", t == "accident", t == "internal"],
        [0.38, 0.34, 0.16, 0.3, 0.0],
        0.3,
    ) + rng.normal(0, 0.03, n)
    ro["labor_hours"] = hours
    ro["labor_revenue"] = labor
    ro["labor_cost"] = np.round(hours * rng.uniform(70, 95, n), 2)
    ro["parts_revenue"] = parts
    ro["parts_cost"] = np.round(parts * (1 - np.clip(parts_margin, 0, 0.6)), 2)


def _roster(p, cal, ro, rng):
    """Size the workshop from the hours sold and let one technician leave mid-window.

    Returns the roster (month x technician), the names and each technician's efficiency
    (flat-rate hours sold per hour clocked).
    """
    months = cal.month_index(ro["open_day"])
    hours = np.bincount(months, weights=ro["labor_hours"], minlength=cal.n_months)
    lo, hi = cal.month_bounds(cal.n_months - 1)
    # A complete month's hours: the complete months', or the one running month's at its pace.
    full = hours[:-1].mean() if cal.n_months > 1 else hours[0] * (hi - lo + 1) / (cal.end - lo + 1)
    need = max(2, int(round(full / HOURS_SOLD_PER_TECHNICIAN)))
    names = list(p.technicians[: need + 1])
    roster = np.zeros((cal.n_months, len(names)), bool)
    roster[:, :need] = True
    if cal.n_months >= 6 and len(names) > need:
        change = cal.n_months // 2
        roster[change:, 1] = False  # the second technician leaves
        roster[change:, need] = True  # and a new one joins
    skill = rng.uniform(1.0, 1.25, len(names))
    return roster, names, skill


def _schedule(cal, roster, rng) -> np.ndarray:
    """Return who is at work on each window day (day x technician).

    Technicians on the month's roster work six days a week (a weekly day off, REST_DAY) and
    take up to two leave days a month; the workshop closes at Spring Festival.
    """
    present = np.zeros((cal.end - cal.start + 1, roster.shape[1]), bool)
    for m in range(cal.n_months):
        lo, hi = cal.month_bounds(m)
        open_days = _open_days(lo, hi)
        for j in np.flatnonzero(roster[m]):
            workdays = open_days[(open_days + 3) % 7 != REST_DAY[j % len(REST_DAY)]]
            leave = rng.choice(workdays, int(rng.integers(0, 3)), replace=False)
            days = workdays[~np.isin(workdays, leave) & (workdays <= cal.end)]
            present[days - cal.start, j] = True
    return present


def _assign_technicians(cal, ro, roster, present, skill, names, rng) -> np.ndarray:
    """Dispatch each job to a technician at work the day it is completed (opened, if in progress).

    Only technicians on the roster of the month the job opened qualify. Each day the biggest
    jobs go to whoever has clocked least per day at work so far this month, so every technician
    carries about the same load (faster ones sell more flat-rate hours in it).
    """
    months = cal.month_index(ro["open_day"])
    done = ro["close_day"] != NO_DATE
    day = np.where(done, ro["close_day"], ro["open_day"])
    day_month = cal.month_index(day)
    hours = ro["labor_hours"].astype(float)
    order = np.lexsort((-hours, months, day))
    cut = np.flatnonzero(
        np.r_[True, np.diff(day[order]) != 0] | np.r_[True, np.diff(months[order]) != 0]
    )
    out = np.zeros(len(order), np.int64)
    noise = rng.uniform(0.85, 1.15, (len(cut), len(names)))
    load = np.zeros(len(names))  # clocked hours so far this month
    at_work = np.zeros(len(names))  # days at work so far this month
    month = today = None
    for g, (a, b) in enumerate(zip(cut, np.r_[cut[1:], len(order)], strict=True)):
        jobs = order[a:b]
        d, m = int(day[jobs[0]]), int(months[jobs[0]])
        if d != today:
            if day_month[jobs[0]] != month:
                month = day_month[jobs[0]]
                load[:], at_work[:] = 0.0, 0.0
            today = d
            at_work += present[d - cal.start]
        eligible = present[d - cal.start] & roster[m]
        if not eligible.any():  # done on a closed day (Spring Festival): whoever is on both rosters
            both = roster[m] & roster[month]
            eligible = both if both.any() else roster[m]
        techs = np.flatnonzero(eligible)
        rate = load[techs] / np.maximum(at_work[techs], 1.0) * noise[g, techs]
        who = techs[np.argsort(rate)][np.arange(len(jobs)) % len(techs)]
        out[jobs] = who
        clocked = hours[jobs] / skill[who] * done[jobs]
        load += np.bincount(who, weights=clocked, minlength=len(names))
    return np.array(names, dtype=object)[out]


def _ro_ids(p: StoreProfile, open_day: np.ndarray) -> np.ndarray:
    """Number ROs per day in opening order: RO<code><yymmdd><seq>."""
    start = np.r_[True, open_day[1:] != open_day[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(open_day)), 0))
    seq = np.arange(len(open_day)) - group_start + 1
    ymd = day_text(open_day, "%y%m%d")
    return "RO" + p.code + ymd + np.char.zfill(seq.astype(str), 3).astype(object)


def _clocked_on_jobs(cal, ro, skill, names, rng) -> np.ndarray:
    """Return the hours each technician clocked per window month on the jobs he completed.

    A job of h flat-rate hours takes about h / efficiency clocked hours, booked on the day the
    repair order closes; work in progress is not booked yet.
    """
    done = ro["close_day"] != NO_DATE
    tech = np.array([names.index(t) for t in ro["technician"][done]], dtype=np.int64)
    hours = ro["labor_hours"][done] / skill[tech] * rng.lognormal(0.0, 0.12, len(tech))
    out = np.zeros((cal.n_months, len(names)))
    np.add.at(out, (cal.month_index(ro["close_day"][done]), tech), hours)
    return out


def _open_days(first: int, last: int) -> np.ndarray:
    """Return the days the workshop opens: every day but the Spring Festival holiday."""
    days = np.arange(first, last + 1)
    for y in np.unique(day_parts(days)[0]):
        c = CNY.get(int(y))
        if c is not None:
            days = days[(days < day_no(c) - 1) | (days > day_no(c) + 5)]
    return days


def _technician_rows(cal, roster, present, names, clocked, rng) -> Frame:
    """Return the monthly roster: attendance, clocked hours and certifications.

    Attendance is the days at work up to the end date (``present``), less half a day of
    meetings; meetings and training sessions fall on dated days of the month, so a running
    month holds only those up to the end date. Overtime is paid attendance too: when
    the crew clocks more than 95 % of its attendance (after Spring Festival, say), everyone
    worked overtime, and in a complete month a technician clocking more than 97 % of his
    attendance worked extra hours. In the running month a job completed so far may have been
    started before it, so one technician may show more clocked than attended hours for a few
    days, as DMS exports do.
    """
    rows: dict[str, list] = {
        k: []
        for k in (
            "month",
            "technician",
            "available_hours",
            "clocked_hours",
            "training_required",
            "training_passed",
        )
    }
    for m, first in enumerate(cal.months):
        lo, hi = cal.month_bounds(m)
        open_days = _open_days(lo, hi)
        crew = np.flatnonzero(roster[m])
        avail, worked, req, passed = [], [], [], []
        for j in crew:
            workdays = open_days[(open_days + 3) % 7 != REST_DAY[j % len(REST_DAY)]]
            meeting = workdays[rng.integers(0, len(workdays))]
            days = int(present[lo - cal.start : min(hi, cal.end) - cal.start + 1, j].sum())
            avail.append(DAY_HOURS * days - DAY_HOURS / 2 * float(meeting <= cal.end))
            worked.append(round(clocked[m, j] * float(rng.uniform(0.95, 1.05)), 1))
            sessions = rng.integers(0, 3) if first.month in (3, 6, 9, 12) else rng.random() < 0.3
            held = int((rng.choice(workdays, int(sessions)) <= cal.end).sum())
            req.append(held)
            passed.append(held - int(held > 0 and rng.random() < 0.12))
        avail_, worked_ = np.maximum(np.array(avail), 0.0), np.array(worked)
        load = worked_.sum() / max(avail_.sum(), 1.0)
        if load > 0.95:
            avail_ = avail_ * load / float(rng.uniform(0.88, 0.94))
        if hi <= cal.end:
            busy = worked_ > 0.97 * avail_
            avail_ = np.where(busy, worked_ / rng.uniform(0.92, 0.97, len(crew)), avail_)
        rows["month"] += [first.strftime("%Y-%m")] * len(crew)
        rows["technician"] += [names[j] for j in crew]
        rows["available_hours"] += np.round(avail_, 1).tolist()
        rows["clocked_hours"] += worked
        rows["training_required"] += req
        rows["training_passed"] += passed
    return {
        k: np.array(v, dtype=object if k in ("month", "technician") else None)
        for k, v in rows.items()
    }


def _parts(p, cal, ro, rng) -> Frame:
    """Return a month-end parts snapshot per month, worth about 2.5 months of parts cost.

    A fixed set of slow parts (about 7%) has not moved for over 180 days: obsolete stock.
    """
    n = p.parts
    prefix = np.array(["06L", "5QD", "3G0", "1K0", "04E", "5N0", "2GA", "11A"], dtype=object)
    part_no = (
        prefix[np.arange(n) % len(prefix)]
        + np.char.zfill((115_000 + np.arange(n) * 37).astype(str), 6).astype(object)
        + np.array(list("ABCDEFGH"), dtype=object)[np.arange(n) % 8]
    )
    unit_cost = np.round(rng.lognormal(5.0, 1.1, n), 2)
    base_qty = np.maximum(1, rng.poisson(12, n) * (unit_cost < 300) + rng.poisson(3, n))
    obsolete = rng.random(n) < 0.07
    stale_since = cal.start - rng.integers(200, 600, n)
    months = cal.month_index(ro["open_day"])
    closed = ro["close_day"] != NO_DATE
    cost = np.bincount(months[closed], weights=ro["parts_cost"][closed], minlength=cal.n_months)
    target = 2.5 * (cost[:-1].mean() if cal.n_months > 1 else cost.mean())
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("month", "part_no", "qty", "unit_cost", "last_movement_date")
    }
    # Obsolete parts keep a fixed quantity worth about 6% of the stock.
    stale_value = float((base_qty * unit_cost)[obsolete].sum())
    base_qty = np.where(
        obsolete,
        np.maximum(1, np.round(base_qty * 0.06 * target / max(stale_value, 1.0))),
        base_qty,
    )
    for m, first in enumerate(cal.months):
        lo, hi = cal.month_bounds(m)
        qty = np.where(obsolete, base_qty, np.round(base_qty * rng.uniform(0.6, 1.4, n)))
        scale = target * rng.uniform(0.9, 1.1) / max(float((qty * unit_cost).sum()), 1.0)
        qty = np.where(obsolete, qty, np.maximum(0, np.round(qty * scale)))
        moved = np.where(obsolete, stale_since, min(hi, cal.end) - rng.integers(0, 75, n))
        moved = np.where(rng.random(n) < 0.02, NO_DATE, moved)
        keep = qty > 0
        rows["month"].append(np.full(int(keep.sum()), first.strftime("%Y-%m"), dtype=object))
        rows["part_no"].append(part_no[keep])
        rows["qty"].append(qty[keep].astype(float))
        rows["unit_cost"].append(unit_cost[keep])
        rows["last_movement_date"].append(moved[keep].astype(np.int64))
    return {k: np.concatenate(v) for k, v in rows.items()}


def _return_visits(cal, ro, rng) -> Frame:
    """Return visits (回访) by the advisor after most closed customer ROs."""
    ok = (ro["close_day"] != NO_DATE) & (ro["ro_type"] != "internal")
    ok &= rng.random(len(ok)) < 0.82
    n = int(ok.sum())
    u = rng.random(n)
    lag = np.where(
        u < 0.85,
        rng.integers(1, 4, n),
        np.where(u < 0.95, rng.integers(4, 8, n), rng.integers(8, 12, n)),
    )
    day = ro["close_day"][ok] + lag
    keep = day <= cal.end
    return {
        "day": day[keep],
        "customer_id": ro["customer_id"][ok][keep],
        "consultant": ro["advisor"][ok][keep],
        "kind": np.full(int(keep.sum()), "return_visit", dtype=object),
        "level": np.full(int(keep.sum()), None, dtype=object),
    }
