"""Open a 150-session record: the services' read beside plain ``sqlite3`` selects of the
same rows, and a click on the patient in the real main window until the history is
painted, with a stall probe running."""

from __future__ import annotations

import argparse
import sqlite3
import time
from typing import Any

from benchmarks.harness import (
    OPEN_BUDGET,
    WINDOW_SIZE,
    Context,
    Row,
    Scenario,
    main_window_factory,
    open_db,
    quick,
    raw_connect,
    spin,
    spin_until,
    stall_probe,
    summary,
    timed,
    window_row,
)
from benchmarks.scenarios.gui_search import _search_field_and_list

REPEATS = 30
WINDOW_REPEATS = 20


def w_open_record(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    pid = args.patient_id
    if variant == "needlelog":
        from needlelog.services import patients, sessions

        db = open_db(args.db)

        def work() -> int:
            patients.get(db, pid)
            return len(sessions.history(db, pid))

    else:
        conn = raw_connect(args.db)

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
    return {**timed(work, REPEATS), "sessions": count}


def two_patients(db_path: str, pid: int) -> list[tuple[int, str, int]]:
    """``pid`` and another patient with as long a history (or the longest other one):
    (id, record number, sessions), to click in turn."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        first = conn.execute(
            "SELECT id, record_no, sessions_total FROM patients WHERE id = ?", (pid,)
        ).fetchone()
        other = conn.execute(
            "SELECT id, record_no, sessions_total FROM patients WHERE id <> ? AND archived = 0 "
            "ORDER BY sessions_total = ? DESC, sessions_total DESC, id LIMIT 1",
            (pid, first[2]),
        ).fetchone()
    finally:
        conn.close()
    return [first, other]


class OpenWindow:
    """The real main window on the clinic, with a way to click a patient in its list
    and wait until that patient's history is painted."""

    def __init__(self, db_path: str) -> None:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        self.app = QApplication.instance() or QApplication(["needlelog"])
        self.window = main_window_factory()(open_db(db_path))
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        QTest.qWaitForWindowExposed(self.window)
        self.field, self.model = _search_field_and_list(self.window)
        self.record = self.window.record
        self.painted: list[float] = []
        self._want: tuple[int, int] | None = None  # (patient id, sessions)
        outer = self

        class HistoryPainted(QObject):
            def eventFilter(self, obj: QObject, event: QEvent) -> bool:
                if (
                    event.type() == QEvent.Type.Paint
                    and outer._want is not None
                    and outer.record.patient is not None
                    and outer.record.patient.id == outer._want[0]
                    and outer.record.history_model.rowCount() == outer._want[1]
                ):
                    outer.painted.append(time.perf_counter())
                    outer._want = None
                return False

        self._watcher = HistoryPainted()
        self.record.history.viewport().installEventFilter(self._watcher)

    def find(self, record_no: str, pid: int) -> int:
        """Search for the patient by record number until the list shows them: their row."""
        self.field.setText(record_no)
        if not spin_until(lambda: self.model.row_of(pid) is not None, 10):
            raise RuntimeError(f"patient {record_no} was not listed")
        spin(50)  # the list has painted and is quiet
        row = self.model.row_of(pid)
        assert row is not None
        return int(row)

    def click(self, row: int, pid: int, sessions: int) -> float:
        """Click the row; seconds until the patient's history is painted."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        view = self.window.patient_view
        centre = view.visualRect(self.model.index(row, 0)).center()
        self.painted.clear()
        self._want = (pid, sessions)
        started = time.perf_counter()
        QTest.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre
        )
        if not spin_until(lambda: bool(self.painted), 10, step_ms=1):
            raise RuntimeError("the history was not painted")
        return self.painted[0] - started


def w_open_in_window(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Click a patient with a long history in the real window's list until the history
    is painted; two such patients in turn, so every click changes the record."""
    shown = OpenWindow(args.db)
    patients = two_patients(args.db, args.patient_id)
    probe = stall_probe()
    times: list[float] = []
    stalls: list[float] = []
    repeats = 1 if quick() else WINDOW_REPEATS
    warm = 0 if quick() else 1  # the first one warms up
    for i in range(repeats + warm):
        pid, record_no, sessions = patients[i % 2]
        row = shown.find(record_no, pid)
        probe.start()
        seconds = shown.click(row, pid, sessions)
        spin(30)  # whatever the opening left for the event loop counts too
        stall = probe.stop()
        if i >= warm:
            times.append(seconds)
            stalls.append(stall)
    return {**summary(times), "stall": max(stalls), "sessions": patients[0][2]}


def rows(ctx: Context) -> list[Row]:
    from benchmarks.generate import LONG_HISTORY

    out = [ctx.simple(f"open a {LONG_HISTORY}-session record", "open_record", target=OPEN_BUDGET)]
    shown, _ = ctx.spawn("open_in_window", "needlelog")
    name = f"open a {LONG_HISTORY}-session record in the main window (click to painted history)"
    out.append(window_row(name, shown, OPEN_BUDGET))
    return out


SCENARIO = Scenario(
    "open record", {"open_record": w_open_record, "open_in_window": w_open_in_window}, rows
)
