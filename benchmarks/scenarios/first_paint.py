"""First paint: start like ``needlelog`` until the main window paints and the list fills,
beside a bare ``QMainWindow`` (the limit); a stall probe runs while the records open."""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from benchmarks.harness import (
    NOT_AVAILABLE,
    WINDOW_SIZE,
    Context,
    Row,
    Scenario,
    Unavailable,
    open_db,
    quick,
    stall_probe,
)

PAINT_RUNS = 7
TARGET = 1.0  # seconds, at full size


def _start_app() -> Any:
    """needlelog.ui.app.start_app: what ``needlelog`` does before its event loop runs."""
    try:
        from needlelog.ui.app import start_app

        return start_app
    except ImportError as exc:
        raise Unavailable(str(exc)) from None


def w_first_paint(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    """Start like the app (needlelog) or show a bare window (the limit), and report the
    wall-clock moments of the main window's first paint and, for needlelog, of the
    first patients in its list; and the longest stall of the running event loop until
    then."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(["needlelog"])
    painted: list[float] = []
    listed: list[float] = []
    wants_list = variant == "needlelog"
    probe = stall_probe()

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
            open_db(args.db)
        window = QMainWindow()
        window.setWindowTitle("needlelog")
        window.resize(*WINDOW_SIZE)
        window.installEventFilter(watcher)
        window.show()
    # From the event loop's first turn: the building before it is the paint time.
    QTimer.singleShot(0, probe.start)
    QTimer.singleShot(60_000, app.quit)
    app.exec()
    stall = probe.stop()
    if not painted:
        raise RuntimeError("the window was never painted")
    if wants_list and not listed:
        raise RuntimeError("no patient was listed")
    return {"painted_at": painted[0], "listed_at": listed[0] if listed else None, "stall": stall}


def rows(ctx: Context) -> list[Row]:
    variants = ("raw", "open_db", "needlelog")
    times: dict[str, list[float]] = {v: [] for v in variants}
    stalls: dict[str, list[float]] = {v: [] for v in variants}
    listed: list[float] = []
    peaks: dict[str, float] = {}
    available = True
    for _ in range(1 if quick() else PAINT_RUNS):
        for variant in variants:
            if variant == "needlelog" and not available:
                continue
            result, started = ctx.spawn("first_paint", variant)
            peaks[variant] = result["peak_rss_mb"]
            if result["status"] != "ok":
                available = False
                continue
            times[variant].append(result["painted_at"] - started)
            stalls[variant].append(result["stall"])
            if result.get("listed_at") is not None:
                listed.append(result["listed_at"] - started)
    limit = statistics.median(times["raw"])
    out = []
    if available:
        out.append(
            Row(
                "first paint of the main window",
                statistics.median(times["needlelog"]),
                limit,
                peaks["needlelog"],
                peaks["raw"],
                TARGET,
                p95=max(times["needlelog"]),
                note=f"p95: the slowest of {len(times['needlelog'])} starts",
            )
        )
        out.append(
            Row(
                "first patients listed in the main window",
                statistics.median(listed),
                None,
                peaks["needlelog"],
                stall=max(stalls["needlelog"]),
                note="informational: start until the list has rows (records opened after "
                "paint); stall: the worst of the starts, from the first paint on",
            )
        )
    else:
        out.append(
            Row(
                "first paint of the main window",
                None,
                limit,
                None,
                peaks["raw"],
                TARGET,
                NOT_AVAILABLE,
            )
        )
    out.append(
        Row(
            "first paint of a bare window after opening the database",
            statistics.median(times["open_db"]),
            limit,
            peaks["open_db"],
            peaks["raw"],
            # The app opens the database after its window has painted.
            note="informational: the store's share of start-up, paid after the first paint",
            max_ratio=float("inf"),
        )
    )
    return out


SCENARIO = Scenario("first paint", {"first_paint": w_first_paint}, rows)
