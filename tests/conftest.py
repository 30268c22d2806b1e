import pytest

from tests.helpers import memory_db


@pytest.fixture
def con():
    """A fresh in-memory store database with the full schema."""
    c = memory_db()
    yield c
    c.close()
