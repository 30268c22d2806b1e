"""Which KPI cards each screen shows, in what order: the one place a card is placed.

What a KPI is (label, unit, formula, lines) and which kpi module computes it are the
catalogue's (kpi/catalogue.py, `KPI.module`); this module only places cards. Where a screen
shows a module's KPIs but a few, its list is the module's SUMMARY_IDS (catalogue order) less
those few, so a KPI added to the catalogue gets its card there by itself; where a screen picks
and orders a few KPIs, they are named once, here. tests/ui/test_page_cards.py checks that every
id is a scalar KPI of the module its screen reads it from.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from kpi import backlog, customers, finance, inventory, leads, sales, service, targets
from kpi.catalogue import get

# ---- Overview and group view ---------------------------------------------------------------

# Each department's headline KPIs, in the order a GM reads them: the Overview's cards
# (pages/overview.py) and the columns the group view compares stores on (ui/group_view.py).
HEADLINES: dict[str, tuple[str, ...]] = {
    "sales": ("deliveries", "orders", "walk_in_batches", "close_rate", "test_drive_rate",
              "total_gross_per_unit", "finance_penetration", "cancellation_rate"),
    "inventory": ("stock_units", "inventory_months", "aged_units_90", "capital_tied_up"),
    "service": ("service_revenue", "ro_count", "service_gross_margin", "first_time_fix_rate"),
    "workshop": ("tech_productivity", "tech_efficiency", "training_compliance",
                 "parts_months_supply"),
    "customers": ("csi_service", "csi_sales", "followup_compliance", "net_profit"),
}  # fmt: skip
# What the group view ranks stores on after a department's headlines: where one store's stock
# sits longer, its workshop leaves more open, or its after-sales carries less of its overhead
# than the others' (docs/DECISIONS.md, "Headline KPIs").
GROUP_EXTRAS: dict[str, tuple[str, ...]] = {
    "inventory": ("avg_days_in_stock",),
    "service": ("open_ros",),
    "customers": ("service_absorption",),
}

# ---- department pages ----------------------------------------------------------------------

# pages/sales.py (kpi.sales): the top row, then titled rows (i18n key -> cards).
SALES = ("walk_in_batches", "phone_batches", "test_drive_rate", "orders", "deliveries",
         "close_rate", "daily_walk_ins", "units_per_consultant")  # fmt: skip
SALES_ROWS: dict[str, tuple[str, ...]] = {
    "sales.mix": ("fleet_share", "corporate_share", "event_traffic_share", "cancellation_rate"),
    "sales.gross": ("front_gross_per_unit", "total_gross_per_unit", "accessories_per_unit",
                    "accessories_margin"),
    "sales.penetration": ("finance_penetration", "insurance_penetration", "trade_in_rate"),
    "sales.closing": ("close_rate", "cohort_close_rate", "phone_to_visit_rate"),
}  # fmt: skip
# The order backlog under the Sales page (ui/backlog_view.py): every backlog KPI.
BACKLOG = backlog.SUMMARY_IDS
# pages/marketing.py (kpi.sales): the traffic and orders the spend brought.
MARKETING = ("walk_in_batches", "phone_batches", "orders", "event_traffic_share")

# pages/inventory.py: every inventory KPI but the two that restate inventory_months (its
# denominator, shown in the table by model, and the same ratio in days).
_RESTATED = ("avg_monthly_sales_3m", "days_supply")
INVENTORY = tuple(i for i in inventory.SUMMARY_IDS if i not in _RESTATED)

# pages/workshop.py (kpi.service): technicians first, then parts.
WORKSHOP = ("tech_productivity", "tech_efficiency", "tech_proficiency", "revenue_per_technician",
            "training_compliance", "parts_turnover", "parts_months_supply",
            "obsolete_parts_value")  # fmt: skip
# pages/service.py: every after-sales KPI that is not on the Workshop page.
SERVICE = tuple(i for i in service.SUMMARY_IDS if i not in WORKSHOP)

# pages/customers.py: every customer KPI, the complaints' own under the complaint list.
COMPLAINTS = ("complaint_close_days",)
CUSTOMERS = tuple(i for i in customers.SUMMARY_IDS if i not in COMPLAINTS)
# Lead capture and lost leads on the Customers page (ui/leads_view.py): every leads KPI.
LEADS = leads.SUMMARY_IDS

# pages/finance.py (kpi.finance): gross to profit, then what carries the overhead.
FINANCE = ("total_gross", "total_expenses", "net_profit", "service_absorption", "vehicle_gross",
           "fi_gross", "accessories_gross", "break_even_units")  # fmt: skip
# Its capital column (kpi.inventory): the money in stock and what it costs.
CAPITAL = ("capital_tied_up", "floorplan_cost")

# A consultant's page (ui/consultant_view.py): their sales funnel and gross, their follow-ups.
CONSULTANT_SALES = ("phone_batches", "walk_in_batches", "first_visit_batches", "test_drives",
                    "orders", "deliveries", "close_rate", "total_gross_per_unit",
                    "finance_penetration", "insurance_penetration")  # fmt: skip
CONSULTANT_CUSTOMERS = ("followup_compliance", "overdue_followups")

# ---- helpers -------------------------------------------------------------------------------

# The kpi modules whose summary() the cards read, by the catalogue's module name.
_MODULES: dict[str, ModuleType] = {
    m.__name__.removeprefix("kpi."): m
    for m in (backlog, customers, finance, inventory, leads, sales, service, targets)
}


def module_of(kpi_id: str) -> ModuleType:
    """Return the kpi module that computes a KPI (the catalogue's `module`)."""
    return _MODULES[get(kpi_id).module]


def by_module(ids: Sequence[str]) -> dict[ModuleType, list[str]]:
    """Return the ids grouped by the kpi module that computes them, in order of first use."""
    out: dict[ModuleType, list[str]] = {}
    for kpi_id in dict.fromkeys(ids):
        out.setdefault(module_of(kpi_id), []).append(kpi_id)
    return out


def headline_ids(department: str = "all", group: bool = False) -> list[str]:
    """Return one department's headline ids, or every department's in order, without repeats.

    ``group=True`` adds the group view's extras after each department's headlines.
    """
    ids = [
        kpi_id
        for dept, headlines in HEADLINES.items()
        if department in ("all", dept)
        for kpi_id in (*headlines, *(GROUP_EXTRAS.get(dept, ()) if group else ()))
    ]
    return list(dict.fromkeys(ids))
