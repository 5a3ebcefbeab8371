"""Another PC holding the write lock, and a probe of how long the event loop stalls
(the fixtures ``locked_db`` and ``other_pc`` are in conftest.py).

The lock is held the way another needlelog holds it while it saves: ``BEGIN IMMEDIATE``
on a second, raw sqlite3 connection to the same file. The busy timeout is shortened
(it is 10 s in the app) so the tests run in a few seconds.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer

BUSY_TIMEOUT_MS = 2_000
LONGEST_STALL_MS = 50


class StallProbe(QObject):
    """A timer that should fire every few milliseconds: the longest gap between two
    ticks is the longest time the event loop could not paint or answer a key.

    ``waiting`` (optional) tells whether the work under test is still waiting: a gap
    that began while it waited counts in ``longest_waiting_ms`` too, so the wait and
    the handling of its outcome can be told apart."""

    def __init__(self, waiting: Callable[[], bool] | None = None) -> None:
        super().__init__()
        self.longest_ms = 0.0
        self.longest_waiting_ms = 0.0
        self._waiting = waiting
        self._was_waiting = False
        self._last = time.perf_counter()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        # The garbage earlier tests left is collected now, not in the middle of the wait.
        gc.collect()
        self._last = time.perf_counter()
        self._was_waiting = self._waiting is not None and self._waiting()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = (now - self._last) * 1000
        self.longest_ms = max(self.longest_ms, gap)
        if self._was_waiting:
            self.longest_waiting_ms = max(self.longest_waiting_ms, gap)
        self._last = now
        self._was_waiting = self._waiting is not None and self._waiting()


class OtherPc:
    """Holds the write lock as another PC's save does, until released."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)

    def hold(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
