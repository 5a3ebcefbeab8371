from __future__ import annotations

from pathlib import Path

from needlelog.store.database import Database
from tests.cli_runner import run_cli
from tests.reports.helpers import page_texts, patient_with_sessions, shown, visit_day


def test_report_refuses_an_unknown_record_number_and_writes_nothing(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 1)
    out = tmp_path / "nobody.pdf"
    result = run_cli("--db", f"sqlite:///{db_path}", "report", "NOPE-9", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == "needlelog report: error: no patient with record number NOPE-9"
    assert not out.exists()
    assert not list(tmp_path.glob("*.pdf*"))


def test_report_writes_the_pdf_of_a_known_patient(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 3, "P-0042")
    out = tmp_path / "zoe.pdf"
    result = run_cli("--db", f"sqlite:///{db_path}", "report", "P-0042", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Wrote {out}"
    texts = page_texts(out)
    assert "Zoë Lefèvre" in texts[0] and "P-0042" in texts[0]
    assert all(shown(visit_day(i).date()) in "\n".join(texts) for i in range(3))


def test_report_into_a_missing_folder_is_refused_in_one_line(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    patient_with_sessions(db, 1, "P-0042")
    out = tmp_path / "no such folder" / "r.pdf"
    result = run_cli("--db", f"sqlite:///{db_path}", "report", "P-0042", "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"needlelog report: error: cannot write {out}: No such file or directory"
    )
    assert not out.parent.exists()
