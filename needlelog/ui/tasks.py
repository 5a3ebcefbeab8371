"""Long work off the GUI thread: the one way reports, exports, imports and backups run.

The work function runs on a pool thread and must not touch widgets; its
result (or error) comes back on the GUI thread through a signal. A task can
report progress and be asked to stop: the work function receives a
``TaskControl`` and checks ``cancelled`` between steps, so it can roll back
and leave nothing half-done.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class TaskCancelled(Exception):
    """Raised by work that stopped because the user cancelled it."""


class TaskControl:
    """Handed to the work function: report progress, check for cancellation."""

    def __init__(self, signals: _Signals) -> None:
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._signals.progress.emit(done, total, message)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled()

    def cancel(self) -> None:
        self._cancel.set()


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object, str)
    progress = Signal(int, int, str)


class _Runnable(QRunnable):
    def __init__(
        self, work: Callable[[TaskControl], Any], signals: _Signals, control: TaskControl
    ) -> None:
        super().__init__()
        self._work, self._signals, self._control = work, signals, control
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self._control)
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            self._signals.failed.emit(exc, traceback.format_exc())
        else:
            self._signals.finished.emit(result)


class Task(QObject):
    """A running piece of background work; keep a reference until it ends."""

    finished = Signal(object)
    failed = Signal(object, str)
    progress = Signal(int, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _Signals()
        self.control = TaskControl(self._signals)
        self.done = False
        self._signals.finished.connect(self._on_finished)
        self._signals.failed.connect(self._on_failed)
        self._signals.progress.connect(self.progress)

    def _on_finished(self, result: object) -> None:
        self.done = True
        self.finished.emit(result)

    def _on_failed(self, exc: object, trace: str) -> None:
        self.done = True
        self.failed.emit(exc, trace)

    def cancel(self) -> None:
        self.control.cancel()


_running: set[Task] = set()


def run_task(
    work: Callable[[TaskControl], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException, str], None] | None = None,
    parent: QObject | None = None,
    pool: QThreadPool | None = None,
) -> Task:
    """Run ``work(control)`` on a pool thread; callbacks run on the GUI thread."""
    task = Task(parent)
    _running.add(task)
    if on_done is not None:
        task.finished.connect(on_done)
    if on_error is not None:
        task.failed.connect(on_error)
    task.finished.connect(lambda _r: _running.discard(task))
    task.failed.connect(lambda _e, _t: _running.discard(task))
    (pool or QThreadPool.globalInstance()).start(_Runnable(work, task._signals, task.control))
    return task


def cancel_all() -> None:
    """Ask every running task to stop at its next step (the application is closing)."""
    for task in list(_running):
        task.cancel()


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Block until every task ended (tests and application shutdown)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
