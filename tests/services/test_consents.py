"""Consent: versioned forms, signing on screen and on paper, withdrawal, validity by
course and by months, the gate of the session save and its override, role guards."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from needlelog.domain.accounts import AccessRefused
from needlelog.domain.chain import GENESIS, event_hash
from needlelog.domain.consent import (
    DEFAULT_PHOTO_TEXT,
    DEFAULT_TREATMENT_TEXT,
    ConsentKind,
    ConsentMethod,
    ConsentPolicy,
    Signature,
    Stroke,
    text_sha256,
)
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.photos import PhotoUse, UsesSource
from needlelog.services import accounts, audit, consents, patients, photos, sessions
from needlelog.services.errors import ConsentRequired, InvalidConsent
from needlelog.store.database import Database
from needlelog.store.models import AuditEventRow, ConsentRow, SessionRow
from tests.accounts.helpers import PASSWORD, add_clinic_accounts
from tests.consenting import SCRIBBLE, sign_consent
from tests.factories import make_patient, make_session

ALL_YES = {u: True for u in PhotoUse}


def _patient(db: Database, record_no: str = "P-0001") -> int:
    return patients.register(db, make_patient(record_no), "test").id


def _count(db: Database, table: type) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def _sign_now(db: Database, pid: int, kind: ConsentKind = ConsentKind.TREATMENT, **kw: object):
    version = consents.template_for(db, kind)
    answers = kw.pop("answers", ALL_YES if kind is ConsentKind.PHOTO else {})
    return consents.sign(db, pid, version.id, answers, SCRIBBLE, "Dr. Amelia Hart", version.sha256)


# -- forms --------------------------------------------------------------------------------


def test_every_database_starts_with_the_default_english_forms(db: Database) -> None:
    listed = consents.templates(db)
    assert [(t.key, t.kind, t.language, t.latest.version) for t in listed] == [
        ("treatment", ConsentKind.TREATMENT, "en", 1),
        ("photo", ConsentKind.PHOTO, "en", 1),
    ]
    treatment = consents.template_for(db, ConsentKind.TREATMENT)
    assert treatment.text == DEFAULT_TREATMENT_TEXT
    assert treatment.sha256 == text_sha256(DEFAULT_TREATMENT_TEXT)
    assert consents.template_for(db, ConsentKind.PHOTO).text == DEFAULT_PHOTO_TEXT
    # the risks of CLINICAL.md, the course and the aftercare are in the text
    for words in (
        "redness, swelling and bruising",
        "pinpoint bleeding",
        "acne",
        "infection",
        "cold sore",
        "Fitzpatrick types IV to VI",
        "scarring",
        "reaction to the numbing cream",
        "3 to 4 sessions, 4 to 6 weeks apart",
        "cannot remove scars",
        "sunscreen",
    ):
        assert words in treatment.text


def test_an_edit_makes_version_2_and_a_consent_signed_on_version_1_keeps_its_text(
    db: Database,
) -> None:
    pid = _patient(db)
    first = consents.template_for(db, ConsentKind.TREATMENT)
    signed = _sign_now(db, pid)
    assert signed.template.version == 1

    edited_text = first.text + "\nI agree that the clinic may call me the day after.\n"
    second = consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "en", first.title, edited_text, "admin"
    )
    assert second.version == 2 and second.template_id == first.template_id
    assert second.sha256 == text_sha256(edited_text) != first.sha256
    assert [v.version for v in consents.versions(db, first.template_id)] == [1, 2]
    assert consents.versions(db, first.template_id)[0].text == first.text

    again = consents.one(db, signed.id)
    assert again.template.version == 1
    assert again.template.text == first.text
    assert again.template.sha256 == first.sha256
    # the next patient gets the new version
    assert consents.template_for(db, ConsentKind.TREATMENT).id == second.id
    other = _sign_now(db, _patient(db, "P-0002"))
    assert other.template.version == 2 and other.template.text == edited_text


def test_saving_unchanged_text_adds_no_version_and_a_bad_form_is_refused(db: Database) -> None:
    first = consents.template_for(db, ConsentKind.PHOTO)
    same = consents.save_template(
        db, "photo", ConsentKind.PHOTO, "en", first.title, first.text, "admin"
    )
    assert same.id == first.id
    before = _count(db, AuditEventRow)
    with pytest.raises(InvalidConsent, match="consent text is empty"):
        consents.save_template(db, "photo", ConsentKind.PHOTO, "en", "Photos", "  ", "admin")
    with pytest.raises(InvalidConsent, match="not a language code"):
        consents.save_template(db, "photo", ConsentKind.PHOTO, "English", "Photos", "x", "a")
    with pytest.raises(InvalidConsent, match="cannot become another kind"):
        consents.save_template(db, "photo", ConsentKind.TREATMENT, "en", "Photos", "x", "a")
    assert _count(db, AuditEventRow) == before
    assert len(consents.versions(db, first.template_id)) == 1


def test_a_form_in_another_language_is_chosen_for_that_language_english_otherwise(
    db: Database,
) -> None:
    german = consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "de", "Einwilligung", "Ich willige ein.", "a"
    )
    assert consents.template_for(db, ConsentKind.TREATMENT, "de").id == german.id
    assert consents.template_for(db, ConsentKind.TREATMENT, "de-AT").id == german.id
    assert consents.template_for(db, ConsentKind.TREATMENT, "fr").language == "en"


# -- signing ------------------------------------------------------------------------------


def test_signing_stores_text_checksum_strokes_image_time_and_witness(db: Database) -> None:
    pid = _patient(db)
    consent = _sign_now(db, pid, ConsentKind.PHOTO, answers={**ALL_YES, PhotoUse.TEACHING: False})
    assert consent.method is ConsentMethod.ON_SCREEN
    assert consent.answers == (
        (PhotoUse.CLINICAL_RECORD, True),
        (PhotoUse.OWN_REPORT, True),
        (PhotoUse.TEACHING, False),
        (PhotoUse.PUBLICATION, True),
    )
    assert not consent.agrees_to(PhotoUse.TEACHING) and consent.agrees_to(PhotoUse.OWN_REPORT)
    assert consent.signature == Signature.from_json(SCRIBBLE.to_json())
    image = Image.open(io.BytesIO(consent.signature_png))
    assert image.format == "PNG" and image.size == (SCRIBBLE.width, SCRIBBLE.height)
    assert image.getchannel("A").getbbox() is not None  # ink was drawn
    assert consent.witness == "Dr. Amelia Hart" and consent.witness_account == ""
    assert abs(consent.signed_at - datetime.utcnow()) < timedelta(minutes=1)
    assert consents.for_patient(db, pid) == [consent]
    # audited, chained, with the checksum of the strokes rather than the strokes
    with db.read() as s:
        event = s.scalars(select(AuditEventRow).where(AuditEventRow.entity == "consent")).one()
    changes = json.loads(event.changes)
    assert event.action == "sign" and event.patient_id == pid
    assert changes["text_sha256"][1] == consent.template.sha256
    assert "signature_sha256" in changes and "strokes" not in event.changes


@pytest.mark.parametrize(
    ("change", "field", "sentence"),
    [
        ({"signature": Signature(320, 120, ())}, "signature", "The patient has not signed"),
        ({"signature": Signature(320, 120, (Stroke(()),))}, "signature", "has not signed"),
        ({"sha": "0" * 64}, "text_shown_sha256", "checksum differs"),
        (
            {"answers": {PhotoUse.CLINICAL_RECORD: True, PhotoUse.OWN_REPORT: False}},
            "answers",
            "used for teaching, published are not answered",
        ),
        ({"answers": {"selfies": True}}, "answers", "not uses of photographs"),
    ],
)
def test_what_cannot_be_signed_is_refused_with_its_sentence_and_nothing_written(
    db: Database, change: dict[str, object], field: str, sentence: str
) -> None:
    pid = _patient(db)
    version = consents.template_for(db, ConsentKind.PHOTO)
    events = _count(db, AuditEventRow)
    with pytest.raises(InvalidConsent, match=sentence) as refused:
        consents.sign(
            db,
            pid,
            version.id,
            change.get("answers", ALL_YES),
            change.get("signature", SCRIBBLE),  # type: ignore[arg-type]
            "Dr. Amelia Hart",
            str(change.get("sha", version.sha256)),
        )
    assert isinstance(refused.value, InvalidRecord)  # the form shows it like any refusal
    assert refused.value.fields == {field}
    assert _count(db, ConsentRow) == 0 and _count(db, AuditEventRow) == events


def test_a_treatment_consent_takes_no_photo_answers(db: Database) -> None:
    version = consents.template_for(db, ConsentKind.TREATMENT)
    with pytest.raises(InvalidConsent, match="no photo answers"):
        consents.sign(db, _patient(db), version.id, ALL_YES, SCRIBBLE, "Dr. H", version.sha256)


def test_a_paper_consent_keeps_its_scan_in_the_private_photo_store(
    db: Database, tmp_path: Path
) -> None:
    pid = _patient(db)
    scan = tmp_path / "consent.pdf"
    scan.write_bytes(b"%PDF-1.4\n% a scanned consent form\n%%EOF\n")
    version = consents.template_for(db, ConsentKind.TREATMENT)
    paper = consents.record_paper(db, pid, version.id, {}, scan, date(2026, 2, 20), "Dr. Hart")
    assert paper.method is ConsentMethod.PAPER and paper.signature is None
    assert paper.signature_png == b"" and paper.scan_media_type == "application/pdf"
    stored = consents.scan_path(db, paper)
    assert stored.read_bytes() == scan.read_bytes() and stored.name == paper.scan_sha256
    assert stored.stat().st_mode & 0o077 == 0
    assert paper.signed_at == datetime(2026, 2, 20)
    # check knows the scan: checked, and not an unused file
    problems, unused = photos.check_files(db)
    assert problems == [] and unused == []
    stored.chmod(0o600)
    stored.write_bytes(b"%PDF-1.4 changed")
    problems, _unused = photos.check_files(db)
    assert problems and "consent" in problems[0][0]


def test_a_scan_that_is_no_pdf_or_image_or_missing_is_refused(db: Database, tmp_path: Path) -> None:
    pid = _patient(db)
    version = consents.template_for(db, ConsentKind.TREATMENT)
    words = tmp_path / "consent.docx"
    words.write_bytes(b"PK\x03\x04 not a scan")
    with pytest.raises(InvalidConsent, match="is not a PDF, JPEG or PNG file"):
        consents.record_paper(db, pid, version.id, {}, words, date(2026, 2, 20), "Dr. Hart")
    with pytest.raises(InvalidConsent, match="does not exist"):
        consents.record_paper(
            db, pid, version.id, {}, tmp_path / "gone.pdf", date(2026, 2, 20), "Dr. Hart"
        )
    scan = tmp_path / "scan.png"
    Image.new("RGB", (10, 10)).save(scan)
    with pytest.raises(InvalidConsent, match="in the future"):
        consents.record_paper(db, pid, version.id, {}, scan, date(2999, 1, 1), "Dr. Hart")
    assert _count(db, ConsentRow) == 0
    assert not list(photos.photo_store(db).checksums())


# -- withdrawal ---------------------------------------------------------------------------


def test_a_withdrawal_is_added_and_the_consent_kept(db: Database) -> None:
    pid = _patient(db)
    signed = sign_consent(db, pid, date(2026, 1, 5))
    withdrawn = consents.withdraw(db, signed.id, date(2026, 6, 1), "moving abroad", "Dr. Hart")
    assert withdrawn.withdrawal is not None
    assert withdrawn.withdrawal.withdrawn_on == date(2026, 6, 1)
    assert withdrawn.withdrawal.reason == "moving abroad"
    assert replace(withdrawn, withdrawal=None) == signed  # everything signed is as it was
    assert not withdrawn.is_withdrawn_on(date(2026, 5, 31))
    assert withdrawn.is_withdrawn_on(date(2026, 6, 1))
    with pytest.raises(InvalidConsent, match="already withdrawn"):
        consents.withdraw(db, signed.id, date(2026, 6, 2), "again", "Dr. Hart")
    with pytest.raises(InvalidConsent, match="cannot be withdrawn before"):
        consents.withdraw(db, sign_consent(db, pid, date(2026, 7, 1)).id, date(2026, 6, 1), "", "x")
    # a session after the withdrawal is refused, and says why
    with pytest.raises(ConsentRequired, match="withdrew treatment consent on 1 Jun 2026"):
        sessions.record(
            db, pid, make_session(performed_at=datetime(2026, 6, 10, 10), next_due=None), "t"
        )


# -- validity and the gate -----------------------------------------------------------------


def test_a_session_without_consent_is_refused_and_nothing_written(db: Database) -> None:
    pid = _patient(db)
    events = _count(db, AuditEventRow)
    with pytest.raises(ConsentRequired) as refused:
        sessions.record(db, pid, make_session(), "test")
    assert str(refused.value) == (
        "The patient has not signed a treatment consent. Ask the patient to sign the "
        "treatment consent, or record why the session goes ahead without it."
    )
    assert refused.value.fields == {"consent_override_reason"}
    assert _count(db, SessionRow) == 0 and _count(db, AuditEventRow) == events
    assert patients.get(db, pid).sessions_total == 0


def test_an_override_with_a_reason_is_stored_audited_and_flagged_on_every_read(
    db: Database,
) -> None:
    pid = _patient(db)
    with pytest.raises(ConsentRequired):
        sessions.record(db, pid, make_session(consent_override_reason="   "), "test")
    saved = sessions.record(
        db, pid, make_session(consent_override_reason=" signed form in the post "), "test"
    )
    assert saved.data.consent_override_reason == "signed form in the post"
    assert sessions.FLAG_CONSENT_OVERRIDDEN in saved.flags
    assert sessions.FLAG_CONSENT_OVERRIDDEN in sessions.get(db, saved.id).flags
    (row,) = sessions.history(db, pid)
    assert sessions.FLAG_CONSENT_OVERRIDDEN in row.flags
    assert sessions.FLAG_CONSENT_OVERRIDDEN in sessions.latest(db, pid).flags  # type: ignore[union-attr]
    with db.read() as s:
        event = s.scalars(select(AuditEventRow).where(AuditEventRow.entity == "session")).one()
    assert json.loads(event.changes)["consent_override_reason"] == [
        None,
        "signed form in the post",
    ]


def test_a_reason_given_while_a_consent_covers_the_day_overrides_nothing(db: Database) -> None:
    pid = _patient(db)
    sign_consent(db, pid, date(2026, 1, 5))
    saved = sessions.record(db, pid, make_session(consent_override_reason="just in case"), "t")
    assert saved.data.consent_override_reason == ""
    assert sessions.FLAG_CONSENT_OVERRIDDEN not in saved.flags


def test_a_consent_is_valid_for_its_course_not_for_the_next(db: Database) -> None:
    pid = _patient(db)
    signed = sign_consent(db, pid, date(2026, 1, 5))
    for day in (date(2026, 1, 12), date(2026, 2, 9), date(2026, 3, 9)):
        assert consents.treatment_status(db, pid, day).consent == signed
        sessions.record(
            db,
            pid,
            make_session(performed_at=datetime.combine(day, datetime.min.time()), next_due=None),
            "t",
        )
    # before it was signed it covers nothing
    early = consents.treatment_status(db, pid, date(2026, 1, 4))
    assert early.consent is None and "after the session's date" in early.why_not
    # interrupted: more than the course gap (26 weeks) later a new course starts
    restart = date(2026, 3, 9) + timedelta(weeks=27)
    status = consents.treatment_status(db, pid, restart)
    assert status.consent is None
    assert status.why_not.startswith(
        "The treatment consent signed on 5 Jan 2026 was for an earlier course"
    )
    with pytest.raises(ConsentRequired, match="earlier course"):
        sessions.record(
            db,
            pid,
            make_session(
                performed_at=datetime.combine(restart, datetime.min.time()), next_due=None
            ),
            "t",
        )
    # signed again after the last course: the new course is covered
    again = sign_consent(db, pid, restart - timedelta(days=3))
    assert consents.treatment_status(db, pid, restart).consent == again


def test_with_a_validity_in_months_the_course_does_not_matter(db: Database) -> None:
    pid = _patient(db)
    sign_consent(db, pid, date(2026, 1, 31))
    consents.set_policy(db, ConsentPolicy(required=True, valid_months=12), "admin")
    assert consents.policy(db) == ConsentPolicy(True, 12)
    far = date(2026, 12, 1)  # a new course by the gap, yet inside 12 months
    sessions.record(
        db, pid, make_session(performed_at=datetime(2026, 1, 31, 9), next_due=None), "t"
    )
    assert consents.treatment_status(db, pid, far).consent is not None
    assert consents.treatment_status(db, pid, date(2027, 1, 30)).consent is not None
    expired = consents.treatment_status(db, pid, date(2027, 1, 31))
    assert expired.consent is None
    assert expired.why_not.startswith(
        "The treatment consent signed on 31 Jan 2026 was valid for 12 months, until 31 Jan 2027."
    )
    with pytest.raises(InvalidRecord, match="1 to 120 months"):
        consents.set_policy(db, ConsentPolicy(True, 0), "admin")
    assert consents.policy(db) == ConsentPolicy(True, 12)


def test_with_the_gate_off_sessions_save_without_consent(db: Database) -> None:
    pid = _patient(db)
    consents.set_policy(db, ConsentPolicy(required=False), "admin")
    status = consents.treatment_status(db, pid, date(2026, 3, 2))
    assert status.consent is None and status.ok and not status.required
    saved = sessions.record(db, pid, make_session(), "t")
    assert sessions.FLAG_CONSENT_OVERRIDDEN not in saved.flags


def test_imports_and_amendments_are_not_gated(db: Database) -> None:
    pid = _patient(db)
    from needlelog.services import settings

    protocol = settings.get_protocol(db)
    with db.write() as s:
        sid = sessions.add_in(s, pid, make_session(), "import", protocol=protocol)
    stored = sessions.get(db, sid)
    amended = sessions.amend(
        db, sid, replace(stored.data, notes="corrected"), stored.version, "t", reason="typo"
    )
    assert amended.data.notes == "corrected"
    assert sessions.FLAG_CONSENT_OVERRIDDEN not in amended.flags


# -- photo uses -----------------------------------------------------------------------------


def test_photo_uses_follow_the_latest_photo_consent_and_say_why(db: Database) -> None:
    pid = _patient(db)
    uses = photos.uses(db, pid)
    assert uses.source is UsesSource.NONE
    assert uses.why_not(PhotoUse.OWN_REPORT).endswith("no signed photo consent.")
    photos.set_uses(db, pid, [PhotoUse.OWN_REPORT], "t")
    uses = photos.uses(db, pid)
    assert uses.source is UsesSource.RECORDED and uses.allows(PhotoUse.OWN_REPORT)
    assert "recorded before signed consent" in uses.why_not(PhotoUse.TEACHING)

    first = sign_consent(db, pid, date(2026, 10, 1), ConsentKind.PHOTO, {PhotoUse.TEACHING: False})
    uses = photos.uses(db, pid)
    assert uses.source is UsesSource.CONSENT and uses.consent_id == first.id
    assert uses.allows(PhotoUse.PUBLICATION) and not uses.allows(PhotoUse.TEACHING)
    assert uses.why_not(PhotoUse.TEACHING) == (
        "Photographs left out: the patient answered no to this use (used for teaching) "
        "on 1 Oct 2026."
    )
    consents.withdraw(db, first.id, date(2026, 11, 3), "changed her mind", "Dr. Hart")
    uses = photos.uses(db, pid)
    assert uses.agreed == frozenset() and uses.source is UsesSource.WITHDRAWN
    assert uses.why_not(PhotoUse.CLINICAL_RECORD) == (
        "Photographs left out: the patient withdrew photo consent on 3 Nov 2026 (changed her mind)."
    )


# -- roles --------------------------------------------------------------------------------


def test_roles_administrators_edit_forms_clinical_roles_sign_reception_reads_nothing(
    db: Database,
) -> None:
    add_clinic_accounts(db)
    accounts.sign_in(db, "amelia", PASSWORD)
    pid = _patient(db)
    accounts.sign_in(db, "ada", PASSWORD)
    version = consents.template_for(db, ConsentKind.TREATMENT)
    with pytest.raises(AccessRefused):
        consents.sign(db, pid, version.id, {}, SCRIBBLE, "x", version.sha256)
    consents.save_template(
        db, "treatment", ConsentKind.TREATMENT, "en", version.title, version.text + "\n.", "ada"
    )
    accounts.sign_in(db, "amelia", PASSWORD)
    with pytest.raises(AccessRefused):
        consents.save_template(db, "treatment", ConsentKind.TREATMENT, "en", "T", "text", "a")
    with pytest.raises(AccessRefused):
        consents.set_policy(db, ConsentPolicy(False), "amelia")
    latest = consents.template_for(db, ConsentKind.TREATMENT)
    signed = consents.sign(db, pid, latest.id, {}, SCRIBBLE, "someone else", latest.sha256)
    # the witness is the signed-in account, whatever name was passed
    assert (signed.witness, signed.witness_account) == ("Dr. Amelia Hart", "amelia")
    accounts.sign_in(db, "sam", PASSWORD)
    consents.withdraw(db, signed.id, date.today(), "", "x")
    accounts.sign_in(db, "rita", PASSWORD)
    for call in (
        lambda: consents.for_patient(db, pid),
        lambda: consents.treatment_status(db, pid, date.today()),
        lambda: consents.templates(db),
    ):
        with pytest.raises(AccessRefused):
            call()


# -- the audit chain -------------------------------------------------------------------------


def test_every_consent_write_is_chained_in_the_audit_trail(db: Database) -> None:
    pid = _patient(db)
    signed = _sign_now(db, pid)
    consents.withdraw(db, signed.id, date.today(), "r", "Dr. Hart")
    consents.save_template(db, "aftercare", ConsentKind.TREATMENT, "en", "T", "Text.", "admin")
    with db.read() as s:
        rows = list(s.scalars(select(AuditEventRow).order_by(AuditEventRow.id)))
    prev = GENESIS
    for row in rows:
        assert row.prev_hash == prev
        expected = event_hash(
            prev, row.at, row.actor, row.entity, row.entity_id, row.action, row.changes,
            row.patient_id,
        )  # fmt: skip
        assert row.hash == expected
        prev = row.hash
    kinds = [(r.entity, r.action) for r in rows if r.entity.startswith("consent")]
    assert kinds == [
        ("consent_template", "create"),  # the default forms, seeded by revision 0009
        ("consent_template", "create"),
        ("consent", "sign"),
        ("consent", "withdraw"),
        ("consent_template", "create"),
    ]
    assert audit is not None


def test_once_a_photo_consent_is_signed_the_old_list_of_uses_cannot_be_set(
    db: Database,
) -> None:
    from needlelog.services.errors import Refused

    pid = _patient(db)
    sign_consent(db, pid, date(2026, 10, 1), ConsentKind.PHOTO)
    with pytest.raises(Refused, match="follow the photo consent signed on 1 Oct 2026"):
        photos.set_uses(db, pid, [PhotoUse.TEACHING], "t")
    assert photos.uses(db, pid).source is UsesSource.CONSENT
