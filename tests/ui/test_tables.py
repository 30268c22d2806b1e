"""Tinted tables and the group heatmap drawn from a cache: what Streamlit sends is unchanged."""

from __future__ import annotations

import pandas as pd
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData

from ui.group_view import _heatmap_figure
from ui.tables import _css, _styled, _tints


def _frame() -> tuple[pd.DataFrame, pd.DataFrame]:
    shown = pd.DataFrame(
        {
            "Store": ["西湖店", "滨江店", "<b>&"],
            "Test-drive rate": [40.0, 20.0, None],
            "Deliveries": [2, 1, 0],
        }
    )
    css = pd.DataFrame({"Test-drive rate": [_css(s) for s in ("green", "red", "grey")]})
    return shown, css


def _marshalled(styler) -> ArrowData:
    proto = ArrowData()
    marshall_styler(proto, styler, "unused")
    return proto


def test_the_cached_styler_sends_what_a_fresh_styler_sends():
    shown, css = _frame()
    cached = _styled(shown, css)
    fresh = shown.style.apply(
        lambda c: list(css[c.name]) if c.name in css else [""] * len(c), axis=0
    ).set_uuid(cached.uuid)
    expected = _marshalled(fresh)
    assert "background-color: #E6F4EA" in expected.styler.styles  # the green tint is there
    assert _marshalled(cached) == expected
    again = _styled(shown.copy(), css.copy())  # the same table on a rerun: the same object
    assert again is cached
    assert _marshalled(again) == expected  # reading it changed nothing


def test_other_tints_are_another_styler():
    shown, css = _frame()
    other = css.assign(**{"Test-drive rate": [_css("red")] * 3})
    assert _styled(shown, other) is not _styled(shown, css)
    assert "#E6F4EA" not in _marshalled(_styled(shown, other)).styler.styles


def test_the_cached_heatmap_is_escaped_once():
    frame = pd.DataFrame({"label": ["<b>&", "滨江店"], "test_drive_rate": [0.4, 0.2]})
    first = _heatmap_figure(frame, ("test_drive_rate",), None, "en")
    second = _heatmap_figure(frame.copy(), ("test_drive_rate",), None, "en")
    assert second is first
    trace = second.data[0]
    assert list(trace.y) == ["&lt;b&gt;&amp;", "滨江店"]
    assert [row[0] for row in trace.customdata] == ["green", "red"]  # warning 0.35, critical 0.25
    assert [row[0] for row in trace.text] == ["40.0%", "20.0%"]
    assert list(trace.x) == ["Test-drive rate"]


def test_tints_follow_the_catalogue_status_under_the_shown_headers():
    # test_drive_rate: warning 0.35, critical 0.25 (up): 0.40 green, 0.30 amber, 0.20 red,
    # no value grey.
    values = pd.DataFrame({"test_drive_rate": [0.40, 0.30, 0.20, None]})
    css = _tints(values, ("Test-drive rate",), {}, None)
    assert css["Test-drive rate"].tolist() == [_css(s) for s in ("green", "amber", "red", "grey")]
    assert _css("green") == "background-color: #E6F4EA"
    assert _css("neutral") == ""
