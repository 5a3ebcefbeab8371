"""The session form's clinical rules, driven through the real widgets: screening
answered (not assumed), carried-over lots confirmed (not copied), the clinic's depth
ranges per area, and a form that fits a 768-pixel screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog import config
from needlelog.domain.codes import Area
from needlelog.domain.contraindications import FIRST_LIST, Contraindication, ScreeningAnswer
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import Patient, Product
from needlelog.services import audit, sessions, settings
from needlelog.store.database import Database
from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings
from needlelog.ui.session_form import FRAME_ALLOWANCE, SessionForm, fitted_size
from tests.factories import make_session
from tests.ui.form_fixtures import none_apply

pytest_plugins = ["tests.ui.form_fixtures"]

Register = Callable[..., Patient]
OpenForm = Callable[..., SessionForm]
VC = Product("Vitamin C serum", "VC2291", date(2027, 3, 31))


def _earlier(days: int = 35, **changes: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "performed_at": datetime.now().replace(second=0, microsecond=0) - timedelta(days=days),
        "next_due": None,
        "products": (VC,),
    }
    values.update(changes)
    return make_session(**values)


def _click(qtbot: QtBot, form: SessionForm, widget: QWidget) -> None:
    form.scroll.ensureWidgetVisible(widget)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _tick_area(form: SessionForm, area: Area) -> None:
    lst = form.treatment.area_list
    item = next(lst.item(i) for i in range(lst.count()) if lst.item(i).text() == area.label)
    item.setCheckState(Qt.CheckState.Checked)


def _save(qtbot: QtBot, form: SessionForm) -> None:
    qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.saving)


# ---- 1. screening answered, not assumed --------------------------------------


def test_an_untouched_screening_blocks_saving_and_each_item_is_answered(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient(contraindications=(Contraindication.ECZEMA,))
    form = open_form(patient)
    _tick_area(form, Area.CHIN)
    assert not any(row.answered() for row in form.screening.items.values())
    assert not form.footer.save_button.isEnabled()
    assert form.footer.note.text().startswith(
        "Saving is blocked: Screening is not finished: 18 unanswered (open lesions, active "
        "acne or skin infection in the area, active cold sore or other infection"
    )
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    first = form.screening.items[Contraindication.OPEN_LESIONS].present
    assert QApplication.focusWidget() is first  # where the first answer is missing
    _save(qtbot, form)
    assert sessions.history(db, patient.id) == []

    # The item on the patient's record is pointed out, never answered for them.
    assert not form.screening.items[Contraindication.ECZEMA].answered()
    for item, row in form.screening.items.items():
        _click(qtbot, form, row.present if item is Contraindication.ECZEMA else row.absent)
    assert form.footer.note.text().startswith("Saving is blocked: Screening found eczema")
    form.screening.cautions_reviewed.setFocus()
    qtbot.keyClick(form.screening.cautions_reviewed, Qt.Key.Key_Space)
    assert form.footer.note.text() == ""
    assert form.footer.save_button.isEnabled()
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    stored = sessions.history(db, patient.id)[0].data
    assert stored.screening == tuple(
        ScreeningAnswer(i, i is Contraindication.ECZEMA) for i in Contraindication
    )
    assert stored.screening_attested_by == ""


def test_none_of_these_apply_is_kept_as_that_statement_by_whom_and_when(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    _tick_area(form, Area.FOREHEAD)
    before = datetime.now().replace(microsecond=0)
    none_apply(qtbot, form)
    assert form.screening.attestation.isVisible()
    assert form.screening.attestation.text().startswith(
        f"“None of these apply”: attested by {config.current_user()} on "
    )
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    stored = sessions.history(db, patient.id)[0].data
    assert stored.screening == ()
    assert stored.screening_attested_by == config.current_user()
    assert stored.screening_attested_at is not None
    assert before <= stored.screening_attested_at <= datetime.now()


def test_an_allergy_answered_present_asks_for_its_name(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    _tick_area(form, Area.NECK)
    none_apply(qtbot, form)
    allergy = form.screening.items[Contraindication.ALLERGY]
    _click(qtbot, form, allergy.present)
    form.screening.cautions_reviewed.setFocus()
    qtbot.keyClick(form.screening.cautions_reviewed, Qt.Key.Key_Space)
    assert not form.footer.save_button.isEnabled()
    assert "an allergy is answered present: name it" in form.footer.note.text().lower()
    assert allergy.detail is not None and allergy.detail.isEnabled()
    allergy.detail.setFocus()
    qtbot.keyClicks(allergy.detail, "Lidocaine")
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    answer = sessions.history(db, patient.id)[0].data.screening_for(Contraindication.ALLERGY)
    assert answer == ScreeningAnswer(Contraindication.ALLERGY, True, None, "Lidocaine")


def test_a_session_stored_with_the_first_list_opens_as_answered_then(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    answers = tuple(ScreeningAnswer(i, False) for i in FIRST_LIST)
    stored = sessions.record(db, patient.id, _earlier(screening=answers, screening_list=1), "t")
    form = open_form(patient, stored)
    assert form.screening.items[Contraindication.PREGNANCY].absent.isChecked()
    new = form.screening.items[Contraindication.SUNBURN_OR_TAN]
    assert not new.answered() and not new.present.isEnabled()
    assert "Not on the screening list" in new.present.toolTip()
    assert form.footer.save_button.isEnabled()  # nothing to answer for that day
    order = list(Contraindication)
    assert form.collect().screening == tuple(sorted(answers, key=lambda a: order.index(a.item)))


# ---- 2. lots confirmed, not copied -------------------------------------------


def test_a_carried_over_lot_blocks_saving_until_confirmed(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    sessions.record(db, patient.id, _earlier(), "t")
    form = open_form(patient)
    none_apply(qtbot, form)
    (row,) = form.products.product_rows.rows
    assert (row.name.currentText(), row.lot.text()) == ("Vitamin C serum", "VC2291")
    assert row.confirm.isVisible() and not row.confirm.isChecked()
    assert not form.footer.save_button.isEnabled()
    message = (
        "Confirm lot VC2291 of Vitamin C serum (carried over from the last session): tick "
        "“Same lot”, or enter the new vial's lot and expiry."
    )
    assert row.error.isVisible() and row.error.text() == message
    assert message in form.footer.note.text()
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is row.confirm
    _save(qtbot, form)
    assert len(sessions.history(db, patient.id)) == 1

    _click(qtbot, form, row.confirm)
    assert form.footer.save_button.isEnabled()
    assert not row.error.isVisible()
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    assert sessions.latest(db, patient.id).data.products == (VC,)


def test_a_new_vials_lot_typed_over_the_carried_one_saves_without_the_tick(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    sessions.record(db, patient.id, _earlier(), "t")
    form = open_form(patient)
    none_apply(qtbot, form)
    (row,) = form.products.product_rows.rows
    row.lot.setFocus()
    row.lot.selectAll()
    qtbot.keyClicks(row.lot, "VC2407")
    row.expiry.set_value(date(2027, 9, 30))
    assert form.footer.save_button.isEnabled()
    with qtbot.waitSignal(form.saved):
        _save(qtbot, form)
    assert sessions.latest(db, patient.id).data.products == (
        Product("Vitamin C serum", "VC2407", date(2027, 9, 30)),
    )


def test_picking_a_product_offers_its_latest_lots_newest_first(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    other = register_patient()
    for days, lot, month in ((200, "VC-A", 1), (120, "VC-B", 2), (60, "VC-C", 3)):
        product = Product("Vitamin C serum", lot, date(2027, month, 28))
        sessions.record(db, other.id, _earlier(days, products=(product,)), "t")
    form = open_form(register_patient())
    _click(qtbot, form, form.products.product_rows.add_button)
    row = form.products.product_rows.rows[0]
    qtbot.keyClick(row.name, Qt.Key.Key_Down)  # the most recently used product
    assert row.lot.text() == "VC-C"
    qtbot.waitUntil(lambda: row.lots is not None)
    completer = row.lot.completer()
    assert completer.model().stringList() == ["VC-C", "VC-B", "VC-A"]
    assert "VC-C, VC-B, VC-A" in row.lot.toolTip()
    completer.activated.emit("VC-A")  # chosen from the offered list
    assert row.expiry.value() == date(2027, 1, 28)


# ---- 4. the protocol is the clinic's -----------------------------------------


def test_the_protocol_page_edits_area_ranges_and_the_form_follows(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.tabs.tabBar(), Qt.MouseButton.LeftButton,
                     pos=dialog.tabs.tabBar().tabRect(1).center())  # fmt: skip
    editor = dialog.protocol_editor
    assert dialog.tabs.currentWidget() is editor
    assert editor.lows[Area.THIGHS].value() == 0.5 and editor.highs[Area.THIGHS].value() == 1.0
    qtbot.mouseClick(editor.body_button, Qt.MouseButton.LeftButton)
    editor.highs[Area.PERIORBITAL_LEFT].setValue(0.75)
    editor.whole["course_gap_weeks"].setValue(30)
    editor.whole["retinoids_window_days"].setValue(7)
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert dialog.result() == dialog.DialogCode.Accepted
    protocol = settings.get_protocol(db)
    assert protocol.depth_range(Area.THIGHS) == (Decimal("1.50"), Decimal("2.00"))
    assert protocol.depth_range(Area.PERIORBITAL_LEFT) == (Decimal("0.50"), Decimal("0.75"))
    assert protocol.depth_range(Area.FOREHEAD) == (Decimal("0.50"), Decimal("1.00"))
    assert (protocol.course_gap_weeks, protocol.retinoids_window_days) == (30, 7)
    with db.read() as s:
        events = audit.events_for(s, "setting", 0)
    changed = [set(json.loads(e.changes)) for e in events]
    event = events[changed.index({"protocol"})]
    assert event.actor == config.current_user()
    assert json.loads(event.changes)["protocol"][1]["area_ranges"]["thighs"] == ["1.50", "2.00"]
    # Saved again unchanged: nothing new in the audit trail for the protocol.
    again = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(again)
    again.accept()
    qtbot.waitUntil(lambda: not again.saving)
    with db.read() as s:
        later = [set(json.loads(e.changes)) for e in audit.events_for(s, "setting", 0)]
    assert later[len(events) :].count({"protocol"}) == 0

    form = open_form(register_patient())
    _tick_area(form, Area.THIGHS)
    _tick_area(form, Area.FOREHEAD)
    thighs = form.treatment.area_rows.rows[Area.THIGHS].depth
    forehead = form.treatment.area_rows.rows[Area.FOREHEAD].depth
    assert (thighs.minimum(), thighs.maximum(), thighs.value()) == (1.5, 2.0, 1.5)
    assert (forehead.minimum(), forehead.maximum()) == (0.5, 1.0)
    assert "Thighs 1.50 to 2.00 mm" in thighs.toolTip() or "1.50 to 2.00 mm" in thighs.toolTip()
    assert (
        "retinoids"
        in form.screening.items[Contraindication.TOPICAL_RETINOIDS_OR_ACIDS].item.label.lower()
    )
    assert (
        "counts for 7 days"
        in form.screening._notes[Contraindication.TOPICAL_RETINOIDS_OR_ACIDS].text()
    )


def test_a_depth_outside_the_areas_range_is_refused_under_its_area(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    none_apply(qtbot, form)
    _tick_area(form, Area.THIGHS)
    spin = form.treatment.area_rows.rows[Area.THIGHS].depth
    spin.setValue(1.0)
    # The clinic moves thighs to 1.50-2.00 mm while the form is open.
    body = settings.get_protocol(db).with_area_range(Area.THIGHS, Decimal("1.5"), Decimal("2"))
    settings.set_protocol(db, body, "admin")
    _save(qtbot, form)
    error = form.treatment.area_rows.rows[Area.THIGHS].error
    assert error.isVisible()
    assert error.text() == (
        "Needle depth for Thighs is 1.00 mm; allowed: 1.50 to 2.00 mm in steps of 0.05 mm."
    )
    assert sessions.history(db, patient.id) == []


def test_a_protocol_the_domain_refuses_is_explained_and_nothing_is_saved(
    qtbot: QtBot, db: Database
) -> None:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    editor = dialog.protocol_editor
    editor.lows[Area.CHIN].setValue(1.0)
    editor.highs[Area.CHIN].setValue(0.75)
    editor.whole["interval_max_weeks"].setValue(30)
    editor.whole["course_gap_weeks"].setValue(26)
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving)
    assert dialog.isVisible() or dialog.result() != dialog.DialogCode.Accepted
    assert dialog.error.text() == (
        "Depth range for Chin 1.00 to 0.75 mm is not valid; allowed: within 0.25 to 3.00 mm, "
        "shallowest below deepest. Course gap 26 weeks is not longer than the longest "
        "interval 30 weeks."
    )
    assert dialog.tabs.currentWidget() is editor
    assert settings.get_protocol(db) == Protocol()  # nothing saved


# ---- 7. the form on a 768-pixel screen ---------------------------------------


@pytest.mark.parametrize("screen", [(1366, 768), (1280, 720)])
def test_the_section_list_and_save_stay_on_a_small_screen(
    qtbot: QtBot, register_patient: Register, open_form: OpenForm, screen: tuple[int, int]
) -> None:
    width, height = screen
    available = QRect(0, 0, width, height - 40)  # a task bar takes the bottom 40 pixels
    form = open_form(register_patient())
    size = fitted_size(available)
    form.resize(size)
    qtbot.waitUntil(lambda: form.size() == size)
    # The whole window, with its frame, fits the free area of the screen.
    assert size.width() + FRAME_ALLOWANCE.width() <= available.width()
    assert size.height() + FRAME_ALLOWANCE.height() <= available.height()
    inside = form.rect()
    for widget in (form.footer.save_button, form.footer.cancel_button, form.page.steps):
        top_left = widget.mapTo(form, widget.rect().topLeft())
        bottom_right = widget.mapTo(form, widget.rect().bottomRight())
        assert inside.contains(top_left) and inside.contains(bottom_right), widget
        assert widget.isVisible()
    steps = form.page.steps
    metrics = steps.fontMetrics()
    for i in range(steps.count()):
        item = steps.item(i)
        shown = steps.visualItemRect(item)
        assert steps.viewport().rect().contains(shown), item.text()  # every step on screen
        # Not elided: the text with the item's padding fits the list's width.
        assert metrics.horizontalAdvance(item.text()) + 20 <= shown.width(), item.text()
    assert form.footer.save_button.text().replace("&", "") == "Save session"
