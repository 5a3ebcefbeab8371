"""A patient's rights: the complete record for a subject access request, erasure
refused while the retention period runs, anonymisation after it with the audit trail
unchanged and still verifying, and the access log an administrator exports."""

from __future__ import annotations

import csv
import json
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from needlelog.domain.signing import Signer
from needlelog.exchange.backup import make_backup
from needlelog.exchange.csv_export import export_csv
from needlelog.services import audit, check, disclosures, patients, rights, sessions
from needlelog.services.errors import Refused
from needlelog.store.database import Database
from needlelog.subject_access import export_complete_record
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts

DR = Signer("Dr Ada Quinn", "practitioner", 7)


def _treated(db: Database) -> int:
    p = register_consenting(db, make_patient(notes="Prefers mornings."), "nurse")
    s = sessions.record(db, p.id, make_session(), "nurse")
    sessions.sign(db, s.id, s.version, DR)
    sessions.add_addendum(db, s.id, DR, "Forehead at 0.5 mm.", "depth typed wrong")
    return p.id


def test_the_complete_record_holds_report_and_json_and_is_logged(
    db: Database, tmp_path: Path
) -> None:
    pid = _treated(db)
    out = tmp_path / "copy for P-0001"
    made = export_complete_record(db, "P-0001", out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert "Forehead at 0.5 mm." in " ".join(page_texts(made.report))
    record = json.loads(made.record.read_text(encoding="utf-8"))
    (session,) = record["sessions"]
    assert session["signature"]["meaning"] == "performed and recorded by"
    assert session["addenda"][0]["reason"] == "depth typed wrong"
    assert record["patients"][0]["family_name"] == "Lefèvre"
    assert made.photos == 0 and not (out / "photos").exists()  # no photos: no folder
    actions = [e.action for e in disclosures.patient_log(db, pid)]
    assert actions == ["report", "export", "subject access export"]


def test_the_access_log_names_who_opened_printed_exported_and_backed_up(
    db: Database, tmp_path: Path
) -> None:
    pid = _treated(db)
    other = register_consenting(db, make_patient("P-0002"), "nurse")
    disclosures.log(db, "reception desk", disclosures.OPEN, pid, "patient record")
    disclosures.log(db, "reception desk", disclosures.OPEN, other.id, "patient record")
    export_csv(db, tmp_path / "all")  # the whole clinic: carried this patient too
    make_backup(db, tmp_path / "b.zip")
    log = disclosures.patient_log(db, pid)
    assert (log[0].actor, log[0].action, log[0].whole_clinic) == (
        "reception desk", "open", False,
    )  # fmt: skip
    assert [e.action for e in log] == ["open", "export", "backup"]  # not P-0002's opening
    n = disclosures.export_patient_log(db, pid, tmp_path / "log.csv")
    rows = list(csv.reader((tmp_path / "log.csv").open(encoding="utf-8")))
    assert n == 3 and rows[0] == ["at_utc", "who", "action", "what", "whole_clinic"]
    assert rows[1][1:3] == ["reception desk", "opened the record"]
    assert stat.S_IMODE((tmp_path / "log.csv").stat().st_mode) == 0o600


def test_erasure_is_refused_while_the_retention_period_runs(db: Database) -> None:
    pid = _treated(db)
    before = patients.get(db, pid)
    last = before.last_session_on
    assert last is not None
    with pytest.raises(Refused, match="keeps records for 8 years after the last session, until"):
        rights.anonymise(db, pid, "admin", today=last + timedelta(days=365 * 8 - 3))
    assert patients.get(db, pid) == before
    rights.set_retention_years(db, 10, "admin")
    assert rights.retention_of(db, pid).kept_until == date(last.year + 10, last.month, last.day)


def test_anonymisation_after_retention_keeps_the_trail_verifying(db: Database) -> None:
    pid = _treated(db)
    with db.transaction() as conn:
        trail_before = conn.execute(text("SELECT * FROM audit_events ORDER BY id")).all()
    before = patients.get(db, pid)
    assert before.last_session_on is not None
    rights.anonymise(db, pid, "admin", today=before.last_session_on + timedelta(days=366 * 9))
    after = patients.get(db, pid)
    assert after.data.family_name == "Anonymised" and after.data.given_name == ""
    assert (after.data.phone, after.data.email, after.data.notes) == ("", "", "")
    assert before.data.date_of_birth is not None
    assert after.data.date_of_birth == date(before.data.date_of_birth.year, 1, 1)
    assert after.anonymised_at is not None and after.archived
    assert patients.search(db, "Lefèvre", include_archived=True) == []
    with db.transaction() as conn:
        trail = conn.execute(text("SELECT * FROM audit_events ORDER BY id")).all()
        assert audit.verify_chain(conn) is None
    assert trail[: len(trail_before)] == trail_before  # nothing in the trail changed
    every = json.dumps([list(map(str, r)) for r in trail], ensure_ascii=False)
    for gone in ("Lefèvre", "Zoë", "7946", "zoe@", "Prefers mornings"):
        assert gone not in every
    assert trail[-1].action == "anonymise"
    assert sessions.history(db, pid)[0].addenda  # the clinical history stays
    assert check.run(db).ok
    with pytest.raises(Refused, match="already anonymised"):
        rights.anonymise(db, pid, "admin", today=date(2099, 1, 1))
