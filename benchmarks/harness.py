"""What every benchmark scenario shares: fresh worker processes, timing with medians
and 95th percentiles, an event-loop stall probe, the result rows, the table, the JSON.

A scenario is a module under ``benchmarks/scenarios/`` with one ``SCENARIO``: its
workers (functions run in a fresh child process, one per variant) and the function
that turns their results into rows. ``benchmarks/scenarios/__init__.py`` lists them
in the order they run; adding a scenario is one line there.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.generate import Clinic

ROOT = Path(__file__).resolve().parent.parent
NOT_AVAILABLE = "not available in this build"
WINDOW_SIZE = (1100, 720)
MAX_RATIO = 2.0
# The budgets a person feels, at full size (seconds).
KEYSTROKE_BUDGET = 0.016  # keystroke to updated list, 95th percentile
OPEN_BUDGET = 0.050  # a 150-session record, to its painted history
SAVE_BUDGET = 0.050  # a session, including the disk sync
STALL_BUDGET = 0.050  # the longest the window's event loop may be kept from running
RESULT = "@@RESULT "


# Set by --quick (the test that keeps the benchmarks working): one repeat of everything.
def quick() -> bool:
    return os.environ.get("NEEDLELOG_BENCH_QUICK") == "1"


class Unavailable(Exception):
    """A part of needlelog this scenario needs is not in this build."""


# --- measuring, inside a worker ------------------------------------------------------


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (nearest rank): the time 19 out of 20 tries stay within."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def summary(times: Sequence[float]) -> dict[str, Any]:
    """What a row needs of a list of timings: median, p95 and how many."""
    return {"seconds": statistics.median(times), "p95": p95(times), "repeats": len(times)}


def timings(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    if quick():
        repeats, warmup = 2, 0
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> dict[str, Any]:
    return summary(timings(fn, repeats, warmup))


def rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_mb() -> float:
    # VmHWM is this process image's own high-water mark; ru_maxrss would also
    # count the parent's memory at fork time on Linux.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e3
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return peak / 1e6 if sys.platform == "darwin" else peak / 1e3


def raw_connect(path: str) -> sqlite3.Connection:
    # The same connection settings needlelog uses (store.database).
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def open_db(path: str) -> Any:
    from needlelog.store.migrate import open_database

    return open_database(f"sqlite:///{path}", backup_dir=Path(tempfile.gettempdir()))


def main_window_factory() -> Callable[[Any], Any]:
    try:
        from needlelog.ui.app import create_main_window

        return create_main_window
    except ImportError as exc:
        raise Unavailable(str(exc)) from None


def stall_probe() -> Any:
    """A Qt timer meant to fire every 5 ms; the longest gap between two of its ticks
    is the longest the event loop could not paint or answer a key (``longest``, in
    seconds). Made on demand: Qt is imported by the in-window scenarios only."""
    from PySide6.QtCore import QObject, Qt, QTimer

    class StallProbe(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.longest = 0.0
            self._last = time.perf_counter()
            self._timer = QTimer(self)
            self._timer.setTimerType(Qt.TimerType.PreciseTimer)
            self._timer.setInterval(5)
            self._timer.timeout.connect(self._tick)

        def start(self) -> None:
            self.longest = 0.0
            self._last = time.perf_counter()
            self._timer.start()

        def stop(self) -> float:
            self._tick()
            self._timer.stop()
            return self.longest

        def _tick(self) -> None:
            now = time.perf_counter()
            self.longest = max(self.longest, now - self._last)
            self._last = now

    return StallProbe()


def spin(ms: int) -> None:
    """Run the event loop for ``ms`` (not QTest.qWait: it keeps Python's lock while it
    sleeps, so worker threads would wait for it)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def spin_until(done: Callable[[], bool], timeout_s: float, step_ms: int = 5) -> bool:
    deadline = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > deadline:
            return False
        spin(step_ms)
    return True


# --- rows and the table ---------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    needlelog: float | None  # median, seconds
    limit: float | None
    needlelog_mb: float | None = None
    limit_mb: float | None = None
    target: float | None = None  # a budget: checked on the p95 when there is one
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    max_ratio: float = MAX_RATIO
    p95: float | None = None
    stall: float | None = None  # longest event-loop stall during the scenario

    @property
    def ratio(self) -> float | None:
        if self.needlelog is None or not self.limit:
            return None
        return self.needlelog / self.limit

    def misses(self) -> list[str]:
        """What this row missed, by the rule that applies to it: a row with a budget
        (a keystroke, an open, a save: work a person waits for, whose size does not
        grow with the clinic) is judged by that budget and the stall alone, its ratio
        shown for information; work that grows with the data is judged by its ratio."""
        out = []
        if self.target is None and self.ratio is not None and self.ratio > self.max_ratio:
            out.append(f"ratio over {self.max_ratio:g}")
        measured = self.p95 if self.p95 is not None else self.needlelog
        if self.target is not None and measured is not None and measured > self.target:
            what = "p95" if self.p95 is not None else "time"
            out.append(f"{what} over the {fmt_s(self.target)} budget")
        if self.stall is not None and self.stall > STALL_BUDGET:
            out.append(f"stall over {fmt_s(STALL_BUDGET)}")
        return out

    def checked(self) -> bool:
        """Whether a budget or a ratio applies to this row (else it informs)."""
        return (
            self.target is not None
            or self.stall is not None
            or (self.ratio is not None and math.isfinite(self.max_ratio))
        )

    def verdict(self) -> str:
        misses = self.misses()
        if misses:
            return "MISSED: " + "; ".join(misses)
        return "ok" if self.checked() else ""

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "needlelog_s": self.needlelog,
            "p95_s": self.p95,
            "limit_s": self.limit,
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "longest_stall_s": self.stall,
            "needlelog_peak_rss_mb": self.needlelog_mb,
            "limit_peak_rss_mb": self.limit_mb,
            "target_s": self.target,
            "max_ratio": self.max_ratio,
            "note": self.note,
            "verdict": self.verdict(),
            **self.extra,
        }


def window_row(name: str, shown: dict[str, Any], budget: float) -> Row:
    """The row of an in-window scenario measured against an absolute budget: its median,
    p95 and longest stall, or why it could not run in this build."""
    if shown["status"] != "ok":
        why = shown.get("why", "")
        return Row(name, None, None, note=f"{NOT_AVAILABLE}: {why}" if why else NOT_AVAILABLE)
    return Row(
        name,
        shown["seconds"],
        None,
        shown["peak_rss_mb"],
        None,
        budget,
        p95=shown["p95"],
        stall=shown["stall"],
    )


def fmt_s(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 0.001:
        return f"{value * 1e6:.0f} µs"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def rows_from_json(path: Path) -> list[Row]:
    """The rows of a saved run (``--show``), e.g. to put a table in the README."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Row(
            r["scenario"], r["needlelog_s"], r["limit_s"], r["needlelog_peak_rss_mb"],
            r["limit_peak_rss_mb"], r["target_s"], r["note"],
            max_ratio=r.get("max_ratio", MAX_RATIO), p95=r.get("p95_s"),
            stall=r.get("longest_stall_s"),
        )
        for r in data["rows"]
    ]  # fmt: skip


TABLE_HEAD = (
    "Scenario", "needlelog (median)", "p95", "Limit", "Ratio", "Longest stall",
    "Peak RSS (MB) needlelog / limit", "Note",
)  # fmt: skip


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(TABLE_HEAD) + " |", "|" + "---|" * len(TABLE_HEAD)]
    for r in rows:
        note = "; ".join(filter(None, [r.verdict(), r.note]))
        mem = f"{r.needlelog_mb or '—'} / {r.limit_mb or '—'}"
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        cells = (
            r.scenario, fmt_s(r.needlelog), fmt_s(r.p95), fmt_s(r.limit), ratio,
            fmt_s(r.stall), mem, note,
        )  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- scenarios and the processes that run them -----------------------------------------

Worker = Callable[[str, argparse.Namespace], dict[str, Any]]


@dataclass
class Context:
    """What a scenario's ``rows`` function gets: the clinic and a way to run workers."""

    clinic: Clinic
    patient_id: int  # a patient with a long history (generate.LONG_HISTORY sessions)
    out_dir: Path
    log: Callable[[str], None]

    @property
    def db(self) -> Path:
        return self.clinic.path

    def spawn(
        self, worker: str, variant: str, db: Path | None = None
    ) -> tuple[dict[str, Any], float]:
        """Run ``worker`` in a fresh process; its result and the wall-clock moment it
        was started."""
        return spawn(worker, variant, db or self.db, self.patient_id, self.out_dir)

    def pair(self, worker: str, db: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        mine, _ = self.spawn(worker, "needlelog", db)
        raw, _ = self.spawn(worker, "raw", db)
        return mine, raw

    def simple(
        self, name: str, worker: str, db: Path | None = None, target: float | None = None
    ) -> Row:
        """needlelog beside its limit, both timed by the worker."""
        mine, raw = self.pair(worker, db)
        if mine["status"] != "ok":
            return Row(
                name, None, raw.get("seconds"), None, raw["peak_rss_mb"], target, NOT_AVAILABLE
            )
        return Row(
            name, mine["seconds"], raw["seconds"], mine["peak_rss_mb"], raw["peak_rss_mb"],
            target, p95=mine.get("p95"),
        )  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str  # what the log says while it runs
    workers: dict[str, Worker]  # run in child processes by name
    rows: Callable[[Context], list[Row]]  # runs in the parent


def _todays_backup_made(home: Path) -> None:
    """Mark today's automatic backup as made in the benchmark's home, as it is on a
    clinic PC for the rest of the day after the first start: otherwise every window
    started here copies the whole clinic file 30 s after it opens, in the middle of
    the keystrokes and clicks being timed (the bare windows never do), and leaves
    the copy behind when the scenario ends its window."""
    from needlelog.store.files import AUTO_BACKUP_PREFIX

    folder = home / "backups"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / f"{AUTO_BACKUP_PREFIX}{date.today():%Y%m%d}T000000Z.zip").touch()


def environment(out_dir: Path) -> dict[str, str]:
    """The environment of every child process: needlelog importable, offscreen, its
    own home and settings (a first start's, with today's automatic backup made)."""
    _todays_backup_made(out_dir / "home")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["NEEDLELOG_HOME"] = str(out_dir / "home")
    env["XDG_CONFIG_HOME"] = str(out_dir / "config")
    return env


def spawn(
    worker: str, variant: str, db: Path, patient_id: int, out_dir: Path
) -> tuple[dict[str, Any], float]:
    cmd = [
        sys.executable, "-m", "benchmarks.run", "--worker", worker, "--variant", variant,
        "--db", str(db), "--patient-id", str(patient_id), "--out-dir", str(out_dir),
    ]  # fmt: skip
    started = time.time()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=environment(out_dir), cwd=ROOT, timeout=3600
    )
    marker = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not marker:
        raise RuntimeError(f"{worker}/{variant} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(marker[-1][len(RESULT) :]), started


def workers_of(scenarios: Sequence[Scenario]) -> dict[str, Worker]:
    found: dict[str, Worker] = {}
    for scenario in scenarios:
        for name, worker in scenario.workers.items():
            if name in found:
                raise ValueError(f"two scenarios name a worker {name!r}")
            found[name] = worker
    return found


def worker_main(args: argparse.Namespace, scenarios: Sequence[Scenario]) -> int:
    try:
        result = workers_of(scenarios)[args.worker](args.variant, args)
        result["status"] = "ok"
    except Unavailable as exc:
        result = {"status": "unavailable", "why": str(exc)}
    result["peak_rss_mb"] = round(peak_mb(), 1)
    result["rss_now_mb"] = round(rss_now_mb(), 1)
    sys.stdout.write("\n" + RESULT + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # no teardown: nothing to measure after the result


def compile_bytecode() -> None:
    """Compile needlelog and the workers once (into their __pycache__ folders), as an
    installed app ships them (pip and the bundle both do), so no worker spends its
    start compiling source, as it would with PYTHONDONTWRITEBYTECODE set."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "needlelog", "benchmarks"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def run_all(
    scenarios: Sequence[Scenario],
    patients: int,
    sessions: int,
    seed: int,
    log: Callable[[str], None],
    done: Callable[[list[Row]], None] = lambda _rows: None,
) -> list[Row]:
    """Every scenario in turn; ``done`` gets the rows so far after each one (a long
    run that is stopped keeps what it measured)."""
    from benchmarks.generate import clinic

    started = time.perf_counter()
    made = clinic(patients, sessions, seed)
    log(f"clinic ready in {time.perf_counter() - started:.1f} s: {made.path}")
    pid = made.long_history_ids[len(made.long_history_ids) // 2]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="needlelog-bench-") as tmp:
        context = Context(made, pid, Path(tmp), log)
        compile_bytecode()
        for scenario in scenarios:
            log(f"{scenario.name} ...")
            rows += scenario.rows(context)
            done(rows)
    return rows


def main(scenarios: Sequence[Scenario], argv: list[str] | None = None, doc: str = "") -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=doc)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="OUT.json")
    parser.add_argument("--quick", action="store_true", help="two repeats of each (a smoke test)")
    parser.add_argument("--show", type=Path, metavar="RUN.json", help="print the table of a run")
    parser.add_argument(
        "--only", action="append", metavar="SCENARIO", help="run only these scenarios"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--patient-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args, scenarios)
    if args.show:
        print(table(rows_from_json(args.show)))
        return 0
    if args.quick:
        os.environ["NEEDLELOG_BENCH_QUICK"] = "1"  # inherited by the workers
    chosen = list(scenarios)
    if args.only:
        known = {s.name for s in scenarios}
        unknown = sorted(set(args.only) - known)
        if unknown:
            parser.error(f"unknown scenario {unknown[0]!r}; known: {', '.join(sorted(known))}")
        chosen = [s for s in scenarios if s.name in args.only]

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def save(rows: list[Row], complete: bool = False) -> None:
        if not args.json:
            return
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "patients": args.patients,
            "sessions": args.sessions,
            "seed": args.seed,
            "when": datetime.now().isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "complete": complete,
            "rows": [r.as_json() for r in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")

    rows = run_all(chosen, args.patients, args.sessions, args.seed, log, save)
    save(rows, complete=True)
    title = f"{args.patients:,} patients, {args.sessions:,} sessions (seed {args.seed})"
    print(f"\n{title}\n")
    print(table(rows))
    return 0
