"""The channels against real local servers: JSON shapes, DingTalk's signature, SMTP mail."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
from base64 import b64encode

import pytest

from app import channels, config
from app.channels import Message, Retry, deliver
from tests.app.conftest import DING_SECRET, DING_TOKEN, SMTP_PASSWORD, WECOM_KEY

FAST = Retry(attempts=3, backoff_s=0.01, timeout_s=0.5)
MESSAGE = Message(
    title="上海浦东旗舰店 · 每日经营简报",
    markdown="### 上海浦东旗舰店\n\n**昨日** 来店 38 批\n- 交车 5 台",
    text="上海浦东旗舰店\n昨日 来店 38 批\n",
    html="<p>上海浦东旗舰店 <b>昨日</b> 来店 38 批</p>",
    link="http://kpi.example/overview?store=sh-pudong",
)


def _settings(robots, **kw) -> config.NotifySettings:
    return config.NotifySettings(wecom=True, dingtalk=True, wecom_url=f"{robots.url}/wecom",
                                 dingtalk_url=f"{robots.url}/dingtalk", **kw)  # fmt: skip


SECRETS = config.Secrets(WECOM_KEY, DING_TOKEN, DING_SECRET, SMTP_PASSWORD)


def test_dingtalk_signature_matches_the_documented_recipe():
    # DingTalk: string_to_sign = timestamp + "\n" + secret; HMAC-SHA256 keyed by the secret;
    # base64; then url-encoded as the sign parameter.
    ts = 1_700_000_000_000
    expected = b64encode(hmac.new(b"s3cr3t", b"1700000000000\ns3cr3t", hashlib.sha256).digest())
    assert channels.dingtalk_sign("s3cr3t", ts) == expected.decode()


@pytest.mark.parametrize(
    ("content", "limit", "fits"),
    [("短消息", 4096, True), ("行\n" * 3000, 4096, False), ("字" * 3000, 4096, False)],
)
def test_trimming_stays_within_the_byte_limit(content, limit, fits):
    out = channels.trim_to_bytes(content, limit, "http://x/overview", "详见看板")
    assert len(out.encode("utf-8")) <= limit
    if fits:
        assert out == content
    else:
        assert out.endswith("…\n[详见看板](http://x/overview)")


def test_wecom_markdown_shape_and_key(robots):
    outcome = deliver("wecom", _settings(robots), SECRETS, MESSAGE, FAST)
    assert outcome.ok and outcome.attempts == 1
    (req,) = robots.requests
    assert req["query"] == {"key": WECOM_KEY}
    assert req["body"] == {"msgtype": "markdown", "markdown": {"content": MESSAGE.markdown}}


def test_wecom_long_message_is_trimmed_never_refused(robots):
    long = Message(**{**MESSAGE.__dict__, "markdown": "- 张伟：12 个，最长逾期 32 天\n" * 400})
    assert deliver("wecom", _settings(robots), SECRETS, long, FAST).ok
    content = robots.ok("/wecom")[0]["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    assert content.endswith(f"…\n[More on the dashboard]({MESSAGE.link})")


def test_dingtalk_markdown_shape_and_signature_checked_by_the_server(robots):
    outcome = deliver("dingtalk", _settings(robots), SECRETS, MESSAGE, FAST)
    assert outcome.ok, outcome
    body = robots.ok("/dingtalk")[0]
    assert body == {"msgtype": "markdown",
                    "markdown": {"title": MESSAGE.title, "text": MESSAGE.markdown}}  # fmt: skip
    assert robots.requests[0]["query"]["access_token"] == DING_TOKEN


def test_dingtalk_wrong_secret_is_refused_and_reported(robots):
    wrong = config.Secrets(WECOM_KEY, DING_TOKEN, "not-the-secret", "")
    outcome = deliver("dingtalk", _settings(robots), wrong, MESSAGE, FAST)
    assert not outcome.ok and outcome.attempts == 3
    assert outcome.error == "dingtalk: errcode 310000 sign not match"


@pytest.mark.parametrize("failure", ["500", "400", "errcode", "notjson", "timeout"])
def test_a_failure_is_retried_then_succeeds(robots, failure):
    robots.script = [failure]
    outcome = deliver("wecom", _settings(robots), SECRETS, MESSAGE, FAST)
    assert outcome.ok and outcome.attempts == 2
    assert [r["answer"] for r in robots.requests] == [failure, "ok"]


def test_errors_never_carry_a_secret(robots):
    robots.script = ["500"] * 3 + ["timeout"] * 3
    first = deliver("wecom", _settings(robots), SECRETS, MESSAGE, FAST)
    second = deliver("wecom", _settings(robots), SECRETS, MESSAGE, FAST)
    assert (first.error, second.error) == ("wecom: HTTP 500", "wecom: no answer within 0.5 s")
    for text in (first.error, second.error, repr(SECRETS)):
        assert WECOM_KEY not in text and DING_SECRET not in text


def test_unreachable_server_is_reported(robots):
    robots.stop()
    outcome = deliver("wecom", _settings(robots), SECRETS, MESSAGE, FAST)
    assert not outcome.ok and outcome.error.startswith("wecom: cannot connect")


def test_email_through_a_real_smtp_server(smtp_server):
    host, port, box = smtp_server
    settings = config.NotifySettings(
        email=True, smtp_host=host, smtp_port=port, smtp_security="none",
        smtp_from="kpi@dealer.example", recipients=("gm@dealer.example", "sales.gm@dealer.example"),
    )  # fmt: skip
    outcome = deliver("email", settings, SECRETS, MESSAGE, FAST)
    assert outcome.ok, outcome
    ((sender, rcpts, raw),) = box.messages
    assert sender == "kpi@dealer.example"
    assert rcpts == ["gm@dealer.example", "sales.gm@dealer.example"]
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n")[0].lower()  # the subject is RFC 2047 encoded
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Subject"] == "上海浦东旗舰店 · 每日经营简报"
    assert mail.get_content_type() == "multipart/alternative"
    # SMTP lines end in CRLF on the wire
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n") == MESSAGE.text
    assert "<b>昨日</b> 来店 38 批" in mail.get_body(("html",)).get_content()


def test_email_to_a_closed_port_fails_after_retries():
    from tests.app.conftest import free_port

    settings = config.NotifySettings(email=True, smtp_host="127.0.0.1", smtp_port=free_port(),
                                     smtp_security="starttls", smtp_from="kpi@x.example",
                                     recipients=("gm@x.example",))  # fmt: skip
    outcome = deliver("email", settings, SECRETS, MESSAGE, FAST)
    assert not outcome.ok and outcome.attempts == 3
    assert outcome.error.startswith("email: connection failed")


def test_secrets_come_from_the_environment_or_secrets_toml(monkeypatch, tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[notify.sh-pudong]\nwecom_key = "from-file"\ndingtalk_secret = "ds"\n')
    monkeypatch.setenv("KPI_SECRETS", str(path))
    monkeypatch.setenv("KPI_WECOM_KEY_SH_PUDONG", "from-env")
    s = config.secrets_for("sh-pudong")
    assert (s.wecom_key, s.dingtalk_secret, s.smtp_password) == ("from-env", "ds", "")
    assert s.configured() == {"wecom_key": True, "dingtalk_token": False,
                              "dingtalk_secret": True, "smtp_password": False}  # fmt: skip
    assert "from-env" not in repr(s)


def test_settings_refuse_secrets_and_bad_values(tmp_path):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE stores (store VARCHAR)")
    with pytest.raises(config.ConfigError, match="never stored"):
        config.save(con, "s1", {"wecom": True, "wecom_key": "k"}, "gm")
    with pytest.raises(config.ConfigError) as exc:
        config.save(con, "s1", {"quiet_hours": "10pm", "recipients": "not-an-address",
                                "smtp_port": 0, "base_url": "kpi.example"}, "gm")  # fmt: skip
    assert set(exc.value.errors) == {"quiet_hours", "recipients", "smtp_port", "base_url"}
    config.save(con, "s1", {"dingtalk": True, "quiet_hours": "22:00-07:00",
                            "base_url": "https://kpi.example/"}, "gm")  # fmt: skip
    file = {"*": {"lang": "en"}, "s1": {"wecom": True}}
    got = config.settings_for(con, "s1", file)
    # the file's defaults and store table, then the fields the page saved on top
    assert (got.lang, got.wecom, got.dingtalk, got.base_url) == (
        "en", True, True, "https://kpi.example")  # fmt: skip
    assert "k" not in con.execute("SELECT settings FROM notify_settings").fetchone()[0].split('"')


@pytest.mark.parametrize(
    ("quiet", "at", "inside"),
    [("22:00-07:00", "23:30", True), ("22:00-07:00", "06:59", True),
     ("22:00-07:00", "07:00", False), ("12:00-13:00", "12:30", True),
     ("12:00-13:00", "13:00", False), ("", "03:00", False)],
)  # fmt: skip
def test_quiet_hours_wrap_midnight(quiet, at, inside):
    from datetime import time

    assert config.in_quiet_hours(quiet, time.fromisoformat(at)) is inside


def test_config_file_format(tmp_path):
    path = tmp_path / "notify.toml"
    path.write_text(
        '[defaults]\nbase_url = "https://kpi.example"\nlang = "zh"\n\n'
        '[stores.sh-pudong]\nwecom = true\nquiet_hours = "22:00-07:00"\n'
    )
    assert config.load_file(path) == {"*": {"base_url": "https://kpi.example", "lang": "zh"},
                                      "sh-pudong": {"wecom": True,
                                                    "quiet_hours": "22:00-07:00"}}  # fmt: skip
    path.write_text('[stores.s1]\nsmtp_password = "x"\n')
    with pytest.raises(config.ConfigError, match="secrets belong"):
        config.load_file(path)
