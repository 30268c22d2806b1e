"""Uploads (app/uploads.py): detection, dry run, one-transaction commit, history, undo,
mapping memory and concurrent imports, on the messy fixture exports and real DuckDB files."""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest

from app import uploads
from tests.fixtures.messy.make_fixtures import read
from tests.helpers import copy_db, insert
from warehouse import importer, live
from warehouse.auth import User
from warehouse.db import connect
from warehouse.spec import TABLES

BOSS = User("boss", "Boss", "manager")
CLERK = User("clerk", "Clerk", "staff")
TODAY = dt.date(2026, 11, 25)
GBK_MAPPING = {"接待方式": "kind"}


def plan(name: str, table: str, **kw) -> uploads.FilePlan:
    return uploads.FilePlan(name, read(name), table, **kw)


def gbk_plan(**kw) -> uploads.FilePlan:
    return plan("traffic_gbk_title.csv", "traffic", mapping=dict(GBK_MAPPING), **kw)


def fingerprint(path: Path) -> dict[str, str]:
    """Return an md5 of every row of every contract table (and the stores), order-free."""
    out = {}
    with connect(path, read_only=True) as con:
        for table in [*TABLES, "stores"]:
            out[table] = con.execute(
                f"SELECT md5(coalesce(string_agg(CAST(x AS VARCHAR), '|' "
                f"ORDER BY CAST(x AS VARCHAR)), '')) FROM {table} x"
            ).fetchone()[0]
    return out


def rows(path: Path, sql: str, params: dict | None = None) -> list[tuple]:
    with connect(path, read_only=True) as con:
        return con.execute(sql, params or {}).fetchall()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A store database with two November walk-ins and a small stock ledger in store s1."""
    path = tmp_path_factory.mktemp("uploads") / "store.duckdb"
    with connect(path) as con:
        insert(
            con,
            "traffic",
            [
                {"visit_id": "V-1", "visit_date": dt.date(2026, 11, 2), "kind": "walk_in",
                 "first_visit": True, "channel": "autohome", "consultant": "王丽",
                 "customer_id": "K-1", "lead_level": "H", "model_interest": "Sylphy",
                 "test_drive": False},
                {"visit_id": "V-2", "visit_date": dt.date(2026, 11, 3), "kind": "walk_in",
                 "first_visit": True, "channel": "wechat", "consultant": "李强",
                 "customer_id": "K-2", "lead_level": "A", "model_interest": "X-Trail",
                 "test_drive": True},
            ],
        )  # fmt: skip
        insert(
            con,
            "vehicles",
            [
                {"vin": "V-OLD", "model": "Sylphy", "arrival_date": dt.date(2026, 10, 1),
                 "cost": 120000},
                {"vin": "V-SOLD", "model": "Sylphy", "arrival_date": dt.date(2026, 9, 1),
                 "sold_date": dt.date(2026, 10, 20), "cost": 118000},
            ],
        )  # fmt: skip
    return path


@pytest.fixture
def db(seeded, tmp_path) -> Path:
    """A copy of the seeded database (and its hash key file) for one test to change."""
    return copy_db(seeded, tmp_path / "store.duckdb")


# ------------------------------------------------------------------ reading the messy files


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("traffic_gbk_title.csv", "traffic"),
        ("orders_bom.csv", "orders"),
        ("orders_mdy.csv", "orders"),
        ("repair_orders_utf16.txt", "repair_orders"),
        ("repair_orders_bad_total.csv", "repair_orders"),
        ("traffic_truncated.csv", "traffic"),
        ("expenses_other_table.csv", "expenses"),
        ("parts_stock_semicolon.csv", "parts_stock"),
        ("vehicles_title.xlsx", "vehicles"),
    ],
)
def test_each_file_is_recognised_by_its_headers(name, table):
    assert uploads.detect_table(name, read(name)).table == table


def test_a_saved_mapping_makes_a_file_recognisable():
    headers = "编号,到访日,方式\nA-1,2026-11-01,来店\n".encode()
    assert uploads.detect_table("odd.csv", headers).table is None
    saved = {"traffic": {"编号": "visit_id", "到访日": "visit_date", "方式": "kind"}}
    # 3 columns named; traffic's header threshold is ceil(11 required / 2) = 6, so still None
    assert uploads.detect_table("odd.csv", headers, saved).table is None
    wide = "编号,到访日,方式,首次,来源,顾问,客户\nA-1,2026-11-01,来店,是,wechat,王丽,K\n".encode()
    saved["traffic"].update({"首次": "first_visit", "来源": "channel", "顾问": "consultant"})
    assert uploads.detect_table("odd.csv", wide, saved).table == "traffic"


def test_unreadable_files_say_why():
    found = uploads.detect_table("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert found.table is None
    assert "old Excel .xls workbook" in found.error


@pytest.mark.parametrize(
    ("name", "table", "mapping", "encoding", "delimiter", "header_line", "n_rows"),
    [
        ("traffic_gbk_title.csv", "traffic", GBK_MAPPING, "gbk", ",", 4, 4),
        ("orders_bom.csv", "orders", None, "utf-8-sig", ",", 1, 3),
        ("repair_orders_utf16.txt", "repair_orders", None, "utf-16-le", "\t", 2, 3),
        ("parts_stock_semicolon.csv", "parts_stock", None, "utf-8", ";", 1, 2),
        ("vehicles_title.xlsx", "vehicles", {"Stock In Date": "arrival_date"}, "xlsx", None, 3, 3),
    ],
)
def test_encodings_delimiters_and_title_rows(
    name, table, mapping, encoding, delimiter, header_line, n_rows
):
    pf = uploads.parse(uploads.FilePlan(name, read(name), table, mapping))
    assert (pf.encoding, pf.delimiter, pf.header_line, pf.row_count) == (
        encoding, delimiter, header_line, n_rows,
    )  # fmt: skip
    assert pf.problems == 0


def test_title_rows_blank_lines_and_total_row_of_the_gbk_file():
    pf = uploads.parse(gbk_plan())
    frame = pf.frame()
    # lines 5, 6, 8, 9: the title rows (1-2), a blank line (3), blank line 7, and the total
    # row on line 11 (after blank line 10) are skipped
    assert frame["line"].tolist() == [5, 6, 8, 9]
    assert frame["kind"].tolist() == ["walk_in", "walk_in", "phone", "walk_in"]
    assert "line 11: total row skipped" in pf.messages


def test_xlsx_money_and_real_date_cells():
    pf = uploads.parse(
        plan("vehicles_title.xlsx", "vehicles", mapping={"Stock In Date": "arrival_date"})
    )
    frame = pf.frame()
    assert frame["cost"].tolist() == [
        123450.5,
        180000.0,
        1234.5,
    ]  # ¥123,450.50 ¥180,000.00 ¥1,234.50
    assert frame["arrival_date"].tolist()[:2] == [dt.date(2026, 9, 20), dt.date(2026, 10, 25)]


def test_a_wrong_total_is_reported_on_its_line():
    pf = uploads.parse(plan("repair_orders_bad_total.csv", "repair_orders"))
    report = uploads.rejections_frame([pf])
    assert report[["line", "column", "value"]].values.tolist() == [[5, "labor_revenue", "3400"]]
    assert "rows add up to 3,300.00" in report["reason"][0]  # 300 + 1200 + 1800


def test_month_first_dates_need_the_date_order():
    plain = uploads.parse(plan("orders_mdy.csv", "orders"))
    assert plain.problems == 3  # 11/5/2026, 11/20/2026 and 11/12/2026 are ambiguous
    ordered = uploads.parse(plan("orders_mdy.csv", "orders", date_order="MDY"))
    assert ordered.problems == 0
    assert ordered.frame()["order_date"].tolist() == [dt.date(2026, 11, 5), dt.date(2026, 11, 12)]


def test_file_of_another_table_is_refused_with_the_reason():
    pf = uploads.parse(plan("expenses_other_table.csv", "traffic"))
    assert "looks like" in pf.error and "Import it as expenses" in pf.error


def test_size_limit_message():
    uploads.check_size("ok.csv", uploads.MAX_FILE_BYTES)
    with pytest.raises(uploads.UploadError, match=r"50\.0 MB; files up to 50 MB"):
        uploads.check_size("big.csv", 50 * 1024 * 1024 + 1)


def test_validation_report_download_escapes_formulas():
    from ui.download import to_csv  # here: the rest of tests/app loads no streamlit

    data = (
        "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
        "model_interest,test_drive\n"
        "V-9,2026-11-06,walk_in,=1+2,web,王丽,C-1,H,Sylphy,@SUM(A1)\n"
    ).encode()
    pf = uploads.parse(uploads.FilePlan("evil.csv", data, "traffic"))
    report = uploads.rejections_frame([pf])
    assert report["value"].tolist() == ["=1+2", "@SUM(A1)"]
    csv = to_csv(report).decode("utf-8-sig")
    assert ",'=1+2," in csv and ",'@SUM(A1)," in csv
    assert ",=1+2," not in csv and ",@SUM(A1)," not in csv


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("who", [None, CLERK, User("r", "R", "viewer")])
def test_writes_need_a_manager(db, who):
    before = fingerprint(db)
    with pytest.raises(PermissionError, match="manager"):
        uploads.commit(db, "s1", [gbk_plan()], who)
    with connect(db) as con, pytest.raises(PermissionError, match="manager"):
        uploads.undo_import(con, who, 1)
    with connect(db) as con, pytest.raises(PermissionError, match="manager"):
        uploads.save_mapping(con, who, "s1", "traffic", GBK_MAPPING, None)
    assert fingerprint(db) == before


# ------------------------------------------------------------------ dry run


def test_dry_run_counts_kpi_changes_and_writes_nothing(db):
    before = fingerprint(db)
    result = uploads.dry_run(db, "s1", [gbk_plan()], TODAY)
    assert fingerprint(db) == before
    [f] = result.files
    assert (f.status, f.inserted, f.updated, f.unchanged, f.rejected) == ("imported", 4, 0, 0, 0)
    assert result.kpi_months == ["2026-11"]
    changes = result.kpi_changes.set_index("kpi")
    # walk-ins: V-1, V-2 + U-001, U-002, U-004 = 5 (U-003 is a call)
    assert changes.loc["walk_in_batches", ["before", "after", "change"]].tolist() == [2, 5, 3]
    # test drives: V-2 + U-001 + U-004 = 3
    assert changes.loc["test_drives", ["before", "after"]].tolist() == [1, 3]
    assert set(changes["month"]) == {"2026-11"} and set(changes["store"]) == {"s1"}


def test_a_failing_kpi_library_leaves_the_counts(db, monkeypatch):
    import kpi.report

    def broken(con, scope):
        raise RuntimeError("boom")

    monkeypatch.setattr(kpi.report, "compute_kpis", broken)
    result = uploads.dry_run(db, "s1", [gbk_plan()], TODAY)
    assert result.files[0].inserted == 4
    assert result.kpi_error == "RuntimeError: boom"
    assert result.kpi_changes.empty


def test_dry_run_lists_vins_the_snapshot_no_longer_has(db):
    snapshot = plan("vehicles_title.xlsx", "vehicles", mapping={"Stock In Date": "arrival_date"})
    result = uploads.dry_run(db, "s1", [snapshot], TODAY)
    # V-OLD is unsold and not in the snapshot; V-SOLD has a sold date
    assert result.vanished_vins[["store", "vin"]].values.tolist() == [["s1", "V-OLD"]]
    assert result.files[0].inserted == 3


def test_dry_run_on_a_new_database(tmp_path):
    result = uploads.dry_run(tmp_path / "new.duckdb", "main", [gbk_plan()], TODAY)
    assert result.files[0].inserted == 4
    assert not (tmp_path / "new.duckdb").exists()


# ------------------------------------------------------------------ commit


def test_commit_imports_several_tables_and_hashes_mobile_numbers(db):
    result = uploads.commit(db, "s1", [gbk_plan(), plan("orders_bom.csv", "orders")], BOSS)
    assert [(f.name, f.status, f.inserted) for f in result.files] == [
        ("traffic_gbk_title.csv", "imported", 4),
        ("orders_bom.csv", "imported", 3),
    ]
    ids = dict(rows(db, "SELECT visit_id, customer_id FROM traffic WHERE visit_id LIKE 'U-%'"))
    assert re.fullmatch(r"C[0-9a-f]{16}", ids["U-001"])  # 13812345678, stored as a keyed hash
    assert ids["U-002"] == "C-0002" and ids["U-003"] is None
    assert "13812345678" not in str(rows(db, "SELECT * FROM traffic"))
    log = rows(
        db, "SELECT username, store, table_name, file_name, inserted FROM imports ORDER BY 1, 3"
    )
    assert log == [
        ("boss", "s1", "orders", "orders_bom.csv", 3),
        ("boss", "s1", "traffic", "traffic_gbk_title.csv", 4),
    ]


def test_one_transaction_for_every_table_of_an_upload(db):
    before = fingerprint(db)
    clash = [
        gbk_plan(),
        plan("orders_bom.csv", "orders"),
        uploads.FilePlan("copy.csv", read("orders_bom.csv") + b"\r\n", "orders"),
    ]
    with pytest.raises(uploads.UploadError, match="repeat a key of another file"):
        uploads.commit(db, "s1", clash, BOSS)
    # traffic is written before orders; the orders clash rolled it back with everything else
    assert fingerprint(db) == before
    assert rows(db, "SELECT count(*) FROM imports") == [(0,)]


def test_refused_file_is_left_out_unless_valid_rows_are_wanted(db):
    result = uploads.commit(db, "s1", [plan("traffic_truncated.csv", "traffic")], BOSS)
    assert result.files[0].status == "refused" and not result.committed
    assert rows(db, "SELECT count(*) FROM traffic WHERE visit_id LIKE 'T-%'") == [(0,)]
    result = uploads.commit(
        db, "s1", [plan("traffic_truncated.csv", "traffic", allow_partial=True)], BOSS
    )
    [f] = result.files
    assert (f.status, f.inserted, f.rejected) == ("imported", 2, 1)  # T-1, T-2; T-3 cut off
    assert rows(db, "SELECT rejected FROM imports") == [(1,)]


def test_the_same_file_again_changes_nothing_and_says_when(db):
    first = uploads.commit(db, "s1", [gbk_plan()], BOSS)
    when = rows(db, "SELECT imported_at FROM imports")[0][0]
    after = fingerprint(db)
    again = uploads.commit(db, "s1", [gbk_plan()], BOSS)
    assert again.files[0].status == "duplicate"
    assert again.files[0].already_on == when
    assert not again.committed and fingerprint(db) == after
    # the same bytes for another store are a new import
    other = uploads.commit(db, "s2", [gbk_plan()], BOSS)
    assert other.files[0].status == "imported"
    # once undone, the file may be imported again
    with connect(db) as con:
        uploads.undo_import(con, BOSS, other.import_ids[0])
        uploads.undo_import(con, BOSS, first.import_ids[0])
    assert uploads.commit(db, "s1", [gbk_plan()], BOSS).files[0].status == "imported"


# ------------------------------------------------------------------ history and undo


def test_undo_restores_exactly_the_state_before(db):
    with connect(db) as con:
        live.log_order(con, "s1", CLERK, order_date=dt.date(2026, 11, 4), consultant="王丽",
                       model="Sylphy", customer_id="K-9", channel="wechat")  # fmt: skip
    before_x = fingerprint(db)
    x = uploads.commit(db, "s1", [plan("orders_bom.csv", "orders")], BOSS)
    assert x.files[0].provisional_replaced == 1  # the live order of 4 Nov is in 3-8 Nov
    after_x = fingerprint(db)
    y = uploads.commit(db, "s1", [plan("orders_update_bom.csv", "orders")], BOSS)
    [f] = y.files
    assert (f.inserted, f.updated, f.unchanged) == (1, 1, 1)  # O-104 new, O-102 delivered
    with connect(db) as con:
        with pytest.raises(uploads.UploadError, match="undo that one first"):
            uploads.undo_import(con, BOSS, x.import_ids[0])
        done = uploads.undo_import(con, BOSS, y.import_ids[0])
    assert (done.deleted, done.restored) == (2, 1)  # O-102 and O-104 out, old O-102 back
    assert fingerprint(db) == after_x
    with connect(db) as con:
        uploads.undo_import(con, BOSS, x.import_ids[0])
    assert fingerprint(db) == before_x  # the live order is back too
    with connect(db, read_only=True) as con:
        log = uploads.history(con, "s1")
    assert log[["file_name", "undone", "undoable"]].values.tolist() == [
        ["orders_update_bom.csv", True, False],
        ["orders_bom.csv", True, False],
    ]


def test_history_marks_the_newest_import_per_table_undoable(db):
    uploads.commit(db, "s1", [gbk_plan(), plan("orders_bom.csv", "orders")], BOSS)
    uploads.commit(db, "s1", [plan("orders_update_bom.csv", "orders")], BOSS)
    with connect(db, read_only=True) as con:
        log = uploads.history(con)
    assert log[["table_name", "file_name", "undoable"]].values.tolist() == [
        ["orders", "orders_update_bom.csv", True],
        ["orders", "orders_bom.csv", False],
        ["traffic", "traffic_gbk_title.csv", True],
    ]
    assert log["sha256"].str.len().tolist() == [64, 64, 64]
    assert log["file_size"].tolist() == [len(read("orders_update_bom.csv")),
                                         len(read("orders_bom.csv")),
                                         len(read("traffic_gbk_title.csv"))]  # fmt: skip


# ------------------------------------------------------------------ mapping memory


def test_the_mapping_used_is_saved_and_read_back_by_the_importer(db):
    uploads.commit(db, "s1", [gbk_plan(date_order="DMY")], BOSS)
    with connect(db, read_only=True) as con:
        saved = uploads.saved_mappings(con, "s1")
    mapping, order = saved["traffic"]
    assert mapping["接待方式"] == "kind" and mapping["来访编号"] == "visit_id"
    assert order == "DMY"
    assert importer.saved_mapping(db, "s1", "traffic") == (mapping, "DMY")
    # next month the CLI importer needs no mapping for the same headers
    other = read("traffic_gbk_title.csv").replace(b"U-00", b"W-00")
    report = importer.import_files(db, "traffic", [("next.csv", other)], store="s1", user="cli")
    assert report.committed and report.inserted == 4


# ------------------------------------------------------------------ two managers at once


def test_two_imports_at_once_both_land_or_are_told(db):
    outcomes: list = []
    plans = [[gbk_plan()], [plan("orders_bom.csv", "orders")], [gbk_plan()]]

    def run(p):
        try:
            outcomes.append(uploads.commit(db, "s1", p, BOSS).files[0].status)
        except Exception as exc:  # DatabaseBusy is the only acceptable failure
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(outcomes) == ["duplicate", "imported", "imported"]
    # 2 + 4 traffic rows, 3 orders: nothing lost, nothing doubled
    assert rows(db, "SELECT count(*) FROM traffic") == [(6,)]
    assert rows(db, "SELECT count(*) FROM orders") == [(3,)]
    assert rows(db, "SELECT count(*) FROM imports") == [(2,)]


def test_the_fixture_files_are_what_the_script_writes():
    from tests.fixtures.messy.make_fixtures import HERE, files

    written = files()
    # every fixture file of the folder comes from the script (nothing silently skipped)
    on_disk = [p.name for p in HERE.iterdir() if p.is_file() and p.suffix != ".py"]
    assert sorted(written) == sorted(on_disk)
    for name, data in written.items():
        if not name.endswith(".xlsx"):  # a workbook's zip carries its creation time
            assert read(name) == data, f"{name}: run tests/fixtures/messy/make_fixtures.py"


def test_dry_run_reads_the_stored_derived_state_before_the_upload(db):
    # The fixture's November walk-ins K-1 (level H) and K-2 (A) are open leads before the
    # upload: the in-memory copy must carry the lead book, not start from an empty one.
    result = uploads.dry_run(db, "s1", [gbk_plan()], TODAY)
    changes = result.kpi_changes.set_index("kpi")
    assert changes.loc["open_leads", "before"] == 2


def test_a_first_upload_that_writes_nothing_leaves_no_database(tmp_path):
    path = tmp_path / "new.duckdb"
    header_only = uploads.FilePlan("o.csv", read("orders_bom.csv").splitlines()[0], "orders")
    result = uploads.commit(path, "main", [header_only], BOSS)
    assert not result.committed and result.files[0].status == "refused"
    assert "no data rows" in result.files[0].error
    assert not path.exists()
    result = uploads.commit(path, "main", [plan("orders_bom.csv", "orders")], BOSS)
    assert result.committed and path.exists()


def test_the_undo_preview_says_what_an_undo_removes_and_puts_back(db):
    uploads.commit(db, "s1", [plan("orders_bom.csv", "orders")], BOSS)
    result = uploads.commit(db, "s1", [plan("orders_update_bom.csv", "orders")], BOSS)
    (newest,) = result.import_ids
    with connect(db, read_only=True) as con:
        will = uploads.undo_preview(con, newest)
        assert uploads.undo_preview(con, 10_000) is None
    # orders_update_bom.csv: O-101 unchanged, O-102 updated, O-103 new -> 2 rows written by it,
    # 1 earlier row (O-102 as first imported) it replaced.
    assert {k: will[k] for k in ("table", "stores", "file_name", "remove", "restore")} == {
        "table": "orders",
        "stores": ["s1"],
        "file_name": "orders_update_bom.csv",
        "remove": 2,
        "restore": 1,
    }
    with connect(db) as con:
        done = uploads.undo_import(con, BOSS, newest)
    assert (done.deleted, done.restored) == (will["remove"], will["restore"])


def test_problem_list_reasons_in_chinese():
    bad = (
        b"ro_id,open_date,close_date,vin,customer_id,ro_type,advisor,technician,labor_hours,"
        b"labor_revenue,parts_revenue,parts_cost\nR1,0001-01-01,,V1,C1,repair,A,T,1,1,1,1\n"
    )
    parsed = uploads.parse(uploads.FilePlan("ro.csv", bad, "repair_orders"))
    frame = uploads.rejections_frame([parsed], "zh")
    assert frame["reason"].tolist() == [
        f"超出门店数据可能的日期范围（2000-01-01 至 {parsed.rejections[0].params['high']}）；"
        "请检查年份"
    ]
    assert uploads.rejections_frame([parsed])["reason"].str.startswith("is outside").all()


def test_upload_refusals_read_in_both_languages():
    with pytest.raises(uploads.UploadError) as caught:
        uploads.check_size("大文件.csv", 60 * 1024 * 1024)
    assert str(caught.value).startswith("大文件.csv is 60.0 MB; files up to 50 MB")
    assert caught.value.text("zh") == (
        "大文件.csv 为 60.0 MB；最大可上传 50 MB。请导出较短的期间（如一个月）或拆分文件。"
    )
