"""Python's cycle collector paused while a bulk import or export runs.

Both make millions of short-lived objects (rows, records, cells) and the collector
kept walking them: its passes found next to nothing to free (the records hold no
reference cycles; reference counting frees what each step drops) and cost a quarter
of the CPU time of importing 100,000 sessions and a tenth of exporting them.
Nothing either makes needs the collector to free memory. It resumes when the work
ends, however it ends, unless it was paused already.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
