"""``KPI_PROFILE=1``: print what took how long to stderr (the dashboard's computations, each
derived table's refresh, the steps of an import). Off, it costs one dictionary lookup."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

PROFILE_ENV = "KPI_PROFILE"


@contextmanager
def timed(name: str) -> Iterator[None]:
    """Print ``name`` and the block's wall seconds to stderr when KPI_PROFILE is set."""
    if not os.environ.get(PROFILE_ENV):
        yield
        return
    t0 = time.perf_counter()
    try:
        yield
    finally:
        print(f"[kpi-profile] {time.perf_counter() - t0:7.3f} s  {name}", file=sys.stderr)
