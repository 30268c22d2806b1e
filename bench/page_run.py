"""Run dashboard pages through AppTest in this process, cold then warm; print JSON timings.

    python -m bench.page_run --db PATH --today YYYY-MM-DD [--warm 3] [--user NAME] PAGE...

Each page gets its own AppTest of dashboard.py (a fresh session): the first run of a page is
cold (nothing of it cached yet; the first page of the process also pays the imports), the
next ``--warm`` reruns of the same page are warm. With one page per process (how bench.run
calls it) the cold run sees empty caches. Prints one JSON object: per page the cold and warm
seconds, errors, and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Run the pages; return 0 when none raised an exception."""
    ap = argparse.ArgumentParser(prog="python -m bench.page_run")
    ap.add_argument("--db", required=True)
    ap.add_argument("--today", required=True)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--lang", default="zh")
    ap.add_argument("--user", help="a manager account of the database, for the admin pages")
    ap.add_argument("pages", nargs="+")
    args = ap.parse_args(argv)
    os.environ["KPI_DB"] = args.db
    os.environ["KPI_TODAY"] = args.today
    started = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    imports_s = time.perf_counter() - started
    out: dict = {"imports_s": round(imports_s, 3), "pages": {}}
    failed = False
    for page in args.pages:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        at.session_state["lang"] = args.lang
        if args.user:
            from ui.auth import SESSION_KEY
            from warehouse.auth import User

            at.session_state[SESSION_KEY] = User(args.user, args.user, "manager")
        at.switch_page(page)
        t0 = time.perf_counter()
        at.run()
        cold = time.perf_counter() - t0
        warm = []
        for _ in range(args.warm):
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        errors = [str(e.value)[:300] for e in at.exception] + [str(e.value)[:300] for e in at.error]
        failed = failed or bool(at.exception)
        out["pages"][page] = {
            "cold_s": round(cold, 3),
            "warm_s": [round(w, 3) for w in warm],
            "title": [t.value for t in at.title][:1],
            "errors": errors,
        }
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
