"""The consent panel of the patient record, as a practitioner uses it: whether a
treatment consent covers today, the photo uses agreed, and the actions: sign on
screen, record a paper consent with its scan, withdraw, save the consent's PDF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog
from pytestqt.qtbot import QtBot

from needlelog.domain.consent import ConsentKind, ConsentMethod, ConsentPolicy
from needlelog.domain.photos import PhotoUse
from needlelog.domain.records import Patient
from needlelog.services import clock, consents, patients
from needlelog.store.database import Database
from needlelog.ui import formatting as fmt
from needlelog.ui.consent import record_panel
from needlelog.ui.consent.paper_dialog import PaperConsentDialog
from needlelog.ui.consent.record_panel import ConsentPanel
from needlelog.ui.consent.signing_view import SigningView
from needlelog.ui.consent.withdraw_dialog import WithdrawDialog
from needlelog.ui.main_window import MainWindow
from tests.consenting import sign_consent
from tests.factories import make_patient
from tests.ui.consent_helpers import read_to_end, sign_with_pen

MakeWindow = Callable[[Database], MainWindow]


@pytest.fixture
def patient(db: Database) -> Patient:
    return patients.register(db, make_patient("P-0300", given_name="Noor"), "test")


def _open(qtbot: QtBot, make_window: MakeWindow, db: Database) -> ConsentPanel:
    window = make_window(db)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    panel = window.record.consents
    qtbot.waitUntil(lambda: panel.view is not None and not panel.pending, timeout=10_000)
    return panel


def _reread(qtbot: QtBot, panel: ConsentPanel, before: object) -> None:
    qtbot.waitUntil(lambda: panel.view is not before and not panel.pending, timeout=10_000)


def test_the_record_says_why_no_consent_and_signing_on_screen_makes_it_valid(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    panel = _open(qtbot, make_window, db)
    assert panel.isVisible()
    assert panel.treatment.text() == (
        "<b>Treatment consent:</b> The patient has not signed a treatment consent. Ask the "
        "patient to sign the treatment consent, or record why the session goes ahead "
        "without it."
    )
    assert "not agreed: kept in the clinical record" in panel.photo.text()
    assert "No signed photo consent." in panel.photo.text()
    assert not panel.withdraw_action.isEnabled() and not panel.pdf_action.isEnabled()

    before = panel.view
    qtbot.mouseClick(panel.sign_treatment_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.window().findChild(SigningView) is not None, timeout=10_000)
    view = panel.window().findChild(SigningView)
    qtbot.waitExposed(view)
    view.witness_name.setEditText("Dr. Amelia Hart")
    read_to_end(qtbot, view)
    sign_with_pen(view.pad)
    qtbot.waitUntil(view.sign_button.isEnabled)
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    _reread(qtbot, panel, before)
    today = fmt.day(clock.today())
    assert panel.treatment.text().startswith(
        f"<b>Treatment consent:</b> signed on screen on {today}, valid for this course "
        "(version 1, witness Dr. Amelia Hart)."
    )
    assert panel.withdraw_action.isEnabled() and panel.pdf_action.isEnabled()


def test_valid_for_months_says_until_when_and_photo_answers_show(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    consents.set_policy(db, ConsentPolicy(required=True, valid_months=12), "test")
    sign_consent(db, patient.id, on=date(2026, 3, 15))
    answers = {u: u in (PhotoUse.CLINICAL_RECORD, PhotoUse.OWN_REPORT) for u in PhotoUse}
    sign_consent(db, patient.id, on=date(2026, 3, 15), kind=ConsentKind.PHOTO, answers=answers)
    panel = _open(qtbot, make_window, db)
    if clock.today() < date(2027, 3, 15):
        assert "valid until 15 Mar 2027" in panel.treatment.text()
    else:
        assert "was valid for 12 months, until 15 Mar 2027" in panel.treatment.text()
    assert panel.photo.text() == (
        "<b>Photo uses</b> agreed: kept in the clinical record, shown in the patient's own "
        "report; not agreed: used for teaching, published. From the photo consent signed "
        "on 15 Mar 2026."
    )


def test_a_withdrawal_needs_a_reason_keeps_the_consent_and_the_record_says_so(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    signed = sign_consent(db, patient.id, on=date(2026, 1, 5))
    panel = _open(qtbot, make_window, db)
    assert panel.treatment.styleSheet() == record_panel.VALID_STYLE
    panel.withdraw_action.trigger()
    dialog = panel.findChild(WithdrawDialog)
    assert dialog is not None and dialog.choice.count() == 1
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "Write the reason the patient gave (or “no reason given”)."
    assert consents.one(db, signed.id).withdrawal is None

    before = panel.view
    dialog.reason.setPlainText("Moving abroad")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    _reread(qtbot, panel, before)
    kept = consents.one(db, signed.id)
    assert kept.withdrawal is not None and kept.withdrawal.reason == "Moving abroad"
    assert kept.signature == signed.signature, "the consent itself is kept as signed"
    today = fmt.day(clock.today())
    assert f"withdrew treatment consent on {today} (Moving abroad)" in panel.treatment.text()
    assert panel.treatment.styleSheet() == record_panel.MISSING_STYLE
    assert not panel.withdraw_action.isEnabled(), "nothing left to withdraw"


def test_a_paper_consent_is_recorded_with_its_scan_and_marked_as_paper(
    qtbot: QtBot,
    db: Database,
    patient: Patient,
    make_window: MakeWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from needlelog import resource_files

    scan = tmp_path / "signed-form.png"
    scan.write_bytes(resource_files.path("icons", "needlelog.png").read_bytes())
    panel = _open(qtbot, make_window, db)
    panel.paper_action.trigger()
    qtbot.waitUntil(lambda: panel.findChild(PaperConsentDialog) is not None, timeout=10_000)
    dialog = panel.findChild(PaperConsentDialog)
    dialog.witness_name.setText("Dr. Amelia Hart")

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "Choose the scan of the signed form (PDF, JPEG or PNG)."
    dialog.scan.setText(str(tmp_path / "missing.pdf"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == "The scan missing.pdf was not found; choose it again."
    assert consents.for_patient(db, patient.id) == []

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(scan), ""))
    dialog._choose()
    photo = next(i for i, v in enumerate(dialog.versions) if v.kind is ConsentKind.PHOTO)
    dialog.form.setCurrentIndex(photo)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == (
        "Answer yes or no for each use of the photographs, as on the form."
    )
    for use in PhotoUse:
        qtbot.mouseClick(dialog.answers.no[use], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.answers.yes[PhotoUse.CLINICAL_RECORD], Qt.MouseButton.LeftButton)
    before = panel.view
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    _reread(qtbot, panel, before)
    (paper,) = consents.for_patient(db, patient.id)
    assert paper.method is ConsentMethod.PAPER and paper.signature is None
    assert paper.scan_media_type == "image/png"
    assert consents.scan_path(db, paper).read_bytes() == scan.read_bytes()
    assert dict(paper.answers)[PhotoUse.CLINICAL_RECORD] is True
    assert "agreed: kept in the clinical record" in panel.photo.text()


def test_save_consent_pdf_asks_which_and_where_and_hands_both_to_the_builder(
    qtbot: QtBot,
    db: Database,
    patient: Patient,
    make_window: MakeWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    treatment = sign_consent(db, patient.id, on=date(2026, 1, 5))
    photo = sign_consent(db, patient.id, on=date(2026, 1, 5), kind=ConsentKind.PHOTO)
    panel = _open(qtbot, make_window, db)
    built: list[tuple[int, Path]] = []

    def build(_db: Database, consent_id: int, out: Path) -> Path:
        built.append((consent_id, out))
        out.write_bytes(b"%PDF-1.7\n")
        return out

    monkeypatch.setattr(record_panel, "build_consent_pdf", build)
    offered: list[list[str]] = []

    def get_item(_p: object, _t: str, _l: str, items: list[str], *_a: object, **_k: object):  # type: ignore[no-untyped-def]
        offered.append(list(items))
        return next(i for i in items if i.startswith("Photo consent")), True

    monkeypatch.setattr(QInputDialog, "getItem", get_item)
    suggested: list[str] = []

    def save_name(_p: object, _t: str, suggestion: str, *_a: object, **_k: object):  # type: ignore[no-untyped-def]
        suggested.append(suggestion)
        return str(tmp_path / "photo-consent"), ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_name)
    panel.pdf_action.trigger()
    qtbot.waitUntil(lambda: built != [], timeout=10_000)
    assert len(offered[0]) == 2
    assert suggested == ["consent-photo-P-0300-2026-01-05.pdf"]
    assert built == [(photo.id, tmp_path / "photo-consent.pdf")]
    assert treatment.id != photo.id
