"""Translations: every UI string exists in both languages, and the Chinese UI shows no English."""

from __future__ import annotations

import json
import re

import pytest

from tests.ui.conftest import PAGES
from ui import i18n
from ui.auth import md
from warehouse.db import connect

# Words that stay as they are in Chinese text: abbreviations a Chinese GM uses as such.
KEEP = {"CSV", "VIN", "DMS", "KPI", "NPS", "ETA", "Language", "English", "SUV"}
DATA_SQL = """
    SELECT store FROM stores UNION SELECT name FROM stores
    UNION SELECT model FROM orders UNION SELECT model FROM vehicles
    UNION SELECT model_interest FROM traffic UNION SELECT consultant FROM traffic
    UNION SELECT consultant FROM orders UNION SELECT technician FROM technicians
    UNION SELECT technician FROM repair_orders UNION SELECT advisor FROM repair_orders
    UNION SELECT vin FROM vehicles UNION SELECT part_no FROM parts_stock
    UNION SELECT ro_id FROM repair_orders
"""
WORD = re.compile(r"[A-Za-z][A-Za-z.\-]{2,}")
MARKDOWN_DIRECTIVE = re.compile(r":[a-z]+(-badge)?\[|:material/[a-z_]+:")


def test_every_string_has_both_languages():
    for key, (en, zh) in i18n.STRINGS.items():
        assert en.strip() and zh.strip(), key
    for kind, values in i18n.ENUMS.items():
        for value, (en, zh) in values.items():
            assert en.strip() and zh.strip(), (kind, value)


def test_unknown_key_raises_and_is_recorded():
    i18n.reset_missing()
    with pytest.raises(i18n.MissingTranslation):
        i18n.t("no.such.key")
    assert "string:no.such.key" in i18n.missing()
    assert i18n.enum_label("channel", "carrier_pigeon", "zh") == "carrier_pigeon"
    assert "channel:carrier_pigeon" in i18n.missing()
    i18n.reset_missing()


def test_enum_labels_follow_the_language():
    assert i18n.enum_label("channel", "autohome", "zh") == "汽车之家"
    assert i18n.enum_label("channel", "autohome", "en") == "Autohome"
    assert i18n.enum_label("ro_type", "warranty", "zh") == "索赔"
    assert i18n.enum_label("lead_level", "F", "en") == "F: lost"


def _data_words(db) -> set[str]:
    with connect(db, read_only=True) as con:
        values = [r[0] for r in con.execute(DATA_SQL).fetchall() if r[0]]
    return {w for v in values for w in WORD.findall(str(v))}


def _plotly_texts(spec: dict) -> list[str]:
    layout = spec.get("layout", {})
    out = [str((layout.get("title") or {}).get("text") or "")]
    for axis in ("xaxis", "yaxis"):
        out.append(str(((layout.get(axis) or {}).get("title") or {}).get("text") or ""))
    for trace in spec.get("data", []):
        out.append(str(trace.get("name") or ""))
        for dim in ("x", "y", "labels"):
            values = trace.get(dim)
            if isinstance(values, list):
                out += [v for v in values if isinstance(v, str)]
    return out


def _shown_texts(at) -> list[str]:
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "success",
                 "warning"):  # fmt: skip
        texts += [e.value for e in at.get(kind)]
    for m in at.metric:
        texts += [m.label, m.value, m.delta or ""]
    for kind in ("radio", "selectbox", "segmented_control", "pills"):
        for w in at.get(kind):
            texts.append(w.label)
            texts += [str(o) for o in getattr(w, "options", [])]
    for kind in ("number_input", "date_input", "download_button", "button"):
        texts += [w.label for w in at.get(kind)]
    texts += [tab.label for tab in at.tabs]
    for df in at.dataframe:
        texts += [str(c) for c in df.value.columns]
    for chart in at.get("plotly_chart"):
        texts += _plotly_texts(json.loads(chart.proto.spec))
    return texts


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_chinese_ui_shows_no_untranslated_text(run_app, app_db, page):
    i18n.reset_missing()
    at = run_app(app_db, page, "zh")
    assert not at.exception
    assert not i18n.missing(), f"no translation for {sorted(i18n.missing())}"
    allowed = KEEP | _data_words(app_db)
    english = set()
    for text in _shown_texts(at):
        text = text.replace(md(str(app_db)), "").replace(str(app_db), "")  # the path is data
        text = MARKDOWN_DIRECTIVE.sub("", text)
        english |= {w for w in WORD.findall(text) if w not in allowed}
    assert not english, f"{page} shows English in the Chinese UI: {sorted(english)}"


@pytest.mark.slow
@pytest.mark.parametrize("page", ["pages/overview.py", "pages/sales.py"])
def test_english_ui_shows_no_chinese_labels(run_app, app_db, page):
    at = run_app(app_db, page, "en")
    labels = [m.label for m in at.metric] + [t.label for t in at.tabs]
    assert labels and not [x for x in labels if re.search(r"[\u4e00-\u9fff]", x)]


@pytest.mark.slow
def test_the_scan_finds_english_in_the_english_ui(run_app, app_db):
    # Guards the test above: the same scan on the English UI must find English words.
    at = run_app(app_db, "pages/sales.py", "en")
    texts = _shown_texts(at)
    words = {w for text in texts for w in WORD.findall(MARKDOWN_DIRECTIVE.sub("", text))}
    assert {"Funnel", "Consultant", "Walk-ins", "Sales"} <= words
    assert len(texts) > 50
