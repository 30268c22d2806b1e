"""Manager-only writes besides imports: accounts and store settings, each checking the role.

The app's pages hide these actions from other roles; these functions check again so that no
path (a typed URL, a script) reaches a write without a manager. Every function takes the
acting user and raises PermissionError before touching the database when the role is short.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from warehouse.auth import User, create_user, delete_user, list_users, update_user
from warehouse.db import STORE_DEFAULTS, bump_data_version, ensure_store
from warehouse.live import parse_opening_hours
from warehouse.messages import MessageError

SETTINGS_FIELDS = (
    "name",
    "brand",
    "region",
    "timezone",
    "opening_hours",
    "floorplan_rate",
    "thresholds",
    "cadence",
    "public_view",
    "public_tv",
)
CADENCE_LEVELS = ("O", "H", "A", "B", "C")
MAX_TEXT = 100


class SettingsError(ValueError):
    """One or more settings are invalid; ``errors`` maps each field to the reason."""

    def __init__(self, errors: dict[str, str], coded: dict[str, MessageError] | None = None):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        self.coded = coded or {}

    def reason(self, field: str, lang: str = "en") -> str:
        """Return why ``field`` was refused, in ``lang`` ('en' or 'zh')."""
        found = self.coded.get(field)
        return found.text(lang) if found is not None else self.errors[field]


def require(user: User | None, role: str) -> User:
    """Return the user when it has ``role``; raise PermissionError otherwise."""
    if user is None or not user.can(role):
        who = "nobody is signed in" if user is None else f"{user.username} is {user.role}"
        raise PermissionError(f"This needs the {role} role; {who}.")
    return user


# ------------------------------------------------------------------ accounts


def _managers(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {u.username for u in list_users(con) if u.role == "manager"}


def _email_taken(con: duckdb.DuckDBPyConnection, email: str | None, username: str) -> bool:
    if not email or not email.strip():
        return False
    row = con.execute(
        "SELECT 1 FROM users WHERE email = $e AND username <> $u",
        {"e": email.strip().lower(), "u": username},
    ).fetchone()
    return row is not None


def add_account(
    con: duckdb.DuckDBPyConnection,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Create an account as a manager; raise ValueError on a bad name, password or e-mail."""
    require(actor, "manager")
    if _email_taken(con, email, username):
        raise ValueError(f"Another account already uses the e-mail {email.strip().lower()}")
    return create_user(con, username, password, role, display_name or None, email or None)


def change_account(
    con: duckdb.DuckDBPyConnection,
    actor: User | None,
    username: str,
    *,
    role: str | None = None,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> None:
    """Change an account as a manager; the last manager cannot lose the manager role."""
    require(actor, "manager")
    if role and role != "manager" and _managers(con) == {username}:
        raise ValueError("This is the only manager account; make someone else manager first")
    if _email_taken(con, email, username):
        raise ValueError(f"Another account already uses the e-mail {email.strip().lower()}")
    update_user(
        con, username, role=role, password=password or None, display_name=display_name,
        email=email,
    )  # fmt: skip


def remove_account(con: duckdb.DuckDBPyConnection, actor: User | None, username: str) -> bool:
    """Delete an account as a manager; never the last manager nor the actor's own account."""
    actor = require(actor, "manager")
    if username == actor.username:
        raise ValueError("You cannot delete your own account while signed in with it")
    if _managers(con) == {username}:
        raise ValueError("This is the only manager account; make someone else manager first")
    return delete_user(con, username)


# ------------------------------------------------------------------ store settings


def store_settings(con: duckdb.DuckDBPyConnection, store: str) -> dict[str, Any]:
    """Return a store's settings (the contract's defaults where the store has none)."""
    cols = ", ".join(SETTINGS_FIELDS)
    cur = con.execute(f"SELECT {cols} FROM stores WHERE store = $s", {"s": store})
    row = cur.fetchone()
    out: dict[str, Any] = dict(
        zip(SETTINGS_FIELDS, row or [None] * len(SETTINGS_FIELDS), strict=True)
    )
    # Private unless a manager made it public (docs/AUTH.md); an unknown store is private too.
    for key, value in {**STORE_DEFAULTS, "public_view": False, "public_tv": False}.items():
        if out.get(key) is None:
            out[key] = value
    out["store"] = store
    return out


def _text(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_TEXT:
        raise MessageError("settings_too_long", limit=MAX_TEXT)
    return text or None


def _rate(value: Any) -> float:
    text = str(value).strip().replace("％", "%")
    pct = text.endswith("%")
    try:
        number = float(text.rstrip("%").strip()) / (100 if pct else 1)
    except ValueError as exc:
        raise MessageError("settings_bad_rate", value=value) from exc
    if not pct and number > 1:
        raise MessageError("settings_rate_over_1", value=value)
    if not (0 <= number <= 1) or math.isnan(number):
        raise MessageError("settings_rate_range", value=value)
    return number


def _json_object(value: Any) -> dict | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parsed = json.loads(value) if isinstance(value, str) else value
    if not isinstance(parsed, dict):
        raise MessageError("settings_json_object")
    return parsed


def _thresholds(value: Any) -> str | None:
    parsed = _json_object(value)
    if parsed is None:
        return None
    from kpi.catalogue import CATALOGUE

    for kpi_id, lines in parsed.items():
        if kpi_id not in CATALOGUE and kpi_id != "csi":
            raise MessageError("settings_unknown_kpi", kpi=kpi_id)
        if not isinstance(lines, dict) or not set(lines) <= {"warning", "critical"}:
            raise MessageError("settings_threshold_shape", kpi=kpi_id)
        for name, line in lines.items():
            if line is not None and (isinstance(line, bool) or not isinstance(line, int | float)):
                raise MessageError("settings_threshold_number", kpi=kpi_id, name=name, line=line)
    return json.dumps(parsed, ensure_ascii=False, sort_keys=True)


def _cadence(value: Any) -> str | None:
    parsed = _json_object(value)
    if parsed is None:
        return None
    clean: dict[str, int] = {}
    for level, days in parsed.items():
        key = str(level).strip().upper()
        if key not in CADENCE_LEVELS:
            raise MessageError("settings_bad_level", level=level, levels=", ".join(CADENCE_LEVELS))
        if isinstance(days, bool) or not isinstance(days, int | float) or days < 0:
            raise MessageError("settings_bad_days", level=level, days=days)
        if isinstance(days, float) and not days.is_integer():
            raise MessageError("settings_bad_days", level=level, days=days)
        clean[key] = int(days)
    return json.dumps(clean, sort_keys=True)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是"):
        return True
    if text in ("0", "false", "no", "n", "否"):
        return False
    raise MessageError("settings_bad_bool", value=value)


def clean_settings(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the given settings validated and normalised; raise SettingsError listing all."""
    errors: dict[str, str] = {}
    coded: dict[str, MessageError] = {}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SETTINGS_FIELDS:
            coded[key] = MessageError("settings_unknown")
            errors[key] = str(coded[key])
            continue
        try:
            if key in ("name", "brand", "region"):
                out[key] = _text(value)
            elif key == "timezone":
                zone = _text(value) or STORE_DEFAULTS["timezone"]
                try:
                    ZoneInfo(zone)
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise MessageError("settings_bad_zone", zone=zone) from exc
                out[key] = zone
            elif key == "opening_hours":
                hours = _text(value) or STORE_DEFAULTS["opening_hours"]
                parsed = parse_opening_hours(hours)
                if parsed is None or parsed[0] >= parsed[1]:
                    raise MessageError("settings_bad_hours", hours=hours)
                out[key] = hours
            elif key == "floorplan_rate":
                out[key] = _rate(value)
            elif key == "thresholds":
                out[key] = _thresholds(value)
            elif key == "cadence":
                out[key] = _cadence(value)
            else:
                out[key] = _bool(value)
        except json.JSONDecodeError as exc:
            coded[key] = MessageError("settings_bad_json", msg=exc.msg, pos=exc.pos)
            errors[key] = str(coded[key])
        except MessageError as exc:
            coded[key] = exc
            errors[key] = str(exc)
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise SettingsError(errors, coded)
    return out


def save_store_settings(
    con: duckdb.DuckDBPyConnection, actor: User | None, store: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate and save a store's settings as a manager; return the saved settings.

    Raises PermissionError for another role and SettingsError (nothing saved) for a bad value.
    Bumps the data version so every page and the TV pick the change up.
    """
    require(actor, "manager")
    store = (store or "").strip()
    if not store:
        raise SettingsError({"store": "empty store id"})
    clean = clean_settings(values)
    con.execute("BEGIN TRANSACTION")
    try:
        ensure_store(con, store)
        for key, value in clean.items():
            # Column names come from SETTINGS_FIELDS, never from the caller.
            con.execute(f"UPDATE stores SET {key} = $v WHERE store = $s", {"v": value, "s": store})
        bump_data_version(con, tables={"stores"}, stores=[store])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return store_settings(con, store)
