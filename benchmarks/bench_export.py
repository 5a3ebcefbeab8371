"""Export speed and memory at scale: needlelog's CSV export beside plain sqlite3 + csv.

    python -m benchmarks.bench_export [SESSIONS]      (default 1,000,000)

Uses a bulk-filled database (bulk rows, not through the services) kept under
benchmarks/data/ and built on first use. Times ``export_csv`` and the plain
``sqlite3`` + ``csv.writer`` yardstick of benchmarks/plain_export.py, which
writes the same two files (checked byte for byte), each in its own process so
that each peak resident memory is its own. The database file is read once
first so that both start with it in the page cache. The target (issue 7) is
needlelog within 2x of the yardstick.
"""

from __future__ import annotations

import filecmp
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DATA = Path(__file__).parent / "data"
# Part of the cached database's name: raise it when exchange_bulk.fill changes.
BULK_VERSION = 1
TARGET = 2.0


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def bulk_database(sessions: int) -> Path:
    """The cached bulk database for ``sessions``, filled the first time."""
    from benchmarks.exchange_bulk import fill
    from needlelog.store.migrate import open_database

    path = DATA / f"export-bulk-s{sessions}-v{BULK_VERSION}.sqlite3"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    open_database(f"sqlite:///{partial}").dispose()
    started = time.perf_counter()
    fill(partial, sessions)
    partial.rename(path)
    print(f"filled {sessions:,} sessions in {time.perf_counter() - started:.1f} s")
    return path


def run_one(which: str, db_path: Path, out_dir: Path) -> dict[str, object]:
    """One export in this process: its time, rows, peak memory and memory samples."""
    from benchmarks.plain_export import plain_export
    from needlelog.exchange.csv_export import export_csv
    from needlelog.store.migrate import open_database

    samples: list[tuple[int, float]] = []
    before = rss_mb()
    if which == "plain":
        started = time.perf_counter()
        patients, sessions = plain_export(db_path, out_dir)
        seconds = time.perf_counter() - started
    else:
        db = open_database(f"sqlite:///{db_path}")

        def progress(done: int, total: int) -> None:
            if done % 100_000 == 0:
                samples.append((done, rss_mb()))

        started = time.perf_counter()
        result = export_csv(db, out_dir, progress=progress)
        seconds = time.perf_counter() - started
        db.dispose()
        patients, sessions = result.patients, result.sessions
    return {
        "seconds": seconds,
        "patients": patients,
        "sessions": sessions,
        "rss_before_mb": before,
        "peak_rss_mb": peak_mb(),
        "samples": samples,
    }


def _child(which: str, db_path: Path, out_dir: Path) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_export",
            "--one",
            which,
            str(db_path),
            str(out_dir),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
        return
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    db_path = bulk_database(sessions)
    with open(db_path, "rb") as handle:  # into the page cache, for both runs alike
        while handle.read(1 << 24):
            pass
    with tempfile.TemporaryDirectory() as tmp:
        plain = _child("plain", db_path, Path(tmp) / "plain")
        ours = _child("needlelog", db_path, Path(tmp) / "needlelog")
        same = all(
            filecmp.cmp(Path(tmp) / "plain" / name, Path(tmp) / "needlelog" / name, shallow=False)
            for name in ("patients.csv", "sessions.csv")
        )
    ratio = float(ours["seconds"]) / float(plain["seconds"])  # type: ignore[arg-type]
    for name, run in (("plain sqlite3 + csv", plain), ("needlelog export_csv", ours)):
        seconds = float(run["seconds"])  # type: ignore[arg-type]
        print(
            f"{name:<21} {run['sessions']:,} sessions + {run['patients']:,} patients "
            f"in {seconds:.1f} s = {int(run['sessions']) / seconds:>8,.0f} sessions/s, "  # type: ignore[call-overload]
            f"peak RSS {run['peak_rss_mb']:.0f} MB"
        )
    print(f"identical files: {'yes' if same else 'NO'}")
    print(
        f"ratio needlelog / plain: {ratio:.2f}x "
        f"(target under {TARGET:g}x: {'met' if ratio < TARGET else 'MISSED'})"
    )
    print(f"needlelog resident memory: {ours['rss_before_mb']:.0f} MB before the export")
    for done, mb in ours["samples"]:  # type: ignore[attr-defined]
        print(f"  after {done:>9,} rows: {mb:.0f} MB")


if __name__ == "__main__":
    main()
