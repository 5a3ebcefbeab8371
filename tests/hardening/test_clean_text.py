"""Issue 13, point 8: clean text in, clear matches.

The attacks: names and notes accepted NUL, escape and bidirectional-override
characters; ``cheek_left:3;cheek_left:5`` kept the last value silently;
Fitzpatrick ``0_3`` read as 3; a session differing from a stored one in depth
or practitioner was skipped as "already present" without naming the row; the
demo created sessions later today that ``import`` then refused as being in
the future.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from needlelog.domain.errors import InvalidRecord
from needlelog.services import clock, demo, sessions
from needlelog.store.migrate import open_database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.hardening.conftest import run, sha256

PATIENTS = "record_no,family_name,given_name,fitzpatrick,notes\n"
SESSIONS = "record_no,performed_on,practitioner,areas,needle_depth_mm,area_passes,notes\n"


def _import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, patients_csv: str, sessions_csv: str = ""
) -> tuple[int, str, str]:
    (tmp_path / "patients.csv").write_text(patients_csv, encoding="utf-8")
    args = ["--db", str(tmp_path / "c.sqlite3"), "import", "--patients",
            str(tmp_path / "patients.csv")]  # fmt: skip
    if sessions_csv:
        (tmp_path / "sessions.csv").write_text(sessions_csv, encoding="utf-8")
        args += ["--sessions", str(tmp_path / "sessions.csv")]
    return run(capsys, *args)


@pytest.mark.parametrize(
    ("column", "value", "what"),
    [
        ("family_name", "Smith\x00", "family name holds a control character (U+0000)"),
        ("given_name", "\x1b[31mAnna", "given name holds a control character (U+001B)"),
        ("given_name", "Anna\u202eevil", "given name holds a direction-override character"),
        ("notes", "fine\nbut \u2066isolated\u2069", "notes holds a direction-override character"),
        ("notes", "bell\x07", "notes holds a control character (U+0007)"),
    ],
)
def test_control_and_override_characters_are_refused_naming_the_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, column: str, value: str, what: str
) -> None:
    cells = {"record_no": "P-1", "family_name": "Smith", "given_name": "", "fitzpatrick": "",
             "notes": ""}  # fmt: skip
    cells[column] = value
    row = ",".join(f'"{v}"' for v in cells.values())
    code, out, err = _import(capsys, tmp_path, PATIENTS + row + "\n")
    assert code == 2 and out == ""
    assert f"patients.csv row 1, column {column}: {what}" in err


def test_new_lines_in_notes_are_kept(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _import(capsys, tmp_path, PATIENTS + 'P-1,Smith,,,"line one\nline two"\n')
    assert code == 0, err
    assert out.startswith("Imported 1 new patient")


def test_the_services_and_forms_share_the_rule(db_path: Path) -> None:
    db = open_database(f"sqlite:///{db_path}")
    try:
        with pytest.raises(InvalidRecord) as caught:
            register_consenting(db, make_patient(family_name="Ev\u202eil", phone="+44\x00"), "x")
        assert caught.value.fields == {"family_name", "phone"}
        patient = register_consenting(db, make_patient(), "x")
        with pytest.raises(InvalidRecord) as caught:
            sessions.record(db, patient.id, make_session(practitioner="Dr.\x1b A"), "x")
        assert caught.value.fields == {"practitioner"}
    finally:
        db.dispose()


def test_an_area_repeated_in_one_cell_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patients_csv = PATIENTS + "P-1,Smith,,,\n"
    code, _out, err = _import(
        capsys, tmp_path, patients_csv, SESSIONS + "P-1,2026-01-05,A,cheek_left,0.75,"
        '"cheek_left:3;cheek_left:5",\n',
    )  # fmt: skip
    assert code == 2
    assert "column area_passes: area passes: Cheek (left) is listed twice" in err
    code, _out, err = _import(
        capsys, tmp_path, patients_csv,
        SESSIONS + 'P-1,2026-01-05,A,"cheek_left:0.5;cheek_left:0.75",,,\n',
    )  # fmt: skip
    assert code == 2
    assert "Cheek (left) is listed twice" in err
    assert not (tmp_path / "c.sqlite3").exists() or "P-1" not in out_of(tmp_path)


def out_of(tmp_path: Path) -> str:
    import sqlite3

    conn = sqlite3.connect(tmp_path / "c.sqlite3")
    try:
        return " ".join(r[0] for r in conn.execute("SELECT record_no FROM patients"))
    finally:
        conn.close()


@pytest.mark.parametrize("value", ["0_3", "3.0", "1e0", "+ 3", "iii_", "٣"])
def test_numeric_codes_accept_only_their_exact_forms(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    code, _out, err = _import(capsys, tmp_path, PATIENTS + f"P-1,Smith,,{value},\n")
    assert code == 2
    assert "column fitzpatrick" in err


@pytest.mark.parametrize("value", ["3", "III", "iii"])
def test_numeric_codes_in_their_exact_forms_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, value: str
) -> None:
    code, _out, err = _import(capsys, tmp_path, PATIENTS + f"P-1,Smith,,{value},\n")
    assert code == 0, err


def test_a_skipped_session_that_differs_is_listed_with_row_and_fields(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patients_csv = PATIENTS + "P-1,Smith,,,\n"
    first = SESSIONS + "P-1,2026-01-05,Dr A,cheek_left,0.75,,\n"
    code, _out, err = _import(capsys, tmp_path, patients_csv, first)
    assert code == 0, err
    db = tmp_path / "c.sqlite3"
    before = sha256(db)
    again = SESSIONS + (
        "P-1,2026-01-05,Dr A,cheek_left,0.75,,\n"  # the same: skipped silently
        "P-1,2026-01-05,Dr B,cheek_left,1.00,,\n"  # same date and areas, other values
    )
    code, out, err = _import(capsys, tmp_path, patients_csv, again)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("2 sessions already present, skipped.")
    assert lines[1:] == [
        "sessions.csv row 2: skipped as already present (P-1, 2026-01-05 00:00:00), but it "
        "differs from the stored one in practitioner, areas"
    ]
    assert sha256(db) == before


def test_demo_sessions_are_never_in_the_future(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    morning = datetime(2026, 3, 2, 8, 1)
    monkeypatch.setattr(clock, "today", lambda: morning.date())
    monkeypatch.setattr(clock, "local_now", lambda: morning)
    db = open_database(f"sqlite:///{db_path}")
    try:
        demo.fill(db, 60, 3)
        import sqlite3

        conn = sqlite3.connect(db_path)
        latest = conn.execute("SELECT max(performed_at) FROM treatment_sessions").fetchone()[0]
        conn.close()
    finally:
        db.dispose()
    assert datetime.fromisoformat(latest) < datetime.combine(date(2026, 3, 2), datetime.min.time())


def test_no_generated_demo_session_falls_on_today() -> None:
    from needlelog.services.demo_data import generate

    today = date(2026, 3, 2)
    dates = [s.performed_at for p in generate(2_000, 5, today) for s in p.sessions]
    assert len(dates) > 4_000
    assert max(dates) < datetime.combine(today, datetime.min.time())
