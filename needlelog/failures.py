"""What a user is told when something fails unexpectedly, and the log that keeps the rest.

A refusal of bad input is answered where it happens, in words. Anything else
(a file missing from the installation, a font that cannot be read, a bug) ends
in one sentence naming the log file; the full trace goes into that file, never
onto the screen. The command line prints the sentence (cli.py), the window
shows it in one message box (ui/failures.py).

The log lives in ``config.paths().logs``: the folder is readable by its owner
alone (700) and so is the file (600), since a trace may quote a record. It is
kept to a few megabytes by rotation.
"""

from __future__ import annotations

import os
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from needlelog import __version__, config
from needlelog.resource_files import ResourceError

if TYPE_CHECKING:
    from logging import Handler

LOG_NAME = "needlelog.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3
_MESSAGE_CHARS = 300

_lock = threading.Lock()


@dataclass(frozen=True)
class Failure:
    """An unexpected failure as told to the user."""

    what: str  # what went wrong, in a clause: "an unexpected error stopped it (...)"
    log: Path  # the log file that holds the trace
    logged: bool  # False when the log itself could not be written
    log_problem: str = ""  # why not, then

    @property
    def details(self) -> str:
        """The clause that sends the reader to the log."""
        if self.logged:
            return f"the details are in {self.log}"
        return f"the details could not be written to {self.log} ({self.log_problem})"


def log_path() -> Path:
    return config.paths().logs / LOG_NAME


def describe(exc: BaseException) -> str:
    """What went wrong, as a clause a user can read (no trace, one line)."""
    message = _one_line(str(exc))
    if isinstance(exc, ResourceError):
        return message
    kind = type(exc).__name__
    detail = f"{kind}: {message}" if message else kind
    return f"an unexpected error stopped it ({detail})"


def record(exc: BaseException, doing: str, trace: str | None = None) -> Failure:
    """Write ``exc`` with its trace (or ``trace``, formatted where it was raised) to
    the log, under the heading ``doing``; return what to tell the user."""
    path = log_path()
    text = trace if trace is not None else "".join(traceback.format_exception(exc))
    try:
        _write(path, f"{doing} failed\n{text.rstrip()}")
    except OSError as problem:
        return Failure(describe(exc), path, False, problem.strerror or str(problem))
    return Failure(describe(exc), path, True)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MESSAGE_CHARS else line[: _MESSAGE_CHARS - 1] + "…"


def _private_log(path: Path) -> Handler:
    """A rotating log file created readable and writable by its owner alone.

    Built on first use: logging is not loaded on the way to the first window.
    """
    import logging
    import time
    from logging.handlers import RotatingFileHandler

    class PrivateLog(RotatingFileHandler):
        def _open(self):  # type: ignore[no-untyped-def]
            def private(name: str, flags: int) -> int:
                return os.open(name, flags, 0o600)

            return open(  # the handler keeps it, and closes it
                self.baseFilename,
                self.mode,
                encoding=self.encoding,
                errors=self.errors,
                opener=private,
            )

        def handleError(self, record: logging.LogRecord) -> None:
            # Called inside the handler's own except: re-raise, so record() reports it.
            raise

    handler = PrivateLog(
        path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    formatter = logging.Formatter("%(asctime)s UTC %(message)s\n", "%Y-%m-%d %H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    return handler


def _write(path: Path, message: str) -> None:
    import logging
    import platform

    header = f"needlelog {__version__}, Python {platform.python_version()}, "
    header += platform.platform()
    with _lock:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        if path.exists():
            os.chmod(path, 0o600)  # a file left by an older version
        handler = _private_log(path)
        try:
            handler.handle(
                logging.LogRecord(
                    "needlelog", logging.ERROR, __file__, 0, f"{header}: {message}", None, None
                )
            )
        finally:
            handler.close()
