"""The importer's and the database's messages in English and Chinese, by message code.

The store package says what happened as a code and its parameters (a
:class:`warehouse.parsing.Rejection`, a :class:`warehouse.db.DatabaseError`); whoever shows it
picks the language: the pages the session's, the command line English (or ``--lang``). The
English text is also what ``Rejection.reason`` and ``str(error)`` hold, so logs and tests read
one language whatever the page shows.
"""

from __future__ import annotations

LANGS = ("en", "zh")

# code -> (English, Chinese); ``{name}`` placeholders are filled from the parameters.
MESSAGES: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- uploads (app/uploads.py)
    "upload_too_big": (
        "{name} is {size_mb:.1f} MB; files up to {limit_mb} MB can be uploaded. Export a shorter "
        "period (e.g. one month) or split the file.",
        "{name} 为 {size_mb:.1f} MB；最大可上传 {limit_mb} MB。"
        "请导出较短的期间（如一个月）或拆分文件。",
    ),
    "upload_no_import": ("There is no import {import_id}.", "没有编号为 {import_id} 的导入记录。"),
    "upload_undone_already": (
        "The import of {file} was undone already.",
        "{file} 的导入已经撤销过了。",
    ),
    "upload_undo_newest_first": (
        "{later} was imported into the same table after {file}; undo that one first (only the "
        "newest import of a table can be undone).",
        "{file} 之后又向同一张表导入了 {later}；请先撤销后者（每张表只能撤销最新的一次导入）。",
    ),
    "upload_keys_across_files": (
        "{file}: {rows} row(s) repeat a key of another file of this upload; remove one of the "
        "files or choose to import valid rows only.",
        "{file}：有 {rows} 行与本次上传的另一个文件主键重复；"
        "请去掉其中一个文件，或选择只导入有效行。",
    ),
    # ---------------------------------------------------------------- cells
    "column_prefix": ("(column {header}) ", "（列 {header}）"),
    "empty": ("is empty; every row needs a value here", "为空；每一行都必须填写此列"),
    "bad_date": (
        "is not a date; write 2026-09-05 (2026/9/5, 2026.09.05 and 2026年9月5日 also work)",
        "不是日期；请写成 2026-09-05（2026/9/5、2026.09.05 和 2026年9月5日 也可以）",
    ),
    "ambiguous_date": (
        "could be day/month or month/day; write dates as YYYY-MM-DD, or say which comes first "
        "(date order DMY = day first, MDY = month first) in the column mapping or with "
        "--date-order",
        "无法判断是日/月还是月/日；请写成 YYYY-MM-DD，或在列映射中指定日期顺序"
        "（DMY = 日在前，MDY = 月在前）",
    ),
    "impossible_date": (
        "is not a real calendar date (that day does not exist)",
        "不是真实存在的日期（日历上没有这一天）",
    ),
    "date_range": (
        "is outside the dates a store's data can have ({low} to {high}); check the year",
        "超出门店数据可能的日期范围（{low} 至 {high}）；请检查年份",
    ),
    "month_range": (
        "is outside the months a store's data can have ({low} to {high}); check the year",
        "超出门店数据可能的月份范围（{low} 至 {high}）；请检查年份",
    ),
    "date_before": (
        "is before {other} on the same line; a {column} cannot come before the {other}",
        "早于同一行的 {other}；{column} 不能早于 {other}",
    ),
    "bad_month": (
        "is not a month; write it as 2026-09 (2026/09 and 2026年9月 also work)",
        "不是月份；请写成 2026-09（2026/09 和 2026年9月 也可以）",
    ),
    "bad_money": (
        "is not an amount in yuan; write e.g. 1234.50, 1,234.50 or ¥1,234.50",
        "不是人民币金额；请写成 1234.50、1,234.50 或 ¥1,234.50",
    ),
    "bad_number": ("is not a number", "不是数字"),
    "bad_int": ("is not a whole number", "不是整数"),
    "bad_score": ("is not a score from 0 to 10", "不是 0 到 10 分的评分"),
    "bad_rate": ("is not a rate; write 3.5% or 0.035", "不是比率；请写成 3.5% 或 0.035"),
    "negative": ("is negative; this column cannot be below zero", "为负数；此列不能小于零"),
    "not_whole": ("must be a whole number", "必须是整数"),
    "score_range": ("is outside the 0-10 scale", "超出 0-10 分的范围"),
    "rate_bare_over_1": (
        "is a bare number above 1 in a rate column; write 5%, not 5 (or 0.05)",
        "比率列中出现大于 1 的数字；请写 5%，不要写 5（或写 0.05）",
    ),
    "bad_bool": (
        "is not yes/no; write 是/否, yes/no, y/n, true/false, 1/0 or √/×",
        "不是“是/否”；请写 是/否、yes/no、y/n、true/false、1/0 或 √/×",
    ),
    "not_finite": (
        "is not a finite number (too large to store, or infinity); check the cell",
        "不是有限的数字（太大无法保存，或为无穷大）；请检查该单元格",
    ),
    "too_large": (
        "is larger than a store can plausibly have here (at most {limit} in this column); "
        "check the unit and the decimal point",
        "超出门店在此列可能出现的数值（此列最多 {limit}）；请检查单位和小数点",
    ),
    "bad_enum": (
        "is not one of the accepted values: {listed}",
        "不是可接受的值之一：{listed}",
    ),
    "repeat_conflict": (
        "differs from the repeated column {header} (field {field}) on the same line; remove "
        "one of the two columns or make them agree",
        "与同一行中重复的列 {header}（第 {field} 列）不一致；请删除其中一列或使两列一致",
    ),
    # ---------------------------------------------------------------- rows
    "duplicate": (
        "the same key is also on line {line} of {file}: a key may appear only once per import",
        "相同的编号也出现在 {file} 的第 {line} 行：一次导入中每个编号只能出现一次",
    ),
    "programme_differs": (
        "differs from line {line} of the same programme {program!r} ({was}): every tier of a "
        "programme has the same start_date, end_date and target_units",
        "与同一政策 {program!r} 的第 {line} 行不一致（{was}）：同一政策的各档位开始日期、结束日期"
        "和目标台数必须相同",
    ),
    "short": (
        "is missing: the line has {fields} fields but the header has {width} (row {row!r}); "
        "the line is cut short or values are missing, and every row needs all columns, "
        "empty ones too",
        "缺失：该行只有 {fields} 个字段，而表头有 {width} 列（行 {row!r}）；该行被截断或缺少值，"
        "每一行都需要包含所有列（空列也要保留分隔符）",
    ),
    "long": (
        "is an extra value after the last column ({last}): the line has {fields} fields but "
        "the header has {width}; columns are shifted, or a value holds a comma without quotes",
        "是最后一列（{last}）之后多出的值：该行有 {fields} 个字段，而表头只有 {width} 列；"
        "列发生了错位，或某个值中含有未加引号的逗号",
    ),
    "total_count": (
        "the total row says {claimed} rows but the file has {rows} data rows: the file may be "
        "cut off or rows were deleted; export it again",
        "合计行显示 {claimed} 行，但文件中有 {rows} 行数据：文件可能不完整或有行被删除；请重新导出",
    ),
    "total_sum": (
        "the total row says {column} adds up to {stated} but the rows add up to {actual}: the "
        "file may be cut off or edited; export it again",
        "合计行显示 {column} 合计为 {stated}，但各行相加为 {actual}：文件可能不完整或被修改；"
        "请重新导出",
    ),
    # ---------------------------------------------------------------- whole files
    "missing_column": (
        "the column {column} is missing: the header row (line {line}) has {found}. Add the "
        "column, or map the file's header to it.",
        "缺少列 {column}：表头行（第 {line} 行）为 {found}。"
        "请添加该列，或在列映射中指定对应的表头。",
    ),
    "missing_columns": ("missing column(s): {columns}", "缺少列：{columns}"),
    "no_rows": (
        "{file} has a header row but no data rows; nothing to import. Export the table again "
        "with its rows.",
        "{file} 只有表头没有数据行，没有可导入的内容。请重新导出包含数据的表。",
    ),
    "empty_file": (
        "{file} is empty; export the table from the DMS again",
        "{file} 是空文件；请从 DMS 重新导出",
    ),
    "too_many_columns": (
        "the header row (line {line}) has {count} columns; an export of {table} has at most "
        "{limit}. Remove the extra columns, or pick the right file.",
        "表头行（第 {line} 行）有 {count} 列，而 {table} 的导出最多 {limit} 列。"
        "请删除多余的列，或选择正确的文件。",
    ),
    "no_header": (
        "no header row for {table} ({title}) found in the first {rows} rows; expected columns "
        "such as {expected}",
        "在前 {rows} 行中没有找到 {title}（{table}）的表头行；应包含 {expected} 等列",
    ),
    "other_table": (
        "this looks like an export of {other} ({other_title}), not {table} ({title}): its "
        "header row (line {line}) reads: {headers}. Import it as {other}, or pick the right "
        "file.",
        "这看起来是 {other_title}（{other}）的导出，而不是 {title}（{table}）：其表头行"
        "（第 {line} 行）为：{headers}。请按 {other_title} 导入，或选择正确的文件。",
    ),
    # ---------------------------------------------------------------- store settings
    "settings_unknown": ("not a store setting", "不是门店设置项"),
    "settings_too_long": ("at most {limit} characters", "最多 {limit} 个字符"),
    "settings_bad_rate": (
        "{value!r} is not a rate; write 0.05 or 5%",
        "{value!r} 不是比率；请写 0.05 或 5%",
    ),
    "settings_rate_over_1": (
        "{value!r} is above 1; write a fraction (0.05) or a percent (5%)",
        "{value!r} 大于 1；请写成小数（0.05）或百分比（5%）",
    ),
    "settings_rate_range": ("{value!r} is outside 0-100%", "{value!r} 超出 0-100% 的范围"),
    "settings_json_object": (
        'write a JSON object such as {{"close_rate": {{"warning": 0.2}}}}',
        '请写成 JSON 对象，例如 {{"close_rate": {{"warning": 0.2}}}}',
    ),
    "settings_bad_json": (
        "not valid JSON ({msg} at character {pos})",
        "不是有效的 JSON（第 {pos} 个字符处：{msg}）",
    ),
    "settings_unknown_kpi": (
        "{kpi!r} is not a KPI id of the catalogue",
        "{kpi!r} 不是指标目录中的指标编号",
    ),
    "settings_threshold_shape": (
        '{kpi}: write {{"warning": number, "critical": number}}',
        '{kpi}：请写成 {{"warning": 数字, "critical": 数字}}',
    ),
    "settings_threshold_number": (
        "{kpi}.{name}: {line!r} is not a number (or null)",
        "{kpi}.{name}：{line!r} 不是数字（或 null）",
    ),
    "settings_bad_level": (
        "{level!r} is not a lead level ({levels})",
        "{level!r} 不是意向级别（{levels}）",
    ),
    "settings_bad_days": (
        "{level}: {days!r} is not a whole number of days",
        "{level}：{days!r} 不是整数天数",
    ),
    "settings_bad_bool": ("{value!r} is not yes or no", "{value!r} 不是“是”或“否”"),
    "settings_bad_zone": (
        "{zone!r} is not a time zone (e.g. Asia/Shanghai)",
        "{zone!r} 不是时区（例如 Asia/Shanghai）",
    ),
    "settings_bad_hours": (
        "{hours!r}: write HH:MM-HH:MM, e.g. 09:00-18:00",
        "{hours!r}：请写成 HH:MM-HH:MM，例如 09:00-18:00",
    ),
    # ---------------------------------------------------------------- the database file
    "db_busy": (
        "The database {path} is in use by another program (an import or the dashboard is "
        "writing to it). Nothing was written; try again in a moment.",
        "数据库 {path} 正被其他程序使用（导入或看板正在写入）。没有写入任何内容；请稍后再试。",
    ),
    "db_disk_full": (
        "The disk holding {path} is full. Nothing was written; free some space (or move the "
        "database to a larger disk) and try again.",
        "存放 {path} 的磁盘已满。没有写入任何内容；"
        "请清理磁盘空间（或把数据库移到更大的磁盘）后重试。",
    ),
    "db_read_only": (
        "The database {path} cannot be written: the file or its folder is read-only for this "
        "program. Nothing was written; ask IT to give the program write access to it.",
        "无法写入数据库 {path}：该文件或所在文件夹对本程序是只读的。没有写入任何内容；"
        "请联系 IT 为程序开通写入权限。",
    ),
    "db_corrupt": (
        "The file {path} is not a readable store database (it is damaged or is another kind "
        "of file). Restore it from a backup (python -m kpi restore), or move it away and "
        "import the exports again.",
        "文件 {path} 不是可读取的门店数据库（已损坏或不是数据库文件）。请从备份恢复"
        "（python -m kpi restore），或将其移走后重新导入数据。",
    ),
    "db_newer": (
        "The database {path} was written by a newer version of this program (schema "
        "{found}; this one knows {known}). Update the program; the data is untouched.",
        "数据库 {path} 由更新版本的程序写入（结构版本 {found}，本程序只支持 {known}）。"
        "请升级程序；数据未受影响。",
    ),
    "db_missing": (
        "There is no database at {path} yet. Import data first (the Upload page, or python -m "
        "kpi import), or restore a backup.",
        "{path} 还没有数据库。请先导入数据（数据导入页面，或 python -m kpi import），或恢复备份。",
    ),
    "db_io": (
        "The database {path} could not be read or written ({detail}). Nothing was written; "
        "check the disk and try again.",
        "无法读写数据库 {path}（{detail}）。没有写入任何内容；请检查磁盘后重试。",
    ),
}


def text(code: str, lang: str = "en", **params: object) -> str:
    """Return the message ``code`` in ``lang`` ('en' or 'zh') with its parameters filled in.

    An unknown code is returned as is (a message written before it had a code).
    """
    pair = MESSAGES.get(code)
    if pair is None:
        return code
    template = pair[1] if lang == "zh" else pair[0]
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return pair[0].format_map(_Blank(params))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


class MessageError(ValueError):
    """A refusal with a message code: ``str()`` is English, :meth:`text` either language."""

    def __init__(self, code: str, **params: object) -> None:
        self.code, self.params = code, params
        super().__init__(text(code, "en", **params))

    def text(self, lang: str = "en") -> str:
        """Return the message in ``lang`` ('en' or 'zh')."""
        return text(self.code, lang, **self.params)
