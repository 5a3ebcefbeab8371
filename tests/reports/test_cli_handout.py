"""`needlelog handout`: the aftercare handout of a session from the command line."""

from __future__ import annotations

from pathlib import Path

from needlelog.store.database import Database
from tests.cli_runner import run_cli
from tests.reports.helpers import page_texts, patient_with_sessions, shown, visit_day


def _handout(db_path: Path, *args: str):  # type: ignore[no-untyped-def]
    return run_cli("--db", f"sqlite:///{db_path}", "handout", *args)


def test_handout_of_the_latest_session_by_default(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 3, "P-0042")
    out = tmp_path / "aftercare.pdf"
    result = _handout(db_path, "P-0042", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {out}"
    (text,) = page_texts(out)  # one page
    assert "After your treatment today" in text
    assert "Zoë Lefèvre" in text and "P-0042" in text
    assert shown(visit_day(2).date()) in text
    assert shown(visit_day(0).date()) not in text


def test_handout_of_a_session_chosen_by_its_date(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 3, "P-0042")
    out = tmp_path / "first.pdf"
    day = visit_day(0).date().isoformat()
    result = _handout(db_path, "P-0042", "--session", day, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert shown(visit_day(0).date()) in page_texts(out)[0]


def test_handout_refuses_an_unknown_record_number_and_writes_nothing(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 1, "P-0042")
    out = tmp_path / "nobody.pdf"
    result = _handout(db_path, "NOPE-9", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "needlelog handout: error: no patient with record number NOPE-9"
    )
    assert not list(tmp_path.glob("*.pdf*"))


def test_handout_refuses_a_date_without_a_session_and_writes_nothing(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 2, "P-0042")
    out = tmp_path / "none.pdf"
    result = _handout(db_path, "P-0042", "--session", "2011-07-01", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "needlelog handout: error: patient P-0042 has no session on 2011-07-01"
    )
    assert not list(tmp_path.glob("*.pdf*"))


def test_handout_refuses_a_patient_without_sessions(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 0, "P-0042")
    out = tmp_path / "none.pdf"
    result = _handout(db_path, "P-0042", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == "needlelog handout: error: patient P-0042 has no sessions yet"
    assert not out.exists()


def test_handout_refuses_a_date_that_is_not_a_date(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 1, "P-0042")
    out = tmp_path / "bad.pdf"
    result = _handout(db_path, "P-0042", "--session", "2026-13-01", "--out", str(out))
    assert result.returncode == 2
    assert "'2026-13-01' is not a date like 2026-03-02" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_handout_needs_an_out_file(db: Database, db_path: Path) -> None:
    patient_with_sessions(db, 1, "P-0042")
    result = _handout(db_path, "P-0042")
    assert result.returncode == 2
    assert "--out" in result.stderr
