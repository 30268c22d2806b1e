"""Write demo tables as the CSV files a store's DMS would export.

Each store has its own habits (demo_world.Style): encoding (UTF-8, UTF-8 with BOM, GBK),
header names (canonical, Chinese or English aliases from warehouse.spec), date, money and
boolean formats, and enums as canonical words or their Chinese equivalents. Output is
deterministic: the same frame and style always give the same bytes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from warehouse import spec
from warehouse.demo_world import NO_DATE, Style, to_date

BOOLS = {
    "10": ("1", "0"),
    "truefalse": ("true", "false"),
    "yn": ("Y", "N"),
    "zh": ("是", "否"),
    "tick": ("√", "×"),
}


def _has_cjk(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


def header_for(table: str, column: str, mode: str, position: int, rotate: int) -> str:
    """Return the header a DMS in ``mode`` writes for a column: canonical or one of its aliases.

    ``rotate`` picks a different alias for different stores where there are several.
    """
    col = spec.TABLES[table].column(column) if column != "store" else spec.STORE
    # A column headed 手机号 (mobile number) would be odd over CRM ids, so keep 客户编号.
    zh = [a for a in col.aliases if _has_cjk(a) and a != "手机号"]
    en = [a for a in col.aliases if not _has_cjk(a)]
    if mode in ("mix", "mix_en"):
        mode = "zh" if (position % 2 == 0) == (mode == "mix") else "en"
    if mode == "zh" and zh:
        return zh[rotate % len(zh)]
    if mode == "en" and en:
        return en[rotate % len(en)]
    return column


def _zh_word(column: spec.Column, value: str, rotate: int) -> str:
    words = [w for w, canon in (column.choices or {}).items() if canon == value and _has_cjk(w)]
    return words[rotate % len(words)] if words else value


def _dates(values: np.ndarray, style: str) -> list[str]:
    uniq, inv = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    text = []
    for d in uniq:
        if d == NO_DATE:
            text.append("")
            continue
        x = to_date(int(d))
        text.append(
            {
                "iso": f"{x.year:04d}-{x.month:02d}-{x.day:02d}",
                "slash": f"{x.year:04d}/{x.month:02d}/{x.day:02d}",
                "slash_short": f"{x.year}/{x.month}/{x.day}",
                "dot": f"{x.year:04d}.{x.month:02d}.{x.day:02d}",
                "zh": f"{x.year}年{x.month}月{x.day}日",
            }[style]
        )
    return [text[i] for i in inv.ravel()]


def _money(values: np.ndarray, style: str) -> list[str]:
    fmt = {
        "plain": "{:.2f}",
        "comma": "{:,.2f}",
        "yen": "¥{:,.2f}",
        "fullyen": "￥{:.2f}",
        "rmb": "RMB {:.2f}",
    }[style]
    return ["" if v != v else fmt.format(v) for v in np.asarray(values, dtype=float).tolist()]


def _number(values: np.ndarray) -> list[str]:
    return ["" if v != v else f"{v:g}" for v in np.asarray(values, dtype=float).tolist()]


def format_column(
    table: str, name: str, values: np.ndarray, style: dict[str, str], rotate: int
) -> list[str]:
    """Return the cells of one column as the store's DMS writes them."""
    if name == "store":
        return [str(v) for v in values]
    col = spec.TABLES[table].column(name)
    kind = col.kind
    if kind == spec.DATE:
        return _dates(values, style["dates"])
    if kind == spec.MONEY:
        return _money(values, style["money"])
    if kind in (spec.NUMBER, spec.SCORE):
        return _number(values)
    if kind == spec.INT:
        return ["" if v is None or v < 0 else str(int(v)) for v in values.tolist()]
    if kind == spec.RATE:
        # A rate above 100 % (a programme tier's 110 %) is written as a percentage everywhere.
        if style["rates"] == "percent" or np.nanmax(values, initial=0) > 1:
            return ["" if v != v else f"{v * 100:g}%" for v in values.tolist()]
        return _number(values)
    if kind == spec.BOOL:
        yes, no = BOOLS[style["bools"]]
        return ["" if v is None else (yes if v else no) for v in values.tolist()]
    if kind == spec.ENUM:
        out = ["" if v is None or v == "" else str(v) for v in values.tolist()]
        if style["enums"] == "zh":
            cache: dict[str, str] = {}
            out = [cache.setdefault(v, _zh_word(col, v, rotate)) if v else v for v in out]
        return out
    return ["" if v is None else str(v) for v in values.tolist()]


def write_table(
    path: Path,
    table: str,
    frame: dict[str, np.ndarray],
    style: Style,
    rotate: int,
    omit: tuple[str, ...] = (),
    store: str | None = None,
) -> int:
    """Write one table's canonical columns as an export file; return the number of rows.

    ``omit`` names optional columns this store's DMS does not export; ``store`` adds a
    store column (some group DMSs export one).
    """
    attrs = style.for_table(table)
    columns = [c.name for c in spec.TABLES[table].columns if c.name not in omit]
    n = len(frame[columns[0]])
    cells = [format_column(table, c, frame[c], attrs, rotate) for c in columns]
    headers = [header_for(table, c, attrs["headers"], i, rotate) for i, c in enumerate(columns)]
    if store is not None:
        headers.append(header_for(table, "store", attrs["headers"], 0, rotate))
        cells.append([store] * n)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=attrs["newline"])
    writer.writerow(headers)
    writer.writerows(zip(*cells, strict=True))
    encoding = attrs["encoding"]
    data = buf.getvalue().encode(encoding)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return n
