"""CSV export then import into an empty database gives back the same records."""

from __future__ import annotations

import csv
import gc
from pathlib import Path

import pytest

from needlelog.exchange import csv_format as f
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import import_csv, preview_import
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from tests.exchange.records import FORMULAS, fill_rich, snapshot


def _fresh(tmp_path: Path, name: str) -> Database:
    return open_database(f"sqlite:///{tmp_path / name}")


def test_round_trip_keeps_every_field(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    result = export_csv(db, tmp_path / "out")
    assert (result.patients, result.sessions) == (4, 3)
    other = _fresh(tmp_path, "other.sqlite3")
    try:
        imported = import_csv(
            other, tmp_path / "out/patients.csv", tmp_path / "out/sessions.csv", "tester"
        )
        assert (imported.patients_added, imported.sessions_added) == (4, 3)
        assert snapshot(other) == snapshot(db)
    finally:
        other.dispose()


def test_header_names_the_contract_columns_first(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    export_csv(db, tmp_path)
    with open(tmp_path / "patients.csv", encoding="utf-8", newline="") as h:
        assert tuple(next(csv.reader(h))[:10]) == f.PATIENT_COLUMNS
    with open(tmp_path / "sessions.csv", encoding="utf-8", newline="") as h:
        rows = list(csv.DictReader(h))
    assert list(rows[0])[:17] == list(f.SESSION_COLUMNS)
    first = rows[0]
    assert first["areas"] == (
        r"cheek_left:0.75;forehead:0.50;other(Left shoulder \(upper\)\; scar\: a\|b \\ c):1.00"
    )
    assert first["needle_depth_mm"] == "1.00"  # the deepest area
    assert first["performed_on"] == "2026-03-02T10:30:15"
    assert first["redness"] == "severe" and first["bruising"] == "none" and first["swelling"] == ""
    assert first["serums"].startswith("Vitamin C serum|VC2291|2027-03-31;")
    assert first["scar_grade"] == "4" and first["gais"] == "2"


def test_formula_cells_are_neutralised_and_restored(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    export_csv(db, tmp_path)
    for name in ("patients.csv", "sessions.csv"):
        with open(tmp_path / name, encoding="utf-8", newline="") as h:
            for row in csv.reader(h):
                for cell in row:
                    assert not cell.startswith(f.FORMULA_STARTS), (name, cell)
    with open(tmp_path / "patients.csv", encoding="utf-8", newline="") as h:
        by_no = {r["record_no"]: r for r in csv.DictReader(h)}
    assert by_no["P-0002"]["notes"] == "'=SUM(A1)"
    assert by_no["P-0003"]["phone"] == "'+44 20 7946 0000"
    assert by_no["P-0004"]["given_name"] == "''quoted already"
    assert by_no["P-0004"]["notes"] == "'\tTab"
    other = _fresh(tmp_path, "other.sqlite3")
    try:
        import_csv(other, tmp_path / "patients.csv", tmp_path / "sessions.csv", "tester")
        found = patients.search(other, limit=10, include_archived=True)
        texts = {p.data.notes for p in found} | {p.data.family_name for p in found}
        texts |= {p.data.given_name for p in found}
        for formula in ("=SUM(A1)", "-x", "@x", "'quoted already"):
            assert formula in texts
        assert patients.find_by_record_no(other, "P-0003").data.phone == FORMULAS[1]
        assert patients.find_by_record_no(other, "P-0004").data.notes == "\tTab"
    finally:
        other.dispose()


def test_reimport_adds_nothing_and_keeps_stored_patient(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    export_csv(db, tmp_path)
    before = snapshot(db)
    # The file's phone differs from the stored record: the stored one is kept and reported.
    text = (tmp_path / "patients.csv").read_text(encoding="utf-8")
    (tmp_path / "patients.csv").write_text(
        text.replace("'+44 20 7946 0001", "+44 20 7946 9999"), encoding="utf-8"
    )
    result = import_csv(db, tmp_path / "patients.csv", tmp_path / "sessions.csv", "tester")
    assert (result.patients_added, result.patients_matched) == (0, 4)
    assert (result.sessions_added, result.sessions_skipped) == (0, 3)
    assert any(n.startswith("P-0001: already present") and "phone" in n for n in result.notes)
    assert snapshot(db) == before


def test_preview_reports_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    export_csv(db, tmp_path)
    other = _fresh(tmp_path, "other.sqlite3")
    try:
        result = preview_import(other, tmp_path / "patients.csv", tmp_path / "sessions.csv", "t")
        assert (result.patients_added, result.sessions_added, result.committed) == (4, 3, False)
        assert result.summary().startswith("Would import 4 new patients and 3 sessions")
        assert snapshot(other) == {}
    finally:
        other.dispose()


def test_export_of_one_patient(db: Database, tmp_path: Path) -> None:
    fill_rich(db)
    result = export_csv(db, tmp_path, record_no="P-0002")
    assert (result.patients, result.sessions) == (1, 1)
    with open(tmp_path / "sessions.csv", encoding="utf-8", newline="") as h:
        assert [r["record_no"] for r in csv.DictReader(h)] == ["P-0002"]


def test_cancelled_export_leaves_no_file(db: Database, tmp_path: Path) -> None:
    fill_rich(db)

    class Stop(Exception):
        pass

    def progress(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        export_csv(db, tmp_path / "out", progress=progress)
    assert list((tmp_path / "out").iterdir()) == []


def test_the_cycle_collector_runs_again_after_an_export_written_or_cancelled(
    db: Database, tmp_path: Path
) -> None:
    fill_rich(db)
    seen: list[bool] = []

    def watch(done: int, total: int) -> None:
        seen.append(gc.isenabled())  # paused while the export runs

    export_csv(db, tmp_path / "out", progress=watch)
    assert seen and not any(seen) and gc.isenabled()

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        export_csv(db, tmp_path / "cancelled", progress=cancel)
    assert gc.isenabled()
    gc.disable()  # paused by someone else: an export leaves it paused
    try:
        export_csv(db, tmp_path / "again")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_hand_made_sheet_with_shared_depth_and_excel_bom(db: Database, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        "\ufeffrecord_no,family_name,given_name,fitzpatrick,sex\nA-1,Núñez,Ana,IV,Female\n",
        encoding="utf-8",
    )
    (tmp_path / "s.csv").write_text(
        "record_no,performed_on,practitioner,areas,needle_depth_mm,passes,redness\n"
        "A-1,2026-01-10,Dr. Hart,cheek_left:0.75;chin;forehead,0.5,2,Mild\n",
        encoding="utf-8",
    )
    import_csv(db, tmp_path / "p.csv", tmp_path / "s.csv", "t")
    p = patients.find_by_record_no(db, "A-1")
    assert p.data.fitzpatrick == 4
    from needlelog.services import sessions

    (s,) = sessions.history(db, p.id)
    assert [(a.area.value, str(a.depth_mm), a.passes) for a in s.data.areas] == [
        ("cheek_left", "0.75", 2),
        ("chin", "0.50", 2),
        ("forehead", "0.50", 2),
    ]
