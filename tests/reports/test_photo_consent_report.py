"""A withdrawn photo consent keeps the photographs out of the next report, end to end:
the report PDF read back has no photo page after the withdrawal, and says why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from needlelog.domain.consent import ConsentKind
from needlelog.domain.photos import PhotoUse
from needlelog.reports import photo_page
from needlelog.services import consents
from needlelog.store.database import Database
from tests.consenting import SCRIBBLE
from tests.reports.helpers import page_texts
from tests.reports.test_photo_page import _images, _patient_with_photos, _pdf


def test_a_withdrawn_photo_consent_takes_the_photo_page_out_of_the_next_report(
    db: Database, tmp_path: Path
) -> None:
    pid = _patient_with_photos(db, tmp_path)
    form = consents.template_for(db, ConsentKind.PHOTO)
    signed = consents.sign(
        db, pid, form.id, {u: True for u in PhotoUse}, SCRIBBLE, "Dr. Amelia Hart", form.sha256
    )
    before = _pdf(db, pid)
    assert len(_images(before)) == 4
    assert "Photographs" in "".join(page_texts(before))

    consents.withdraw(db, signed.id, date.today(), "no longer wishes", "Dr. Amelia Hart")
    after = _pdf(db, pid)
    assert _images(after) == []
    assert "Photographs" not in "".join(page_texts(after))
    assert len(page_texts(after)) < len(page_texts(before))
    assert photo_page.left_out_because(db, pid) == (
        "Photographs left out: the patient withdrew photo consent on "
        f"{date.today().day} {date.today():%b %Y} (no longer wishes)."
    )
    # the consent itself is kept, with its answers, beside the withdrawal
    kept = consents.one(db, signed.id)
    assert kept.agrees_to(PhotoUse.OWN_REPORT) and kept.withdrawal is not None


def test_answering_no_to_the_own_report_in_a_new_consent_leaves_the_photos_out(
    db: Database, tmp_path: Path
) -> None:
    pid = _patient_with_photos(db, tmp_path)
    form = consents.template_for(db, ConsentKind.PHOTO)
    answers = {u: u is not PhotoUse.OWN_REPORT for u in PhotoUse}
    consents.sign(db, pid, form.id, answers, SCRIBBLE, "Dr. Amelia Hart", form.sha256)
    assert _images(_pdf(db, pid)) == []
    assert "answered no to this use (shown in the patient's own report)" in (
        photo_page.left_out_because(db, pid)
    )
