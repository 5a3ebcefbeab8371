"""The benchmark scenarios, in the order they run: one module each, one line here."""

from __future__ import annotations

from benchmarks.harness import Scenario
from benchmarks.scenarios import (
    export,
    first_paint,
    gui_search,
    import_csv,
    open_record,
    quick_check,
    report,
    save,
    search,
)

SCENARIOS: list[Scenario] = [
    first_paint.SCENARIO,
    search.SCENARIO,
    gui_search.SCENARIO,
    open_record.SCENARIO,
    save.SCENARIO,
    report.SCENARIO,
    quick_check.SCENARIO,
    export.SCENARIO,  # leaves its files for the import
    import_csv.SCENARIO,
]
