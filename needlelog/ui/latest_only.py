"""Work asked for again and again (a search per keystroke), where only the answer to
the latest request matters.

Each request runs on a pool thread, as ``tasks.run_task`` work does, but through one
long-lived relay instead of a new task object per request: a keystroke costs one
small runnable, its answer one signal, and the answer to an older request is
dropped on arrival, so the list never flickers through text already typed over.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    """Carries answers from pool threads to the GUI thread (it lives there)."""

    answered = Signal(int, object)
    failed = Signal(int, object, str)


class _Request(QRunnable):
    def __init__(self, number: int, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._number, self._work, self._relay = number, work, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as exc:  # handed to the GUI thread, which decides what to show
            self._relay.failed.emit(self._number, exc, traceback.format_exc())
        else:
            self._relay.answered.emit(self._number, result)


class LatestOnly(QObject):
    """Runs requests off the GUI thread and delivers only the latest one's outcome."""

    answered = Signal(object)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest = 0
        self._open = 0  # requests started and not answered yet
        # No parent: a request still running when the owner is gone emits into a live
        # object, and Qt has already cut its link to the departed owner.
        self._relay = _Relay()
        self._relay.answered.connect(self._on_answered)
        self._relay.failed.connect(self._on_failed)

    def request(self, work: Callable[[], Any]) -> None:
        """Run ``work()`` on a pool thread; its outcome is delivered only if no newer
        request was made (or ``supersede`` called) meanwhile."""
        self._latest += 1
        self._open += 1
        QThreadPool.globalInstance().start(_Request(self._latest, work, self._relay))

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
        if number == self._latest:
            self.failed.emit(exc, trace)
