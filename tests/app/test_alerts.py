"""Alerts and the digest sent for real: once per key per channel per day, failures recorded and
tried again, quiet hours respected, a server killed mid-run and restarted loses nothing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from app import alerts
from app.channels import Retry
from tests.app import small_store
from tests.app.conftest import DING_SECRET, SMTP_PASSWORD, WECOM_KEY, RobotServer

ROOT = Path(__file__).resolve().parents[2]
FAST = Retry(attempts=2, backoff_s=0.01, timeout_s=0.5)
NOW = datetime(2026, 3, 11, 9, 0)


@pytest.fixture
def db(tmp_path):
    return small_store.build(tmp_path / "small.duckdb")


def _file(robots, smtp, store="s1", **extra) -> dict:
    host, port, _ = smtp
    return {store: {"wecom": True, "dingtalk": True, "email": True,
                    "wecom_url": f"{robots.url}/wecom", "dingtalk_url": f"{robots.url}/dingtalk",
                    "smtp_host": host, "smtp_port": port, "smtp_security": "none",
                    "smtp_from": "kpi@dealer.example", "recipients": ["gm@dealer.example"],
                    "base_url": "https://kpi.example", **extra}}  # fmt: skip


def _records(db) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT key, channel, status FROM notifications_sent ORDER BY ALL"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


def _delivered(robots, smtp) -> dict[str, int]:
    return {"wecom": len(robots.ok("/wecom")), "dingtalk": len(robots.ok("/dingtalk")),
            "email": len(smtp[2].messages)}  # fmt: skip


def test_alerts_go_out_once_per_day(db, robots, smtp_server, secrets_env):
    file = _file(robots, smtp_server)
    report = alerts.run_alerts(db, NOW, file=file, retry=FAST)
    assert not report.failed and len(report.outcomes) == 3
    # 11 March: follow-up on time 2 of 4 open leads = 50 % < 80 %; pace 3 ÷ 11 × 31 = 8.5 < 31.
    keys = {"deliveries_forecast", "followup_compliance"}
    assert _records(db) == sorted((k, c, "sent") for k in keys
                                  for c in ("dingtalk", "email", "wecom"))  # fmt: skip
    content = robots.ok("/wecom")[0]["markdown"]["content"]
    assert "潜客跟进及时率 超出预警线：50.0%（预警线 80.0%）" in content
    assert "(https://kpi.example/customers?store=s1&lang=zh)" in content
    again = alerts.run_alerts(db, NOW.replace(hour=9, minute=5), file=file, retry=FAST)
    assert again.outcomes == [] and len(again.notes) == 3
    assert _delivered(robots, smtp_server) == {"wecom": 1, "dingtalk": 1, "email": 1}
    # the next day is a new day
    alerts.run_alerts(db, datetime(2026, 3, 12, 9, 0), file=file, retry=FAST)
    assert _delivered(robots, smtp_server) == {"wecom": 2, "dingtalk": 2, "email": 2}


def test_nothing_in_quiet_hours(db, robots, smtp_server, secrets_env):
    file = _file(robots, smtp_server, quiet_hours="22:00-09:30")
    report = alerts.run_alerts(db, NOW, file=file, retry=FAST)
    assert report.outcomes == [] and report.notes == ["s1: quiet hours (22:00-09:30), nothing sent"]
    assert robots.requests == [] and _records(db) == []
    alerts.run_alerts(db, NOW.replace(hour=9, minute=30), file=file, retry=FAST)
    assert _delivered(robots, smtp_server) == {"wecom": 1, "dingtalk": 1, "email": 1}


def test_a_failing_channel_is_reported_the_others_still_go(db, robots, smtp_server, secrets_env):
    file = _file(robots, smtp_server)
    robots.script = ["500", "errcode"]  # both WeCom attempts fail; DingTalk is answered ok
    report = alerts.run_alerts(db, NOW, file=file, retry=FAST)
    assert [(s, o.channel, o.error) for s, o in report.failed] == [
        ("s1", "wecom", "wecom: errcode 45009 api freq out of limit")]  # fmt: skip
    assert _delivered(robots, smtp_server) == {"wecom": 0, "dingtalk": 1, "email": 1}
    con = duckdb.connect(str(db), read_only=True)
    problems = alerts.problems(con, date(2026, 3, 11))
    con.close()
    assert {(p[0], p[2], p[4], p[7]) for p in problems} == {
        ("s1", k, "wecom", "wecom: errcode 45009 api freq out of limit")
        for k in ("deliveries_forecast", "followup_compliance")}  # fmt: skip
    # the next run sends what failed, and only that
    alerts.run_alerts(db, NOW.replace(minute=5), file=file, retry=FAST)
    assert _delivered(robots, smtp_server) == {"wecom": 1, "dingtalk": 1, "email": 1}
    con = duckdb.connect(str(db), read_only=True)
    assert alerts.problems(con, date(2026, 3, 11)) == []
    con.close()


@pytest.mark.slow  # a robot server stopped and restarted: the full gate, not the fast loop
def test_server_killed_mid_run_and_restarted(db, robots, smtp_server, secrets_env):
    file = _file(robots, smtp_server)
    alerts.run_digest(db, date(2026, 3, 11), file=file, retry=FAST)  # the morning digest
    robots.stop()  # the robot server dies before the alerts run
    report = alerts.run_alerts(db, NOW, file=file, retry=FAST)
    assert sorted(o.channel for _, o in report.failed) == ["dingtalk", "wecom"]
    assert len(smtp_server[2].messages) == 2  # the digest and the alerts by mail
    restarted = RobotServer(port=robots.port)
    try:
        restarted.requests = []
        for minute in (5, 10):
            report = alerts.run_alerts(db, NOW.replace(minute=minute), file=file, retry=FAST)
            assert not report.failed
        assert alerts.run_digest(db, date(2026, 3, 11), file=file, retry=FAST).outcomes == []
        # each alert reached each chat exactly once; nothing went twice by mail
        assert len(restarted.ok("/wecom")) == 1 and len(restarted.ok("/dingtalk")) == 1
        assert len(smtp_server[2].messages) == 2
        text = restarted.ok("/dingtalk")[0]["markdown"]["text"]
        # the month-end pace is 8 (3 ÷ 11 × 31); kpi.forecast's figure when it reports one
        assert re.search(r"月底预测交车 \d+ 台，低于目标 31 台", text) and "潜客跟进及时率" in text
    finally:
        restarted.stop()
    assert {s for _, _, s in _records(db)} == {"sent"}


def test_a_second_run_at_the_same_time_is_refused(db):
    with alerts.run_lock(db), pytest.raises(alerts.AnotherRun):
        alerts.run_alerts(db, NOW, file={}, retry=FAST)


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.slow  # four commands in their own processes: the full gate
def test_command_line(db, robots, smtp_server, tmp_path, secrets_env):
    host, port, box = smtp_server
    conf = tmp_path / "notify.toml"
    conf.write_text(
        '[defaults]\nbase_url = "https://kpi.example"\n\n[stores.s1]\n'
        f'wecom = true\nemail = true\nwecom_url = "{robots.url}/wecom"\n'
        f'smtp_host = "{host}"\nsmtp_port = {port}\nsmtp_security = "none"\n'
        'smtp_from = "kpi@dealer.example"\nrecipients = ["gm@dealer.example"]\n'
    )
    env = {**os.environ, "KPI_NOTIFY_CONFIG": str(conf)}
    preview = tmp_path / "digest.html"
    done = _cli("digest", "--db", str(db), "--store", "s1", "--date", "2026-03-11",
                "--lang", "en", "--preview", str(preview), env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Deliveries 3 of target 31" in preview.read_text(encoding="utf-8")
    assert "**Yesterday**" in Path(f"{preview}.md").read_text(encoding="utf-8")
    assert robots.requests == [] and box.messages == []  # a preview sends nothing
    robots.script = ["500"] * 2
    args = ("--attempts", "2", "--timeout", "0.5", "--backoff", "0.01")
    done = _cli("alerts", "--db", str(db), "--send", "--now", "2026-03-11T09:00", *args, env=env)
    assert done.returncode == 1
    assert "s1 wecom: FAILED (wecom: HTTP 500) after 2 attempt(s)" in done.stdout
    assert "s1 email: sent after 1 attempt(s)" in done.stdout
    done = _cli("alerts", "--db", str(db), "--send", "--now", "2026-03-11T09:05", *args, env=env)
    assert done.returncode == 0 and "s1 wecom: sent" in done.stdout
    output = done.stdout + done.stderr
    for secret in (WECOM_KEY, DING_SECRET, SMTP_PASSWORD):
        assert secret not in output
    done = _cli("digest", "--db", str(db), "--send", "--date", "2026-03-11", *args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(robots.ok("/wecom")) == 2 and len(box.messages) == 2


@pytest.mark.slow
@pytest.mark.parametrize("when", ["2026-11-20T09:00", "2026-11-02T08:00", "2026-10-16T12:00"])
def test_demo_alerts_once(demo_db, tmp_path, robots, smtp_server, secrets_env, when):
    db = Path(shutil.copy(demo_db, tmp_path / "demo.duckdb"))
    file = _file(robots, smtp_server, store="sh-pudong")
    now = datetime.fromisoformat(when)
    con = duckdb.connect(str(db), read_only=True)
    expected = {i.key for i in alerts.alert_items(con, "sh-pudong", now.date())}
    con.close()
    report = alerts.run_alerts(db, now, store="sh-pudong", file=file, retry=FAST)
    assert not report.failed
    assert {k for k, _, _ in _records(db)} == expected
    alerts.run_alerts(db, now.replace(minute=30), store="sh-pudong", file=file, retry=FAST)
    assert _delivered(robots, smtp_server) == (
        {"wecom": 1, "dingtalk": 1, "email": 1} if expected else
        {"wecom": 0, "dingtalk": 0, "email": 0})  # fmt: skip
