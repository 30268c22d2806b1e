"""A small two-store database file for app tests, built with tests.helpers.insert.

Used until (and besides) the demo generator's `demo_db` fixture: three months of traffic,
orders, stock, repair orders, roster, parts, targets and surveys ending 2026-11-25.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from tests.helpers import insert
from warehouse.db import bump_data_version, connect
from warehouse.spec import TABLES

END = date(2026, 11, 25)
CHANNELS = ["autohome", "dongchedi", "wechat", "referral", "walk_by", "showroom_event"]
MODELS = ["Sylphy", "X-Trail", "Qashqai"]
CONSULTANTS = ["王丽", "李强", "张伟"]
TECHS = ["刘师傅", "陈师傅"]
RO_TYPES = ["maintenance", "repair", "warranty", "accident", "internal"]


def _days(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


def _bulk(con, table: str, rows: list[dict], store: str) -> None:
    """Insert many rows at once (tests.helpers.insert does one statement per row)."""
    spec = TABLES[table]
    frame = pd.DataFrame(
        [{c.name: r.get(c.name, c.default) for c in spec.columns} for r in rows],
        columns=list(spec.names),
    ).astype(object)
    frame.insert(0, "store", store)
    con.register("rows_df", frame)
    cols = ", ".join(frame.columns)
    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM rows_df")
    con.unregister("rows_df")


def build(path: Path, stores: tuple[str, ...] = ("s1", "s2")) -> Path:
    """Write the sample database to `path` and return it."""
    rnd = random.Random(7)
    with connect(path) as con:
        for store in stores:
            traffic, orders, vehicles, ros, followups, surveys = [], [], [], [], [], []
            n = 0
            for d in _days(date(2025, 10, 1), END):
                for _ in range(rnd.randint(1, 4)):
                    n += 1
                    cust = f"{store}-c{n}"
                    kind = "walk_in" if rnd.random() < 0.75 else "phone"
                    traffic.append(
                        {
                            "visit_id": f"{store}-v{n}",
                            "visit_date": d,
                            "kind": kind,
                            "first_visit": rnd.random() < 0.7,
                            "channel": rnd.choice(CHANNELS),
                            "consultant": rnd.choice(CONSULTANTS),
                            "customer_id": cust,
                            "lead_level": rnd.choice("HABC"),
                            "model_interest": rnd.choice(MODELS),
                            "test_drive": kind == "walk_in" and rnd.random() < 0.4,
                        }
                    )
                    if kind == "walk_in" and rnd.random() < 0.3:
                        status = rnd.choice(["delivered", "delivered", "open", "cancelled"])
                        delivered = d + timedelta(days=rnd.randint(3, 20))
                        if delivered > END:
                            status = "open" if status == "delivered" else status
                        model = rnd.choice(MODELS)
                        vin = f"{store}VIN{n:06d}"
                        cost = rnd.randint(120, 200) * 1000
                        orders.append(
                            {
                                "order_id": f"{store}-o{n}",
                                "order_date": d,
                                "delivery_date": delivered if status == "delivered" else None,
                                "status": status,
                                "customer_id": cust,
                                "consultant": rnd.choice(CONSULTANTS),
                                "model": model,
                                "vin": vin if status == "delivered" else None,
                                "sale_type": rnd.choice(["retail"] * 8 + ["fleet"]),
                                "buyer_type": rnd.choice(["private"] * 5 + ["corporate"]),
                                "channel": rnd.choice(CHANNELS),
                                "sale_price": cost + rnd.randint(-3, 8) * 1000,
                                "vehicle_cost": cost,
                                "rebate": 2000,
                                "finance": rnd.random() < 0.5,
                                "insurance": rnd.random() < 0.8,
                                "fi_income": 3000,
                                "trade_in": rnd.random() < 0.2,
                                "accessories_revenue": 5000,
                                "accessories_cost": 3000,
                            }
                        )
                        if status == "delivered":
                            vehicles.append(
                                {
                                    "vin": vin,
                                    "model": model,
                                    "arrival_date": d - timedelta(days=rnd.randint(5, 60)),
                                    "cost": cost,
                                }
                            )
                    if rnd.random() < 0.2:
                        followups.append(
                            {
                                "followup_id": f"{store}-f{n}",
                                "followup_date": min(END, d + timedelta(days=2)),
                                "customer_id": cust,
                                "consultant": rnd.choice(CONSULTANTS),
                                "kind": "lead_followup",
                                "lead_level": rnd.choice("HABC"),
                            }
                        )
                for k in range(rnd.randint(2, 6)):
                    ro_type = rnd.choice(RO_TYPES)
                    closed = d + timedelta(days=rnd.randint(0, 3))
                    ros.append(
                        {
                            "ro_id": f"{store}-r{d:%Y%m%d}-{k}",
                            "open_date": d,
                            "close_date": closed if closed <= END - timedelta(days=1) else None,
                            "vin": f"{store}CAR{rnd.randint(1, 400):04d}",
                            "customer_id": f"{store}-s{rnd.randint(1, 400)}",
                            "ro_type": ro_type,
                            "advisor": rnd.choice(["赵敏", "孙浩"]),
                            "technician": rnd.choice(TECHS),
                            "labor_hours": rnd.randint(1, 6),
                            "labor_revenue": rnd.randint(2, 12) * 100,
                            "labor_cost": 150,
                            "parts_revenue": rnd.randint(0, 30) * 100,
                            "parts_cost": rnd.randint(0, 18) * 100,
                            "comeback": rnd.random() < 0.05 if ro_type == "repair" else False,
                        }
                    )
                if d.day == 15:
                    surveys.append(
                        {
                            "survey_id": f"{store}-sv{d:%Y%m}",
                            "survey_date": d,
                            "department": "service",
                            "customer_id": f"{store}-c1",
                            "score": rnd.randint(7, 10),
                            "recommend": rnd.randint(5, 10),
                        }
                    )
            for i, model in enumerate(MODELS * 4):
                aged = date(2026, 5, 1) + timedelta(days=i * 13)
                vehicles.append(
                    {
                        "vin": f"{store}STK{i:03d}",
                        "model": model,
                        "arrival_date": aged,
                        "cost": 150000 + i * 1000,
                    }
                )
            for i, model in enumerate(MODELS):
                vehicles.append(
                    {
                        "vin": f"{store}TRN{i:03d}",
                        "model": model,
                        "ordered_date": date(2026, 11, 1),
                        "eta": date(2026, 12, 5) + timedelta(days=i * 20),
                        "cost": 160000,
                    }
                )
            months = [f"2025-{m:02d}" for m in (10, 11, 12)] + [
                f"2026-{m:02d}" for m in range(1, 12)
            ]
            techs = [
                {
                    "month": m,
                    "technician": tech,
                    "available_hours": 176,
                    "clocked_hours": 150,
                    "training_required": 2,
                    "training_passed": 1 + (j % 2),
                }
                for m in months
                for j, tech in enumerate(TECHS)
            ]
            parts = [
                {
                    "month": m,
                    "part_no": f"P{p:03d}",
                    "qty": 5 + p,
                    "unit_cost": 80.0 + p,
                    "last_movement_date": date(2025, 1, 1) if p % 5 == 0 else date(2026, 10, 1),
                }
                for m in months[-3:]
                for p in range(12)
            ]
            targets = [
                {"month": m, "consultant": None, "metric": "deliveries", "target": 30}
                for m in months
            ]
            expenses = [
                {
                    "month": m,
                    "department": "sales",
                    "category": "rent",
                    "amount": 80000,
                    "fixed": True,
                }
                for m in months
            ]
            for table, rows in (
                ("traffic", traffic),
                ("orders", orders),
                ("vehicles", vehicles),
                ("repair_orders", ros),
                ("technicians", techs),
                ("parts_stock", parts),
                ("targets", targets),
                ("expenses", expenses),
                ("surveys", surveys),
                ("followups", followups),
            ):
                _bulk(con, table, rows, store)
            insert(
                con,
                "campaigns",
                [
                    {
                        "campaign_id": "ev1",
                        "month": "2026-11",
                        "kind": "showroom_event",
                        "channel": "showroom_event",
                        "name": "Open day",
                        "spend": 20000,
                        "invited": 40,
                    }
                ],
                store=store,
            )
        bump_data_version(con)
    return path


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sample_store.duckdb")))
