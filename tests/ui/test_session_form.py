"""The session form, driven as a practitioner would: clicks, keys, Save and Esc."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area, Grade
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Numbing, Patient, Product, TreatedArea
from needlelog.services import sessions, settings
from needlelog.store.database import Database
from needlelog.store.errors import DatabaseBusy
from needlelog.ui.form_widgets import DISCARD_BUTTON, KEEP_BUTTON
from needlelog.ui.session_form import SessionForm
from tests.factories import make_session

if TYPE_CHECKING:
    from tests.ui.form_fixtures import Questions

pytest_plugins = ["tests.ui.form_fixtures"]

Register = Callable[..., Patient]
OpenForm = Callable[..., SessionForm]


def _recent(days: int = 35, **changes: object):  # type: ignore[no-untyped-def]
    """A valid earlier session, ``days`` ago (the form saves today)."""
    values: dict[str, object] = {
        "performed_at": datetime.now().replace(second=0, microsecond=0) - timedelta(days=days),
        "next_due": None,
    }
    values.update(changes)
    return make_session(**values)


def _click_zone(qtbot: QtBot, form: SessionForm, area: Area) -> None:
    form.scroll.ensureWidgetVisible(form.treatment.face_map)
    qtbot.mouseClick(
        form.treatment.face_map,
        Qt.MouseButton.LeftButton,
        pos=form.treatment.face_map.zone_center(area).toPoint(),
    )
    qtbot.wait(1)  # let the new row show, as the event loop does between a click and a key


def _type_depth(qtbot: QtBot, form: SessionForm, area: Area, text: str) -> None:
    spin = form.treatment.area_rows.rows[area].depth
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def _click(qtbot: QtBot, form: SessionForm, widget: QWidget) -> None:
    """Scroll the widget into view, as a user would, and click it."""
    form.scroll.ensureWidgetVisible(widget)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _save(qtbot: QtBot, form: SessionForm) -> None:
    """Click Save and wait for its outcome (the save runs off the GUI thread)."""
    qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.saving)


def test_a_session_logged_through_the_form_is_in_the_history(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    # Another patient's session makes the serum and the practitioner "known".
    other = register_patient()
    sessions.record(db, other.id, _recent(), "test")
    patient = register_patient(family_name="Okafor", given_name="Ada")
    form = open_form(patient)
    assert form.treatment.area_rows.rows == {}  # no previous session of this patient

    _click_zone(qtbot, form, Area.CHEEK_LEFT)
    _click_zone(qtbot, form, Area.CHIN)
    assert form.treatment.face_map.selected_areas() == [Area.CHEEK_LEFT, Area.CHIN]
    checked = [
        form.treatment.area_list.item(i).text()
        for i in range(form.treatment.area_list.count())
        if form.treatment.area_list.item(i).checkState() == Qt.CheckState.Checked
    ]
    assert checked == ["Cheek (left)", "Chin"]
    _type_depth(qtbot, form, Area.CHEEK_LEFT, "0.85")
    passes = form.treatment.area_rows.rows[Area.CHEEK_LEFT].passes
    passes.setFocus()
    passes.selectAll()
    qtbot.keyClicks(passes, "3")

    _click(qtbot, form, form.products.product_rows.add_button)
    row = form.products.product_rows.rows[0]
    assert row.lot.text() == ""
    qtbot.keyClick(row.name, Qt.Key.Key_Down)  # the first known product
    assert row.name.currentText() == "Vitamin C serum"
    assert row.lot.text() == "VC2291"
    assert row.expiry.value() == date(2027, 3, 31)
    form.reactions.redness.setCurrentIndex(form.reactions.redness.findData(int(Grade.MILD)))

    with qtbot.waitSignal(form.saved) as signal:
        _save(qtbot, form)
    stored = signal.args[0]
    assert not form.isVisible()
    history = sessions.history(db, patient.id)
    assert [s.id for s in history] == [stored.id]
    data = history[0].data
    assert data.areas == (
        TreatedArea(Area.CHEEK_LEFT, Decimal("0.85"), passes=3),
        TreatedArea(Area.CHIN, Decimal("0.50")),
    )
    assert data.products == (Product("Vitamin C serum", "VC2291", date(2027, 3, 31)),)
    assert data.practitioner == "Dr. Amelia Hart"
    assert data.redness is Grade.MILD


def test_the_area_list_is_the_keyboard_way_to_the_same_choice(
    qtbot: QtBot, register_patient: Register, open_form: OpenForm
) -> None:
    form = open_form(register_patient())
    form.treatment.area_list.setFocus()
    form.treatment.area_list.setCurrentRow(2)  # Periorbital (left)
    qtbot.keyClick(form.treatment.area_list, Qt.Key.Key_Space)
    assert form.treatment.face_map.selected_areas() == [Area.PERIORBITAL_LEFT]
    assert list(form.treatment.area_rows.rows) == [Area.PERIORBITAL_LEFT]
    form.treatment.area_list.setCurrentRow(form.treatment.area_list.count() - 1)  # Other
    qtbot.keyClick(form.treatment.area_list, Qt.Key.Key_Space)
    assert form.treatment.area_rows.rows[Area.OTHER].label_edit is not None
    # Clicking the map keeps "other", which has no zone.
    _click_zone(qtbot, form, Area.NOSE)
    assert set(form.treatment.area_rows.rows) == {Area.PERIORBITAL_LEFT, Area.NOSE, Area.OTHER}


def test_a_depth_outside_the_protocol_cannot_be_entered(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    form = open_form(register_patient())
    _click_zone(qtbot, form, Area.FOREHEAD)
    spin = form.treatment.area_rows.rows[Area.FOREHEAD].depth
    assert (spin.minimum(), spin.maximum(), spin.singleStep(), spin.decimals()) == (
        0.5,
        1.0,
        0.05,
        2,
    )
    _type_depth(qtbot, form, Area.FOREHEAD, "1.5")
    assert spin.value() <= 1.0
    spin.setValue(3.0)
    assert spin.value() == 1.0
    spin.setValue(0.1)
    assert spin.value() == 0.5


def test_a_depth_the_service_refuses_is_explained_next_to_its_area(
    qtbot: QtBot,
    db: Database,
    register_patient: Register,
    open_form: OpenForm,
    form_questions: Questions,
) -> None:
    patient = register_patient()
    form = open_form(patient)
    _click_zone(qtbot, form, Area.CHEEK_RIGHT)
    _click_zone(qtbot, form, Area.NOSE)
    _type_depth(qtbot, form, Area.CHEEK_RIGHT, "0.90")
    _type_depth(qtbot, form, Area.NOSE, "0.53")  # within range, off the 0.05 mm step
    # The clinic narrows its protocol while the form is open.
    settings.set_protocol(db, Protocol(depth_max_mm=Decimal("0.80")), "admin")

    _save(qtbot, form)

    assert sessions.history(db, patient.id) == []
    assert form.isVisible()
    cheek = form.treatment.area_rows.rows[Area.CHEEK_RIGHT].error
    nose = form.treatment.area_rows.rows[Area.NOSE].error
    assert cheek.isVisible()
    assert cheek.text() == (
        "Needle depth for Cheek (right) is 0.90 mm; allowed: 0.50 to 0.80 mm in steps of 0.05 mm."
    )
    assert nose.isVisible()
    assert nose.text().startswith("Needle depth for Nose is 0.53 mm, not on a 0.05 mm step")
    # The banner names the areas in words too, never by their codes.
    assert "Needle depth for Cheek (right) is 0.90 mm" in form.banner.summary.text()
    assert "cheek_right" not in form.banner.summary.text()
    assert form.banner.frame.isVisible()
    assert "Not saved: 2 entries need correcting" in form.banner.summary.text()
    assert not form.banner.reload_button.isVisible()

    # Corrected, it saves and the messages go.
    _type_depth(qtbot, form, Area.CHEEK_RIGHT, "0.80")
    _type_depth(qtbot, form, Area.NOSE, "0.55")
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    depths = {a.area: a.depth_mm for a in sessions.history(db, patient.id)[0].data.areas}
    assert depths == {Area.CHEEK_RIGHT: Decimal("0.80"), Area.NOSE: Decimal("0.55")}
    assert form_questions.asked == []


def test_other_refusals_land_under_their_own_fields(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    _save(qtbot, form)  # no area at all
    assert form.error_label("areas").text() == (
        "No treated area; allowed: at least one area with its depth."
    )
    _click_zone(qtbot, form, Area.CHIN)
    row = form.products.product_rows.add_row()
    row.name.setEditText("Hyaluronic acid")
    row.lot.setText("HA-1")
    row.expiry.set_value(date(2020, 1, 31))
    form.treatment.practitioner.setEditText("")
    _save(qtbot, form)
    assert not form.error_label("areas").isVisible()
    assert row.error.isVisible()
    assert "Hyaluronic acid lot HA-1 expired on 2020-01-31" in row.error.text()
    assert form.error_label("practitioner").text() == "Practitioner is required."
    assert sessions.history(db, patient.id) == []


def test_an_avoid_item_blocks_saving_until_a_reason_is_written(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient(contraindications=(Contraindication.PREGNANCY,))
    form = open_form(patient)
    assert form.screening.boxes[Contraindication.PREGNANCY].isChecked()
    _click_zone(qtbot, form, Area.FOREHEAD)
    assert form.screening.override_reason.isVisible()
    assert not form.footer.save_button.isEnabled()
    assert form.footer.note.text() == (
        "Saving is blocked: Screening found pregnancy or breastfeeding: treatment should not "
        "go ahead; write an override reason to save this session anyway."
    )
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert (
        QApplication.focusWidget() is form.screening.override_reason
    )  # where the answer is missing
    _save(qtbot, form)
    assert sessions.history(db, patient.id) == []
    assert form.isVisible()

    qtbot.keyClicks(form.screening.override_reason, "Breastfeeding ended; GP letter on file")
    assert form.footer.save_button.isEnabled()
    assert form.footer.note.text() == ""
    with qtbot.waitSignal(form.saved):
        qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    stored = sessions.history(db, patient.id)[0]
    assert stored.data.override_reason == "Breastfeeding ended; GP letter on file"
    assert stored.data.screening_for(Contraindication.PREGNANCY) == ScreeningAnswer(
        Contraindication.PREGNANCY, True
    )
    assert "avoid_overridden" in stored.flags


def test_a_time_bound_avoid_item_outside_its_window_does_not_block(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    form = open_form(register_patient())
    radiation = Contraindication.RADIATION_THERAPY
    form.screening.boxes[radiation].setChecked(True)
    assert not form.footer.save_button.isEnabled()
    form.screening.since[radiation].set_value(date.today() - timedelta(days=800))
    assert form.footer.save_button.isEnabled()
    assert not form.screening.override_reason.isVisible()


def test_a_caution_item_needs_the_reviewed_tick(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient(contraindications=(Contraindication.ANTICOAGULANTS,))
    form = open_form(patient)
    _click_zone(qtbot, form, Area.NECK)
    assert form.screening.cautions_reviewed.isVisible()
    assert not form.footer.save_button.isEnabled()
    assert "tick that these cautions were reviewed" in form.footer.note.text()
    _save(qtbot, form)
    assert sessions.history(db, patient.id) == []
    form.screening.cautions_reviewed.setFocus()
    qtbot.keyClick(form.screening.cautions_reviewed, Qt.Key.Key_Space)
    assert form.footer.save_button.isEnabled()
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    assert sessions.history(db, patient.id)[0].data.cautions_acknowledged


def test_closing_an_edited_form_asks_before_discarding(
    qtbot: QtBot,
    db: Database,
    register_patient: Register,
    open_form: OpenForm,
    form_questions: Questions,
) -> None:
    patient = register_patient()
    untouched = open_form(patient)
    qtbot.keyClick(untouched, Qt.Key.Key_Escape)
    assert not untouched.isVisible()
    assert form_questions.asked == []

    form = open_form(patient)
    _click_zone(qtbot, form, Area.CHIN)
    form.aftercare.notes.setFocus()
    qtbot.keyClicks(form.aftercare.notes, "Tolerated well")
    form_questions.answer = KEEP_BUTTON
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert form_questions.asked[-1][0] == "Discard changes?"
    assert form.isVisible()
    assert form.aftercare.notes.toPlainText() == "Tolerated well"
    form.close()  # the window's close button
    assert len(form_questions.asked) == 2
    assert form.isVisible()

    form_questions.answer = DISCARD_BUTTON
    qtbot.mouseClick(form.footer.cancel_button, Qt.MouseButton.LeftButton)
    assert len(form_questions.asked) == 3
    assert not form.isVisible()
    assert sessions.history(db, patient.id) == []


def test_a_new_session_starts_from_the_previous_one(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    previous = _recent(
        areas=(
            TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3),
            TreatedArea(Area.OTHER, Decimal("0.60"), passes=1, label="Scar on left temple"),
        ),
        numbing=Numbing("Lidocaine 5% cream", 25),
        device="Dermapen 4",
        cartridge_needles=12,
        cartridge_lot="C-2291",
        notes="Good response",
        adverse_events="Small bruise",
    )
    sessions.record(db, patient.id, previous, "test")
    form = open_form(patient)

    assert form.treatment.face_map.selected_areas() == [Area.CHEEK_LEFT]
    new = form.collect()
    assert new.areas == previous.areas
    assert new.products == previous.products
    assert new.numbing == previous.numbing
    assert (new.device, new.cartridge_needles, new.cartridge_lot) == ("Dermapen 4", 12, "")
    assert new.practitioner == previous.practitioner
    assert new.indications == previous.indications
    # How it went last time is not carried over.
    assert (new.redness, new.swelling, new.pain, new.scar_grade) == (None, None, None, None)
    assert new.notes == new.adverse_events == ""
    assert new.performed_at.date() == date.today()
    assert new.next_due == sessions.default_next_due(db, patient.id, date.today())
    assert "Last session" in form.findChildren(type(form.footer.note), "patientLine")[-1].text()
    assert not form.is_dirty()


def test_amending_a_session_changed_elsewhere_shows_the_conflict(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    stored = sessions.record(db, patient.id, _recent(notes="First note"), "test")
    form = open_form(patient, stored)
    assert form.aftercare.notes.toPlainText() == "First note"
    # A colleague corrects the same session on another PC.
    other = sessions.amend(
        db, stored.id, _recent(notes="Colleague's note"), stored.version, "colleague"
    )
    form.aftercare.notes.setPlainText("My note")

    _save(qtbot, form)

    assert form.isVisible()
    assert "changed by someone else" in form.banner.summary.text()
    assert form.banner.reload_button.isVisible()
    assert sessions.get(db, stored.id).data.notes == "Colleague's note"

    qtbot.mouseClick(form.banner.reload_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.aftercare.notes.toPlainText() == "Colleague's note")
    assert not form.banner.frame.isVisible()
    assert not form.is_dirty()
    form.aftercare.notes.setPlainText("Colleague's note, checked")
    with qtbot.waitSignal(form.saved) as signal:
        _save(qtbot, form)
    assert signal.args[0].version == other.version + 1
    assert sessions.get(db, stored.id).data.notes == "Colleague's note, checked"


def test_tab_walks_down_the_form_through_rows_added_on_the_way(
    qtbot: QtBot, register_patient: Register, open_form: OpenForm
) -> None:
    form = open_form(register_patient())
    _click_zone(qtbot, form, Area.CHIN)
    form.treatment.area_list.setFocus()
    row = form.treatment.area_rows.rows[Area.CHIN]
    walk = []
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        walk.append(QApplication.focusWidget())
    assert walk == [
        row.depth,
        row.passes,
        row.endpoint,
        form.products.product_rows.add_button,
        form.reactions.redness,
    ]
    # A product row added later also sits between the areas and the reactions.
    product = form.products.product_rows.add_row()
    qtbot.wait(1)
    row.endpoint.setFocus()
    qtbot.keyClick(row.endpoint, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() in (product.name, product.name.lineEdit())


def test_other_area_needs_words_and_they_are_asked_for_under_it(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    other = form.treatment.area_list.item(form.treatment.area_list.count() - 1)
    other.setCheckState(Qt.CheckState.Checked)
    _save(qtbot, form)
    error = form.treatment.area_rows.rows[Area.OTHER].error
    assert error.isVisible()
    assert error.text() == "An area marked “Other” needs a description of where it is."
    assert sessions.history(db, patient.id) == []
    label = form.treatment.area_rows.rows[Area.OTHER].label_edit
    assert label is not None
    label.setFocus()
    qtbot.keyClicks(label, "Scar on left temple")
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    stored = sessions.history(db, patient.id)[0].data.areas
    assert stored == (TreatedArea(Area.OTHER, Decimal("0.50"), label="Scar on left temple"),)


def test_a_database_failure_keeps_the_entries_in_the_form(
    qtbot: QtBot,
    db: Database,
    register_patient: Register,
    open_form: OpenForm,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = register_patient()
    form = open_form(patient)
    _click_zone(qtbot, form, Area.CHIN)

    def busy(*_args: object, **_kwargs: object) -> None:
        raise DatabaseBusy("the database clinic.sqlite3 is busy; try again in a moment")

    monkeypatch.setattr(sessions, "record", busy)
    with qtbot.assertNotEmitted(form.saved):
        _save(qtbot, form)
    assert form.isVisible()
    assert form.banner.summary.text() == (
        "Not saved: The database clinic.sqlite3 is busy; try again in a moment. "
        "Your entries are still here."
    )
    assert form.treatment.face_map.selected_areas() == [Area.CHIN]
    assert form.is_dirty()


def test_alt_and_a_number_jumps_to_that_section(
    qtbot: QtBot, register_patient: Register, open_form: OpenForm
) -> None:
    form = open_form(register_patient())
    qtbot.keyClick(form, Qt.Key.Key_5, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is form.reactions.redness
    assert form.page.steps.currentRow() == 4
    qtbot.keyClick(form, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is form.screening.boxes[Contraindication.OPEN_LESIONS]
    assert form.page.steps.currentRow() == 0
