"""Pictures read off the GUI thread, a few at a time, into the shared cache.

A record with sixty sessions asks for hundreds of thumbnails at once; they are
read two at a time, the most recently asked for first (what has just scrolled
into view), so the database work of the window never queues behind them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from needlelog.ui.background import run_task
from needlelog.ui.photos.images import ImageCache, Shown, decode, shared_cache

AT_ONCE = 2


class PictureLoader(QObject):
    """Reads pictures by key; ``loaded(key)`` once one is in the cache, ``failed(key,
    message)`` when its file cannot be read."""

    loaded = Signal(object)
    failed = Signal(object, str)

    def __init__(self, parent: QObject | None = None, cache: ImageCache | None = None) -> None:
        super().__init__(parent)
        # An empty cache is falsy (it has a length): "or" would drop the one given.
        self.cache = cache if cache is not None else shared_cache()
        self._waiting: dict[object, Callable[[], Shown]] = {}
        self._running: set[object] = set()
        self._failed: dict[object, str] = {}

    def get(self, key: object) -> Shown | None:
        return self.cache.get(key)

    def failure(self, key: object) -> str:
        return self._failed.get(key, "")

    def request(self, key: object, path: Path | Callable[[], Path], side: int) -> Shown | None:
        """The picture if cached; otherwise it is read in the background (latest asked
        first) and ``loaded`` follows. ``path`` may be a function run on the worker."""
        shown = self.cache.get(key)
        if shown is not None or key in self._running or key in self._failed:
            return shown

        def work() -> Shown:
            where = path() if callable(path) else path
            return decode(where, side)

        self._waiting.pop(key, None)
        self._waiting[key] = work  # re-inserted: the newest request goes first
        self._pump()
        return None

    def forget_waiting(self) -> None:
        """Drop requests not started (the record shown changed)."""
        self._waiting.clear()

    @property
    def busy(self) -> bool:
        return bool(self._waiting or self._running)

    def _pump(self) -> None:
        while self._waiting and len(self._running) < AT_ONCE:
            key = next(reversed(self._waiting))
            work = self._waiting.pop(key)
            self._running.add(key)
            run_task(
                lambda _control, work=work: work(),
                lambda shown, key=key: self._done(key, shown),
                lambda exc, _trace, key=key: self._fail(key, exc),
                parent=self,
            )

    def _done(self, key: object, shown: object) -> None:
        self._running.discard(key)
        assert isinstance(shown, Shown)
        self.cache.put(key, shown)
        self.loaded.emit(key)
        self._pump()

    def _fail(self, key: object, exc: BaseException) -> None:
        self._running.discard(key)
        self._pump()
        if not isinstance(exc, OSError):
            raise exc  # a fault of ours, not of the file: never hidden
        self._failed[key] = str(exc)
        self.failed.emit(key, str(exc))
