"""Search in the main window: the last keystroke typed into the real window's search
field until its patient list changes, beside a bare Qt window running the plain query
on a worker thread; a stall probe runs while each text is typed."""

from __future__ import annotations

import argparse
import sqlite3
import time
from typing import Any

from benchmarks.harness import (
    KEYSTROKE_BUDGET,
    NOT_AVAILABLE,
    WINDOW_SIZE,
    Context,
    Row,
    Scenario,
    Unavailable,
    main_window_factory,
    open_db,
    quick,
    spin,
    stall_probe,
    summary,
)
from benchmarks.scenarios.search import raw_search, search_texts

SETTLE_MS = 150
WAIT_MS = 3000
REPEATS = 20
# needlelog.ui.patient_models.PAGE_SIZE, not imported so the limit's process does not
# import needlelog's GUI (a test keeps them equal): the window lists this many at once.
PAGE = 200


def _bare_search_window(db_path: str) -> tuple[Any, Any, Any]:
    """The limit of a search typed into a window: a bare Qt window whose line edit runs
    the raw query (``raw_search``) on a worker thread, as a list that must never freeze
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
            answer.rows.emit(self.number, raw_search(conn, self.text, PAGE))

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


def _search_field_and_list(window: Any) -> tuple[Any, Any]:
    from PySide6.QtWidgets import QAbstractItemView, QLineEdit

    # The first page is read on a worker thread after the first paint: the list to
    # watch is the one that fills.
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and not any(
        v.model() is not None and v.model().rowCount()
        for v in window.findChildren(QAbstractItemView)
    ):
        spin(20)
    fields = window.findChildren(QLineEdit)
    field = next(
        (f for f in fields if "search" in (f.objectName() + f.placeholderText()).lower()),
        fields[0] if fields else None,
    )
    views = [v for v in window.findChildren(QAbstractItemView) if v.model() is not None]
    if field is None or not views:
        raise Unavailable("no search field or patient list found in the main window")
    return field, max(views, key=lambda v: v.model().rowCount()).model()


def type_text(field: Any, text: str) -> None:
    """Key events carrying the characters, as a keyboard sends them (QTest.keyClicks
    only knows ASCII: "mül")."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            key = ord(char.upper()) if char.isascii() and char.isalnum() else 0
            event = QKeyEvent(kind, key or Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(field, event)


def w_gui_search(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Last keystroke of a search to the first change of the patient list, through the
    real window (its search field, any debounce, its model), typed as a person would."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    _app = QApplication.instance() or QApplication(["needlelog"])  # kept alive to the end
    if variant == "raw":
        window, field, model = _bare_search_window(args.db)
    else:
        window = main_window_factory()(open_db(args.db))
    window.resize(*WINDOW_SIZE)
    window.show()
    QTest.qWaitForWindowExposed(window)
    if variant != "raw":
        field, model = _search_field_and_list(window)
    changed: list[float] = []
    signals = (model.modelReset, model.layoutChanged, model.rowsInserted, model.rowsRemoved)

    def note(*_args: Any) -> None:
        changed.append(time.perf_counter())

    for signal in signals:
        signal.connect(note)

    def settle() -> None:
        # Until the list has been quiet for a while: earlier keystrokes' work is done.
        while True:
            before = len(changed)
            spin(SETTLE_MS)
            if len(changed) == before:
                return

    def last_key(char: str) -> float | None:
        changed.clear()
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(loop.quit)
        for signal in signals:
            signal.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
        started = time.perf_counter()
        type_text(field, char)
        if not changed:
            timer.start(WAIT_MS)
            loop.exec()
        for signal in signals:
            signal.disconnect(loop.quit)
        return (changed[0] - started) if changed else None

    times: dict[str, dict[str, Any] | None] = {}
    stalls: dict[str, float] = {}
    probe = stall_probe()
    for text in search_texts(args):
        field.setFocus()
        field.clear()
        settle()
        probe.start()
        type_text(field, text[:-1])
        settle()
        found = []
        for _ in range(2 if quick() else REPEATS):
            found.append(last_key(text[-1]))
            settle()
            field.backspace()  # back to the text before the last key
            settle()
        stalls[text] = probe.stop()
        measured = [t for t in found if t is not None]
        times[text] = summary(measured) if measured else None
    return {"times": times, "stalls": stalls}


def rows(ctx: Context) -> list[Row]:
    gui, raw = ctx.pair("gui_search")
    if gui["status"] != "ok":
        return [
            Row("search in the main window (keystroke to list)", None, None, note=NOT_AVAILABLE)
        ]
    out = []
    for text, timing in gui["times"].items():
        limit = raw["times"][text]
        out.append(
            Row(
                f"search {text!r} in the main window (keystroke to list)",
                timing["seconds"] if timing else None,
                limit["seconds"] if limit else None,
                gui["peak_rss_mb"],
                raw["peak_rss_mb"],
                KEYSTROKE_BUDGET,
                note="" if timing else "the list did not change",
                p95=timing["p95"] if timing else None,
                stall=gui["stalls"][text],
                extra={"limit_longest_stall_s": raw["stalls"][text]},
            )
        )
    return out


SCENARIO = Scenario("gui search", {"gui_search": w_gui_search}, rows)
