"""Files written whole or not at all: a temp file beside the target, renamed at the end.

The checks on where an output may go, the private file modes and the one-sentence
errors live in ``store.files`` (shared with the reports); this module names them
for the exchange formats.
"""

from __future__ import annotations

from collections.abc import Callable

from needlelog.store.files import OutputError, OutputRefused, atomic_path, check_output

__all__ = ["OutputError", "OutputRefused", "Progress", "atomic_path", "check_output"]

# progress(done, total): called between batches; it may raise to cancel the work,
# which then removes whatever it had started writing.
Progress = Callable[[int, int], None]
