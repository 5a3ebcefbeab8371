"""The signing view as a patient uses it: the text read to its end, each photo use
answered, the signature drawn with a pen (pressure), a mouse or a finger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from needlelog.domain.consent import ConsentKind, ConsentMethod, TemplateVersion, text_sha256
from needlelog.domain.photos import PhotoUse
from needlelog.domain.records import Patient
from needlelog.domain.signing import Signer
from needlelog.services import consents
from needlelog.store.database import Database
from needlelog.ui.consent import signing_view
from needlelog.ui.consent.signature_pad import SignaturePad, line_width
from needlelog.ui.consent.signing_view import SigningView, Witness
from tests.ui.consent_helpers import answer_all, pen_stroke, read_to_end, sign_with_pen


def _form(db: Database, kind: ConsentKind) -> TemplateVersion:
    return consents.template_for(db, kind, "en")


@pytest.fixture
def open_view(qtbot: QtBot, db: Database) -> Callable[..., SigningView]:
    def make(
        patient: Patient,
        kind: ConsentKind = ConsentKind.TREATMENT,
        versions: list[TemplateVersion] | None = None,
        witness: Witness | None = None,
    ) -> SigningView:
        view = SigningView(
            db,
            patient.id,
            patient.full_name,
            versions or [_form(db, kind)],
            witness or Witness(Signer("Dr Maria Ortega"), fixed=True),
        )
        qtbot.addWidget(view)
        view.resize(900, 640)  # the treatment text is longer than the view: it scrolls
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


@pytest.fixture
def patient(db: Database) -> Patient:
    from needlelog.services import patients
    from tests.factories import make_patient

    return patients.register(db, make_patient("P-0100"), "test")


def test_a_treatment_consent_is_signed_with_a_pen_once_the_text_is_read(
    qtbot: QtBot, db: Database, patient: Patient, open_view: Callable[..., SigningView]
) -> None:
    view = open_view(patient)
    form = view.version
    assert view.text_view.toPlainText() == form.text
    assert not view.sign_button.isEnabled()
    assert view.note.text() == f"{signing_view.READ_TO_END} {signing_view.SIGN_IN_PAD}"

    strokes = sign_with_pen(view.pad)
    assert not view.pad.is_empty()
    assert not view.sign_button.isEnabled(), "signed but not scrolled to the end"
    assert view.note.text() == signing_view.READ_TO_END

    read_to_end(qtbot, view)
    qtbot.waitUntil(view.sign_button.isEnabled)
    assert view.note.text() == signing_view.READY
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.result() == view.DialogCode.Accepted, timeout=10_000)

    (stored,) = consents.for_patient(db, patient.id)
    assert stored == view.consent
    assert stored.kind is ConsentKind.TREATMENT and stored.method is ConsentMethod.ON_SCREEN
    assert stored.template.id == form.id and stored.template.sha256 == text_sha256(form.text)
    assert stored.witness == "Dr Maria Ortega"
    assert stored.signature is not None
    drawn = [[(p.x, p.y, p.pressure) for p in s.points] for s in stored.signature.strokes]
    assert drawn == [[(float(x), float(y), p) for x, y, p in s] for s in strokes]
    assert (stored.signature.width, stored.signature.height) == (
        view.pad.width(),
        view.pad.height(),
    )
    assert stored.signature_png.startswith(b"\x89PNG")
    assert consents.treatment_status(db, patient.id, stored.signed_on).consent == stored


def _ink_rows(pad: SignaturePad, x: int) -> int:
    """How many pixel rows of ink the pad shows in column ``x``."""
    image = pad.grab().toImage()
    return sum(1 for y in range(image.height()) if QColor(image.pixel(x, y)).lightness() < 120)


def test_the_line_follows_the_pens_pressure(qtbot: QtBot) -> None:
    light, heavy = SignaturePad(), SignaturePad()
    for pad in (light, heavy):
        qtbot.addWidget(pad)
        pad.resize(500, 180)
        pad.show()
    pen_stroke(light, [(100, 60, 0.05), (300, 60, 0.05), (400, 60, 0.05)])
    pen_stroke(heavy, [(100, 60, 1.0), (300, 60, 1.0), (400, 60, 1.0)])
    assert [p[2] for p in light.strokes[0]] == [0.05, 0.05, 0.05]
    assert _ink_rows(light, 200) < _ink_rows(heavy, 200)
    assert line_width(0.05) < line_width(1.0)


def test_a_mouse_and_a_finger_sign_too_and_clear_starts_again(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(500, 180)
    pad.show()
    qtbot.waitExposed(pad)
    with qtbot.waitSignal(pad.changed):
        QTest.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPoint(20, 40))
        QTest.mouseMove(pad, QPoint(80, 70))
        QTest.mouseMove(pad, QPoint(140, 50))
        QTest.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPoint(160, 60))
    assert [(x, y) for x, y, _p in pad.strokes[0]] == [(20, 40), (80, 70), (140, 50), (160, 60)]
    assert {p for *_xy, p in pad.strokes[0]} == {1.0}, "a mouse has no pressure"

    finger = QTest.createTouchDevice()
    QTest.touchEvent(pad, finger).press(0, QPoint(200, 100))
    QTest.touchEvent(pad, finger).move(0, QPoint(260, 110))
    QTest.touchEvent(pad, finger).release(0, QPoint(300, 90))
    assert len(pad.strokes) == 2
    # A finger's point is where the touch's centre fell (within a pixel or two).
    assert pad.strokes[1][0][:2] == pytest.approx((200, 100), abs=3)
    assert pad.strokes[1][-1][:2] == pytest.approx((300, 90), abs=3)

    signature = pad.signature()
    assert len(signature.strokes) == 2 and not signature.is_empty()
    with qtbot.waitSignal(pad.changed):
        pad.clear()
    assert pad.is_empty() and pad.signature().is_empty()


def test_photo_consent_needs_every_use_answered_and_stores_the_answers(
    qtbot: QtBot, db: Database, patient: Patient, open_view: Callable[..., SigningView]
) -> None:
    view = open_view(patient, ConsentKind.PHOTO)
    assert not view.answers_box.isHidden()
    assert all(g.checkedButton() is None for g in view.answers.groups.values()), "no default"
    read_to_end(qtbot, view)
    sign_with_pen(view.pad)
    qtbot.waitUntil(lambda: view.note.text() == signing_view.ANSWER_EACH)
    for use in (PhotoUse.CLINICAL_RECORD, PhotoUse.OWN_REPORT, PhotoUse.TEACHING):
        qtbot.mouseClick(view.answers.yes[use], Qt.MouseButton.LeftButton)
    assert not view.sign_button.isEnabled(), "publication is not answered yet"
    answer_all(qtbot, view, {PhotoUse.CLINICAL_RECORD, PhotoUse.OWN_REPORT})
    assert view.sign_button.isEnabled()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.consent is not None, timeout=10_000)
    assert dict(view.consent.answers) == {
        PhotoUse.CLINICAL_RECORD: True,
        PhotoUse.OWN_REPORT: True,
        PhotoUse.TEACHING: False,
        PhotoUse.PUBLICATION: False,
    }
    from needlelog.services import photos

    uses = photos.uses(db, patient.id)
    assert uses.allows(PhotoUse.OWN_REPORT) and not uses.allows(PhotoUse.TEACHING)
    assert "answered no" in uses.why_not(PhotoUse.TEACHING)


def test_a_text_that_changed_under_the_patient_is_refused_and_nothing_is_lost(
    qtbot: QtBot, db: Database, patient: Patient, open_view: Callable[..., SigningView]
) -> None:
    form = _form(db, ConsentKind.TREATMENT)
    shown = replace(form, text=form.text.replace("rarely, scarring", "scarring never happens"))
    view = open_view(patient, versions=[shown])
    read_to_end(qtbot, view)
    strokes = sign_with_pen(view.pad)
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.signing and not view.error.isHidden(), timeout=10_000)
    assert view.error.text().startswith("Not signed: ")
    assert "The answers and the signature are kept." in view.error.text()
    assert view.isVisible() and view.result() != view.DialogCode.Accepted
    assert len(view.pad.strokes) == len(strokes)
    assert view.sign_button.isEnabled()
    assert consents.for_patient(db, patient.id) == []


def test_the_patients_language_is_chosen_and_reading_starts_again(
    qtbot: QtBot, db: Database, patient: Patient, open_view: Callable[..., SigningView]
) -> None:
    english = _form(db, ConsentKind.TREATMENT)
    german = consents.save_template(
        db,
        english.key,
        ConsentKind.TREATMENT,
        "de",
        "Einwilligung in die Microneedling-Behandlung",
        "Ich willige ein.\n" * 80,
        "test",
    )
    view = open_view(patient, versions=[english, german])
    assert [view.language.itemText(i) for i in range(2)] == ["English (en)", "German (de)"]
    read_to_end(qtbot, view)
    sign_with_pen(view.pad)
    qtbot.waitUntil(view.sign_button.isEnabled)
    view.language.setCurrentIndex(1)
    assert view.shown_text == german.text == view.text_view.toPlainText()
    assert not view.sign_button.isEnabled(), "a new text is read from its start"
    read_to_end(qtbot, view)
    qtbot.waitUntil(view.sign_button.isEnabled)
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.consent is not None, timeout=10_000)
    assert view.consent.template.language == "de"


def test_without_accounts_the_witness_is_the_practitioner_named(
    qtbot: QtBot, db: Database, patient: Patient, open_view: Callable[..., SigningView]
) -> None:
    view = open_view(patient, witness=Witness.current(""))
    assert not view.witness_name.isHidden() and view.witness_label.isHidden()
    read_to_end(qtbot, view)
    sign_with_pen(view.pad)
    qtbot.waitUntil(lambda: view.note.text() == signing_view.NAME_WITNESS)
    assert not view.sign_button.isEnabled()
    view.set_practitioners(["Dr Ana Costa", "Sam Lee"])
    view.witness_name.setCurrentIndex(0)
    assert view.sign_button.isEnabled()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.consent is not None, timeout=10_000)
    assert view.consent.witness == "Dr Ana Costa" and view.consent.witness_account == ""


def test_with_an_account_the_witness_is_the_one_signed_in(db: Database) -> None:
    from needlelog.domain.accounts import Account, Role
    from needlelog.services import access

    access.set_current(Account(7, "mortega", "Dr Maria Ortega", Role.PRACTITIONER))
    witness = Witness.current("someone else")
    assert witness.fixed and witness.signer == Signer("Dr Maria Ortega", "practitioner", 7)


def test_a_signature_point_outside_the_pad_is_kept_at_its_edge(qtbot: QtBot) -> None:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(500, 180)
    pad.show()
    pen_stroke(pad, [(-30, 50, 0.5), (700, 400, 0.5)])
    assert pad.strokes[0] == [(0.0, 50.0, 0.5), (499.0, 179.0, 0.5)]
