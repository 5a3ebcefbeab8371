"""Timed scenarios at clinic-chain size, each beside its raw limit measured in the same run.

    python -m benchmarks.run [--patients N] [--sessions M] [--seed S] [--json out.json]
    python -m benchmarks.run --show out.json

Every measurement runs in a fresh child process, so the peak memory (RSS) reported
belongs to that scenario alone and no cache warmed by one variant helps the other.
Times are medians (and 95th percentiles) of repeats after one warm-up; in-window
scenarios also report the longest stall of the window's event loop. The harness is
benchmarks/harness.py; the scenarios are benchmarks/scenarios/, listed in its
__init__.py.
"""

from __future__ import annotations

import sys

from benchmarks.harness import main as _main
from benchmarks.scenarios import SCENARIOS


def main(argv: list[str] | None = None) -> int:
    return _main(SCENARIOS, argv, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main())
