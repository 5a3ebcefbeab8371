"""The start-up integrity check (informational): what ``PRAGMA quick_check`` of the
whole file costs, and so why it is not run before the window opens."""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.harness import Context, Row, Scenario, open_db


def w_quick_check(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    from needlelog.services import check

    db = open_db(args.db)
    started = time.perf_counter()
    check.quick(db)  # what a background check after start would run
    return {"seconds": time.perf_counter() - started}


def rows(ctx: Context) -> list[Row]:
    result, _ = ctx.spawn("quick_check", "needlelog")
    return [
        Row(
            "services.check.quick: PRAGMA quick_check of the whole file",
            result["seconds"],
            None,
            result["peak_rss_mb"],
            note="informational: why it is not run before the window opens",
        )
    ]


SCENARIO = Scenario("quick check", {"quick_check": w_quick_check}, rows)
