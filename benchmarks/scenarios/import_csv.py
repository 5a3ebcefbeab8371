"""CSV import of 100,000 sessions (or all, in a smaller clinic): ``import_csv`` of the
clinic's own export into an empty database, every check included, beside a plain
``executemany`` of the same rows (benchmarks/plain_import.py)."""

from __future__ import annotations

import argparse
import csv
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Context, Row, Scenario, open_db
from benchmarks.scenarios.export import exported

SESSIONS = 100_000
MAX_RATIO = 4.0  # an import checks every row: at least a quarter of the plain speed


def _first_sessions(source: Path, folder: Path, count: int) -> None:
    """Copy the first ``count`` sessions of the export in ``source`` into ``folder``,
    with the patients they belong to (whole patients: the cut is at the first patient
    boundary at or after ``count``)."""
    from needlelog.exchange import csv_format as f

    folder.mkdir(parents=True, exist_ok=True)
    kept: set[str] = set()
    with (
        open(source / f.SESSIONS_FILE, newline="", encoding="utf-8") as src,
        open(folder / f.SESSIONS_FILE, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        head = next(reader)
        at = head.index("record_no")
        writer.writerow(head)
        for written, row in enumerate(reader):
            if written >= count and row[at] not in kept:
                break
            kept.add(row[at])
            writer.writerow(row)
    with (
        open(source / f.PATIENTS_FILE, newline="", encoding="utf-8") as src,
        open(folder / f.PATIENTS_FILE, "w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        head = next(reader)
        at = head.index("record_no")
        writer.writerow(head)
        writer.writerows(row for row in reader if row[at] in kept)


def _import_setup(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """The clinic's own export (its first 100,000 sessions) as the files to import, and
    an empty database made by needlelog's migrations to import them into (made once,
    by whichever variant runs first, outside the timed part)."""
    from needlelog.exchange import csv_format as f

    folder = Path(args.out_dir) / "import"
    files = (folder / f.PATIENTS_FILE, folder / f.SESSIONS_FILE)
    empty = folder / "empty.sqlite3"
    if not empty.exists():
        source = exported(Path(args.out_dir))  # left by the export scenario, if it ran
        if not (source / f.SESSIONS_FILE).exists():
            from needlelog.exchange.csv_export import export_csv

            source = folder / "full"
            export_csv(open_db(args.db), source)
        _first_sessions(source, folder, SESSIONS)
        open_db(str(empty)).dispose()
    target = folder / f"import-{args.variant}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(empty, target)
    return files[0], files[1], target


def w_import(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    patients_csv, sessions_csv, target = _import_setup(args)
    if variant == "needlelog":
        from needlelog.exchange.csv_import import import_csv

        db = open_db(str(target))
        started = time.perf_counter()
        result = import_csv(db, patients_csv, sessions_csv, "bench")
        seconds = time.perf_counter() - started
        count = result.sessions_added
    else:
        from benchmarks.plain_import import plain_import

        started = time.perf_counter()
        count = plain_import(target, patients_csv, sessions_csv)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "sessions": count}


def rows(ctx: Context) -> list[Row]:
    mine, raw = ctx.pair("import")
    return [
        Row(
            f"CSV import of {mine.get('sessions', 0):,} sessions (limit: plain executemany, "
            f"no checks; ratio under {MAX_RATIO:g})",
            mine.get("seconds"),
            raw.get("seconds"),
            mine["peak_rss_mb"],
            raw["peak_rss_mb"],
            max_ratio=MAX_RATIO,
        )
    ]


SCENARIO = Scenario("import", {"import": w_import}, rows)
