"""Build one store's back-office tables: targets, expenses, surveys, complaints, follow-ups.

These follow from the showroom and workshop simulations: targets stretch each month's
activity a little, expenses are sized so the store earns a thin margin, surveys and return
visits come after deliveries and closed repair orders.

Targets and expenses are monthly amounts, so a running month (the last one, cut at the end
date) holds whole-month figures like the complete months: its expected activity (what happened
so far, the rest of the month at the pace of the recent complete months). The KPIs accrue
expenses to as_of and read targets against time progress.
"""

from __future__ import annotations

import numpy as np

from warehouse.demo_sales import Frame, Sales, take
from warehouse.demo_service import Service
from warehouse.demo_world import NO_DATE, Calendar, StoreProfile, day_text

SALES_COMPLAINTS = ("交车延迟", "价格争议", "服务态度", "手续办理", "精品加装")
SERVICE_COMPLAINTS = ("维修质量", "等待时间长", "收费争议", "服务态度", "配件缺货", "返修")


def _month_sum(cal: Calendar, days: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    ok = (days != NO_DATE) & (days >= cal.start) & (days <= cal.end)
    m = cal.month_index(days[ok])
    w = None if weights is None else weights[ok]
    return np.bincount(m, weights=w, minlength=cal.n_months).astype(float)


def _elapsed_share(cal: Calendar) -> np.ndarray:
    """Return, per window month, the share of its days inside the window (1 but the last)."""
    out = np.ones(cal.n_months)
    lo, hi = cal.month_bounds(cal.n_months - 1)
    out[-1] = (cal.end - lo + 1) / (hi - lo + 1)
    return out


def _whole_month(cal: Calendar, so_far: np.ndarray) -> np.ndarray:
    """Return each month's expected whole-month activity from its activity so far.

    Complete months are as they were; the running month adds, for its days still to come, the
    pace of the last three complete months (a one-month window extrapolates its own pace).
    """
    out = np.asarray(so_far, dtype=float).copy()
    share = _elapsed_share(cal)[-1]
    if share < 1:
        recent = out[max(0, cal.n_months - 4) : -1]
        out[-1] += (1 - share) * recent.mean() if len(recent) else out[-1] * (1 / share - 1)
    return out


def targets(
    p: StoreProfile, cal: Calendar, rng: np.random.Generator, sales: Sales, service: Service
) -> Frame:
    """Set monthly targets per consultant (four sales metrics) and the store's service revenue."""
    tr, o, ro = sales.traffic, sales.orders, service.repair_orders
    walk = tr["kind"] == "walk_in"
    live = o["status"] != "cancelled"
    actual = {
        "walk_in_batches": _month_sum(cal, tr["day"][walk]),
        "test_drives": _month_sum(cal, tr["day"][walk & tr["test_drive"]]),
        "orders": _month_sum(cal, o["order_day"][live]),
        "deliveries": _month_sum(cal, o["delivery_day"][o["status"] == "delivered"]),
    }
    actual = {k: _whole_month(cal, v) for k, v in actual.items()}
    names = np.array(sales.consultants, dtype=object)
    cons_of = {n: i for i, n in enumerate(sales.consultants)}
    ci = np.array([cons_of[c] for c in tr["consultant"][walk]], dtype=np.int64)
    months = cal.month_index(tr["day"][walk])
    by_cons = np.zeros((cal.n_months, len(names)))
    np.add.at(by_cons, (months, ci), 1.0)
    by_cons = np.where(sales.active, by_cons + 3.0, 0.0)  # newcomers still get a target
    frac = by_cons / by_cons.sum(axis=1, keepdims=True)
    rows: dict[str, list] = {"month": [], "consultant": [], "metric": [], "target": []}
    for m, first in enumerate(cal.months):
        mo = first.strftime("%Y-%m")
        for metric in ("deliveries", "orders", "walk_in_batches", "test_drives"):
            store_goal = actual[metric][m] * rng.uniform(0.97, 1.15)
            for j in np.flatnonzero(sales.active[m]):
                rows["month"].append(mo)
                rows["consultant"].append(names[j])
                rows["metric"].append(metric)
                rows["target"].append(float(max(1, round(store_goal * frac[m, j]))))
    closed = (ro["close_day"] != NO_DATE) & (ro["ro_type"] != "internal")
    revenue = _whole_month(
        cal,
        _month_sum(
            cal, ro["close_day"][closed], (ro["labor_revenue"] + ro["parts_revenue"])[closed]
        ),
    )
    for m, first in enumerate(cal.months):
        rows["month"].append(first.strftime("%Y-%m"))
        rows["consultant"].append(None)
        rows["metric"].append("service_revenue")
        goal = revenue[m] * rng.uniform(0.96, 1.12)
        rows["target"].append(float(round(goal, -3)))
    return {k: np.array(v, dtype=object if k != "target" else float) for k, v in rows.items()}


def expenses(
    p: StoreProfile, cal: Calendar, rng: np.random.Generator, sales: Sales, service: Service
) -> Frame:
    """Book monthly expenses per department: fixed overheads plus activity-driven costs.

    Fixed costs are sized so that after-sales gross covers about two thirds of them (service
    absorption); variable costs so that the store keeps roughly a tenth of its gross. The
    running month's rows are the whole month's expected amounts (its accrual basis): variable
    costs on the month's expected deliveries and repair orders, interest on the stock held on
    the end date for the whole month.
    """
    o, ro, camp = sales.orders, service.repair_orders, sales.campaigns
    d = o["status"] == "delivered"
    unit_gross = (
        o["sale_price"]
        - o["vehicle_cost"]
        + o["rebate"]
        + o["fi_income"]
        + o["accessories_revenue"]
        - o["accessories_cost"]
    )
    sales_gross = _whole_month(cal, _month_sum(cal, o["delivery_day"][d], unit_gross[d]))
    deliveries = _whole_month(cal, _month_sum(cal, o["delivery_day"][d]))
    closed = (ro["close_day"] != NO_DATE) & (ro["ro_type"] != "internal")
    sg = ro["labor_revenue"] + ro["parts_revenue"] - ro["labor_cost"] - ro["parts_cost"]
    service_gross = _whole_month(cal, _month_sum(cal, ro["close_day"][closed], sg[closed]))
    n_ros = _whole_month(cal, _month_sum(cal, ro["open_day"]))
    month_names = [m.strftime("%Y-%m") for m in cal.months]
    spend = np.array([camp["spend"][camp["month"] == mo].sum() for mo in month_names])
    veh = sales.vehicles
    interest = np.zeros(cal.n_months)
    for m in range(cal.n_months):
        lo, hi = cal.month_bounds(m)
        hi = min(hi, cal.end)
        sold = np.where(veh["_sold_day"] == NO_DATE, np.iinfo(np.int64).max, veh["_sold_day"])
        arr = np.where(veh["arrival_date"] == NO_DATE, np.iinfo(np.int64).max, veh["arrival_date"])
        stock = (arr <= hi) & (sold > hi)
        interest[m] = veh["cost"][stock].sum() * 0.05 / 12

    full = slice(0, max(1, cal.n_months - 1))
    fixed_total = service_gross[full].mean() / rng.uniform(0.62, 0.7) * p.expense_scale
    gross_total = (sales_gross + service_gross)[full].mean()
    per_unit = max(
        300.0,
        (0.9 * gross_total - fixed_total - spend[full].mean() - interest[full].mean())
        / max(deliveries[full].mean(), 1.0),
    )
    fixed_split = (
        ("sales", "salaries", 0.22),
        ("service", "salaries", 0.2),
        ("service", "tools", 0.04),
        ("parts", "salaries", 0.05),
        ("parts", "warehouse", 0.03),
        ("admin", "salaries", 0.14),
        ("admin", "rent", 0.22),
        ("admin", "utilities", 0.04),
        ("admin", "depreciation", 0.06),
    )
    rows: dict[str, list] = {k: [] for k in ("month", "department", "category", "amount", "fixed")}

    def add(mo: str, dept: str, cat: str, amount: float, fixed: bool) -> None:
        rows["month"].append(mo)
        rows["department"].append(dept)
        rows["category"].append(cat)
        rows["amount"].append(round(max(amount, 0.0), 2))
        rows["fixed"].append(fixed)

    for m, mo in enumerate(month_names):
        for dept, cat, w in fixed_split:
            noise = rng.uniform(0.97, 1.03) if cat in ("utilities", "salaries") else 1.0
            add(mo, dept, cat, fixed_total * w * noise, True)
        add(mo, "sales", "advertising", spend[m], False)
        add(mo, "sales", "commission", deliveries[m] * per_unit * 0.6, False)
        add(mo, "sales", "interest", interest[m], False)
        add(mo, "sales", "delivery", deliveries[m] * per_unit * 0.25, False)
        add(
            mo,
            "service",
            "consumables",
            n_ros[m] * per_unit * 0.15 * deliveries[full].mean() / max(n_ros[full].mean(), 1.0),
            False,
        )
        add(mo, "admin", "office", fixed_total * 0.02 * rng.uniform(0.8, 1.2), False)
    return {
        k: np.array(v, dtype=object if k in ("month", "department", "category") else None)
        for k, v in rows.items()
    }


def _scores(rng: np.random.Generator, n: int, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Draw satisfaction scores near a mean (mostly 9 and 10) and recommend answers."""
    score = 10 - np.minimum(10, rng.poisson(10 - mean, n))
    rec = np.clip(score + rng.integers(-1, 2, n), 0, 10).astype(float)
    rec = np.where(rng.random(n) < 0.9, rec, np.nan)  # some skip the NPS question
    return score.astype(float), rec


def surveys(
    p: StoreProfile, cal: Calendar, rng: np.random.Generator, sales: Sales, service: Service
) -> Frame:
    """Survey some customers after deliveries (sales) and closed repair orders (service)."""
    o, ro = sales.orders, service.repair_orders
    d = np.flatnonzero((o["status"] == "delivered") & (o["sale_type"] == "retail"))
    d = d[rng.random(len(d)) < 0.6]
    r = np.flatnonzero((ro["close_day"] != NO_DATE) & (ro["ro_type"] != "internal"))
    r = r[rng.random(len(r)) < 0.12]
    day = np.concatenate(
        [
            o["delivery_day"][d] + rng.integers(3, 11, len(d)),
            ro["close_day"][r] + rng.integers(2, 8, len(r)),
        ]
    )
    dept = np.array(["sales"] * len(d) + ["service"] * len(r), dtype=object)
    cust = np.concatenate([o["customer_id"][d], ro["customer_id"][r]])
    score, rec = _scores(rng, len(day), p.csi)
    score = np.where(dept == "service", np.maximum(0, score - (rng.random(len(day)) < 0.1)), score)
    keep = day <= cal.end
    out = {"day": day, "department": dept, "customer_id": cust, "score": score, "recommend": rec}
    out = take(out, keep)
    out = take(out, np.lexsort((out["department"].astype(str), out["day"])))
    out["survey_id"] = np.array(
        [f"SV{p.code}{i:06d}" for i in range(1, len(out["day"]) + 1)], dtype=object
    )
    return out


def complaints(p: StoreProfile, cal: Calendar, rng: np.random.Generator) -> Frame:
    """Log complaints: mostly service, a few major, recent ones still open."""
    per_month = 9.0 * (p.walk_ins / 1050) ** 0.7
    rows: dict[str, list] = {
        k: []
        for k in ("complaint_id", "day", "closed", "department", "category", "major", "satisfied")
    }
    for m, first in enumerate(cal.months):
        lo, hi = cal.month_bounds(m)
        hi = min(hi, cal.end)
        k = max(1, int(rng.poisson(per_month)))
        days = np.sort(rng.integers(lo, hi + 1, k))
        for i, day in enumerate(days):
            service_dept = rng.random() < 0.62
            major = rng.random() < 0.1
            closed = int(day + (rng.integers(5, 31) if major else rng.integers(1, 13)))
            if rng.random() < 0.02:
                closed += 120  # a dispute that drags on
            cats = SERVICE_COMPLAINTS if service_dept else SALES_COMPLAINTS
            rows["complaint_id"].append(f"TS{p.code}{first.strftime('%y%m')}{i + 1:03d}")
            rows["day"].append(int(day))
            rows["closed"].append(closed if closed <= cal.end else int(NO_DATE))
            rows["department"].append("service" if service_dept else "sales")
            rows["category"].append(cats[int(rng.integers(0, len(cats)))])
            rows["major"].append(bool(major))
            u = rng.random()
            rows["satisfied"].append(None if closed > cal.end or u > 0.95 else bool(u < 0.86))
    if int(NO_DATE) not in rows["closed"]:
        # A store always has a recent complaint still being handled (the Customers page's
        # open list); the draws above may close every one: the newest few days get one.
        first = cal.months[-1]
        n = sum(1 for c in rows["complaint_id"] if c.startswith(f"TS{p.code}{first:%y%m}"))
        rows["complaint_id"].append(f"TS{p.code}{first.strftime('%y%m')}{n + 1:03d}")
        rows["day"].append(int(max(cal.month_bounds(len(cal.months) - 1)[0], cal.end - 2)))
        rows["closed"].append(int(NO_DATE))
        rows["department"].append("service")
        rows["category"].append(SERVICE_COMPLAINTS[0])
        rows["major"].append(False)
        rows["satisfied"].append(None)
    return {
        k: np.array(
            v,
            dtype=object if k in ("complaint_id", "department", "category", "satisfied") else None,
        )
        for k, v in rows.items()
    }


def followups(p: StoreProfile, sales: Sales, service: Service) -> Frame:
    """Merge lead follow-ups and return visits into one contact log, numbered by day."""
    a, b = sales.followups, service.return_visits
    keys = ("day", "customer_id", "consultant", "kind", "level")
    out = {k: np.concatenate([a[k], b[k]]) for k in keys}
    order = np.lexsort((out["customer_id"].astype(str), out["kind"].astype(str), out["day"]))
    out = take(out, order)
    yymm = day_text(out["day"], "%y%m")
    out["followup_id"] = np.array(
        [f"FU{p.code}{m}{i:06d}" for i, m in enumerate(yymm.tolist(), start=1)], dtype=object
    )
    return out
