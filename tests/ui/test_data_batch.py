"""ui.data.batch(): the KPI calls of a page share one read-only connection, closed after."""

from __future__ import annotations

from contextlib import contextmanager

import duckdb
import pytest

from ui import data
from warehouse.db import connect


@pytest.fixture
def db_file(tmp_path) -> str:
    path = tmp_path / "b.duckdb"
    with connect(path):  # creates the schema
        pass
    return str(path)


def test_readers_in_a_batch_are_one_connection_closed_at_the_end(db_file):
    with data.batch():
        with data._reader(db_file) as first:
            assert first.execute("SELECT 1").fetchone() == (1,)
        with data._reader(db_file) as second:
            assert second is first  # still open, reused
        with data.batch():  # a nested block leaves the connection to the outer one
            with data._reader(db_file) as third:
                assert third is first
        assert second.execute("SELECT 2").fetchone() == (2,)
    with pytest.raises(duckdb.ConnectionException):
        first.execute("SELECT 3")  # closed with the block


def test_outside_a_batch_each_reader_is_its_own(db_file):
    with data._reader(db_file) as first:
        pass
    with pytest.raises(duckdb.ConnectionException):
        first.execute("SELECT 1")
    with data._reader(db_file) as second:
        assert second is not first
        assert second.execute("SELECT 1").fetchone() == (1,)


def test_a_failed_call_keeps_the_batch_usable(db_file):
    with data.batch():
        with pytest.raises(duckdb.CatalogException):
            with data._reader(db_file) as con:
                con.execute("SELECT * FROM no_such_table")
        with data._reader(db_file) as again:
            assert again is con
            assert again.execute("SELECT 4").fetchone() == (4,)


@pytest.mark.parametrize("page", [None, "pages/sales.py"], ids=["default page", "sales"])
def test_a_reading_page_computes_on_one_connection(run_app, app_db, monkeypatch, page):
    # dashboard.py runs the pages marked reads_only inside batch(), the default page too
    # (Streamlit serves it at "/", url_path ""): every computation of a cold run reads
    # through one connection.
    import streamlit as st

    opened = []
    real = data._reader

    @contextmanager
    def recording(path):
        with real(path) as con:
            opened.append(id(con))
            yield con

    monkeypatch.setattr(data, "_reader", recording)
    st.cache_data.clear()
    at = run_app(app_db)  # the default page
    if page:
        opened.clear()
        st.cache_data.clear()
        at.switch_page(page)
        at.run()
    assert not at.exception
    assert len(opened) > 5  # the cold run computed (the caches were empty)
    assert len(set(opened)) == 1
