"""The exports of a demo clinic, pinned: a change to how sessions are read (batched,
grouped, cached) must not change one byte of what a clinic exports. The CSV files
are compared whole; the JSON archive and the FHIR bundle by a SHA-256 of their
content without the moments that differ from run to run (when records were made
and exported, the audit chain's hashes over them, the bundle's random id).

After an intended change of an export, write the new expectations with
``NEEDLELOG_WRITE_GOLDEN=1 pytest tests/exchange/test_export_golden.py`` and say
in the commit why the files changed."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import export_json
from needlelog.services import demo
from needlelog.store.database import Database

GOLDEN = Path(__file__).parent / "golden"
WRITE = os.environ.get("NEEDLELOG_WRITE_GOLDEN") == "1"
# Stamps of the moment a record was made or exported, and what is computed over them.
VOLATILE = {
    "at", "created_at", "updated_at", "exported_at", "hash", "prev_hash",
    "createdDateTime", "timestamp",
    "creation",  # a consent's signed text: when its form version was saved
}  # fmt: skip


def _steady(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _steady(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


def _digest(path: Path, drop: tuple[str, ...] = ()) -> str:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for key in drop:
        doc.pop(key)
    text = json.dumps(_steady(doc), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def clinic(db: Database) -> Database:
    demo.fill(db, 8, seed=1, today=date(2026, 11, 1))
    return db


def test_exports_of_the_demo_clinic_are_unchanged(clinic: Database, tmp_path: Path) -> None:
    export_json(clinic, tmp_path / "records.json")  # first: later exports add access events
    export_fhir(clinic, tmp_path / "bundle.json")
    export_csv(clinic, tmp_path / "csv")
    digests = {
        "records.json": _digest(tmp_path / "records.json"),
        "bundle.json": _digest(tmp_path / "bundle.json", drop=("id",)),  # a random uuid
    }
    names = ("patients.csv", "sessions.csv")
    if WRITE:
        for name in names:
            (GOLDEN / name).write_bytes((tmp_path / "csv" / name).read_bytes())
        (GOLDEN / "digests.json").write_text(json.dumps(digests, indent=1) + "\n")
    for name in names:
        assert (tmp_path / "csv" / name).read_bytes() == (GOLDEN / name).read_bytes(), name
    assert digests == json.loads((GOLDEN / "digests.json").read_text())
    sessions = json.loads((tmp_path / "records.json").read_text(encoding="utf-8"))["sessions"]
    # The clinic is one to pin the reads with: children of every kind are present.
    assert all(s["areas"] and s["screening"] for s in sessions)
    assert any(s["products"] for s in sessions) and any(s["scores"] for s in sessions)
