"""The command line of a patient's rights, run as a clinic's script would."""

from __future__ import annotations

import json
from pathlib import Path

from needlelog.services import sessions
from needlelog.store.migrate import open_database
from tests.cli_runner import run_cli
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session


def _clinic(path: Path) -> str:
    url = f"sqlite:///{path}"
    db = open_database(url)
    try:
        p = register_consenting(db, make_patient("P-1"), "nurse")
        sessions.record(db, p.id, make_session(), "nurse")
    finally:
        db.dispose()
    return url


def test_record_copy_access_log_and_a_refused_anonymisation(tmp_path: Path) -> None:
    url = _clinic(tmp_path / "c.db")
    copy = run_cli("--db", url, "record-copy", "P-1", "--out", str(tmp_path / "copy"))
    assert copy.returncode == 0, copy.stderr
    assert (tmp_path / "copy" / "P-1-progress-report.pdf").stat().st_size > 1000
    record = json.loads((tmp_path / "copy" / "P-1-record.json").read_text(encoding="utf-8"))
    assert record["sessions"][0]["status"] == "draft"
    log = run_cli("--db", url, "access-log", "P-1", "--out", str(tmp_path / "log.csv"))
    assert log.returncode == 0, log.stderr
    text = (tmp_path / "log.csv").read_text(encoding="utf-8")
    assert "exported the complete record for the patient" in text
    anon = run_cli("--db", url, "anonymise", "P-1")
    assert anon.returncode == 1
    assert anon.stderr.strip().startswith("needlelog anonymise: patient P-1 cannot be erased yet")
    assert len(anon.stderr.strip().splitlines()) == 1
    unknown = run_cli("--db", url, "access-log", "P-9")
    assert unknown.returncode == 2
    assert "no patient with record number P-9" in unknown.stderr
