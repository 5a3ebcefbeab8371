"""Files written whole or not at all: a temp file beside the target, renamed at the end.

The checks on where an output may go, the private file modes and the one-sentence
errors live in ``store.files`` (shared with the reports); this module names them
for the exchange formats.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from needlelog.store.files import OutputError, OutputRefused, atomic_path, check_output

__all__ = [
    "OutputError",
    "OutputRefused",
    "Progress",
    "atomic_path",
    "check_output",
    "write_private_csv",
]

# progress(done, total): called between batches; it may raise to cancel the work,
# which then removes whatever it had started writing.
Progress = Callable[[int, int], None]


def write_private_csv(out: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write a CSV list of patients to ``out``: whole or not at all, and readable only by
    its owner, as it holds health data. Returns the number of rows below the header."""
    count = 0
    with atomic_path(out) as partial:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
    return count
