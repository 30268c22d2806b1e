"""Write docs/KPIS.md and docs/KPIS.zh.md from kpi/catalogue.py.

Usage: python scripts/write_kpi_docs.py [--check]
With --check nothing is written; the exit code is 1 when a committed doc differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpi.catalogue import markdown_table  # noqa: E402

DOCS = {"en": ROOT / "docs" / "KPIS.md", "zh": ROOT / "docs" / "KPIS.zh.md"}


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the generated KPI docs; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for lang, path in DOCS.items():
        text = markdown_table(lang)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        verb = "differs" if args.check else "written"
        print(f"{path.relative_to(ROOT)} {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
