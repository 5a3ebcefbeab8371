"""CSV export of every patient and session: ``exchange.csv_export.export_csv`` beside
plain ``sqlite3`` + ``csv`` writing the same two files (benchmarks/plain_export.py)."""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Context, Row, Scenario, Unavailable, open_db


def exported(out_dir: Path) -> Path:
    """Where needlelog's export of the clinic is left for the import scenario."""
    return out_dir / "export-needlelog"


def w_export(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out_dir) / f"export-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if variant == "needlelog":
        try:
            from needlelog.exchange.csv_export import export_csv
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        db = open_db(args.db)
        export_csv(db, out)
    else:
        # The same two files, every column, all the work done in SQL (benchmarks/plain_export.py).
        from benchmarks.plain_export import plain_export

        plain_export(Path(args.db), out)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if variant != "needlelog":  # needlelog's files are the import scenario's input
        shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "bytes": size}


def rows(ctx: Context) -> list[Row]:
    return [ctx.simple("CSV export of all sessions", "export")]


SCENARIO = Scenario("export", {"export": w_export}, rows)
