"""Accounts and roles: salted password hashes in the store database.

Roles, each including the ones before it:
- viewer: reads the KPI pages;
- staff: also logs live walk-ins, calls and orders;
- manager: also uploads exports, undoes imports, edits targets, settings and accounts.

`python -m kpi users add NAME --role manager` creates an account (password read from a prompt,
or from standard input with --password-stdin).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import re
import secrets
import sys
from dataclasses import dataclass

import duckdb

ROLES = ("viewer", "staff", "manager")
_ITERATIONS = 240_000
_NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")
MIN_PASSWORD = 8


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


def _hash(password: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8"), bytes.fromhex(salt), _ITERATIONS
    )
    return digest.hex()


def _check(username: str, password: str | None, role: str) -> None:
    if not _NAME.match(username or ""):
        raise ValueError("A user name is 1-64 letters, digits, Chinese characters or . _ - @")
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters")


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


def verify(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    """Return the user when the password is right, else None (same work either way)."""
    row = con.execute(
        "SELECT username, display_name, role, email, salt, password_hash FROM users "
        "WHERE username = $u",
        {"u": username},
    ).fetchone()
    salt, stored = (row[4], row[5]) if row else ("00" * 16, "")
    ok = hmac.compare_digest(_hash(password, salt), stored)
    return User(row[0], row[1], row[2], row[3]) if row and ok else None


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
