"""Soak the showroom TV: a real Chromium on the TV URL for thousands of refreshes.

Starts `streamlit run dashboard.py` on a demo database (built in a temporary folder unless
--db is given; a copy is used, the original is never written), opens
`/kanban?tv=1&store=...&refresh=1&rotate=5` in headless Debian Chromium at 1920x1080 and
counts refreshes by watching the board's "updated" time change. Every --writes-every
refreshes it logs a live walk-in (warehouse.live) from this process, so the data version
moves and the cache is exercised the way a busy showroom does. The server's resident memory
(psutil RSS) is read when the board first shows, after one full rotation of the panels (the
start: every panel rendered once), every 100 refreshes and at the end.

    .venv/bin/python bench/soak_tv.py                   # 2000 refreshes, about 35 minutes
    .venv/bin/python bench/soak_tv.py --refreshes 200   # a quick look

Exit code 0 when RSS grew less than --max-growth-mb from the start to the end, 1 otherwise.
Not a unit test; docs/TV.md describes it and docs/BENCHMARKS.md records its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
FOOTER = ".st-key-tv-footer [data-testid='stText']"
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_db(workdir: Path, today: str) -> Path:
    from warehouse.demo import build_demo

    print(f"building the demo store up to {today} ...", flush=True)
    db = workdir / "store.duckdb"
    build_demo(db, workdir / "exports", seed=7, end=today, quiet=True)
    return db


def _start_server(db: Path, port: int, today: str, log) -> subprocess.Popen:
    env = {**os.environ, "KPI_DB": str(db), "KPI_TODAY": today}
    env.pop("CI", None)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard.py"),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("streamlit exited early; see the server log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("streamlit did not become healthy")


def _rss(proc: subprocess.Popen) -> int:
    """Return the resident memory of the server and any children it started, in bytes."""
    p = psutil.Process(proc.pid)
    return p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))


def _log_walk_in(db: Path, store: str, today: str, n: int) -> None:
    from warehouse import live
    from warehouse.auth import User
    from warehouse.db import DatabaseBusy, connect

    try:
        with connect(db, timeout_s=5) as con:
            live.log_visit(
                con,
                store,
                User("soak", "Soak test", "staff"),
                visit_date=date.fromisoformat(today),
                consultant=f"soak-{n % 3}",
                channel="walk_by",
                test_drive=n % 2 == 0,
            )
    except DatabaseBusy:
        print("  (database busy: walk-in skipped)", flush=True)


def soak(args: argparse.Namespace) -> dict:
    """Run the soak and return its figures."""
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="soak_tv_"))
    source = Path(args.db) if args.db else _demo_db(work, args.today)
    db = work / "soak.duckdb"
    if source != db:
        shutil.copy(source, db)
    port = _free_port()
    log_path = work / "server.log"
    url = (
        f"http://127.0.0.1:{port}/kanban?tv=1&store={args.store}&refresh=1&rotate={args.rotate}"
        f"&stale=0"
    )
    samples: list[tuple[int, float, float]] = []
    with open(log_path, "wb") as log:
        server = _start_server(db, port, args.today, log)
        t0 = time.monotonic()
        try:
            with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
                browser = p.chromium.launch_persistent_context(
                    profile,
                    executable_path=CHROMIUM,
                    headless=True,
                    args=CHROMIUM_ARGS,
                    viewport={"width": 1920, "height": 1080},
                )
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector(FOOTER, timeout=120_000)
                rss_first = _rss(server)
                refreshes, last, writes, exceptions = 0, None, 0, 0
                rss_start = None
                warmup = 4 * args.rotate + 5  # every panel shown once
                while refreshes < args.refreshes:
                    try:
                        text = page.inner_text(FOOTER, timeout=5_000)
                    except Exception:  # the board is between two renders
                        text = last
                    if text != last:
                        last = text
                        refreshes += 1
                        if refreshes == warmup:
                            rss_start = _rss(server)
                        if refreshes % 100 == 0:
                            rss = _rss(server)
                            samples.append((refreshes, time.monotonic() - t0, rss / MB))
                            exceptions = page.locator("[data-testid='stException']").count()
                            print(
                                f"{refreshes:5d} refreshes  {time.monotonic() - t0:7.0f} s  "
                                f"RSS {rss / MB:7.1f} MB  writes {writes}  exceptions "
                                f"{exceptions}",
                                flush=True,
                            )
                        if args.writes_every and refreshes % args.writes_every == 0:
                            _log_walk_in(db, args.store, args.today, refreshes)
                            writes += 1
                    page.wait_for_timeout(200)
                rss_end = _rss(server)
                exceptions = page.locator("[data-testid='stException']").count()
                browser.close()
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    start = rss_start if rss_start is not None else rss_first
    return {
        "machine": f"{platform.node()} · {platform.processor() or platform.machine()} · "
        f"{psutil.cpu_count()} CPU · {psutil.virtual_memory().total / 1024**3:.0f} GB · "
        f"Python {platform.python_version()}",
        "url": url.replace(f"127.0.0.1:{port}", "<server>"),
        "refreshes": refreshes,
        "seconds": round(time.monotonic() - t0),
        "live_writes": writes,
        "exceptions_on_page": exceptions,
        "rss_first_render_mb": round(rss_first / MB, 1),
        "rss_start_mb": round(start / MB, 1),
        "rss_end_mb": round(rss_end / MB, 1),
        "growth_mb": round((rss_end - start) / MB, 1),
        "growth_from_first_render_mb": round((rss_end - rss_first) / MB, 1),
        "samples": samples,
        "server_log": str(log_path),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the soak from the command line; print the figures as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--refreshes", type=int, default=2000)
    ap.add_argument("--db", help="database to copy (default: build the demo store)")
    ap.add_argument("--store", default="sh-pudong")
    ap.add_argument("--today", default="2026-11-25", help="KPI_TODAY for the server")
    ap.add_argument("--rotate", type=int, default=5, help="seconds per panel")
    ap.add_argument("--writes-every", type=int, default=200, help="0 = never write")
    ap.add_argument("--max-growth-mb", type=float, default=50.0)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    figures = soak(args)
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    ok = figures["growth_mb"] < args.max_growth_mb and figures["exceptions_on_page"] == 0
    print("PASS" if ok else "FAIL", f"growth {figures['growth_mb']} MB", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
