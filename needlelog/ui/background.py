"""The one way the window reaches the database or runs a long job: off the GUI thread.

The shape is Anki's ``QueryOp``/``CollectionOp``: the work function runs on a pool
thread and never touches widgets; its result, or its error, comes back on the GUI
thread, where the callbacks may update widgets. Three ways in:

- ``run_task(work, on_done, on_error, parent)``: one piece of work (open, save,
  archive, report, export, backup). ``work`` receives a ``TaskControl`` to report
  progress and to check whether the user cancelled. If the work is still running
  after ``WAITING_MS`` (another PC holds the write lock, a slow server), the task
  emits ``waiting`` so the window can say so instead of looking frozen.
- ``LatestOnly``: work asked for again and again (a search per keystroke), where only
  the answer to the latest request matters; older answers are dropped on arrival.
- ``OneAtATime``: a form's save, through ``run_task``, never two at once.

Callbacks are tied to ``parent``: when it is gone (a dialog closed meanwhile), the
outcome is dropped quietly. An error nobody handles (no ``on_error``, nothing
connected to ``LatestOnly.failed``) goes to ``sys.excepthook`` on the GUI thread with
the work's own trace, so it is never hidden: in the app that is ``ui.failures``' one
message box naming the log file (the trace goes to the log); in a test it fails the
test. Callers that handle the errors a user can act on hand the others to
``ui.failures.show_failure``, which says the same with the action's name.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import SIGNAL, QObject, QRunnable, QThreadPool, QTimer, Signal

# Work still running after this long is waiting on something (the write lock of
# another PC, a slow server): long enough that a normal save never mentions it.
WAITING_MS = 250
# What the window says meanwhile when the work is a save.
WAITING_TEXT = "Waiting for another computer to finish saving…"


class TaskCancelled(Exception):
    """Raised by work that stopped because the user cancelled it."""


class _Relay(QObject):
    """Carries outcomes from pool threads to the GUI thread (it lives there).

    It has no parent: a job still running when its owner is gone emits into a live
    object, and Qt has already cut the relay's links to the departed owner."""

    answered = Signal(int, object)
    failed = Signal(int, object, str)
    progress = Signal(int, int, str)


class TaskControl:
    """Handed to the work function: report progress, check for cancellation."""

    def __init__(self, relay: _Relay) -> None:
        self._relay = relay
        self._cancel = threading.Event()

    def progress(self, done: int, total: int, message: str = "") -> None:
        self._relay.progress.emit(done, total, message)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled()

    def cancel(self) -> None:
        self._cancel.set()


class _Job(QRunnable):
    def __init__(
        self, number: int, work: Callable[[TaskControl], Any], control: TaskControl, relay: _Relay
    ) -> None:
        super().__init__()
        self._number, self._work, self._control, self._relay = number, work, control, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work(self._control)
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            self._relay.failed.emit(self._number, exc, traceback.format_exc())
        else:
            self._relay.answered.emit(self._number, result)


# Most of this work waits (on the disk, on another PC's lock) rather than computes: a
# save waiting for the lock must not leave the searches queued behind it on a 2-core PC.
MIN_THREADS = 4


def _start(work: Callable[[TaskControl], Any], number: int, control: TaskControl) -> None:
    pool = QThreadPool.globalInstance()
    if pool.maxThreadCount() < MIN_THREADS:
        pool.setMaxThreadCount(MIN_THREADS)
    pool.start(_Job(number, work, control, control._relay))


class Task(QObject):
    """One running piece of background work; ``run_task`` keeps it alive until it ends."""

    finished = Signal(object)
    failed = Signal(object, str)
    progress = Signal(int, int, str)
    waiting = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay()
        self.control = TaskControl(self._relay)
        self.done = False
        # Bound to this object, so the relay's outcome is queued to the GUI thread and
        # Qt cuts the link when this task goes with its owner.
        self._relay.answered.connect(self._on_answered)
        self._relay.failed.connect(self._on_failed)
        self._relay.progress.connect(self.progress)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(WAITING_MS)
        self._timer.timeout.connect(self.waiting)

    def _on_answered(self, _number: int, result: object) -> None:
        self._end()
        self.finished.emit(result)

    def _on_failed(self, _number: int, exc: object, trace: str) -> None:
        self._end()
        self.failed.emit(exc, trace)

    def _end(self) -> None:
        self.done = True
        self._timer.stop()
        _running.discard(self)

    def cancel(self) -> None:
        self.control.cancel()


_running: set[Task] = set()


def unhandled(exc: BaseException, _trace: str) -> None:
    """Where work's error goes when nobody handles it: ``sys.excepthook``, as for an
    exception escaping a slot (the exception carries the work thread's traceback)."""
    sys.excepthook(type(exc), exc, exc.__traceback__)


def run_task(
    work: Callable[[TaskControl], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[BaseException, str], None] | None = None,
    parent: QObject | None = None,
    on_waiting: Callable[[], None] | None = None,
) -> Task:
    """Run ``work(control)`` on a pool thread; the callbacks run on the GUI thread, and
    only while ``parent`` (if given) still exists."""
    task = Task(parent)
    _running.add(task)
    # A task that goes with its owner before its work ends is forgotten then.
    task.destroyed.connect(lambda _obj=None: _running.discard(task))
    if on_done is not None:
        task.finished.connect(on_done)
    task.failed.connect(on_error if on_error is not None else unhandled)
    if on_waiting is not None:
        task.waiting.connect(on_waiting)
    task._timer.start()
    _start(work, 0, task.control)
    return task


class OneAtATime(QObject):
    """A form's save: one at a time, off the GUI thread. A start while one is on its way
    is ignored (Ctrl+S pressed twice); ``waiting`` says it outlasts a normal save, and
    ``ended`` comes before the outcome's callback, so the form can recover first."""

    waiting = Signal()
    ended = Signal()

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._task: Task | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(
        self,
        work: Callable[[TaskControl], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException, str], None],
    ) -> None:
        if self._task is not None:
            return

        def done(result: object) -> None:
            self._end()
            on_done(result)

        def failed(exc: BaseException, trace: str) -> None:
            self._end()
            on_error(exc, trace)

        self._task = run_task(work, done, failed, parent=self, on_waiting=self.waiting.emit)

    def _end(self) -> None:
        self._task = None
        self.ended.emit()


class LatestOnly(QObject):
    """Runs requests off the GUI thread and delivers only the latest one's outcome.

    One long-lived relay serves every request: a keystroke costs one small runnable,
    its answer one signal, and the list never flickers through text typed over."""

    answered = Signal(object)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest = 0
        self._open = 0  # requests started and not answered yet
        self._relay = _Relay()
        self._control = TaskControl(self._relay)
        self._relay.answered.connect(self._on_answered)
        self._relay.failed.connect(self._on_failed)

    def request(self, work: Callable[[], Any]) -> None:
        """Run ``work()`` on a pool thread; its outcome is delivered only if no newer
        request was made (or ``supersede`` called) meanwhile."""
        self._latest += 1
        self._open += 1
        _start(lambda _control: work(), self._latest, self._control)

    def supersede(self) -> None:
        """Drop the outcome of every request made so far (a newer answer is shown)."""
        self._latest += 1

    @property
    def pending(self) -> bool:
        """Whether any request is still running."""
        return self._open > 0

    def _on_answered(self, number: int, result: object) -> None:
        self._open -= 1
        if number == self._latest:
            self.answered.emit(result)

    def _on_failed(self, number: int, exc: object, trace: str) -> None:
        self._open -= 1
        if number != self._latest:
            return
        if self.receivers(SIGNAL("failed(PyObject,QString)")) == 0:
            unhandled(exc, trace)  # type: ignore[arg-type]  # nobody handles it: never hidden
            return
        self.failed.emit(exc, trace)


def cancel_all() -> None:
    """Ask every running task to stop at its next step (the application is closing)."""
    for task in list(_running):
        if shiboken6.isValid(task):
            task.cancel()


def wait_for_all(timeout_ms: int = 30_000) -> bool:
    """Block until every piece of work ended (tests and application shutdown)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
