"""The importer's fast path (one statement from DuckDB's CSV reader) against the row-level path.

A clean file into a table without rows of its stores takes the fast path; anything else rolls
it back and the row-level path imports the file. Both must leave the same database and report.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path

import duckdb
import pytest

from warehouse import importer
from warehouse.derived import DERIVED
from warehouse.importer import import_files
from warehouse.readers import Source, _contains, scan_bytes

RO_HEADER = (
    "门店,工单号,进厂日期,结算日期,车架号,客户编号,工单类型,服务顾问,维修技师,工时,工时费,"
    "人工成本,配件收入,配件成本,是否返修"
)
RO_ROWS = [
    "north,R1,2026/09/01,2026/09/02,VIN1,CRM1,保养,王,赵,1.5,300.00,80,450.50,300,否",
    'north,R2,2026.09.03,,VIN2,CRM2,事故,王,孙,6,"1,200.00",,5000,3500,是',
    "",
    "south,R1,2026年9月4日,2026-09-05,VIN3, CRM3 ,机修,李,钱,2,400,100,¥800,500,",
]
TRAFFIC_HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)


def write(path: Path, header: str, *lines: str) -> Path:
    """Write a UTF-8 CSV file and return its path."""
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def contents(path: Path) -> dict[str, list[tuple]]:
    """Return every base table's rows, sorted (the import log without its timestamp)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            t
            for (t,) in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            columns = "* EXCLUDE (imported_at)" if table == "imports" else "*"
            out[table] = con.execute(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
        return out
    finally:
        con.close()


@pytest.fixture
def fast_calls(monkeypatch) -> list:
    """Record what every fast-path attempt returned (None when it fell back)."""
    calls: list = []
    original = importer._fast_import

    def spy(*args, **kwargs):
        calls.append(original(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(importer, "_fast_import", spy)
    return calls


def row_level(monkeypatch) -> None:
    """Make every import take the row-level path."""
    monkeypatch.setattr(importer, "_fast_import", lambda *args, **kwargs: None)


def test_fast_path_lands_the_same_database_and_report_as_the_row_level_path(
    tmp_path, monkeypatch, fast_calls
):
    source = write(tmp_path / "ro.csv", RO_HEADER, *RO_ROWS)
    fast = import_files(tmp_path / "fast.duckdb", "repair_orders", [source], user="u")
    assert fast_calls[0] is not None  # the fast path took the file
    row_level(monkeypatch)
    slow = import_files(tmp_path / "slow.duckdb", "repair_orders", [source], user="u")
    assert {**fast.to_dict(), "db": None} == {**slow.to_dict(), "db": None}
    assert contents(tmp_path / "fast.duckdb") == contents(tmp_path / "slow.duckdb")
    # The values themselves, read off the file: the blank line is no row; R2's empty labour
    # cost takes its default 0; ' CRM3 ' is trimmed; 2026年9月4日 and ¥800 are parsed.
    got = contents(tmp_path / "fast.duckdb")["repair_orders"]
    assert got == [
        ("north", "R1", dt.date(2026, 9, 1), dt.date(2026, 9, 2), "VIN1", "CRM1",
         "maintenance", "王", "赵", 1.5, 300.0, 80.0, 450.5, 300.0, False, 1),
        ("north", "R2", dt.date(2026, 9, 3), None, "VIN2", "CRM2", "accident", "王", "孙",
         6.0, 1200.0, 0.0, 5000.0, 3500.0, True, 1),
        ("south", "R1", dt.date(2026, 9, 4), dt.date(2026, 9, 5), "VIN3", "CRM3", "repair",
         "李", "钱", 2.0, 400.0, 100.0, 800.0, 500.0, None, 1),
    ]  # fmt: skip
    assert (fast.inserted, fast.files[0].rows, fast.files[0].stores) == (3, 3, ["north", "south"])
    assert not list(tmp_path.glob(".*.new*"))  # the staging file was put in place


@pytest.mark.parametrize(
    "case",
    ["impossible date", "repeated key", "total row", "ideographic space", "store has rows"],
)
def test_fast_path_rolls_back_and_the_row_level_path_imports(tmp_path, case):
    db = tmp_path / "s.duckdb"
    # Store west already has rows, so every case runs on an existing database.
    first = write(tmp_path / "first.csv", RO_HEADER, RO_ROWS[0].replace("north", "west"))
    assert import_files(db, "repair_orders", [first]).committed
    rows = {
        "impossible date": [RO_ROWS[0].replace("2026/09/01", "2026/02/30")],
        "repeated key": [RO_ROWS[0], RO_ROWS[0].replace("VIN1", "VIN7")],
        # 1 row; 工时 1.5, 工时费 300: the total row agrees with the data.
        "total row": [RO_ROWS[0], "合计,,,,,,,,,1.5,300,,,,"],
        "ideographic space": [RO_ROWS[0].replace("CRM1", "CRM1\u3000")],
        "store has rows": [RO_ROWS[0].replace("north", "west").replace("VIN1", "VIN5")],
    }[case]
    source = write(tmp_path / "next.csv", RO_HEADER, *rows)
    before = contents(db)
    assert (
        importer._fast_import(db, "repair_orders", Source.of(source), "main", None, None, None)
        is None
    )
    assert contents(db) == before
    report = import_files(db, "repair_orders", [source])
    messages = [r.message for r in report.rejections] + report.files[0].messages
    if case == "impossible date":
        assert not report.committed
        assert messages == [
            "next.csv:2 open_date='2026/02/30' (column 进厂日期) is not a real calendar date "
            "(that day does not exist)"
        ]
    elif case == "repeated key":
        assert not report.committed
        assert [r.line for r in report.rejections] == [2, 3]
    elif case == "total row":
        assert report.committed and report.inserted == 1
        assert messages == ["line 3: total row skipped"]
    elif case == "ideographic space":
        assert report.committed
        got = contents(db)["repair_orders"]
        assert [(r[0], r[1], r[5]) for r in got] == [
            ("north", "R1", "CRM1"),
            ("west", "R1", "CRM1"),
        ]
    else:
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, 0)


def test_rejected_file_leaves_no_new_database_nor_staging_file(tmp_path):
    source = write(tmp_path / "bad.csv", RO_HEADER, RO_ROWS[0].replace("保养", "洗车"))
    report = import_files(tmp_path / "new.duckdb", "repair_orders", [source])
    assert not report.committed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_mobile_numbers_are_hashed_in_sql_as_in_python(tmp_path, fast_calls):
    db = tmp_path / "s.duckdb"
    # The database's first mobile number creates its secret: that file takes the row path.
    first = write(
        tmp_path / "a.csv", TRAFFIC_HEADER, "V1,2026-09-01,walk_in,1,a,b,13800000000,A,m,0"
    )
    assert import_files(db, "traffic", [first], store="north").committed
    assert fast_calls == [None]
    second = write(
        tmp_path / "b.csv",
        TRAFFIC_HEADER,
        "V1,2026-09-01,walk_in,1,a,b,138 1234 5678,A,m,0",
        "V2,2026-09-01,walk_in,1,a,b,CRM-9,A,m,0",
        "V3,2026-09-01,walk_in,1,a,b,+86 139-0000-1111,A,m,0",
    )
    assert import_files(db, "traffic", [second], store="south").committed
    assert fast_calls[1] is not None
    con = duckdb.connect(str(db), read_only=True)
    try:
        secret = [(db.with_name(db.name + ".key").read_text().strip(),)]  # warehouse.hashkey
        stored = dict(
            con.execute(
                "SELECT visit_id, customer_id FROM traffic WHERE store = 'south'"
            ).fetchall()
        )
    finally:
        con.close()

    def expected(number: str) -> str:
        key = secret[0][0].encode()
        return "C" + hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:16]

    assert stored == {"V1": expected("13812345678"), "V2": "CRM-9", "V3": expected("13900001111")}


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"ab\xe3\x80\x80cd", True),
        (b"\xe4\xb8\xad" * 10, False),
        # More lead bytes than the memchr loop follows: the plain search answers.
        (b"\xe3\x81\x81" * 100 + b"\xe3\x80\x80", True),
        (b"\xe3\x81\x81" * 100, False),
        (b"\xe3\x80", False),
    ],
)
def test_contains_finds_a_mark_as_in_does(data, found):
    assert _contains(data, b"\xe3\x80\x80") is found


@pytest.mark.parametrize(
    ("data", "odd", "tabs"),
    [
        (b"\xef\xbb\xbfa,b\n1,2\n", False, False),  # a BOM at the start is no odd space
        ("a,b\n1,\u30002\n".encode(), True, False),  # an ideographic space
        ("a,b\n\u00a0,1\n".encode(), True, False),  # a no-break space
        (b"a\tb\n1\t2\n", False, True),
    ],
)
def test_mapped_scan_finds_what_the_streaming_scan_finds(tmp_path, data, odd, tabs):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    streamed = scan_bytes(Source.of(path))
    mapped = scan_bytes(Source.of(path), lines=False)
    assert (streamed.sha256, streamed.size, streamed.odd_space, streamed.tabs) == (
        digest,
        len(data),
        odd,
        tabs,
    )
    assert (mapped.sha256, mapped.size, mapped.lines, mapped.odd_space, mapped.tabs) == (
        digest,
        len(data),
        -1,
        odd,
        tabs,
    )


def test_kpi_profile_prints_each_step_and_each_refresh(tmp_path, monkeypatch, capsys):
    # What the bench's import split reads (bench/run.py import_split): off, nothing is printed.
    source = write(tmp_path / "ro.csv", RO_HEADER, *RO_ROWS)
    import_files(tmp_path / "quiet.duckdb", "repair_orders", [source], user="u")
    assert "[kpi-profile]" not in capsys.readouterr().err
    monkeypatch.setenv("KPI_PROFILE", "1")
    import_files(tmp_path / "profiled.duckdb", "repair_orders", [source], user="u")
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("[kpi-profile]")]
    names = [x.split(" s  ", 1)[1] for x in lines]
    assert names[:2] == [
        "import repair_orders: read, check and insert",
        "import repair_orders: repeated keys",
    ]
    assert names[-2:] == [
        "import repair_orders: log and refresh the derived state",
        "import repair_orders: commit",
    ]
    # every derived table that reads repair_orders, once, between the two
    assert sorted(names[2:-2]) == sorted(
        f"refresh {d.name}" for d in DERIVED if "repair_orders" in d.sources
    )
    assert len(names) == 4 + 7  # comebacks, coverage, values, visits, days, churn, technicians
    assert all(float(x.split()[1]) >= 0 for x in lines)
