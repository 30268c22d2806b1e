"""The Upload page through the app (AppTest): detect, map, check, commit, remember the mapping,
refuse or partly import, say "already imported", and undo from the history."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.admin import save_store_settings
from tests.app.test_uploads import fingerprint
from tests.fixtures.messy.make_fixtures import read
from tests.ui.signin import sign_in, start, texts
from tests.ui.signin import with_accounts as copy_with_accounts
from ui.i18n import kpi_label
from warehouse.auth import User
from warehouse.db import connect

GBK = "traffic_gbk_title.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from tests.ui.sample_store import build

    return build(tmp_path_factory.mktemp("upload") / "sample.duckdb")


@pytest.fixture
def db(sample, tmp_path) -> Path:
    return copy_with_accounts(sample, tmp_path / "store.duckdb")


@pytest.fixture
def page(db, monkeypatch):
    """Return the Upload page signed in as the manager, store s1."""
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.switch_page("pages/upload.py").run()
    assert at.selectbox(key="upload-store").value == "s1"
    return at


def upload(at, *names: str, data: dict[str, bytes] | None = None):
    files = [(n, (data or {}).get(n) or read(n), "text/csv") for n in names]
    at.file_uploader[0].set_value(files)
    return at.run()


def mapping_box(at, header: str):
    return next(s for s in at.selectbox if s.label.startswith(header))


def check(at):
    at.button(key="upload-check").click()
    return at.run()


def commit(at):
    at.button(key="upload-commit").click()
    return at.run()


def frame(at, header: str):
    """Return the first dataframe on the page that has a column `header`."""
    return next(d.value for d in at.dataframe if header in d.value.columns)


def test_gbk_file_with_an_unknown_column_is_mapped_checked_and_imported(page, db):
    at = upload(page, GBK, "expenses_other_table.csv")
    tables = [s.value for s in at.selectbox if s.key and s.key.endswith("-table")]
    assert tables == ["traffic", "expenses"]
    assert texts(at.warning)[0].startswith("Columns not found: kind (来访类型).")
    assert texts(at.warning)[-1] == "Not imported unless fixed: traffic\\_gbk\\_title\\.csv"
    assert mapping_box(at, "接待方式").label == "接待方式 (not recognised)"
    caption = next(c for c in texts(at.caption) if c.startswith("Read as GBK"))
    assert caption == "Read as GBK · comma-separated; header on line 4; 4 data rows."

    mapping_box(at, "接待方式").set_value("kind")
    at.run()
    assert texts(at.success) == ["All 4 rows are fine.", "All 3 rows are fine."]
    before = fingerprint(db)
    at = check(at)
    assert fingerprint(db) == before  # the check writes nothing
    outcome = frame(at, "Status")
    assert outcome[["File", "Status", "New", "Updated", "Unchanged"]].values.tolist() == [
        ["traffic_gbk_title.csv", "Ready to import", 4, 0, 0],
        # the sample store has rent 80,000 for sales in 2026-11 already: unchanged
        ["expenses_other_table.csv", "Ready to import", 2, 0, 1],
    ]
    kpis = frame(at, "KPI")
    walk_ins = kpis[kpis["KPI"] == kpi_label("walk_in_batches", "en")]
    assert walk_ins["Change"].tolist() == ["+3"]  # U-001, U-002, U-004 (U-003 is a call)

    at = commit(at)
    assert texts(at.success)[0].startswith("traffic\\_gbk\\_title\\.csv\\: imported — 4 new")
    assert not at.file_uploader[0].value  # the files are cleared after the import
    with connect(db, read_only=True) as con:
        ids = dict(
            con.execute(
                "SELECT visit_id, customer_id FROM traffic WHERE visit_id LIKE 'U-%'"
            ).fetchall()
        )
        saved = con.execute(
            "SELECT column_name FROM column_mappings WHERE store = 's1' AND header = '接待方式'"
        ).fetchall()
    assert re.fullmatch(r"C[0-9a-f]{16}", ids["U-001"])  # the mobile number is stored hashed
    assert ids["U-002"] == "C-0002"
    assert saved == [("kind",)]
    history = frame(at, "Content hash")
    # newest first; one upload imports tables in the contract's order (expenses before traffic)
    assert history["File"].tolist() == ["traffic_gbk_title.csv", "expenses_other_table.csv"]
    assert history["By"].tolist() == ["boss", "boss"]


def test_the_saved_mapping_is_prefilled_next_time(page):
    at = upload(page, GBK)
    mapping_box(at, "接待方式").set_value("kind")
    commit(check(at.run()))
    next_month = read(GBK).replace(b"U-00", b"N-00").replace(b"2026/11/1", b"2026/11/2")
    at = upload(at, "next_month.csv", data={"next_month.csv": next_month})
    assert mapping_box(at, "接待方式").value == "kind"
    assert mapping_box(at, "接待方式").label == "接待方式"
    assert texts(at.success) == ["All 4 rows are fine."]


def test_the_same_file_again_is_already_imported(page):
    at = upload(page, GBK)
    mapping_box(at, "接待方式").set_value("kind")
    at = commit(check(at.run()))
    at = check(upload(at, GBK))
    status = frame(at, "Status")["Status"].tolist()[0]
    assert re.fullmatch(r"Already imported on \d{4}-\d\d-\d\d \d\d:\d\d: nothing changes", status)
    assert "Nothing to import." in texts(at.info)
    assert not [b for b in at.button if b.key == "upload-commit"]


def test_a_file_with_rejected_rows_is_refused_unless_valid_rows_are_chosen(page, db):
    at = upload(page, "traffic_truncated.csv")
    assert texts(at.error)[0] == "1 problem(s) in 1 row(s). By default the file is not imported."
    report = frame(at, "Reason")
    assert report[["File", "Line"]].values.tolist() == [["traffic_truncated.csv", 4]]
    assert "fields" in report["Reason"][0]  # the cut-off line 4 has 5 fields, the header 10
    assert not [b for b in at.button if b.key == "upload-check"]
    next(c for c in at.checkbox if c.label.startswith("Import the 2 valid rows")).check()
    at = commit(check(at.run()))
    with connect(db, read_only=True) as con:
        got = con.execute("SELECT visit_id FROM traffic WHERE visit_id LIKE 'T-%' ORDER BY 1")
        assert got.fetchall() == [("T-1",), ("T-2",)]


def test_month_first_dates_ask_for_the_date_order(page):
    at = upload(page, "orders_mdy.csv")
    assert any("day/month or month/day" in w for w in texts(at.warning))
    next(r for r in at.radio if r.key and r.key.endswith("-order")).set_value("MDY")
    at.run()
    assert texts(at.success) == ["All 2 rows are fine."]


def test_a_too_big_file_is_refused_with_the_limit(page):
    big = b"visit_id\n" + b"x" * (50 * 1024 * 1024)
    at = upload(page, "huge.csv", data={"huge.csv": big})
    assert texts(at.error) == [
        "This file is 50.0 MB; files up to 50 MB can be uploaded. Export a shorter period "
        "(e.g. one month) or split the file."
    ]


def test_undo_from_the_history_returns_to_the_state_after_the_first_import(page, db):
    at = commit(check(upload(page, "orders_bom.csv")))
    after_x = fingerprint(db)
    at = check(upload(at, "orders_update_bom.csv"))
    assert frame(at, "Status")[["New", "Updated", "Unchanged"]].values.tolist() == [[1, 1, 1]]
    at = commit(at)
    assert fingerprint(db) != after_x
    which = undo_widget(at.selectbox, "undo-which")
    assert which.value is None  # nothing preselected: the manager picks what to undo
    assert "orders_update_bom.csv" in which.options[0]  # the newest first
    pick_first(which, db)
    at.run()
    preview = [w for w in texts(at.warning) if w.startswith("Undoing removes")]
    assert preview and "2 Orders rows" in preview[0] and "puts back 1 earlier rows" in preview[0]
    assert undo_widget(at.button, "undo-go").disabled
    undo_widget(at.checkbox, "undo-sure").check()
    at.run()
    undo_widget(at.button, "undo-go").click()
    at.run()
    assert texts(at.success) == [
        "orders\\_update\\_bom\\.csv\\: undone — 2 rows removed, 1 earlier rows restored\\."
    ]
    assert fingerprint(db) == after_x
    # After an undo the selector starts empty again and a new confirm box takes its first click.
    which = undo_widget(at.selectbox, "undo-which")
    assert which.value is None
    pick_first(which, db)
    at.run()
    undo_widget(at.checkbox, "undo-sure").check()
    at.run()
    assert not undo_widget(at.button, "undo-go").disabled


def pick_first(which, db: Path) -> None:
    """Choose the selector's first option (the widget's values are import ids)."""
    with connect(db, read_only=True) as con:
        ids = [r[0] for r in con.execute("SELECT import_id FROM imports").fetchall()]
    which.set_value(next(i for i in ids if which.format_func(i) == which.options[0]))


def undo_widget(widgets, prefix: str):
    """Return the one widget whose key starts with ``prefix`` (keys carry the undo round)."""
    (found,) = [w for w in widgets if (w.key or "").startswith(prefix)]
    return found


def test_a_manager_fills_an_empty_database_from_the_upload_page(tmp_path, monkeypatch):
    empty = tmp_path / "empty.duckdb"
    with connect(empty) as con:
        from warehouse.auth import create_user

        create_user(con, "boss", "boss-secret", "manager")
    at = start(empty, monkeypatch)
    assert texts(at.title) == ["Welcome: no data yet"]
    # The first-run page points to Upload; the command lines are kept for IT in an expander.
    assert any("open **Upload** (数据导入)" in m for m in texts(at.markdown))
    assert "For IT: the command line and the server" in [e.label for e in at.expander]
    at = sign_in(at, "boss")
    assert at.get("page_link") and "Open Upload" in str(at.get("page_link")[0].proto)
    at.switch_page("pages/upload.py").run()
    assert texts(at.title) == ["Upload DMS exports"]
    assert at.selectbox(key="upload-store").value == "\x00new"
    assert at.text_input(key="upload-new-store").value == "main"
    at = commit(check(upload(at, "orders_bom.csv")))
    with connect(empty, read_only=True) as con:
        assert con.execute("SELECT store, count(*) FROM orders GROUP BY store").fetchall() == [
            ("main", 3)
        ]


def test_the_same_content_dropped_twice_is_taken_once(page):
    at = upload(page, GBK, "copy.csv", data={"copy.csv": read(GBK)})
    assert "copy.csv has the same content as traffic_gbk_title.csv; it is left out." in [
        c.replace("\\", "") for c in texts(at.caption)
    ]
    assert len([s for s in at.selectbox if s.key and s.key.endswith("-table")]) == 1


def test_rejection_reasons_and_their_download_are_in_chinese_on_the_chinese_page(db, monkeypatch):
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.session_state["lang"] = "zh"
    at.switch_page("pages/upload.py").run()
    header = (
        "ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
        "labor_revenue,parts_revenue,parts_cost"
    )
    bad = f"{header}\nR1,2026-08-05,2026-08-01,V1,C1,repair,A,T,2,1e309,100,50\n".encode()
    at = upload(at, "ro.csv", data={"ro.csv": bad})
    reasons = frame(at, "原因")["原因"].tolist()
    assert reasons == [
        "早于同一行的 open_date；close_date 不能早于 open_date",
        "不是有限的数字（太大无法保存，或为无穷大）；请检查该单元格",
    ]


def test_a_header_only_file_is_refused_on_the_page_in_chinese(db, monkeypatch):
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.session_state["lang"] = "zh"
    at.switch_page("pages/upload.py").run()
    header = (
        "ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
        "labor_revenue,parts_revenue,parts_cost\n"
    )
    at = upload(at, "ro.csv", data={"ro.csv": header.encode()})
    assert any("只有表头没有数据行" in e for e in texts(at.error))


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [("en", "is not a readable store database"), ("zh", "不是可读取的门店数据库")],
)
def test_a_damaged_database_file_reads_as_a_sentence_in_the_app(tmp_path, monkeypatch, lang,
                                                                 sentence):  # fmt: skip
    path = tmp_path / "store.duckdb"
    path.write_bytes(b"\x00garbage" * 4000)
    at = start(path, monkeypatch, lang=lang)
    assert not at.exception
    assert any(sentence in e for e in texts(at.error))


def test_the_history_shows_times_in_the_store_zone_and_follows_a_zone_change(page, db):
    # The store's zone is read once per data version (ui/upload_view.py _zone_cached); a saved
    # setting bumps the version, so the next rerun shows the new zone.
    at = commit(check(upload(page, "orders_bom.csv")))
    with connect(db, read_only=True) as con:
        (utc,) = con.execute("SELECT imported_at FROM imports").fetchone()
    shanghai = f"{utc + timedelta(hours=8):%Y-%m-%d %H:%M}"  # UTC+8
    assert frame(at, "Content hash")["Imported at"].tolist() == [shanghai]
    assert shanghai in undo_widget(at.selectbox, "undo-which").options[0]
    with connect(db) as con:
        save_store_settings(con, User("boss", "boss", "manager"), "s1", {"timezone": "Asia/Urumqi"})
    at.run()
    urumqi = f"{utc + timedelta(hours=6):%Y-%m-%d %H:%M}"  # UTC+6
    assert frame(at, "Content hash")["Imported at"].tolist() == [urumqi]
    assert urumqi in undo_widget(at.selectbox, "undo-which").options[0]
