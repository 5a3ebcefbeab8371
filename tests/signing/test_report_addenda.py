"""The progress report shows each session's signature and every addendum beside the
original, read back from the PDF with pypdf; writing the report is in the access log."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from needlelog.domain.signing import Signer
from needlelog.reports.progress import write_progress_report
from needlelog.services import disclosures, sessions
from needlelog.store.database import Database
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.reports.helpers import page_texts

DR = Signer("Dr Ada Quinn", "practitioner", 7)


def test_the_report_shows_signature_and_addendum_beside_the_original(
    db: Database, tmp_path: Path
) -> None:
    p = register_consenting(db, make_patient(), "nurse")
    first = make_session(notes="Tolerated well.")
    one = sessions.record(db, p.id, first, "nurse")
    two = sessions.record(
        db,
        p.id,
        replace(first, performed_at=first.performed_at.replace(month=5), next_due=None),
        "nurse",
    )
    sessions.sign(db, one.id, one.version, DR)
    sessions.add_addendum(
        db, one.id, DR, "Forehead treated at 0.5 mm, not 1.0 mm.", "depth typed wrong"
    )
    out = tmp_path / "report.pdf"
    write_progress_report(db, p.id, out)
    text = " ".join(" ".join(page_texts(out)).split())
    assert "Signatures and addenda" in text
    assert "Performed and recorded by Dr Ada Quinn (practitioner)" in text
    assert "Addendum" in text and "by Dr Ada Quinn (practitioner)" in text
    assert "Reason: depth typed wrong" in text
    assert "Forehead treated at 0.5 mm, not 1.0 mm." in text
    assert "Tolerated well." in text  # the original, as signed, still there
    assert "No. 2: Draft (not signed)" in text  # the second session
    log = disclosures.patient_log(db, p.id)
    assert [(e.action, e.what) for e in log] == [(disclosures.REPORT, "progress report report.pdf")]
    _ = two
