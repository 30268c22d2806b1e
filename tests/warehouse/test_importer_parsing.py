"""Reading and parsing export files without a database: formats, encodings, headers, cells."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from warehouse import readers
from warehouse.parsing import normalize_header, read_table_file, table_lookup
from warehouse.spec import STORE, TABLES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"

TRAFFIC_HEADER = (
    "visit_id,visit_date,kind,first_visit,channel,consultant,customer_id,lead_level,"
    "model_interest,test_drive"
)


def traffic(*rows: str, header: str = TRAFFIC_HEADER) -> bytes:
    """Return a traffic CSV (UTF-8) with the given data lines."""
    return ("\n".join([header, *rows]) + "\n").encode()


def one_value(table: str, header: str, row: str, column: str, date_order: str | None = None):
    """Return the parsed value of one column of a one-row file (asserting no rejection)."""
    parsed = read_table_file("f.csv", f"{header}\n{row}\n".encode(), table, date_order=date_order)
    assert parsed.rejections == [], parsed.rejections
    return parsed.frame()[column].iloc[0]


def one_rejection(table: str, header: str, row: str, date_order: str | None = None):
    """Return the single rejection of a one-row file."""
    parsed = read_table_file("f.csv", f"{header}\n{row}\n".encode(), table, date_order=date_order)
    assert len(parsed.rejections) == 1, parsed.rejections
    return parsed.rejections[0]


# ---------------------------------------------------------------- headers


def test_aliases_are_unambiguous_within_each_table():
    for spec in TABLES.values():
        seen: dict[str, str] = {}
        for column in (STORE, *spec.columns):
            for name in (column.name, *column.aliases):
                key = normalize_header(name)
                assert seen.setdefault(key, column.name) == column.name, (spec.name, name)
        assert len(table_lookup(spec)) == len(seen)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Visit ID", "visitid"),
        ("visit_id", "visitid"),
        ("ＶＩＳＩＴ－ＩＤ", "visitid"),  # full-width letters and dash (NFKC)
        ("首次／再次", "首次再次"),
        (" 销售 顾问 ", "销售顾问"),
    ],
)
def test_normalize_header(header, expected):
    assert normalize_header(header) == expected


def test_title_rows_blank_lines_and_a_total_row_are_skipped():
    parsed = read_table_file(
        "traffic_title_total.csv",
        (FIXTURES / "traffic_title_total.csv").read_bytes(),
        "traffic",
    )
    assert parsed.rejections == []
    assert (parsed.encoding, parsed.delimiter, parsed.header_line) == ("utf-8-sig", ",", 4)
    assert parsed.unmapped == ["备注"]
    frame = parsed.frame()
    # Lines 5, 6 and 8 hold data; line 7 is blank and line 9 is the total row (3 rows).
    assert frame["line"].tolist() == [5, 6, 8]
    assert frame["visit_id"].tolist() == ["V-0901", "V-0902", "V-0903"]
    assert frame["visit_date"].tolist() == [dt.date(2026, 9, d) for d in (1, 2, 3)]
    assert frame["kind"].tolist() == ["walk_in", "phone", "walk_in"]
    assert frame["first_visit"].tolist() == [True, False, True]  # 首次 / 再次
    assert frame["lead_level"].tolist()[0::2] == ["A", "H"]
    assert frame["lead_level"].isna().tolist() == [False, True, False]
    assert frame["customer_id"].isna().tolist() == [False, True, False]  # empty -> NULL
    assert frame["buyer_type"].tolist() == ["private", "private", "corporate"]  # default


@pytest.mark.parametrize(
    ("table", "headers", "expected"),
    [
        (
            "traffic",
            "来访编号,来店日期,来访类型,是否首次,信息来源,销售顾问,客户编号,意向级别,意向车型,试驾",
            "visit_id visit_date kind first_visit channel consultant customer_id lead_level "
            "model_interest test_drive",
        ),
        (
            "orders",
            "订单编号,签约日期,交车日期,订单状态,手机号,销售顾问,车系,车架号,销售类型,客户性质,"
            "客户来源,裸车价,采购成本,返利,金融,保险,金融保险收入,置换,精品收入,精品成本",
            "order_id order_date delivery_date status customer_id consultant model vin "
            "sale_type buyer_type channel sale_price vehicle_cost rebate finance insurance "
            "fi_income trade_in accessories_revenue accessories_cost",
        ),
        (
            "vehicles",
            "VIN码,车型,订车日期,预计到店日期,入库日期,出库日期,进价,融资利率",
            "vin model ordered_date eta arrival_date sold_date cost floorplan_rate",
        ),
        (
            "repair_orders",
            "工单号,开单日期,结算日期,车架号,客户编号,维修类型,服务顾问,维修技师,工时数,"
            "工时收入,人工成本,材料费,材料成本,是否返修",
            "ro_id open_date close_date vin customer_id ro_type advisor technician labor_hours "
            "labor_revenue labor_cost parts_revenue parts_cost comeback",
        ),
    ],
)
def test_chinese_aliases_map_every_column(table, headers, expected):
    parsed = read_table_file("f.csv", (headers + "\n").encode(), table)
    assert parsed.rejections == []
    assert list(parsed.mapping.values()) == expected.split()
    assert parsed.unmapped == []


def test_a_caller_mapping_wins_and_units_in_brackets_are_ignored():
    header = "编号,日期,类型,首次,来源,顾问,客户,级别,车型,试驾（是/否）"
    mapping = {"编号": "visit_id", "首次": "first_visit", "来源": "channel", "客户": "customer_id",
               "级别": "lead_level", "车型": "model_interest"}  # fmt: skip
    data = f"{header}\nV1,2026-09-05,来店,是,autohome,张三,,A,汉,否\n".encode()
    parsed = read_table_file("f.csv", data, "traffic", mapping=mapping)
    assert parsed.rejections == []
    assert parsed.mapping["试驾（是/否）"] == "test_drive"
    assert parsed.frame()["first_visit"].tolist() == [True]


def test_store_column_in_the_file_is_read():
    data = traffic("V1,2026-09-05,walk_in,1,a,b,c,A,m,0", header="门店," + TRAFFIC_HEADER)
    data = data.replace(b"\nV1", b"\nnorth,V1")
    assert read_table_file("f.csv", data, "traffic").frame()["store"].tolist() == ["north"]


# ---------------------------------------------------------------- encodings and formats

TSV = (
    "2026年9月 来店登记\n"
    "来访编号\t来店日期\t来访类型\t是否首次\t信息来源\t销售顾问\t手机号\t意向级别\t意向车型\t是否试驾\n"
    "V1\t2026/9/5\t来店\t是\t懂车帝{extra}\t张三\t13812345678\tA\t汉\t否\n"
)


@pytest.mark.parametrize(
    ("encoding", "prefix", "reported", "extra"),
    [
        ("utf-8", b"", "utf-8", "𠮷"),
        ("utf-8", b"\xef\xbb\xbf", "utf-8-sig", "𠮷"),
        ("gbk", b"", "gbk", ""),
        ("gb18030", b"", "gb18030", "𠮷"),  # 𠮷 is outside GBK: only GB18030 has it
        ("utf-16-le", b"\xff\xfe", "utf-16-le", "𠮷"),
        ("utf-16-be", b"\xfe\xff", "utf-16-be", "𠮷"),
        ("utf-16-le", b"", "utf-16-le", ""),  # no BOM: told by its NUL bytes
    ],
)
def test_every_encoding_is_read_and_reported(encoding, prefix, reported, extra):
    data = prefix + TSV.format(extra=extra).encode(encoding)
    parsed = read_table_file("traffic.txt", data, "traffic")
    assert parsed.rejections == []
    assert (parsed.encoding, parsed.delimiter, parsed.header_line) == (reported, "\t", 2)
    row = parsed.frame().iloc[0]
    assert (row["channel"], row["consultant"], row["visit_date"]) == (
        "懂车帝" + extra,
        "张三",
        dt.date(2026, 9, 5),
    )


def test_gbk_file_with_ascii_head_is_detected_after_the_sample():
    rows = [f"V{i},2026-09-05,walk_in,1,autohome,Zhang,C{i},A,Han,0" for i in range(12000)]
    rows.append("V-last,2026-09-05,来店,是,懂车帝,张三,C,A,汉,否")
    data = ("\n".join([TRAFFIC_HEADER, *rows]) + "\n").encode("gbk")
    parsed = read_table_file("big.csv", data, "traffic")
    assert parsed.rejections == []
    assert parsed.encoding == "gbk"
    assert parsed.row_count == 12001
    assert parsed.frame()["consultant"].iloc[-1] == "张三"


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiters_are_detected_from_the_header(delimiter):
    data = traffic("V1,2026-09-05,walk_in,1,a,b,c,A,m,0").replace(b",", delimiter.encode())
    parsed = read_table_file("f.txt", data, "traffic")
    assert (parsed.delimiter, parsed.row_count, parsed.rejections) == (delimiter, 1, [])


def test_quoted_values_keep_commas_and_line_breaks():
    data = traffic(
        'V1,2026-09-05,walk_in,1,"a,b",Zhang,c,A,"Han\nEV",0', "V2,2026-09-06,phone,0,x,y,z,,m,0"
    )
    parsed = read_table_file("f.csv", data, "traffic")
    assert parsed.rejections == []
    frame = parsed.frame()
    assert frame["channel"].tolist() == ["a,b", "x"]
    assert frame["model_interest"].tolist() == ["Han\nEV", "m"]
    assert frame["line"].tolist() == [2, 4]  # the quoted line break makes V1 two lines


def test_xlsx_with_title_row_real_dates_and_yuan_amounts():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["订单导出 2026年9月"])
    sheet.append([
        "订单号", "订单日期", "交车日期", "订单状态", "客户编号", "销售顾问", "车型", "销售类型",
        "购买类型", "信息来源", "成交价", "车辆成本", "返利", "是否贷款", "是否保险",
        "金融保险收入", "是否置换", "精品收入", "精品成本",
    ])  # fmt: skip
    sheet.append([
        "O1", dt.datetime(2026, 9, 5, 10, 30), dt.date(2026, 9, 20), "已交车", "CRM-1", "张三",
        "汉", "零售", "个人", "autohome", "¥1,234.50", 185000.25, 0, "是", "否", 1500, False,
        0, 0,
    ])  # fmt: skip
    sheet.append([
        "O2", dt.date(2026, 9, 6), None, "未交车", 13812345678, "李四", "唐", "大客户", "公司",
        "referral", 150000, 140000, 500, 0, 1, 0, True, 0, 0,
    ])  # fmt: skip
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = read_table_file("orders.csv", buffer.getvalue(), "orders")  # extension ignored
    assert parsed.rejections == []
    assert (parsed.encoding, parsed.delimiter, parsed.header_line) == ("xlsx", None, 2)
    frame = parsed.frame()
    assert frame["line"].tolist() == [3, 4]
    assert frame["order_date"].tolist() == [dt.date(2026, 9, 5), dt.date(2026, 9, 6)]
    assert frame["delivery_date"].iloc[0] == dt.date(2026, 9, 20)
    assert frame["delivery_date"].isna().tolist() == [False, True]
    assert frame["sale_price"].tolist() == [1234.5, 150000.0]
    assert frame["vehicle_cost"].tolist() == [185000.25, 140000.0]
    assert frame["status"].tolist() == ["delivered", "open"]
    assert frame["sale_type"].tolist() == ["retail", "fleet"]
    assert frame["trade_in"].tolist() == [False, True]
    assert frame["customer_id"].tolist() == ["CRM-1", "13812345678"]  # a number cell


def test_old_xls_and_empty_files_are_refused_with_a_reason():
    xls = read_table_file("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "traffic")
    assert "old Excel .xls" in xls.rejections[0].reason
    empty = read_table_file("e.csv", b"", "traffic")
    assert "is empty" in empty.rejections[0].reason


# ---------------------------------------------------------------- cells

DATE_ROW = "V1,{},walk_in,1,a,b,c,A,m,0"


@pytest.mark.parametrize(
    "text",
    [
        "2026-09-05",
        "2026/09/05",
        "2026.09.05",
        "2026/9/5",
        "2026-9-5",
        "2026年9月5日",
        "2026-09-05 14:30:00",
        "2026/9/5 8:05",
        "2026-09-05T14:30:00",
        "20260905",
    ],
)
def test_date_forms(text):
    assert one_value("traffic", TRAFFIC_HEADER, DATE_ROW.format(text), "visit_date") == dt.date(
        2026, 9, 5
    )


@pytest.mark.parametrize(
    ("order", "expected"), [("DMY", dt.date(2026, 9, 5)), ("MDY", dt.date(2026, 5, 9))]
)
def test_day_month_dates_follow_the_date_order(order, expected):
    row = DATE_ROW.format("05/09/2026")
    assert one_value("traffic", TRAFFIC_HEADER, row, "visit_date", order) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("05/09/2026", "could be day/month or month/day"),
        ("2026-02-30", "not a real calendar date"),
        ("2026-13-01", "not a real calendar date"),
        ("next week", "is not a date"),
        ("", "is empty"),
    ],
)
def test_bad_dates(text, reason):
    rejection = one_rejection("traffic", TRAFFIC_HEADER, DATE_ROW.format(text))
    assert (rejection.line, rejection.column, rejection.value) == (2, "visit_date", text)
    assert reason in rejection.reason


ORDERS_HEADER = (
    "order_id,order_date,status,customer_id,consultant,model,sale_type,buyer_type,channel,"
    "sale_price,vehicle_cost,rebate,finance,insurance,fi_income,trade_in,accessories_revenue,"
    "accessories_cost"
)
ORDERS_ROW = "O1,2026-09-05,open,c,Zhang,Han,retail,private,autohome,{},100,0,1,0,0,0,0,0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", 1234.5),
        ('"1,234.50"', 1234.5),
        ('"¥1,234.50"', 1234.5),
        ("￥1234.50", 1234.5),
        ("RMB 1234.50", 1234.5),
        ("1234.567", 1234.567),  # stored unrounded
        ("１２３４．５", 1234.5),  # full-width digits
        ("8000元", 8000.0),
        ("0", 0.0),
    ],
)
def test_money_forms(text, expected):
    row = ORDERS_ROW.format(text)
    assert one_value("orders", ORDERS_HEADER, row, "sale_price") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "is negative"),
        ('"¥-1,234.50"', "is negative"),
        ('"1,23"', "not an amount in yuan"),
        ("12abc", "not an amount in yuan"),
        ("5%", "not an amount in yuan"),
    ],
)
def test_bad_money(text, reason):
    rejection = one_rejection("orders", ORDERS_HEADER, ORDERS_ROW.format(text))
    assert (rejection.line, rejection.column) == (2, "sale_price")
    assert reason in rejection.reason


VEHICLES_HEADER = "vin,model,cost,floorplan_rate"


@pytest.mark.parametrize(
    ("text", "expected"), [("0.035", 0.035), ("3.5%", 0.035), ("5 %", 0.05), ("1", 1.0)]
)
def test_rate_forms(text, expected):
    value = one_value("vehicles", VEHICLES_HEADER, f"VIN1,Han,100,{text}", "floorplan_rate")
    assert value == pytest.approx(expected, abs=1e-15)


def test_rate_of_five_is_rejected_with_the_hint():
    rejection = one_rejection("vehicles", VEHICLES_HEADER, "VIN1,Han,100,5")
    assert (rejection.line, rejection.column, rejection.value) == (2, "floorplan_rate", "5")
    assert "write 5%, not 5" in rejection.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", True), ("0", False), ("TRUE", True), ("false", False), ("Yes", True),
        ("no", False), ("Y", True), ("n", False), ("是", True), ("否", False), ("√", True),
        ("×", False),
    ],
)  # fmt: skip
def test_boolean_words(text, expected):
    row = f"V1,2026-09-05,walk_in,1,a,b,c,A,m,{text}"
    assert one_value("traffic", TRAFFIC_HEADER, row, "test_drive") == expected


@pytest.mark.parametrize(("text", "expected"), [("WALK_IN", "walk_in"), ("来电", "phone")])
def test_enum_words_are_case_insensitive_and_chinese(text, expected):
    row = f"V1,2026-09-05,{text},1,a,b,c,A,m,0"
    assert one_value("traffic", TRAFFIC_HEADER, row, "kind") == expected


def test_unknown_enum_word_lists_the_accepted_ones():
    rejection = one_rejection("traffic", TRAFFIC_HEADER, "V1,2026-09-05,drive_by,1,a,b,c,A,m,0")
    assert (rejection.line, rejection.column, rejection.value) == (2, "kind", "drive_by")
    assert "walk_in (来店" in rejection.reason and "phone (来电" in rejection.reason


@pytest.mark.parametrize(
    "text", ["2026-09", "2026/09", "2026/9", "2026年9月", "202609", "2026-09-01"]
)
def test_month_forms(text):
    row = f"{text},Zhao,176,150,2,1"
    header = "month,technician,available_hours,clocked_hours,training_required,training_passed"
    assert one_value("technicians", header, row, "month") == "2026-09"


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("2026-09,Zhao,176,150,2.5,1", "training_required", "whole number"),
        ("2026-9-15,Zhao,176,150,2,1", "month", "not a month"),
        ("2026-09,Zhao,-1,150,2,1", "available_hours", "negative"),
        ("2026-09,Zhao,lots,150,2,1", "available_hours", "not a number"),
    ],
)
def test_bad_technician_cells(row, column, reason):
    header = "month,technician,available_hours,clocked_hours,training_required,training_passed"
    rejection = one_rejection("technicians", header, row)
    assert (rejection.line, rejection.column) == (2, column)
    assert reason in rejection.reason


def test_scores_are_limited_to_ten():
    header = "survey_id,survey_date,department,customer_id,score"
    rejection = one_rejection("surveys", header, "S1,2026-09-05,售后,c,11")
    assert (rejection.column, rejection.value) == ("score", "11")
    assert "0-10" in rejection.reason
    assert one_value("surveys", header, "S1,2026-09-05,售后,c,9.5", "score") == 9.5


def test_empty_key_consultant_is_the_whole_store_in_targets():
    header = "month,consultant,metric,target"
    parsed = read_table_file("t.csv", f"{header}\n2026-09,,deliveries,40\n".encode(), "targets")
    assert parsed.rejections == []
    assert parsed.frame()["consultant"].isna().tolist() == [True]
    rejection = one_rejection("targets", header, "2026-09,Zhang,,40")
    assert (rejection.column, rejection.reason) == (
        "metric",
        "is empty; every row needs a value here",
    )


def test_excel_text_wrapper_and_spaces_are_removed():
    row = 'V1 ,2026-09-05,walk_in,1,\u3000autohome\u3000,Zhang,="00123",A,m,0'
    parsed = read_table_file("f.csv", traffic(row), "traffic")
    frame = parsed.frame()
    assert (frame["visit_id"].iloc[0], frame["channel"].iloc[0]) == ("V1", "autohome")
    assert frame["customer_id"].iloc[0] == "00123"


def test_total_row_sums_are_checked():
    good = (FIXTURES / "repair_orders_total.csv").read_bytes()
    parsed = read_table_file("ro.csv", good, "repair_orders")
    assert parsed.rejections == []
    assert parsed.row_count == 2
    # labor_hours 1.5 + 6 = 7.5; the total says 8.5 instead.
    bad = read_table_file("ro.csv", good.replace(b",7.5,", b",8.5,"), "repair_orders")
    assert len(bad.rejections) == 1
    rejection = bad.rejections[0]
    assert (rejection.line, rejection.column, rejection.value) == (4, "labor_hours", "8.5")
    assert "adds up to 8.5 but the rows add up to 7.50" in rejection.reason


def test_crlf_lines_blank_lines_and_trailing_newlines_keep_line_numbers():
    lines = ["", "V1,2026-09-05,walk_in,1,a,b,c,A,m,0", ",,,,,,,,,", "V2,bad,walk_in,1,a,b,c,A,m,0"]
    text = "\r\n".join([TRAFFIC_HEADER, *lines]) + "\r\n\r\n\r\n"
    parsed = read_table_file("crlf.csv", text.encode(), "traffic")
    assert [(r.line, r.column, r.value) for r in parsed.rejections] == [(5, "visit_date", "bad")]
    assert parsed.frame()["line"].tolist() == [3, 5]


def test_python_splitting_gives_the_same_rows_when_duckdb_refuses_a_file(monkeypatch):
    def refuse(self, con, parallel):
        # A staged view that fails when read, as DuckDB's reader does on a file it refuses.
        self._parallel = parallel
        cells = ", ".join(f"CAST(NULL AS VARCHAR) AS c{i}" for i in range(self._layout[2]))
        con.execute(
            "CREATE OR REPLACE TEMP VIEW raw AS SELECT CAST(error('simulated CSV error') "
            f"AS BIGINT) AS rec, CAST(0 AS BIGINT) AS line, {cells}"
        )

    data = (FIXTURES / "traffic_title_total.csv").read_bytes()
    expected = read_table_file("t.csv", data, "traffic").frame()
    monkeypatch.setattr(readers.TextReader, "_stage_duckdb", refuse)
    parsed = read_table_file("t.csv", data, "traffic")
    assert parsed.rejections == []
    pd.testing.assert_frame_equal(parsed.frame(), expected)


def test_xlsx_sheet_holding_the_table_is_chosen():
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为系统导出"])
    sheet = book.create_sheet("数据")
    sheet.append(TRAFFIC_HEADER.split(","))
    sheet.append(["V1", dt.date(2026, 9, 5), "walk_in", 1, "a", "b", "c", "A", "m", 0])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = read_table_file("t.xlsx", buffer.getvalue(), "traffic")
    assert (parsed.sheet, parsed.header_line, parsed.row_count, parsed.problems) == (
        "数据",
        1,
        1,
        0,
    )
    assert parsed.frame()["first_visit"].tolist() == [True]


def test_header_only_file_has_no_rows_and_no_rejection():
    parsed = read_table_file("t.csv", (TRAFFIC_HEADER + "\n").encode(), "traffic")
    assert (parsed.row_count, parsed.problems, len(parsed.frame())) == (0, 0, 0)


def test_no_header_row_is_refused_with_the_expected_columns():
    parsed = read_table_file("t.csv", b"hello,world\n1,2\n", "traffic")
    assert parsed.error is not None
    assert "no header row for traffic" in parsed.rejections[0].reason
    assert "visit_id (来访编号)" in parsed.rejections[0].reason
