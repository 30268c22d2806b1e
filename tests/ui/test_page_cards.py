"""Every screen's card list (ui/page_cards.py) names scalar KPIs of the module it is read with.

Pages and views pass these lists to the cards with a kpi module (``cards.section_cards(sales,
page_cards.SALES, scope)``): a card whose id that module does not compute would silently not
be drawn, so each list is checked against the catalogue's ``module`` here. No page or view
names KPI ids of its own for its cards: they are placed in ui/page_cards.py alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kpi import backlog, customers, finance, inventory, leads, sales, service
from kpi.catalogue import CATALOGUE
from ui import page_cards
from ui.i18n import t

ROOT = Path(__file__).resolve().parents[2]

# Each card list -> the kpi module its screen reads it with.
LISTS = {
    "SALES": sales,
    **{f"SALES_ROWS[{title}]": sales for title in page_cards.SALES_ROWS},
    "BACKLOG": backlog,
    "MARKETING": sales,
    "INVENTORY": inventory,
    "WORKSHOP": service,
    "SERVICE": service,
    "COMPLAINTS": customers,
    "CUSTOMERS": customers,
    "LEADS": leads,
    "FINANCE": finance,
    "CAPITAL": inventory,
    "CONSULTANT_SALES": sales,
    "CONSULTANT_CUSTOMERS": customers,
}


def _ids(name: str) -> tuple[str, ...]:
    if name.startswith("SALES_ROWS["):
        return page_cards.SALES_ROWS[name.removeprefix("SALES_ROWS[").removesuffix("]")]
    return getattr(page_cards, name)


def test_every_card_list_is_checked_here():
    public = {
        name
        for name, value in vars(page_cards).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, tuple | dict)
    }
    tables = {"HEADLINES", "GROUP_EXTRAS", "SALES_ROWS"}
    assert public == {n for n in LISTS if "[" not in n} | tables


@pytest.mark.parametrize("name", LISTS)
def test_card_list_names_scalar_kpis_of_its_module(name):
    ids, module = _ids(name), LISTS[name]
    assert ids and len(set(ids)) == len(ids), "no empty list, no card twice"
    for kpi_id in ids:
        assert kpi_id in CATALOGUE, f"{name}: {kpi_id} is not in the catalogue"
        kpi = CATALOGUE[kpi_id]
        assert kpi.kind == "scalar", f"{name}: {kpi_id} is a table, not a card"
        assert f"kpi.{kpi.module}" == module.__name__, (
            f"{name}: {kpi_id} is computed by kpi.{kpi.module} ({kpi.section} section), "
            f"not {module.__name__}"
        )


def test_derived_lists_cover_their_modules():
    # Every after-sales KPI has its card on the Service or the Workshop page, once.
    assert sorted(page_cards.SERVICE + page_cards.WORKSHOP) == sorted(service.SUMMARY_IDS)
    assert page_cards.CUSTOMERS + page_cards.COMPLAINTS == customers.SUMMARY_IDS
    assert set(inventory.SUMMARY_IDS) - set(page_cards.INVENTORY) == {
        "avg_monthly_sales_3m", "days_supply"
    }  # fmt: skip
    assert page_cards.LEADS == leads.SUMMARY_IDS and page_cards.BACKLOG == backlog.SUMMARY_IDS


@pytest.mark.parametrize("department", page_cards.HEADLINES)
def test_headlines_are_scalar_kpis_the_group_view_can_compare(department):
    assert t(f"dept.{department}", "en") != f"dept.{department}"  # a translated heading
    extras = page_cards.GROUP_EXTRAS.get(department, ())
    ids = page_cards.HEADLINES[department] + extras
    assert len(set(ids)) == len(ids), "an extra repeats a headline"
    for kpi_id in ids:
        assert CATALOGUE[kpi_id].kind == "scalar", kpi_id
        module = page_cards.module_of(kpi_id)
        assert hasattr(module, "by_store"), f"the group view cannot compare {kpi_id}"


def test_group_view_compares_the_headlines_plus_its_extras():
    assert set(page_cards.GROUP_EXTRAS) <= set(page_cards.HEADLINES)
    assert page_cards.headline_ids("inventory", group=True) == [
        "stock_units", "inventory_months", "aged_units_90", "capital_tied_up", "avg_days_in_stock",
    ]  # fmt: skip
    assert page_cards.headline_ids("inventory") == list(page_cards.HEADLINES["inventory"])
    every = page_cards.headline_ids()
    assert every[:2] == ["deliveries", "orders"] and every[-1] == "net_profit"
    assert [m.__name__ for m in page_cards.by_module(every)] == [
        "kpi.sales", "kpi.inventory", "kpi.service", "kpi.customers", "kpi.finance",
    ]  # fmt: skip


CARD_CALLS = {"section_cards", "section", "kpi_cards"}


def _literal_card_ids(path: Path) -> list[str]:
    """Return 'file:line' of each cards call whose ids are a list or tuple literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in CARD_CALLS or getattr(node.func.value, "id", "") != "cards":
            continue
        if any(isinstance(a, ast.List | ast.Tuple) for a in node.args):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_pages_and_views_take_their_cards_from_page_cards():
    files = [*sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]
    assert [hit for path in files for hit in _literal_card_ids(path)] == []
