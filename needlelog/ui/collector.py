"""Keep Python's garbage collector from holding the window: what start-up loaded
(modules, the window, the records' engine) lives as long as the app, so it is taken
out of the collector's full passes.

A full pass walks every object Python tracks. With needlelog, Qt and SQLAlchemy
loaded that is several hundred thousand objects: 0.1 to 0.3 s, at a moment nobody
chose (an allocation while a record opens or a save lands), on the GUI thread or on a
worker thread holding the interpreter lock, which stops the window just the same.
Frozen objects are still freed when nothing refers to them; only reference cycles
among them would wait, and what start-up loaded is not thrown away.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Move every object alive now into the collector's permanent generation (once per
    process: the first window opened on the records decides)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.freeze()
