"""Notification settings per store: channels, SMTP, quiet hours, language, dashboard URL.

Settings come from a TOML file for servers (``notify.toml``: ``--config`` or $KPI_NOTIFY_CONFIG)
and from the database (the Settings page writes ``notify_settings``); the database's fields win
over the file's. Secrets (webhook keys, the DingTalk secret, the SMTP password) never live in
either: they come from ``.streamlit/secrets.toml`` (``[notify.<store>]``) or the environment
(``KPI_WECOM_KEY_<STORE>``, ...), and nothing here writes, shows or logs them.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
CONFIG_ENV = "KPI_NOTIFY_CONFIG"
SECRETS_ENV = "KPI_SECRETS"
DEFAULT_SECRETS = ROOT / ".streamlit" / "secrets.toml"

WECOM_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
DINGTALK_URL = "https://oapi.dingtalk.com/robot/send"
SECURITIES = ("starttls", "ssl", "none")
CHANNELS = ("wecom", "dingtalk", "email")
SECRET_NAMES = ("wecom_key", "dingtalk_token", "dingtalk_secret", "smtp_password")

# The table the Settings page writes. Created where it is written (see ensure_table), so this
# feature needs no step of the schema migrations others are changing (docs/DECISIONS.md).
SETTINGS_DDL = """CREATE TABLE IF NOT EXISTS notify_settings (
    store VARCHAR PRIMARY KEY, settings VARCHAR NOT NULL, updated_by VARCHAR,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"""

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class ConfigError(ValueError):
    """A setting that cannot be used; ``errors`` maps each field to the reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class NotifySettings:
    """One store's notification settings (no secrets)."""

    wecom: bool = False
    dingtalk: bool = False
    email: bool = False
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_from: str = ""
    recipients: tuple[str, ...] = ()
    quiet_hours: str = ""  # "22:00-07:00"; empty: none
    lang: str = "zh"
    base_url: str = "http://localhost:8501"
    wecom_url: str = WECOM_URL
    dingtalk_url: str = DINGTALK_URL
    smtp_cafile: str = ""  # a private CA for the SMTP server's certificate (servers only)

    def channels(self) -> list[str]:
        """Return the channels switched on, in the order they are sent."""
        return [c for c in CHANNELS if getattr(self, c)]

    def to_json(self) -> str:
        data = asdict(self)
        data["recipients"] = list(self.recipients)
        return json.dumps(data, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Secrets:
    """A store's secrets; repr never shows them."""

    wecom_key: str = field(default="", repr=False)
    dingtalk_token: str = field(default="", repr=False)
    dingtalk_secret: str = field(default="", repr=False)
    smtp_password: str = field(default="", repr=False)

    def configured(self) -> dict[str, bool]:
        """Return which secrets are set (what a page may show: never the values)."""
        return {name: bool(getattr(self, name)) for name in SECRET_NAMES}


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """Return (start, end) of 'HH:MM-HH:MM', None for an empty text; raise ValueError if bad."""
    text = (text or "").strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split("-")]
    if len(parts) != 2 or not all(_HHMM.match(p) for p in parts):
        raise ValueError(f"quiet hours must read HH:MM-HH:MM, got {text!r}")
    start, end = (time(int(p.split(":")[0]), int(p.split(":")[1])) for p in parts)
    return start, end


def in_quiet_hours(quiet: str, at: time) -> bool:
    """Tell whether a local time of day falls in the quiet hours (which may wrap midnight)."""
    span = parse_quiet_hours(quiet)
    if span is None:
        return False
    start, end = span
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end


def _recipients(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = re.split(r"[,;\s]+", value)
    return tuple(v.strip() for v in (value or ()) if str(v).strip())


def clean(values: Mapping[str, Any], base: NotifySettings | None = None) -> NotifySettings:
    """Return settings from raw values (a form, a TOML table) over ``base``; raise ConfigError."""
    known = {f.name for f in fields(NotifySettings)}
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in values.items():
        if key not in known:
            continue
        if key in ("wecom", "dingtalk", "email"):
            out[key] = bool(value)
        elif key == "smtp_port":
            try:
                port = int(value)
            except (TypeError, ValueError):
                port = 0
            if not 0 < port < 65536:
                errors[key] = "a port number 1-65535"
            out[key] = port
        elif key == "recipients":
            out[key] = _recipients(value)
            bad = [r for r in out[key] if not _EMAIL.match(r)]
            if bad:
                errors[key] = "not an e-mail address: " + ", ".join(bad)
        else:
            out[key] = "" if value is None else str(value).strip()
    if out.get("smtp_security", "starttls") not in SECURITIES:
        errors["smtp_security"] = "one of " + ", ".join(SECURITIES)
    if out.get("lang", "zh") not in ("zh", "en"):
        errors["lang"] = "zh or en"
    try:
        parse_quiet_hours(out.get("quiet_hours", ""))
    except ValueError:
        errors["quiet_hours"] = "HH:MM-HH:MM, e.g. 22:00-07:00"
    for key in ("base_url", "wecom_url", "dingtalk_url"):
        if key in out and not re.match(r"^https?://", out[key]):
            errors[key] = "an http:// or https:// address"
    if errors:
        raise ConfigError(errors)
    if "base_url" in out:
        out["base_url"] = out["base_url"].rstrip("/")
    settings = replace(base or NotifySettings(), **out)
    if settings.email and not (settings.smtp_host and settings.smtp_from and settings.recipients):
        raise ConfigError({"email": "e-mail needs an SMTP host, a sender and recipients"})
    return settings


# ---- where settings come from ------------------------------------------------------------------


def load_file(path: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """Return the config file's tables: '*' for [defaults], then one per [stores.<store>].

    The path is the argument, else $KPI_NOTIFY_CONFIG; no file gives {}.
    """
    target = path or os.environ.get(CONFIG_ENV)
    if not target:
        return {}
    with open(target, "rb") as fh:
        doc = tomllib.load(fh)
    out: dict[str, dict[str, Any]] = {"*": dict(doc.get("defaults", {}))}
    for store, table in (doc.get("stores") or {}).items():
        out[str(store)] = dict(table)
    for table in out.values():
        leaked = set(table) & set(SECRET_NAMES)
        if leaked:
            reason = "secrets belong in secrets.toml or the environment"
            raise ConfigError(dict.fromkeys(leaked, reason))
    return out


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the settings table if missing (called on the write path only)."""
    con.execute(SETTINGS_DDL)


def stored(con: duckdb.DuckDBPyConnection, store: str) -> dict[str, Any]:
    """Return the raw settings the Settings page saved for a store ({} when none)."""
    try:
        row = con.execute(
            "SELECT settings FROM notify_settings WHERE store = $s", {"s": store}
        ).fetchone()
    except duckdb.CatalogException:
        return {}
    return json.loads(row[0]) if row else {}


def save(
    con: duckdb.DuckDBPyConnection, store: str, values: Mapping[str, Any], username: str | None
) -> NotifySettings:
    """Validate and store a store's settings (secrets are refused); return them."""
    leaked = set(values) & set(SECRET_NAMES)
    if leaked:
        raise ConfigError({k: "secrets are never stored in the database" for k in leaked})
    settings = clean(values)
    # Only the fields given are stored: the rest (endpoints, a private CA) stay the file's.
    given = {f.name for f in fields(NotifySettings)} & set(values)
    data = {k: v for k, v in json.loads(settings.to_json()).items() if k in given}
    ensure_table(con)
    con.execute(
        "INSERT OR REPLACE INTO notify_settings VALUES ($s, $j, $u, current_timestamp)",
        {"s": store, "j": json.dumps(data, ensure_ascii=False, sort_keys=True), "u": username},
    )
    return settings


def settings_for(
    con: duckdb.DuckDBPyConnection, store: str, file: Mapping[str, Mapping] | None = None
) -> NotifySettings:
    """Return a store's settings: defaults, the file's [defaults] and [stores.<store>], then
    what the Settings page saved (a bad file value raises ConfigError naming the field)."""
    file = file or {}
    settings = clean(file.get("*", {})) if file.get("*") else NotifySettings()
    if file.get(store):
        settings = clean(file[store], settings)
    saved = stored(con, store)
    return clean(saved, settings) if saved else settings


# ---- secrets ----------------------------------------------------------------------------------


def env_suffix(store: str) -> str:
    """Return the store id as it ends an environment variable: KPI_WECOM_KEY_SH_PUDONG."""
    return re.sub(r"[^A-Za-z0-9]", "_", store).upper()


def _secrets_file() -> dict[str, Any]:
    path = Path(os.environ.get(SECRETS_ENV) or DEFAULT_SECRETS)
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def secrets_for(store: str) -> Secrets:
    """Return a store's secrets: the environment first, then secrets.toml's [notify.<store>]."""
    table = (_secrets_file().get("notify") or {}).get(store) or {}
    values = {}
    for name in SECRET_NAMES:
        env = os.environ.get(f"KPI_{name.upper()}_{env_suffix(store)}")
        values[name] = env if env else str(table.get(name) or "")
    return Secrets(**values)
