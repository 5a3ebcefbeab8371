"""Timed scenarios at clinic-chain size, each beside its raw limit measured in the same run.

    python -m benchmarks.run [--patients N] [--sessions M] [--seed S] [--json out.json]

Every measurement runs in a fresh child process (``--worker``), so the peak
memory (RSS) reported belongs to that scenario alone and no cache warmed by
one variant helps the other. Times are medians of several repeats after one
warm-up (first paint: medians of several fresh processes, nothing warm).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOT_AVAILABLE = "not available in this build"
WINDOW_SIZE = (1100, 720)
PAINT_RUNS = 5


# Set by --quick (the test that keeps the benchmarks working): one repeat of everything.
def quick() -> bool:
    return os.environ.get("NEEDLELOG_BENCH_QUICK") == "1"


SEARCH_TEXTS = ("m", "mu", "mül", "müller", "müller j", "xq")  # "xq": a typo, no match
SAVE_REPEATS = 15
TARGETS = {"first paint": 1.0, "search": 0.030}  # seconds, at full size
MAX_RATIO = 2.0
IMPORT_MAX_RATIO = 4.0  # an import checks every row: at least a quarter of the plain speed


class Unavailable(Exception):
    """A part of needlelog this scenario needs is not in this build."""


# --- measurements done inside the worker process ----------------------------------


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
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


def _median_time(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> float:
    if quick():
        repeats, warmup = 1, 0
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _raw_connect(path: str) -> sqlite3.Connection:
    # The same connection settings needlelog uses (store.database).
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def _open_db(path: str) -> Any:
    from needlelog.store.migrate import open_database

    return open_database(f"sqlite:///{path}", backup_dir=Path(tempfile.gettempdir()))


# first paint ---------------------------------------------------------------------


def _main_window_factory() -> Callable[[Any], Any]:
    try:
        from needlelog.ui.app import create_main_window

        return create_main_window
    except ImportError:
        try:
            from needlelog.ui.main_window import MainWindow

            return MainWindow
        except ImportError as exc:
            raise Unavailable(str(exc)) from None


def _start_app() -> Callable[[str], Any]:
    """needlelog.ui.app.start_app: what ``needlelog`` does before its event loop runs."""
    try:
        from needlelog.ui.app import start_app

        return start_app  # type: ignore[no-any-return]
    except ImportError as exc:
        raise Unavailable(str(exc)) from None


def w_first_paint(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start like the app (needlelog) or show a bare window (the limit), and report the
    wall-clock moments of the main window's first paint and, for needlelog, of the
    first patients in its list."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(["needlelog"])
    painted: list[float] = []
    listed: list[float] = []
    wants_list = variant == "needlelog"

    def finish_when_done() -> None:
        if painted and (listed or not wants_list):
            QTimer.singleShot(0, app.quit)

    class FirstPaint(QObject):
        # Watches the main window only: a filter on the whole application would run
        # Python for every event of every widget built, and time the probe, not the app.
        # The window paints itself before its children, in the event loop after show().
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if not painted and event.type() == QEvent.Type.Paint:
                painted.append(time.time())
                finish_when_done()
            return False

    watcher = FirstPaint()
    if variant == "needlelog":
        # The real start path, as ``needlelog --db URL`` runs it (the database exists,
        # so there is no first-run welcome): the window first, the records after.
        startup = _start_app()(f"sqlite:///{args.db}")
        startup.window.installEventFilter(watcher)
        model = startup.window.patient_model

        def rows_arrived() -> None:
            if not listed and model.rowCount() > 0:
                listed.append(time.time())
                finish_when_done()

        model.modelReset.connect(rows_arrived)
        model.rowsInserted.connect(rows_arrived)
    else:
        if variant == "open_db":  # the store's share of start-up: open, check schema
            _open_db(args.db)
        window = QMainWindow()
        window.setWindowTitle("needlelog")
        window.resize(*WINDOW_SIZE)
        window.installEventFilter(watcher)
        window.show()
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    if not painted:
        raise RuntimeError("the window was never painted")
    if wants_list and not listed:
        raise RuntimeError("no patient was listed")
    return {"painted_at": painted[0], "listed_at": listed[0] if listed else None}


# search --------------------------------------------------------------------------

RAW_SEARCH = """
SELECT * FROM patients AS p
WHERE p.archived = 0 AND ({match})
ORDER BY p.family_name, p.given_name, p.id
LIMIT {limit}
"""
TOP = "\U0010ffff"
# needlelog.services.patients.DENSE, copied so the limit's process does not
# import SQLAlchemy (its memory is part of the measure); a test keeps them equal.
DENSE = 4000


def _raw_candidates(text: str) -> tuple[str, list[Any]]:
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    parts = ["SELECT id FROM patients WHERE record_no >= ? AND record_no < ?"]
    params: list[Any] = [q.text, q.text + TOP]
    if q.birth_date is not None:
        parts.append("SELECT id FROM patients WHERE date_of_birth = ?")
        params.append(q.birth_date.isoformat())
    if q.words:
        words = " INTERSECT ".join(
            ["SELECT patient_id FROM patient_name_tokens WHERE token >= ? AND token < ?"]
            * len(q.words)
        )
        parts.append(f"SELECT patient_id FROM ({words})")
        params += [x for w in q.words for x in (w, w + TOP)]
    return " UNION ".join(parts), params


def _raw_exists(text: str) -> tuple[str, list[Any]]:
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    parts = ["(p.record_no >= ? AND p.record_no < ?)"]
    params: list[Any] = [q.text, q.text + TOP]
    if q.birth_date is not None:
        parts.append("p.date_of_birth = ?")
        params.append(q.birth_date.isoformat())
    if q.words:
        exists = (
            "EXISTS (SELECT 1 FROM patient_name_tokens AS t WHERE t.patient_id = p.id "
            "AND t.token >= ? AND t.token < ?)"
        )
        parts.append("(" + " AND ".join([exists] * len(q.words)) + ")")
        params += [x for w in q.words for x in (w, w + TOP)]
    return " OR ".join(parts), params


def _raw_search(conn: sqlite3.Connection, text: str, limit: int = 100) -> list[Any]:
    """The best plain-SQL search over the same indexes: collect the matches from the
    indexes when they are few, walk the name order when they are many."""
    from needlelog.domain.search import parse_query

    q = parse_query(text)
    conn.execute("BEGIN")

    def capped(sql: str, params: list[Any]) -> int:
        return conn.execute(f"SELECT count(*) FROM ({sql} LIMIT {DENSE})", params).fetchone()[0]

    total = capped(
        "SELECT id FROM patients WHERE record_no >= ? AND record_no < ?", [q.text, q.text + TOP]
    )
    if q.birth_date is not None:
        total += capped(
            "SELECT id FROM patients WHERE date_of_birth = ?", [q.birth_date.isoformat()]
        )
    if q.words:
        total += min(
            capped(
                "SELECT patient_id FROM patient_name_tokens WHERE token >= ? AND token < ?",
                [w, w + TOP],
            )
            for w in q.words
        )
    if total == 0:  # the indexes already said there is nothing (needlelog stops here too)
        conn.execute("COMMIT")
        return []
    if total >= DENSE:
        match, params = _raw_exists(text)
    else:
        cand, params = _raw_candidates(text)
        match = f"p.id IN ({cand})"
    rows = conn.execute(RAW_SEARCH.format(match=match, limit=limit), params).fetchall()
    conn.execute("COMMIT")
    return rows


def _search_texts(args: argparse.Namespace) -> list[str]:
    conn = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    born, record_no = conn.execute(
        "SELECT date_of_birth, record_no FROM patients WHERE id = ?", (args.patient_id,)
    ).fetchone()
    conn.close()
    return [*SEARCH_TEXTS, record_no[:-2], born]


def w_search(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    texts = _search_texts(args)
    times: dict[str, float] = {}
    hits: dict[str, int] = {}
    if variant == "needlelog":
        from needlelog.services import patients

        db = _open_db(args.db)
        for text in texts:
            times[text] = _median_time(lambda t=text: patients.search(db, t, limit=100), 15)
            hits[text] = len(patients.search(db, text, limit=100))
    else:
        conn = _raw_connect(args.db)
        for text in texts:
            times[text] = _median_time(lambda t=text: _raw_search(conn, t), 15)
            hits[text] = len(_raw_search(conn, text))
    return {"times": times, "hits": hits}


# search through the main window --------------------------------------------------

GUI_SETTLE_MS = 300
GUI_WAIT_MS = 3000
GUI_REPEATS = 5
# needlelog.ui.patient_models.PAGE_SIZE, copied so the limit's process does not import
# needlelog's GUI (a test keeps them equal): the window lists this many at once.
GUI_PAGE = 200


def _bare_search_window(db_path: str) -> tuple[Any, Any, Any]:
    """The limit of a search typed into a window: a bare Qt window whose line edit runs
    the raw query (``_raw_search``) on a worker thread, as a list that must never freeze
    the window does, and shows a page of the rows (as many as needlelog's list) in a
    plain list model."""
    from PySide6.QtCore import QObject, QRunnable, QStringListModel, QThreadPool, Signal
    from PySide6.QtWidgets import QLineEdit, QListView, QMainWindow, QVBoxLayout, QWidget

    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # one connection: one query at a time

    class Answer(QObject):
        rows = Signal(int, list)

    answer = Answer()
    model = QStringListModel()
    latest = [0]

    class Query(QRunnable):
        def __init__(self, number: int, text: str) -> None:
            super().__init__()
            self.number, self.text = number, text

        def run(self) -> None:
            answer.rows.emit(self.number, _raw_search(conn, self.text, GUI_PAGE))

    def show(number: int, rows: list[Any]) -> None:
        if number == latest[0]:  # only the answer to the latest text
            model.setStringList([f"{r[2]}, {r[3]}" for r in rows])

    def typed(text: str) -> None:
        latest[0] += 1
        pool.start(Query(latest[0], text))

    answer.rows.connect(show)
    window = QMainWindow()
    body = QWidget()
    layout = QVBoxLayout(body)
    field = QLineEdit()
    field.setPlaceholderText("Search")
    view = QListView()
    view.setModel(model)
    layout.addWidget(field)
    layout.addWidget(view)
    window.setCentralWidget(body)
    field.textChanged.connect(typed)
    window._keep = (conn, pool, answer)  # type: ignore[attr-defined]
    return window, field, model


def w_gui_search(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Last keystroke of a search to the first change of the patient list, through the
    real window (its search field, any debounce, its model), typed as a person would."""
    from PySide6.QtCore import QEvent, QEventLoop, Qt, QTimer
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

    _app = QApplication.instance() or QApplication(["needlelog"])  # kept alive to the end
    if variant == "raw":
        window, field, model = _bare_search_window(args.db)
    else:
        make = _main_window_factory()
        window = make(_open_db(args.db))
    window.resize(*WINDOW_SIZE)
    window.show()
    QTest.qWaitForWindowExposed(window)
    if variant != "raw":
        # The first page is read on a worker thread after the first paint: the list to
        # watch is the one that fills.
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline and not any(
            v.model() is not None and v.model().rowCount()
            for v in window.findChildren(QAbstractItemView)
        ):
            pause = QEventLoop()
            QTimer.singleShot(20, pause.quit)
            pause.exec()
        fields = window.findChildren(QLineEdit)
        field = next(
            (f for f in fields if "search" in (f.objectName() + f.placeholderText()).lower()),
            fields[0] if fields else None,
        )
        views = [v for v in window.findChildren(QAbstractItemView) if v.model() is not None]
        if field is None or not views:
            raise Unavailable("no search field or patient list found in the main window")
        view = max(views, key=lambda v: v.model().rowCount())
        model = view.model()
    changed: list[float] = []
    signals = (model.modelReset, model.layoutChanged, model.rowsInserted, model.rowsRemoved)

    def note(*_args: Any) -> None:
        changed.append(time.perf_counter())

    for signal in signals:
        signal.connect(note)

    def wait(ms: int) -> None:
        # An event loop, not QTest.qWait: qWait keeps Python's lock while it sleeps (the
        # search threads would wait for it), and PySide6 6.12 leaks a reference per call.
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def settle() -> None:
        # Until the list has been quiet for a while: earlier keystrokes' work is done.
        while True:
            before = len(changed)
            wait(GUI_SETTLE_MS)
            if len(changed) == before:
                return

    def type_text(text: str) -> None:
        # Key events carrying the character, as a keyboard sends them; QTest.keyClicks
        # only knows ASCII ("mül").
        for char in text:
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                key = ord(char.upper()) if char.isascii() and char.isalnum() else 0
                event = QKeyEvent(
                    kind, key or Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char
                )
                QApplication.sendEvent(field, event)

    def last_key(char: str) -> float | None:
        changed.clear()
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        for signal in signals:
            signal.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
        started = time.perf_counter()
        type_text(char)
        if not changed:
            timer.start(GUI_WAIT_MS)
            loop.exec()
        for signal in signals:
            signal.disconnect(loop.quit)
        return (changed[0] - started) if changed else None

    times: dict[str, float | None] = {}
    for text in _search_texts(args):
        field.setFocus()
        field.clear()
        settle()
        type_text(text[:-1])
        settle()
        found = []
        for _ in range(1 if quick() else GUI_REPEATS):
            found.append(last_key(text[-1]))
            settle()
            field.backspace()  # back to the text before the last key
            settle()
        measured = [t for t in found if t is not None]
        times[text] = statistics.median(measured) if measured else None
    return {"times": times}


# open a patient record -----------------------------------------------------------


def w_open_record(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    pid = args.patient_id
    if variant == "needlelog":
        from needlelog.services import patients, sessions

        db = _open_db(args.db)

        def work() -> int:
            patients.get(db, pid)
            return len(sessions.history(db, pid))

    else:
        conn = _raw_connect(args.db)

        # The same rows needlelog reads: the patient, the protocol setting (the history's
        # flags depend on it), the sessions in date order and every child row of each.
        children = (
            ("treated_areas", "session_id, position"),
            ("session_products", "session_id, position"),
            ("screening_answers", "session_id"),
            ("assessments", "session_id"),
        )

        def work() -> int:
            conn.execute("BEGIN")
            conn.execute("SELECT * FROM patients WHERE id = ?", (pid,)).fetchall()
            conn.execute("SELECT value FROM settings WHERE key = 'protocol'").fetchall()
            rows = conn.execute(
                "SELECT * FROM treatment_sessions WHERE patient_id = ? ORDER BY performed_at, id",
                (pid,),
            ).fetchall()
            ids = [r[0] for r in rows]
            marks = ",".join("?" * len(ids))
            for table, order in children:
                conn.execute(
                    f"SELECT * FROM {table} WHERE session_id IN ({marks}) ORDER BY {order}", ids
                ).fetchall()
            conn.execute("COMMIT")
            return len(rows)

    count = work()
    return {"seconds": _median_time(work, 20), "sessions": count}


# save a session ------------------------------------------------------------------


def _session_to_save(args: argparse.Namespace) -> Any:
    """The patient's latest session, repeated today: what the pre-filled form saves."""
    from dataclasses import replace

    from needlelog.services import sessions

    db = _open_db(args.db)
    latest = sessions.latest(db, args.patient_id)
    db.dispose()
    assert latest is not None
    when = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    return replace(latest.data, performed_at=when, next_due=None)


def w_save(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    data = _session_to_save(args)
    pid = args.patient_id
    if variant == "needlelog":
        from needlelog.services import sessions

        db = _open_db(args.db)
        seconds = _median_time(lambda: sessions.record(db, pid, data, "bench"), SAVE_REPEATS)
        return {"seconds": seconds}

    # The same outcome hand-written with sqlite3 (benchmarks/plain_save.py): the same
    # rows, audit event and course summary, read and written in one durable transaction.
    from benchmarks.plain_save import plain_record

    conn = _raw_connect(args.db)

    def work() -> None:
        plain_record(conn, pid, data, "bench")

    return {"seconds": _median_time(work, SAVE_REPEATS)}


# progress report -----------------------------------------------------------------


def w_report(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out_dir) / f"report-{variant}.pdf"
    pid = args.patient_id
    if variant == "needlelog":
        try:
            from needlelog.reports import progress
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        build = getattr(progress, "build_progress_report", None) or getattr(
            progress, "write_progress_report", None
        )
        if build is None:
            raise Unavailable("needlelog.reports.progress has no build_progress_report")
        db = _open_db(args.db)
        seconds = _median_time(lambda: build(db, pid, out), 5)
    elif variant == "raw":
        # The same document in bare ReportLab: same table values, embedded
        # DejaVu Sans, the same charts, page footers (benchmarks/plain_report.py).
        from benchmarks.plain_report import plain_report

        conn = _raw_connect(args.db)
        seconds = _median_time(lambda: plain_report(conn, pid, out), 5)
    else:  # "bare": the earlier limit, a smaller document (informational)
        seconds = _bare_table_report(_raw_connect(args.db), pid, out)
    return {"seconds": seconds, "bytes": out.stat().st_size}


def _bare_table_report(conn: sqlite3.Connection, pid: int, out: Path) -> float:
    """A title and one 8-column table of Paragraphs in built-in Helvetica: no
    charts, no embedded font, no page footer. Not the same document as the
    report; kept to show what those parts cost."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    def work() -> None:
        name = conn.execute(
            "SELECT given_name || ' ' || family_name FROM patients WHERE id = ?", (pid,)
        ).fetchone()[0]
        rows = conn.execute(
            """
            SELECT substr(s.performed_at, 1, 10),
              (SELECT group_concat(area || ' ' || (depth_um / 1000.0), ', ')
                 FROM treated_areas WHERE session_id = s.id),
              (SELECT group_concat(name || ' ' || lot, ', ')
                 FROM session_products WHERE session_id = s.id),
              s.redness, s.bruising, s.swelling, s.pain,
              (SELECT score FROM assessments WHERE session_id = s.id
                 AND scale = 'goodman_baron_qualitative')
            FROM treatment_sessions AS s WHERE s.patient_id = ?
            ORDER BY s.performed_at, s.id
            """,
            (pid,),
        ).fetchall()
        styles = getSampleStyleSheet()
        header = [
            "Date",
            "Areas and depth",
            "Serums",
            "Red.",
            "Bruis.",
            "Swell.",
            "Pain",
            "Gr.",
        ]
        body = [[Paragraph(str(c or ""), styles["BodyText"]) for c in r] for r in rows]
        table = Table([header, *body], repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)]))
        doc = SimpleDocTemplate(str(out), pagesize=A4)
        doc.build([Paragraph(f"Progress report: {name}", styles["Title"]), table])

    return _median_time(work, 5)


# CSV export ----------------------------------------------------------------------


def w_export(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out_dir) / f"export-{variant}"
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if variant == "needlelog":
        try:
            from needlelog.exchange.csv_export import export_csv
        except ImportError as exc:
            raise Unavailable(str(exc)) from None
        db = _open_db(args.db)
        export_csv(db, out)
    else:
        # The same two files, every column, all the work done in SQL (benchmarks/plain_export.py).
        from benchmarks.plain_export import plain_export

        plain_export(Path(args.db), out)
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "bytes": size}


# CSV import ----------------------------------------------------------------------


def _import_setup(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    """The clinic's own export as the files to import, and an empty database made by
    needlelog's migrations to import them into (made once, by whichever variant runs
    first, outside the timed part)."""
    folder = Path(args.out_dir) / "import"
    files = (folder / "patients.csv", folder / "sessions.csv")
    empty = folder / "empty.sqlite3"
    if not empty.exists():
        from needlelog.exchange.csv_export import export_csv

        export_csv(_open_db(args.db), folder)
        _open_db(str(empty)).dispose()
    target = folder / f"import-{args.variant}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(empty, target)
    return files[0], files[1], target


def w_import(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    patients_csv, sessions_csv, target = _import_setup(args)
    if variant == "needlelog":
        from needlelog.exchange.csv_import import import_csv

        db = _open_db(str(target))
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


# start-up integrity check (informational: what checking the whole file at open costs) --


def w_quick_check(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    from needlelog.services import check

    db = _open_db(args.db)
    started = time.perf_counter()
    check.quick(db)  # what a background check after start would run
    return {"seconds": time.perf_counter() - started}


WORKERS: dict[str, Callable[[str, argparse.Namespace], dict[str, Any]]] = {
    "first_paint": w_first_paint,
    "search": w_search,
    "gui_search": w_gui_search,
    "open_record": w_open_record,
    "save": w_save,
    "report": w_report,
    "export": w_export,
    "import": w_import,
    "quick_check": w_quick_check,
}


def worker_main(args: argparse.Namespace) -> int:
    try:
        result = WORKERS[args.worker](args.variant, args)
        result["status"] = "ok"
    except Unavailable as exc:
        result = {"status": "unavailable", "why": str(exc)}
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    result["rss_now_mb"] = round(_rss_now_mb(), 1)
    sys.stdout.write("\n@@RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # no teardown: nothing to measure after the result


# --- the parent: runs each worker in a fresh process and builds the table -------------


def _compile_bytecode() -> None:
    """Compile needlelog and the workers once (into their __pycache__ folders), as an
    installed app ships them (pip and the bundle both do), so no worker spends its
    start compiling source, as it would with PYTHONDONTWRITEBYTECODE set."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "needlelog", "benchmarks"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def _spawn(
    worker: str, variant: str, db: Path, patient_id: int, out_dir: Path
) -> tuple[dict[str, Any], float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["NEEDLELOG_HOME"] = str(out_dir / "home")
    env["XDG_CONFIG_HOME"] = str(out_dir / "config")  # window settings: a first start's
    cmd = [
        sys.executable, "-m", "benchmarks.run", "--worker", worker, "--variant", variant,
        "--db", str(db), "--patient-id", str(patient_id), "--out-dir", str(out_dir),
    ]  # fmt: skip
    started = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("@@RESULT ")]
    if proc.returncode != 0 or not marker:
        raise RuntimeError(f"{worker}/{variant} failed:\n{proc.stdout}\n{proc.stderr}")
    return json.loads(marker[-1][len("@@RESULT ") :]), started


@dataclass
class Row:
    scenario: str
    needlelog: float | None
    limit: float | None
    needlelog_mb: float | None = None
    limit_mb: float | None = None
    target: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    max_ratio: float = MAX_RATIO

    @property
    def ratio(self) -> float | None:
        if self.needlelog is None or not self.limit:
            return None
        return self.needlelog / self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "needlelog_s": self.needlelog,
            "limit_s": self.limit,
            "ratio": None if self.ratio is None else round(self.ratio, 2),
            "needlelog_peak_rss_mb": self.needlelog_mb,
            "limit_peak_rss_mb": self.limit_mb,
            "target_s": self.target,
            "max_ratio": self.max_ratio,
            "note": self.note,
            **self.extra,
        }


def _pair(worker: str, db: Path, pid: int, out_dir: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    mine, _ = _spawn(worker, "needlelog", db, pid, out_dir)
    raw, _ = _spawn(worker, "raw", db, pid, out_dir)
    return mine, raw


def _simple(name: str, worker: str, db: Path, pid: int, out_dir: Path) -> Row:
    mine, raw = _pair(worker, db, pid, out_dir)
    if mine["status"] != "ok":
        return Row(name, None, raw.get("seconds"), None, raw["peak_rss_mb"], note=NOT_AVAILABLE)
    return Row(name, mine["seconds"], raw["seconds"], mine["peak_rss_mb"], raw["peak_rss_mb"])


def _first_paint(db: Path, pid: int, out_dir: Path) -> list[Row]:
    variants = ("raw", "open_db", "needlelog")
    times: dict[str, list[float]] = {v: [] for v in variants}
    listed: list[float] = []
    peaks: dict[str, float] = {}
    available = True
    for _ in range(1 if quick() else PAINT_RUNS):
        for variant in variants:
            if variant == "needlelog" and not available:
                continue
            result, started = _spawn("first_paint", variant, db, pid, out_dir)
            peaks[variant] = result["peak_rss_mb"]
            if result["status"] != "ok":
                available = False
                continue
            times[variant].append(result["painted_at"] - started)
            if result.get("listed_at") is not None:
                listed.append(result["listed_at"] - started)
    limit = statistics.median(times["raw"])
    rows = []
    if available:
        rows.append(
            Row(
                "first paint of the main window",
                statistics.median(times["needlelog"]),
                limit,
                peaks["needlelog"],
                peaks["raw"],
                TARGETS["first paint"],
            )
        )
        rows.append(
            Row(
                "first patients listed in the main window",
                statistics.median(listed),
                None,
                peaks["needlelog"],
                note="informational: start until the list has rows (records opened after paint)",
            )
        )
    else:
        rows.append(
            Row(
                "first paint of the main window",
                None,
                limit,
                None,
                peaks["raw"],
                TARGETS["first paint"],
                NOT_AVAILABLE,
            )
        )
    rows.append(
        Row(
            "first paint of a bare window after opening the database",
            statistics.median(times["open_db"]),
            limit,
            peaks["open_db"],
            peaks["raw"],
            TARGETS["first paint"],
            # The app opens the database after its window has painted.
            note="informational: the store's share of start-up, paid after the first paint",
        )
    )
    return rows


def _search(db: Path, pid: int, out_dir: Path) -> list[Row]:
    mine, raw = _pair("search", db, pid, out_dir)
    gui, gui_raw = _pair("gui_search", db, pid, out_dir)
    rows = []
    for text, seconds in mine["times"].items():
        rows.append(
            Row(
                f"search {text!r} ({mine['hits'][text]} shown)",
                seconds,
                raw["times"][text],
                mine["peak_rss_mb"],
                raw["peak_rss_mb"],
                TARGETS["search"],
            )
        )
    if gui["status"] != "ok":
        rows.append(
            Row("search in the main window (keystroke to list)", None, None, note=NOT_AVAILABLE)
        )
        return rows
    for text, seconds in gui["times"].items():
        rows.append(
            Row(
                f"search {text!r} in the main window (keystroke to list)",
                seconds,
                gui_raw["times"][text],
                gui["peak_rss_mb"],
                gui_raw["peak_rss_mb"],
                TARGETS["search"],
                note="" if seconds is not None else "the list did not change",
            )
        )
    return rows


def _report(db: Path, pid: int, out_dir: Path) -> list[Row]:
    """Against the fair limit (the same document in bare ReportLab), and, for
    information, against the earlier limit: a bare Helvetica table."""
    mine, raw = _pair("report", db, pid, out_dir)
    bare, _ = _spawn("report", "bare", db, pid, out_dir)
    if mine["status"] != "ok":
        return [Row("progress report, 60 sessions", None, raw["seconds"], note=NOT_AVAILABLE)]
    return [
        Row(
            "progress report, 60 sessions",
            mine["seconds"],
            raw["seconds"],
            mine["peak_rss_mb"],
            raw["peak_rss_mb"],
        ),
        Row(
            "progress report, 60 sessions vs bare Helvetica table",
            mine["seconds"],
            bare["seconds"],
            mine["peak_rss_mb"],
            bare["peak_rss_mb"],
            note="informational: no charts, embedded fonts or page footers in the limit",
        ),
    ]


def run_all(patients: int, sessions: int, seed: int, log: Callable[[str], None]) -> list[Row]:
    from benchmarks.generate import clinic

    started = time.perf_counter()
    made = clinic(patients, sessions, seed)
    log(f"clinic ready in {time.perf_counter() - started:.1f} s: {made.path}")
    pid = made.long_history_ids[len(made.long_history_ids) // 2]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="needlelog-bench-") as tmp:
        out_dir = Path(tmp)
        _compile_bytecode()
        log("first paint ...")
        rows += _first_paint(made.path, pid, out_dir)
        log("search ...")
        rows += _search(made.path, pid, out_dir)
        log("open record ...")
        rows.append(_simple("open a 60-session record", "open_record", made.path, pid, out_dir))
        log("save session ...")
        # Saves go into a copy: the cached clinic stays as generated.
        copy = out_dir / "save-copy.sqlite3"
        shutil.copyfile(made.path, copy)
        rows.append(_simple("save a session", "save", copy, pid, out_dir))
        copy.unlink()
        log("report ...")
        rows += _report(made.path, pid, out_dir)
        log("export ...")
        rows.append(_simple("CSV export of all sessions", "export", made.path, pid, out_dir))
        log("import ...")
        mine, raw = _pair("import", made.path, pid, out_dir)
        rows.append(
            Row(
                f"CSV import of {mine.get('sessions', 0):,} sessions (limit: plain executemany, "
                f"no checks; ratio under {IMPORT_MAX_RATIO:g})",
                mine.get("seconds"),
                raw.get("seconds"),
                mine["peak_rss_mb"],
                raw["peak_rss_mb"],
                max_ratio=IMPORT_MAX_RATIO,
            )
        )
        log("quick_check ...")
        check, _ = _spawn("quick_check", "needlelog", made.path, pid, out_dir)
        rows.append(
            Row(
                "services.check.quick: PRAGMA quick_check of the whole file",
                check["seconds"],
                None,
                check["peak_rss_mb"],
                note="informational: why it is not run before the window opens",
            )
        )
    return rows


def _fmt_s(value: float | None) -> str:
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
            max_ratio=r.get("max_ratio", MAX_RATIO),
        )
        for r in data["rows"]
    ]  # fmt: skip


def table(rows: list[Row]) -> str:
    head = ("Scenario", "needlelog", "Limit", "Ratio", "Peak RSS (MB) needlelog / limit", "Note")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        note = r.note
        if not note:
            misses = []
            if r.ratio is not None and r.ratio >= r.max_ratio:
                misses.append(f"ratio ≥ {r.max_ratio:g}")
            if r.target is not None and r.needlelog is not None and r.needlelog >= r.target:
                misses.append(f"over the {_fmt_s(r.target)} target")
            note = "; ".join(misses) or "ok"
        mem = f"{r.needlelog_mb or '—'} / {r.limit_mb or '—'}"
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(
            f"| {r.scenario} | {_fmt_s(r.needlelog)} | {_fmt_s(r.limit)} | {ratio} | {mem} | {note} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, metavar="OUT.json")
    parser.add_argument("--quick", action="store_true", help="one repeat of each (a smoke test)")
    parser.add_argument("--show", type=Path, metavar="RUN.json", help="print the table of a run")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--patient-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    if args.show:
        print(table(rows_from_json(args.show)))
        return 0
    if args.quick:
        os.environ["NEEDLELOG_BENCH_QUICK"] = "1"  # inherited by the workers

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    rows = run_all(args.patients, args.sessions, args.seed, log)
    title = f"{args.patients:,} patients, {args.sessions:,} sessions (seed {args.seed})"
    print(f"\n{title}\n")
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "patients": args.patients,
            "sessions": args.sessions,
            "seed": args.seed,
            "when": datetime.now().isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "rows": [r.as_json() for r in rows],
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
