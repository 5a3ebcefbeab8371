"""Exports stream: memory stays flat as the number of sessions grows tenfold."""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path

import pytest

from benchmarks.exchange_bulk import fill
from needlelog.exchange import source
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import export_json
from needlelog.store.migrate import open_database


def _peak(tmp_path: Path, sessions: int, what: str) -> int:
    path = tmp_path / f"scale-{sessions}.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    fill(path, sessions)
    db = open_database(f"sqlite:///{path}")
    try:
        # Warm up first: statement caches and imports are paid once, not per row.
        export_csv(db, tmp_path / f"warm-{sessions}", record_no="B-0000001")
        tracemalloc.start()
        if what == "csv":
            result = export_csv(db, tmp_path / f"out-{sessions}")
            assert result.sessions == sessions
        elif what == "json":
            assert export_json(db, tmp_path / f"{sessions}.json").sessions == sessions
        else:
            assert export_fhir(db, tmp_path / f"{sessions}.fhir.json").sessions == sessions
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        db.dispose()
    return peak


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many batches even in a quick test: what must stay flat is the cost per batch.
    monkeypatch.setattr(source, "BATCH", 200)


def test_csv_export_memory_is_flat(tmp_path: Path) -> None:
    small = _peak(tmp_path, 1_000, "csv")
    big = _peak(tmp_path, 10_000, "csv")
    # Proportional growth would be about 10x the per-row part; a batch-bounded
    # export stays within allocator noise of the small one.
    assert big < small * 2, (small, big)
    with open(tmp_path / "out-10000/sessions.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 10_000
    assert rows[-1]["areas"] == "cheek_left:0.50;cheek_right:0.55;forehead:0.60"


def test_json_and_fhir_exports_stream_too(tmp_path: Path) -> None:
    for what in ("json", "fhir"):
        small = _peak(tmp_path / what, 300, what)
        big = _peak(tmp_path / what, 3_000, what)
        assert big < small * 2, (what, small, big)
