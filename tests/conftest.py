from datetime import date
from pathlib import Path

import pytest

from tests.helpers import memory_db

DEMO_END = date(2026, 11, 25)


@pytest.fixture
def con():
    """A fresh in-memory store database with the full schema."""
    c = memory_db()
    yield c
    c.close()


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> dict:
    """Build the three-store demo once per session (seed 7, 24 months to 2026-11-25).

    Returns build_demo's summary plus ``db`` (the database path) and ``out`` (the exports).
    """
    from warehouse.demo import build_demo

    root = tmp_path_factory.mktemp("demo")
    summary = build_demo(root / "store.duckdb", root / "exports", seed=7, end=DEMO_END, quiet=True)
    summary["db"] = root / "store.duckdb"
    summary["out"] = root / "exports"
    return summary


@pytest.fixture(scope="session")
def demo_db(demo_build) -> Path:
    """Return the path of the session's demo database (read it, do not write to it)."""
    return demo_build["db"]


@pytest.fixture(scope="session")
def group_db(tmp_path_factory) -> Path:
    """Three generated group stores (two brands, regions), 14 months to the demo's end."""
    from warehouse.group import build_group

    path = tmp_path_factory.mktemp("group") / "group.duckdb"
    build_group(path, stores=3, months=14, seed=7, end=DEMO_END, workers=1, quiet=True)
    return path


# Fixtures that build a whole demo store: a test using one belongs to `make test`, not to the
# fast loop of `make check` (pytest -m "not slow and not browser").
_SLOW_FIXTURES = {"demo_build", "demo_db", "app_db", "group_db"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
