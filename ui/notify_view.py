"""Notifications on the Settings page (channels, SMTP, quiet hours, a test message) and the
Data status page's line about deliveries that failed. The logic lives in app/."""

from __future__ import annotations

import streamlit as st

from app import alerts, config
from ui import auth, data, i18n
from ui.i18n import t
from warehouse.db import DatabaseBusy

STRINGS: dict[str, tuple[str, str]] = {
    "notify.title": ("Daily digest and alerts", "每日简报与预警推送"),
    "notify.caption": (
        "Where the GM's daily digest and the alerts go. Webhook keys, the DingTalk secret and "
        "the SMTP password are read from .streamlit/secrets.toml or the environment, never "
        "from this page (docs/ALERTS.md).",
        "每日简报和预警的发送渠道。企业微信/钉钉机器人的密钥和 SMTP 密码只从 "
        ".streamlit/secrets.toml 或环境变量读取，不在本页填写（见 docs/ALERTS.md）。",
    ),
    "notify.wecom": ("WeCom group robot", "企业微信群机器人"),
    "notify.dingtalk": ("DingTalk robot", "钉钉机器人"),
    "notify.email": ("E-mail", "电子邮件"),
    "notify.configured": ("{what}: configured ✓", "{what}：已配置 ✓"),
    "notify.not_configured": ("{what}: not configured", "{what}：未配置"),
    "notify.wecom_key": ("WeCom webhook key", "企业微信 Webhook 密钥"),
    "notify.dingtalk_token": ("DingTalk access token", "钉钉 access token"),
    "notify.dingtalk_secret": ("DingTalk signing secret", "钉钉加签密钥"),
    "notify.smtp_password": ("SMTP password", "SMTP 密码"),
    "notify.smtp_host": ("SMTP server", "SMTP 服务器"),
    "notify.smtp_port": ("Port", "端口"),
    "notify.smtp_security": ("Security", "加密方式"),
    "notify.smtp_user": ("SMTP user name", "SMTP 用户名"),
    "notify.smtp_from": ("Sender address", "发件人地址"),
    "notify.recipients": ("Recipients (one per line)", "收件人（每行一个）"),
    "notify.quiet_hours": ("Quiet hours (HH:MM-HH:MM)", "免打扰时段（HH:MM-HH:MM）"),
    "notify.quiet_help": (
        "No alert is sent in these hours, e.g. 22:00-07:00; empty for none.",
        "此时段内不发送预警，例如 22:00-07:00；留空表示不设。",
    ),
    "notify.lang": ("Language of the messages", "消息语言"),
    "notify.base_url": ("Dashboard address for the links", "消息中链接的看板地址"),
    "notify.save": ("Save notification settings", "保存推送设置"),
    "notify.saved": ("Notification settings saved.", "推送设置已保存。"),
    "notify.bad": ("Check this setting: {field}", "请检查此项设置：{field}"),
    "notify.test": ("Send a test message", "发送测试消息"),
    "notify.test_none": ("Switch a channel on and save first.", "请先开启至少一个渠道并保存。"),
    "notify.test_ok": ("{channel}: test message sent.", "{channel}：测试消息已发送。"),
    "notify.test_failed": ("{channel}: failed ({error})", "{channel}：发送失败（{error}）"),
    "notify.file_bad": (
        "The notification settings file cannot be read: {error}",
        "推送配置文件无法读取：{error}",
    ),
    "notify.problems": (
        "{store}: the {kind} of {day} did not reach {channel} ({error}); it is tried again on "
        "the next run.",
        "{store}：{day} 的{kind}未能发送到{channel}（{error}），下次运行时将重试。",
    ),
    "notify.kind_digest": ("daily digest", "每日简报"),
    "notify.kind_alert": ("alert", "预警"),
    "notify.security_starttls": ("STARTTLS", "STARTTLS"),
    "notify.security_ssl": ("SSL/TLS", "SSL/TLS"),
    "notify.security_none": ("None (local relay)", "不加密（本机中继）"),
}
i18n.STRINGS.update(STRINGS)

CHANNEL_SECRETS = {
    "wecom": ("wecom_key",),
    "dingtalk": ("dingtalk_token", "dingtalk_secret"),
    "email": ("smtp_password",),
}


def _file() -> dict:
    try:
        return config.load_file()
    except (OSError, ValueError) as exc:
        st.warning(t("notify.file_bad", error=auth.md(type(exc).__name__)))
        return {}


def _secrets_status(store: str) -> None:
    """Show which secrets are set; never their values."""
    have = config.secrets_for(store).configured()
    parts = []
    for name in ("wecom_key", "dingtalk_token", "dingtalk_secret", "smtp_password"):
        key = "notify.configured" if have[name] else "notify.not_configured"
        parts.append(t(key, what=t(f"notify.{name}")))
    st.caption(" · ".join(parts))


def _form(store: str, now: config.NotifySettings) -> dict | None:
    """Draw the settings form; return the submitted values (None until saved)."""
    with st.form(f"notify-{store}"):
        cols = st.columns(3)
        values = {c: col.toggle(t(f"notify.{c}"), getattr(now, c))
                  for c, col in zip(config.CHANNELS, cols, strict=True)}  # fmt: skip
        left, right = st.columns(2)
        values["smtp_host"] = left.text_input(t("notify.smtp_host"), now.smtp_host)
        values["smtp_port"] = right.number_input(
            t("notify.smtp_port"), 1, 65535, int(now.smtp_port), step=1
        )
        values["smtp_security"] = left.selectbox(
            t("notify.smtp_security"), config.SECURITIES,
            index=config.SECURITIES.index(now.smtp_security),
            format_func=lambda s: t(f"notify.security_{s}"),
        )  # fmt: skip
        values["smtp_user"] = right.text_input(t("notify.smtp_user"), now.smtp_user)
        values["smtp_from"] = left.text_input(t("notify.smtp_from"), now.smtp_from)
        values["recipients"] = right.text_area(
            t("notify.recipients"), "\n".join(now.recipients), height=90
        )
        values["quiet_hours"] = left.text_input(
            t("notify.quiet_hours"), now.quiet_hours, help=t("notify.quiet_help")
        )
        values["lang"] = right.selectbox(
            t("notify.lang"), i18n.LANGS, index=i18n.LANGS.index(now.lang),
            format_func=i18n.LANG_NAMES.get,
        )  # fmt: skip
        values["base_url"] = st.text_input(t("notify.base_url"), now.base_url)
        if st.form_submit_button(t("notify.save")):
            return values
    return None


def settings_section(user, store: str) -> None:
    """Draw the notification settings of a store for a manager: form, secrets, test button."""
    st.subheader(t("notify.title"))
    st.caption(t("notify.caption"))
    file = _file()
    try:
        now = auth.read(config.settings_for, store, file) or config.NotifySettings()
    except config.ConfigError:
        now = config.NotifySettings()
    _secrets_status(store)
    if notice := st.session_state.pop("_notify_notice", None):
        st.success(notice, icon=":material/task_alt:")
    values = _form(store, now)
    if values is not None:
        try:
            auth.write(config.save, store, values, user.username)
        except config.ConfigError as exc:
            for field in exc.errors:
                label = t(f"notify.{field}") if f"notify.{field}" in STRINGS else field
                st.error(t("notify.bad", field=label))
        except DatabaseBusy:
            st.warning(t("common.db_busy"))
        else:
            st.session_state["_notify_notice"] = t("notify.saved")
            st.rerun()
    if st.button(t("notify.test"), key=f"notify-test-{store}"):
        if not now.channels():
            st.info(t("notify.test_none"))
        name = data.store_name(store) or store
        for outcome in alerts.send_probe(store, name, now):
            channel = t(f"notify.{outcome.channel}")
            if outcome.ok:
                st.success(t("notify.test_ok", channel=channel))
            else:
                st.error(t("notify.test_failed", channel=channel, error=auth.md(outcome.error)))


def delivery_problems() -> None:
    """Show a line per digest or alert that failed to go out lately (Data status page)."""
    rows = auth.read(alerts.problems, data.today()) or []
    # One line per message and channel (an alert message records one row per KPI).
    lines = dict.fromkeys(
        (store, kind, day, channel, error)
        for store, kind, _key, day, channel, _at, _n, error in rows
    )
    for store, kind, day, channel, error in lines:
        st.warning(t("notify.problems", store=auth.md(store), kind=t(f"notify.kind_{kind}"),
                     day=str(day), channel=t(f"notify.{channel}"), error=auth.md(error)),
                   icon=":material/error:")  # fmt: skip
