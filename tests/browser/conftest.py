"""Real server + headless Chromium fixtures, shared by every browser test (pages, uploads, TV).

`app_server(db)` starts `streamlit run dashboard.py` on a free port with KPI_DB set and waits
for /_stcore/health; `browser_page` is a fresh Chromium tab; `wait_for_app` waits until the
script finished running, as Streamlit's own e2e suite does. Without /usr/bin/chromium the
tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
DEMO_TODAY = "2026-11-25"
SERVER_START_S = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (run `make browser`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + "; browser tests never skip in CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def app_db(request, tmp_path_factory) -> Path:
    """Return the demo database (tests/conftest.py's demo_db) or, until it exists, a sample;
    a copy with every store made public explicitly (stores are private by default)."""
    from tests.ui.signin import public_copy

    try:
        source = request.getfixturevalue("demo_db")
    except pytest.FixtureLookupError:
        from tests.ui.sample_store import build

        source = build(tmp_path_factory.mktemp("browser") / "sample.duckdb")
    return public_copy(source, tmp_path_factory.mktemp("browser-public") / source.name)


class Server:
    """A running `streamlit run dashboard.py` subprocess."""

    def __init__(self, db: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "KPI_DB": str(db), "KPI_TODAY": DEMO_TODAY, **(extra_env or {})}
        env.pop("CI", None)  # streamlit must not switch to CI behaviour on its own
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
             "--server.headless", "true", "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-5000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


@pytest.fixture(scope="session")
def start_server() -> Iterator[Callable[..., Server]]:
    """Yield a factory that starts app servers; all are stopped at the end of the session."""
    _require_chromium()
    started: list[Server] = []

    def start(db: Path, **extra_env: str) -> Server:
        server = Server(db, extra_env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def app_server(start_server, app_db) -> Server:
    """Return a server on the demo (or sample) database."""
    return start_server(app_db)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Yield a headless Debian Chromium driven by Playwright."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync",
                  "--disable-quic",
                  # Tests open several tabs (reception beside the TV): a tab in the background
                  # must keep its refresh timers, as the TV on the wall does.
                  "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                  "--disable-backgrounding-occluded-windows"],
            viewport={"width": 1440, "height": 900},
            locale="zh-CN",
        )  # fmt: skip
        yield context
        context.close()


@pytest.fixture
def browser_page(browser) -> Iterator:
    """Yield a fresh tab; closed after the test."""
    page = browser.new_page()
    yield page
    page.close()


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app is connected and its script finished running (no status widget)."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']",
        state="attached",
        timeout=timeout_ms,
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']",
        state="attached",
        timeout=timeout_ms,
    )
    page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=timeout_ms)
    # Code blocks and charts load their renderers lazily: wait until they show their content.
    _wait_rendered(page, timeout_ms)


def _wait_rendered(page, timeout_ms: int = 60_000) -> None:
    """Wait until lazily loaded parts (markdown, code, charts) replaced their placeholders."""
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0"
        # a code block inside a closed expander renders only once opened
        " && [...document.querySelectorAll('[data-testid=stCode]')]"
        ".filter(e => e.checkVisibility()).every(e => e.innerText.trim().length > 0)"
        " && [...document.querySelectorAll('[data-testid=stPlotlyChart]')]"
        ".every(e => e.querySelector('.main-svg'))",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # let Plotly finish its transitions


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot to tests/artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # The app scrolls inside its main container, so grow the viewport to the content first.
    size = page.viewport_size or {"width": 1440, "height": 900}
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], section')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 900), 12000)})
    page.wait_for_timeout(300)
    _wait_rendered(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path
