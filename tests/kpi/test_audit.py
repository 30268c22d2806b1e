"""The KPI library stays pure: no streamlit, and no file or network access while computing.

An import audit in a fresh interpreter, not a grep: every module of kpi/ except the
command-line entry is imported, then the whole report is computed on an in-memory database
under a Python audit hook that records every file opened and every socket used.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AUDIT = r"""
import importlib, json, pkgutil, sys, sysconfig
from datetime import date
import kpi
modules = sorted(m.name for m in pkgutil.iter_modules(kpi.__path__) if m.name != "__main__")
for name in modules:
    importlib.import_module(f"kpi.{name}")
from tests.helpers import insert, memory_db
from kpi.report import build_report
from kpi.scope import Scope
con = memory_db()
insert(con, "traffic", [{"visit_id": "v1", "visit_date": date(2026, 9, 3), "kind": "walk_in",
                          "first_visit": True, "test_drive": True, "customer_id": "c1"}])
insert(con, "orders", [{"order_id": "o1", "order_date": date(2026, 9, 4), "status": "delivered",
                         "delivery_date": date(2026, 9, 9), "customer_id": "c1",
                         "sale_type": "retail", "buyer_type": "private", "sale_price": 100.0,
                         "vehicle_cost": 90.0, "rebate": 0.0, "fi_income": 0.0,
                         "accessories_revenue": 0.0, "accessories_cost": 0.0,
                         "finance": False, "insurance": True, "trade_in": False}])
scope = Scope.for_month("2026-09", today=date(2026, 9, 20))
stdlib = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
events = []
def hook(event, args):
    if event == "open":
        path = str(args[0])
        if not any(path.startswith(p) for p in stdlib) and not path.endswith((".py", ".pyc")):
            events.append(f"open {path}")
    elif event.startswith("socket."):
        events.append(event)
sys.addaudithook(hook)
report = build_report(con, scope)
print(json.dumps({"modules": modules, "streamlit": "streamlit" in sys.modules,
                  "events": events, "kpis": len(report["kpis"])}))
"""


def run_audit() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", AUDIT], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_kpi_library_imports_no_streamlit_and_opens_no_file():
    audit = run_audit()
    # every section module is really imported, so the audit covers them
    for name in ("catalogue", "sales", "targets", "inventory", "service", "report", "scope"):
        assert name in audit["modules"]
    assert audit["streamlit"] is False
    assert audit["events"] == []
    assert audit["kpis"] > 50
