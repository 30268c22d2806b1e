"""The notification section of the Settings page: saved per store, secrets shown only as
'configured ✓', the test button sends through a real local robot server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.conftest import DING_SECRET, WECOM_KEY
from warehouse.db import connect


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    from tests.ui.sample_store import build

    return build(tmp_path_factory.mktemp("notify") / "sample.duckdb")


def _shown(at) -> str:
    parts = []
    for kind in ("caption", "markdown", "success", "error", "info", "warning"):
        parts += [e.value for e in at.get(kind)]
    parts += [w.value for w in at.text_input] + [w.value for w in at.text_area]
    return "\n".join(str(p) for p in parts)


@pytest.mark.slow
def test_manager_sets_channels_and_sends_a_test(sample, tmp_path, monkeypatch, robots,
                                               secrets_env):  # fmt: skip
    # imported here: collecting the fast loop (make check) then loads no streamlit
    from tests.ui.signin import sign_in, start, texts, with_accounts

    db = with_accounts(sample, tmp_path / "store.duckdb")
    monkeypatch.delenv("KPI_DINGTALK_TOKEN_S1")
    at = sign_in(start(db, monkeypatch, store="s1"), "boss")
    at.switch_page("pages/settings.py").run()
    shown = _shown(at)
    assert "WeCom webhook key: configured ✓" in shown
    assert "DingTalk access token: not configured" in shown
    assert WECOM_KEY not in shown and DING_SECRET not in shown
    toggles = {w.label: w for w in at.toggle if w.form_id == "notify-s1"}
    toggles["WeCom group robot"].set_value(True)
    fields = {w.label: w for w in at.text_input if w.form_id == "notify-s1"}
    fields["Quiet hours (HH:MM-HH:MM)"].input("22:00-07:00")
    fields["Dashboard address for the links"].input("https://kpi.example")
    next(b for b in at.button if b.key.startswith("FormSubmitter:notify-s1")).click().run()
    assert "Notification settings saved." in texts(at.success)
    with connect(db, read_only=True) as con:
        saved = json.loads(
            con.execute("SELECT settings FROM notify_settings WHERE store = 's1'").fetchone()[0]
        )
    assert (saved["wecom"], saved["quiet_hours"], saved["base_url"]) == (
        True, "22:00-07:00", "https://kpi.example")  # fmt: skip
    assert WECOM_KEY not in json.dumps(saved)
    # The endpoint for the test: a server file setting (the page does not edit endpoints).
    conf = tmp_path / "notify.toml"
    conf.write_text(f'[stores.s1]\nwecom_url = "{robots.url}/wecom"\n')
    monkeypatch.setenv("KPI_NOTIFY_CONFIG", str(conf))
    at.run()
    next(b for b in at.button if b.key == "notify-test-s1").click().run()
    assert "WeCom group robot: test message sent." in texts(at.success)
    (body,) = robots.ok("/wecom")
    assert body["msgtype"] == "markdown" and "Test message" not in body["markdown"]["content"]
    assert "测试消息" in body["markdown"]["content"]  # the store's message language: zh
    fields = {w.label: w for w in at.text_input if w.form_id == "notify-s1"}
    fields["Quiet hours (HH:MM-HH:MM)"].input("late at night")
    next(b for b in at.button if b.key.startswith("FormSubmitter:notify-s1")).click().run()
    assert texts(at.error) == ["Check this setting: Quiet hours (HH:MM-HH:MM)"]
