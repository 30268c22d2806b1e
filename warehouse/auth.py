"""Accounts and roles: salted password hashes in the store database.

Roles, each including the ones before it:
- viewer: reads the KPI pages;
- staff: also logs live walk-ins, calls and orders;
- manager: also uploads exports, undoes imports, edits targets, settings and accounts.

`python -m kpi users add NAME --role manager` creates an account (password read from a prompt,
or from standard input with --password-stdin).

Passwords: PBKDF2-HMAC-SHA256 at OWASP's 600,000 iterations, stored as
``pbkdf2_sha256$<iterations>$<hex>`` (a bare hex hash is an old 240,000-iteration one, rehashed
on its next successful sign-in). Guessing is slowed by :func:`sign_in`'s throttle, kept in the
login_attempts table: after a few failures of one name from one client, and after more failures
from one client under any names, the next try waits a doubling delay (capped). A delay, not a
lockout: the real user on another client is never refused, and on the same client only waits.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import os
import re
import secrets
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

ROLES = ("viewer", "staff", "manager")
ITERATIONS = 600_000  # OWASP Password Storage Cheat Sheet, PBKDF2-HMAC-SHA256
LEGACY_ITERATIONS = 240_000  # hashes written before the scheme prefix
_SCHEME = "pbkdf2_sha256"
# The throttle (docs/AUTH.md): failures allowed before a wait, the doubling wait's cap, and how
# long a failure counts.
FREE_PER_NAME = 3  # failures of one name from one client
FREE_PER_CLIENT = 10  # failures from one client, whatever the names
MAX_WAIT_S = 300
WINDOW = timedelta(hours=1)
_ATTEMPTS_LOCK = threading.Lock()
_NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # longer input is refused before hashing (no megabyte-long hash work)


@dataclass(frozen=True)
class User:
    """A signed-in person: the account name, the name shown, the role and e-mail."""

    username: str
    display_name: str
    role: str
    email: str | None = None

    def can(self, role: str) -> bool:
        """Return True when this user's role includes ``role``."""
        return has_role(self.role, role)


def has_role(user_role: str | None, needed: str) -> bool:
    """Return True when ``user_role`` is ``needed`` or a role above it."""
    if user_role not in ROLES:
        return False
    return ROLES.index(user_role) >= ROLES.index(needed)


def _digest(password: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), bytes.fromhex(salt), iterations
    ).hex()


def _hash(password: str, salt: str) -> str:
    """Return the stored form of a password: scheme, iteration count and digest."""
    return f"{_SCHEME}${ITERATIONS}${_digest(password, salt, ITERATIONS)}"


def _iterations(stored: str) -> int:
    """Return the iteration count a stored hash was made with (old bare hex: 240,000)."""
    parts = stored.split("$")
    if len(parts) == 3 and parts[0] == _SCHEME and parts[1].isdigit():
        return int(parts[1])
    return LEGACY_ITERATIONS


def _matches(password: str, salt: str, stored: str) -> bool:
    """Return True when the password gives the stored hash (work of the stored scheme)."""
    iterations = _iterations(stored)
    digest = _digest(password, salt, iterations)
    expected = stored.split("$")[-1]
    return hmac.compare_digest(digest, expected)


def _check(username: str, password: str | None, role: str) -> None:
    if not _NAME.match(username or ""):
        raise ValueError("A user name is 1-64 letters, digits, Chinese characters or . _ - @")
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters")
    if password is not None and len(password) > MAX_PASSWORD:
        raise ValueError(f"A password has at most {MAX_PASSWORD} characters")


def create_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    email: str | None = None,
) -> User:
    """Create an account; raise ValueError when the name exists or the input is invalid."""
    _check(username, password, role)
    if con.execute("SELECT 1 FROM users WHERE username = $u", {"u": username}).fetchone():
        raise ValueError(f"The user {username!r} exists already")
    salt = secrets.token_hex(16)
    con.execute(
        "INSERT INTO users (username, display_name, role, salt, password_hash, email) "
        "VALUES ($u, $d, $r, $s, $h, $e)",
        {
            "u": username,
            "d": display_name or username,
            "r": role,
            "s": salt,
            "h": _hash(password, salt),
            "e": (email or None) and email.strip().lower(),
        },
    )
    return User(username, display_name or username, role, email)


def update_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    *,
    role: str | None = None,
    password: str | None = None,
    display_name: str | None = None,
    email: str | None = None,
) -> None:
    """Change an account's role, password, display name or e-mail."""
    row = con.execute("SELECT role FROM users WHERE username = $u", {"u": username}).fetchone()
    if not row:
        raise ValueError(f"No user {username!r}")
    _check(username, password, role or row[0])
    if role:
        con.execute("UPDATE users SET role = $r WHERE username = $u", {"r": role, "u": username})
    if password is not None:
        salt = secrets.token_hex(16)
        con.execute(
            "UPDATE users SET salt = $s, password_hash = $h WHERE username = $u",
            {"s": salt, "h": _hash(password, salt), "u": username},
        )
    if display_name:
        con.execute(
            "UPDATE users SET display_name = $d WHERE username = $u",
            {"d": display_name, "u": username},
        )
    if email is not None:
        con.execute(
            "UPDATE users SET email = $e WHERE username = $u",
            {"e": email.strip().lower() or None, "u": username},
        )


def delete_user(con: duckdb.DuckDBPyConnection, username: str) -> bool:
    """Delete an account; return False when it did not exist."""
    found = con.execute("SELECT 1 FROM users WHERE username = $u", {"u": username}).fetchone()
    con.execute("DELETE FROM users WHERE username = $u", {"u": username})
    return bool(found)


def _password_row(con: duckdb.DuckDBPyConnection, username: str) -> tuple | None:
    return con.execute(
        "SELECT username, display_name, role, email, salt, password_hash FROM users "
        "WHERE username = $u",
        {"u": username},
    ).fetchone()


def _check_row(row: tuple | None, password: str) -> User | None:
    """Return the row's user when the password is right (an unknown name costs the same)."""
    if row is None or len(password) > MAX_PASSWORD:
        _digest(password[:MAX_PASSWORD], "00" * 16, ITERATIONS)
        return None
    ok = _matches(password, row[4], row[5])
    return User(row[0], row[1], row[2], row[3]) if ok else None


def verify(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    """Return the user when the password is right, else None (same work either way).

    No throttle and no rehash: the app signs in through :func:`sign_in`.
    """
    return _check_row(_password_row(con, username), password)


def needs_rehash(con: duckdb.DuckDBPyConnection, username: str) -> bool:
    """Return True when the account's hash has fewer iterations than ITERATIONS."""
    row = _password_row(con, username)
    return row is not None and _iterations(row[5]) < ITERATIONS


def rehash(con: duckdb.DuckDBPyConnection, username: str, password: str) -> None:
    """Store the (already verified) password again with a new salt at ITERATIONS."""
    salt = secrets.token_hex(16)
    con.execute(
        "UPDATE users SET salt = $s, password_hash = $h WHERE username = $u",
        {"s": salt, "h": _hash(password, salt), "u": username},
    )


# ------------------------------------------------------------------ sign-in throttle


class Throttled(Exception):
    """Too many recent failures: the next try of this name from this client must wait."""

    def __init__(self, wait_s: float):
        super().__init__(f"Too many failed sign-ins; try again in {int(wait_s) + 1} s")
        self.wait_s = wait_s


def _delay(failures: int, free: int) -> float:
    """Return the wait after `failures` failures: none for the first `free`, then 1, 2, 4 s..."""
    if failures < free:
        return 0.0
    return float(min(MAX_WAIT_S, 2 ** min(failures - free, 30)))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def wait_for(
    con: duckdb.DuckDBPyConnection, username: str, client: str, now: datetime | None = None
) -> float:
    """Return the seconds this name from this client must still wait before a try (0: none).

    A try in progress (ok NULL) counts as a failure, so parallel tries are counted, not free.
    The name's count restarts at its last success from this client; the client's does not.
    """
    now = now or _now()
    since = now - WINDOW
    per_name = con.execute(
        """SELECT count(*), max(tried_at) FROM login_attempts
           WHERE username = $u AND client = $c AND tried_at > $since AND ok IS NOT true
             AND tried_at >= coalesce((SELECT max(tried_at) FROM login_attempts
                                 WHERE username = $u AND client = $c AND ok), $since)""",
        {"u": username, "c": client, "since": since},
    ).fetchall()[0]
    per_client = con.execute(
        "SELECT count(*), max(tried_at) FROM login_attempts "
        "WHERE client = $c AND tried_at > $since AND ok IS NOT true",
        {"c": client, "since": since},
    ).fetchall()[0]
    wait = 0.0
    for (count, last), free in ((per_name, FREE_PER_NAME), (per_client, FREE_PER_CLIENT)):
        if count and last is not None:
            wait = max(wait, _delay(count, free) - (now - last).total_seconds())
    return max(wait, 0.0)


def begin_attempt(
    con: duckdb.DuckDBPyConnection, username: str, client: str, now: datetime | None = None
) -> int:
    """Record a try of `username` from `client` before its password is checked; return its id.

    Raises Throttled (nothing recorded) while the name or the client must wait. The check and
    the record are one step under a lock, so parallel tries see each other.
    """
    now = now or _now()
    with _ATTEMPTS_LOCK:
        con.execute("DELETE FROM login_attempts WHERE tried_at < $old", {"old": now - 24 * WINDOW})
        wait = wait_for(con, username, client, now)
        if wait > 0:
            raise Throttled(wait)
        attempt = secrets.randbits(63)
        con.execute(
            "INSERT INTO login_attempts (tried_at, username, client, ok, attempt_id) "
            "VALUES ($at, $u, $c, NULL, $id)",
            {"at": now, "u": username, "c": client, "id": attempt},
        )
        return attempt


def finish_attempt(con: duckdb.DuckDBPyConnection, attempt: int, ok: bool) -> None:
    """Record whether a try's password was right."""
    con.execute(
        "UPDATE login_attempts SET ok = $ok WHERE attempt_id = $id", {"ok": ok, "id": attempt}
    )


def sign_in(
    path: str | os.PathLike | None,
    username: str,
    password: str,
    client: str,
    now: datetime | None = None,
) -> User | None:
    """Check a password through the throttle; return the user or None (wrong name/password).

    Raises Throttled while this name from this client, or this client, must wait. The slow
    hash runs between two short connections, never while holding the database. A right
    password stored with fewer iterations than ITERATIONS is rehashed.
    """
    from warehouse.db import connect

    username = (username or "").strip()[:200]
    client = (client or "unknown")[:200]
    with connect(path) as con:
        attempt = begin_attempt(con, username, client, now)
        row = _password_row(con, username)
    user = _check_row(row, password or "")
    with connect(path) as con:
        finish_attempt(con, attempt, user is not None)
        if user is not None and row is not None and _iterations(row[5]) < ITERATIONS:
            rehash(con, username, password)
    return user


def user_for_email(con: duckdb.DuckDBPyConnection, email: str | None) -> User | None:
    """Return the account mapped to an e-mail address (OIDC sign-in), or None."""
    if not email:
        return None
    row = con.execute(
        "SELECT username, display_name, role, email FROM users WHERE email = $e",
        {"e": email.strip().lower()},
    ).fetchone()
    return User(*row) if row else None


def list_users(con: duckdb.DuckDBPyConnection) -> list[User]:
    """Return every account, by name."""
    rows = con.execute(
        "SELECT username, display_name, role, email FROM users ORDER BY username"
    ).fetchall()
    return [User(*r) for r in rows]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpi users", description="Manage accounts.")
    p.add_argument("--db", help="database file (default $KPI_DB or data/store.duckdb)")
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", help="name shown in the app")
    add.add_argument("--email", help="e-mail used by single sign-in (OIDC), if configured")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw = sub.add_parser("passwd", help="set a new password")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    role = sub.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    rm = sub.add_parser("delete", help="delete an account")
    rm.add_argument("username")
    sub.add_parser("list", help="list accounts")
    return p


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise ValueError("The two passwords differ")
    return first


def main(argv: list[str]) -> int:
    """Run `python -m kpi users ...`; return the exit code."""
    from warehouse.db import DatabaseBusy, connect

    args = _parser().parse_args(argv)
    try:
        with connect(args.db) as con:
            if args.command == "add":
                create_user(
                    con,
                    args.username,
                    _read_password(args.password_stdin),
                    args.role,
                    args.name,
                    args.email,
                )
                print(f"created {args.username} ({args.role})")
            elif args.command == "passwd":
                update_user(con, args.username, password=_read_password(args.password_stdin))
                print(f"password of {args.username} changed")
            elif args.command == "role":
                update_user(con, args.username, role=args.role)
                print(f"{args.username} is now {args.role}")
            elif args.command == "delete":
                if not delete_user(con, args.username):
                    raise ValueError(f"No user {args.username!r}")
                print(f"deleted {args.username}")
            else:
                for u in list_users(con):
                    print(f"{u.username}\t{u.role}\t{u.display_name}\t{u.email or ''}")
    except (ValueError, DatabaseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
