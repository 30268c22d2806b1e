"""Each kpi module's SUMMARY_IDS is the catalogue's list for it and what its summary() returns.

The catalogue (kpi/catalogue.py) names the module that computes each KPI (`KPI.module`);
`summary_ids(module)` is that module's scalar KPIs in catalogue order, and the modules' own
SUMMARY_IDS (DataFrame columns of by_store and monthly) are read from it, never listed again.
"""

from __future__ import annotations

from datetime import date
from importlib import import_module

import pytest

from kpi import backlog, customers, finance, inventory, leads, programs, sales, service, targets
from kpi.catalogue import CATALOGUE, SECTIONS, summary_ids
from kpi.scope import Scope

SEPT = Scope.for_month("2026-09", today=date(2026, 10, 20), store="s1")
MODULES = sorted({k.module for k in CATALOGUE.values()})


def test_modules_default_to_their_section_and_name_the_exceptions():
    assert MODULES == sorted([*SECTIONS, "backlog", "forecast", "leads"])
    assert [i for i, k in CATALOGUE.items() if k.module != k.section] == [
        "backlog_orders", "backlog_unmatched", "backlog_age_days",  # kpi/backlog.py
        "deliveries_forecast", "deliveries_forecast_low", "deliveries_forecast_high",
        "lead_capture_rate", "lost_leads", "lost_rate", "lost_reasons",  # kpi/leads.py
    ]  # fmt: skip


@pytest.mark.parametrize("module", MODULES)
def test_every_module_is_a_kpi_module_within_one_section(module):
    assert import_module(f"kpi.{module}")
    assert len({k.section for k in CATALOGUE.values() if k.module == module}) == 1


def test_summary_ids_are_scalars_in_catalogue_order():
    assert summary_ids("backlog") == ("backlog_orders", "backlog_unmatched", "backlog_age_days")
    assert summary_ids("leads") == ("lead_capture_rate", "lost_leads", "lost_rate")  # no table
    assert summary_ids("inventory")[-1] == "floorplan_cost"  # order_gap is a table
    assert summary_ids("sales")[:3] == ("walk_in_batches", "first_visit_batches", "phone_batches")
    with pytest.raises(KeyError, match="marketing"):
        summary_ids("marketing")  # every marketing KPI is a table
    with pytest.raises(KeyError, match="nowhere"):
        summary_ids("nowhere")


@pytest.mark.parametrize(
    "module",
    [sales, service, inventory, customers, backlog, targets, leads],
    ids=lambda m: m.__name__,
)
def test_summary_ids_of_the_modules_come_from_the_catalogue(module):
    name = module.__name__.removeprefix("kpi.")
    assert module.SUMMARY_IDS == summary_ids(name)
    assert isinstance(module.SUMMARY_IDS, tuple)
    assert all(CATALOGUE[i].module == name for i in module.SUMMARY_IDS)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (sales, summary_ids("sales")),
        (service, summary_ids("service")),
        (inventory, summary_ids("inventory")),
        (customers, summary_ids("customers")),
        (backlog, summary_ids("backlog")),
        (leads, summary_ids("leads")),
        (finance, summary_ids("finance")),
        (programs, summary_ids("programs")),
        # targets.summary() also gives the month's forecast (kpi/forecast.py)
        (targets, summary_ids("targets") + summary_ids("forecast")),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_summary_returns_the_catalogue_list_in_order(con, module, expected):
    # An empty store: every scalar KPI is still a key (None or 0), in the catalogue's order.
    found = module.summary(con, SEPT)
    assert tuple(k for k in found if k in CATALOGUE) == expected
    assert all(CATALOGUE[k].kind == "scalar" for k in found if k in CATALOGUE)


def test_targets_forecast_ids_come_from_the_catalogue():
    assert targets.FORECAST_IDS == (
        "deliveries_forecast", "deliveries_forecast_low", "deliveries_forecast_high"
    )  # fmt: skip
