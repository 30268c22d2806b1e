"""Real local servers for the channels: an SMTP server (aiosmtpd) and a robot webhook server.

The robot server plays WeCom (/wecom) and DingTalk (/dingtalk): it keeps every request, checks
DingTalk's signature with the robot's secret, and answers from a script of behaviours
('ok', 'errcode', '500', '400', 'timeout', 'notjson'), then 'ok' once the script is used up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

DING_SECRET = "SECtest-secret-不可外泄"
WECOM_KEY = "wecom-key-693axxx6"
DING_TOKEN = "ding-token-abc"
SMTP_PASSWORD = "smtp-pass-xyz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RobotServer:
    """A local HTTP server standing in for the WeCom and DingTalk robot webhooks."""

    def __init__(self, port: int | None = None, sleep_s: float = 1.5) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sleep_s = sleep_s
        self.script: list[str] = []
        self.requests: list[dict] = []  # every request: path, query, body, answer
        self.lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep the test output quiet
                pass

            def do_POST(self) -> None:
                parsed = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(parsed.query))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    behaviour = server.script.pop(0) if server.script else "ok"
                if behaviour == "ok" and parsed.path == "/dingtalk" and not _signed(query):
                    behaviour = "badsign"
                server.requests.append({"path": parsed.path, "query": query, "body": body,
                                        "answer": behaviour})  # fmt: skip
                if behaviour == "timeout":
                    time.sleep(server.sleep_s)
                    return self._json(200, {"errcode": 0, "errmsg": "ok"})
                if behaviour in ("500", "400"):
                    return self._json(int(behaviour), {"errcode": -1, "errmsg": "server error"})
                if behaviour == "notjson":
                    return self._raw(200, b"<html>busy</html>")
                if behaviour == "errcode":
                    return self._json(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
                if behaviour == "badsign":
                    return self._json(200, {"errcode": 310000, "errmsg": "sign not match"})
                return self._json(200, {"errcode": 0, "errmsg": "ok"})

            def _json(self, code: int, payload: dict) -> None:
                self._raw(code, json.dumps(payload).encode())

            def _raw(self, code: int, data: bytes) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout): nothing to answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def ok(self, path: str) -> list[dict]:
        """Return the bodies the server accepted on a path."""
        return [r["body"] for r in self.requests if r["path"] == path and r["answer"] == "ok"]


def _signed(query: dict) -> bool:
    """Check DingTalk's signature as its server does (timestamp within an hour)."""
    ts, sign = query.get("timestamp"), query.get("sign")
    if not ts or not sign or abs(time.time() * 1000 - int(ts)) > 3_600_000:
        return False
    mac = hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256)
    return hmac.compare_digest(base64.b64encode(mac.digest()).decode(), sign)


@pytest.fixture
def robots():
    """Yield a running robot server; stopped after the test."""
    server = RobotServer()
    yield server
    server.stop()


class Mailbox:
    """Messages an aiosmtpd server received: (envelope sender, recipients, raw bytes)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """Yield (host, port, mailbox) of a real SMTP server on a free port."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.hostname, controller.port, box
    controller.stop()


@pytest.fixture
def secrets_env(monkeypatch, tmp_path):
    """Give store s1 (and the demo's sh-pudong) their secrets through the environment only."""
    monkeypatch.setenv("KPI_SECRETS", str(tmp_path / "no-secrets.toml"))
    for store in ("S1", "SH_PUDONG"):
        monkeypatch.setenv(f"KPI_WECOM_KEY_{store}", WECOM_KEY)
        monkeypatch.setenv(f"KPI_DINGTALK_TOKEN_{store}", DING_TOKEN)
        monkeypatch.setenv(f"KPI_DINGTALK_SECRET_{store}", DING_SECRET)
        monkeypatch.setenv(f"KPI_SMTP_PASSWORD_{store}", SMTP_PASSWORD)
