"""Refused imports through the real command line: exit 2, every problem listed, nothing written."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from needlelog.exchange.csv_import import ImportRefused, import_csv
from needlelog.services import patients
from needlelog.store.database import Database
from tests.cli_runner import run_cli
from tests.factories import make_patient

PATIENTS = (
    "record_no,family_name,given_name,date_of_birth,sex,phone,email,fitzpatrick,"
    "contraindications,notes\n"
    "N-1,Nowak,Ola,1990-02-03,female,,,2,,\n"
    "N-2,Okafor,Chidi,1985-11-30,male,,,5,,\n"
)
SESSION_HEAD = "record_no,performed_on,practitioner,areas,needle_depth_mm,redness\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(db: Database, db_path: Path, tmp_path: Path, patients_csv: str, sessions_csv: str):
    patients.register(db, make_patient("P-0001"), "tester")
    db.dispose()  # the last connection closing folds the WAL into the file
    before = _sha(db_path)
    (tmp_path / "patients.csv").write_text(patients_csv, encoding="utf-8")
    (tmp_path / "sessions.csv").write_text(sessions_csv, encoding="utf-8")
    done = run_cli(
        "--db",
        str(db_path),
        "import",
        "--patients",
        str(tmp_path / "patients.csv"),
        "--sessions",
        str(tmp_path / "sessions.csv"),
    )
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert _sha(db_path) == before
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0
    return done.stderr.splitlines()


def test_bad_depths_are_all_listed(db: Database, db_path: Path, tmp_path: Path) -> None:
    lines = _refused(
        db,
        db_path,
        tmp_path,
        PATIENTS,
        SESSION_HEAD + "N-1,2026-01-10,Dr. Hart,cheek_left:1.05;chin:0.5,,\n"
        "N-2,2026-01-11,Dr. Hart,forehead:0.72,,mild\n"
        "N-2,2026-02-11,Dr. Hart,nose,0.4,\n",
    )
    assert lines[:3] == [
        "needlelog import: sessions.csv row 1, column areas: needle depth for Cheek (left) is "
        "1.05 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
        "needlelog import: sessions.csv row 2, column areas: needle depth for Forehead is 0.72 "
        "mm, not on a 0.05 mm step; allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
        "needlelog import: sessions.csv row 3, column areas: needle depth for Nose is 0.40 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
    ]
    assert lines[3] == (
        "needlelog import: error: nothing was imported: sessions.csv row 1, column areas: "
        "needle depth for Cheek (left) is 1.05 mm; allowed: 0.50 to 1.00 mm in steps of 0.05 mm "
        "(and 2 more problems)"
    )
    assert len(lines) == 4


def test_unknown_area_and_codes_are_listed(db: Database, db_path: Path, tmp_path: Path) -> None:
    lines = _refused(
        db,
        db_path,
        tmp_path,
        PATIENTS.replace("female,,,2,,", "female,,,2,pregnant,"),
        SESSION_HEAD + "N-1,2026-01-10,Dr. Hart,cheek_left:0.75;elbow:0.5,,\n"
        "N-2,2026-01-11,Dr. Hart,forehead:0.75,,awful\n"
        "X-9,2026-01-11,Dr. Hart,forehead:0.75,,\n",
    )
    text = "\n".join(lines)
    assert (
        "patients.csv row 1, column contraindications: contraindication 'pregnant' is not " in text
    )
    assert (
        "sessions.csv row 1, column areas: area 'elbow' is not known; allowed: forehead, " in text
    )
    assert (
        "sessions.csv row 2, column redness: redness 'awful' is not a grade; allowed: none, "
        in text
    )
    assert (
        "sessions.csv row 3, column record_no: no patient with record number 'X-9' in the "
        "database or in patients.csv" in text
    )
    assert lines[-1].endswith("(and 3 more problems)")


def test_malformed_dates_are_listed(db: Database, db_path: Path, tmp_path: Path) -> None:
    lines = _refused(
        db,
        db_path,
        tmp_path,
        PATIENTS.replace("1985-11-30", "30/11/1985"),
        SESSION_HEAD + "N-1,2026-13-40,Dr. Hart,chin:0.75,,\nN-1,2099-01-01,Dr. Hart,chin:0.75,,\n",
    )
    text = "\n".join(lines)
    assert (
        "patients.csv row 2, column date_of_birth: date of birth '30/11/1985' is not a date; "
        "allowed: an ISO date like 2026-03-02" in text
    )
    assert (
        "sessions.csv row 1, column performed_on: session date '2026-13-40' is not a date" in text
    )
    assert (
        "sessions.csv row 2, column performed_on: session date 2099-01-01 00:00:00 is in the future"
        in text
    )


def test_missing_required_columns_are_listed(db: Database, db_path: Path, tmp_path: Path) -> None:
    lines = _refused(
        db,
        db_path,
        tmp_path,
        PATIENTS.replace("family_name,", "surname,"),
        "record_no,performed_on,areas\nN-1,2026-01-10,chin:0.75\n",
    )
    text = "\n".join(lines)
    assert "patients.csv, column family_name: required column family_name is missing" in text
    assert "sessions.csv, column practitioner: required column practitioner is missing" in text
    assert lines[-1].endswith("(and 1 more problem)")


def test_every_problem_is_collected_in_process(db: Database, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(
        "record_no,family_name,email,fitzpatrick\n"
        "bad no!,,not-an-email,9\n"
        "OK-1,Fine,,\n"
        "OK-1,Twice,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as caught:
        import_csv(db, tmp_path / "p.csv", None, "tester")
    found = {(p.row_number, p.column) for p in caught.value.problems}
    assert found == {
        (1, "record_no"),
        (1, "family_name"),
        (1, "email"),
        (1, "fitzpatrick"),
        (3, "record_no"),
    }
    assert patients.count(db, include_archived=True) == 0


def test_session_rules_are_the_apps_rules(db: Database, tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("record_no,family_name\nA-1,Arkwright\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text(
        "record_no,performed_on,practitioner,areas,serums,screening,pain\n"
        "A-1,2026-01-10,Dr. Hart,chin:0.75,Old serum|L1|2025-01-01,pregnancy:yes,11\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as caught:
        import_csv(db, tmp_path / "p.csv", tmp_path / "s.csv", "tester")
    columns = sorted(p.column for p in caught.value.problems)
    assert columns == ["override_reason", "pain", "serums"]
    assert patients.count(db, include_archived=True) == 0


def test_a_row_with_an_unreadable_date_is_still_checked_against_the_rules(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    lines = _refused(
        db,
        db_path,
        tmp_path,
        PATIENTS,
        SESSION_HEAD + "N-1,2026-13-02,,chin:0.45,,\n",
    )
    assert lines[:3] == [
        "needlelog import: sessions.csv row 1, column performed_on: session date '2026-13-02' "
        "is not a date; allowed: an ISO date or date-time like 2026-03-02 or 2026-03-02T10:30",
        "needlelog import: sessions.csv row 1, column practitioner: practitioner is required",
        "needlelog import: sessions.csv row 1, column areas: needle depth for Chin is 0.45 mm; "
        "allowed: 0.50 to 1.00 mm in steps of 0.05 mm",
    ]
    assert lines[3].endswith("(and 2 more problems)")
    assert len(lines) == 4


def test_area_problems_name_the_area_in_words_and_leave_the_codes_alone(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "p.csv").write_text("record_no,family_name\nA-1,Arkwright\n", encoding="utf-8")
    (tmp_path / "s.csv").write_text(
        "record_no,performed_on,practitioner,areas,area_passes,area_endpoints\n"
        "A-1,2026-01-10,Dr. Hart,cheek_left:0.75;jawline_right,,\n"
        "A-1,2026-02-10,Dr. Hart,chin:0.75,cheek_right:2,other(Left shoulder):erythema\n"
        "A-1,2026-03-10,Dr. Hart,chin(left side):0.75,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused) as caught:
        import_csv(db, tmp_path / "p.csv", tmp_path / "s.csv", "tester")
    found = {(p.row_number, p.column, p.value, p.message) for p in caught.value.problems}
    assert found == {
        (
            1,
            "areas",
            "cheek_left:0.75;jawline_right",
            "Jawline (right) has no depth and needle_depth_mm is empty; "
            "allowed: area:depth or a needle_depth_mm for every area",
        ),
        (2, "area_passes", "cheek_right", "Cheek (right) is not among the treated areas"),
        (
            2,
            "area_endpoints",
            "other(Left shoulder)",
            "Left shoulder is not among the treated areas",
        ),
        (
            3,
            "areas",
            "chin(left side):0.75",
            "Chin takes no description; only other(...) does",
        ),
    }
    assert patients.count(db, include_archived=True) == 0


@pytest.mark.parametrize("missing", ["patients", "sessions"])
def test_a_refused_import_into_a_new_file_leaves_no_database_and_says_it_in_one_line(
    tmp_path: Path, missing: str
) -> None:
    """A mistyped --db path and a mistyped file name: one line, exit 2, and no empty
    database left at the mistyped path for the next command to open."""
    (tmp_path / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (tmp_path / "sessions.csv").write_text(
        SESSION_HEAD + "N-1,2026-01-10,Dr. Hart,cheek_left:0.75,,\n", encoding="utf-8"
    )
    files = {"patients": tmp_path / "patients.csv", "sessions": tmp_path / "sessions.csv"}
    files[missing] = tmp_path / f"{missing}-typo.csv"
    new_db = tmp_path / "clinc.sqlite3"
    done = run_cli(
        "--db", str(new_db), "import",
        "--patients", str(files["patients"]), "--sessions", str(files["sessions"]),
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"needlelog import: error: nothing was imported: {missing}-typo.csv: file not found"
    ]
    assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["patients.csv", "sessions.csv"]
