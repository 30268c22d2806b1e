import os
from datetime import date
from pathlib import Path

# One DuckDB thread per connection (warehouse.db.THREADS), set before warehouse is imported:
# pytest runs a worker per core, so every query spreading over both cores only adds switching
# (`make check` 58 s -> 53 s). Commands and servers the tests start inherit it.
os.environ.setdefault("KPI_DB_THREADS", "1")

import pytest  # noqa: E402

from tests.helpers import memory_db, release  # noqa: E402
from warehouse import auth  # noqa: E402

DEMO_END = date(2026, 11, 25)

# Password hashes. Production hashes at warehouse.auth.ITERATIONS (600,000 PBKDF2 rounds, about
# a third of a second each); at that cost the accounts' tests spent most of `make check` hashing.
# The tests of this process hash at TEST_ITERATIONS instead: real PBKDF2-HMAC-SHA256 with the
# same salts, stored format and comparisons, only fewer rounds. It is set here, in the test
# process, never through an environment variable or setting a deployment could carry by accident;
# servers and commands that tests start in another process hash at the production cost. A test
# marked `production_hash_cost` runs at PRODUCTION_ITERATIONS (the value auth.py defines).
PRODUCTION_ITERATIONS = auth.ITERATIONS
TEST_ITERATIONS = 1_000


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """Hash passwords at TEST_ITERATIONS for the whole test session (session fixtures too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth, "ITERATIONS", TEST_ITERATIONS)
        yield


@pytest.fixture(autouse=True)
def _production_hash_cost(request, monkeypatch):
    """Restore the production hash cost for a test marked `production_hash_cost`."""
    if request.node.get_closest_marker("production_hash_cost"):
        monkeypatch.setattr(auth, "ITERATIONS", PRODUCTION_ITERATIONS)


@pytest.fixture
def con():
    """A fresh in-memory store database with the full schema."""
    c = memory_db()
    yield c
    release(c)


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
