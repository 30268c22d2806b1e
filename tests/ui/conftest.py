"""App-test fixtures: the demo (or sample) database, an empty and a missing one, AppTest runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from warehouse.db import connect

ROOT = Path(__file__).resolve().parents[2]
DEMO_TODAY = "2026-11-25"
PAGES = [
    "pages/overview.py",
    "pages/sales.py",
    "pages/inventory.py",
    "pages/service.py",
    "pages/workshop.py",
    "pages/order_planning.py",
    "pages/manufacturer.py",
    "pages/data_status.py",
]


def resolve_app_db(request, tmp_path_factory) -> Path:
    """Return tests/conftest.py's demo_db when it exists, else the small sample store."""
    try:
        return request.getfixturevalue("demo_db")
    except pytest.FixtureLookupError:
        from tests.ui.sample_store import build

        return build(tmp_path_factory.mktemp("app") / "sample.duckdb")


@pytest.fixture(scope="session")
def app_db(request, tmp_path_factory) -> Path:
    """Return a database with data for the app tests, every store made public explicitly
    (stores are private by default; tests/ui/test_auth.py covers the private ones)."""
    from tests.ui.signin import public_copy

    source = resolve_app_db(request, tmp_path_factory)
    return public_copy(source, tmp_path_factory.mktemp("public") / source.name)


@pytest.fixture(scope="session")
def empty_db(tmp_path_factory) -> Path:
    """Return a database file with the schema and no rows."""
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    with connect(path):
        pass
    return path


@pytest.fixture
def run_app(monkeypatch):
    """Return run(db, page, lang): an AppTest of dashboard.py showing `page` in `lang`."""
    monkeypatch.setenv("KPI_TODAY", DEMO_TODAY)

    def run(db: Path, page: str | None = None, lang: str = "en", **state) -> AppTest:
        monkeypatch.setenv("KPI_DB", str(db))
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
        at.session_state["lang"] = lang
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if page:
            at.switch_page(page)
            at.run()
        return at

    return run
