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
