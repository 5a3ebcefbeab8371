"""The optional Vancouver Scar Scale: entered in the form, kept on correction, shown in
the history table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient, TreatmentSession, VancouverScarScale
from needlelog.services import sessions
from needlelog.store.database import Database
from needlelog.ui.form_widgets import KEEP_BUTTON
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_record import HistoryModel
from needlelog.ui.session_form import SessionForm
from needlelog.ui.session_parts.header import previous_summary
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.ui.form_fixtures import none_apply

if TYPE_CHECKING:
    from tests.ui.form_fixtures import Questions

pytest_plugins = ["tests.ui.form_fixtures"]

Register = Callable[..., Patient]
OpenForm = Callable[..., SessionForm]
SCORED = VancouverScarScale(vascularity=2, pigmentation=1, pliability=3, height=1)


def _recent(days: int = 35, **changes: object):  # type: ignore[no-untyped-def]
    when = datetime.now().replace(second=0, microsecond=0) - timedelta(days=days)
    return make_session(performed_at=when, next_due=None, **changes)


def _type(qtbot: QtBot, form: SessionForm, item: str, text: str) -> None:
    spin = form.assessment.vss.spins[item]
    form.scroll.ensureWidgetVisible(spin)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def _tick_vss(qtbot: QtBot, form: SessionForm) -> None:
    box = form.assessment.vss.enabled
    form.scroll.ensureWidgetVisible(box)
    # A checkbox toggles where its indicator is, at the left edge.
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def _save(qtbot: QtBot, form: SessionForm) -> TreatmentSession:
    with qtbot.waitSignal(form.saved) as signal:
        qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    stored: TreatmentSession = signal.args[0]
    return stored


def test_vss_entered_in_the_form_is_stored_with_its_total_shown_live(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    none_apply(qtbot, form)
    assert not form.assessment.vss.enabled.isChecked()
    assert not form.assessment.vss.panel.isVisible()
    form.treatment.area_list.item(0).setCheckState(Qt.CheckState.Checked)

    _tick_vss(qtbot, form)
    assert form.assessment.vss.enabled.isChecked()
    assert form.assessment.vss.panel.isVisible()
    assert form.assessment.vss.total.text() == "<b>0</b> / 13"
    _type(qtbot, form, "vascularity", "2")
    _type(qtbot, form, "pigmentation", "1")
    _type(qtbot, form, "pliability", "3")
    _type(qtbot, form, "height", "1")
    assert form.assessment.vss.total.text() == "<b>7</b> / 13"
    # Each item says what its values mean, the one chosen in bold.
    hint = form.assessment.vss._hints["pliability"].text()
    assert "<b>3: firm</b>" in hint and "5: contracture" in hint and "0: normal" in hint
    # The ranges hold: a vascularity of 7 cannot be typed.
    _type(qtbot, form, "vascularity", "7")
    assert form.assessment.vss.spins["vascularity"].value() == 2

    stored = _save(qtbot, form)
    assert sessions.get(db, stored.id).data.vss == SCORED
    assert sessions.get(db, stored.id).data.vss.total == 7


def test_a_session_without_the_vss_ticked_stores_none(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    form = open_form(patient)
    none_apply(qtbot, form)
    form.treatment.area_list.item(0).setCheckState(Qt.CheckState.Checked)
    # Ticked, scored, then unticked: the practitioner decided against it.
    _tick_vss(qtbot, form)
    _type(qtbot, form, "pliability", "4")
    _tick_vss(qtbot, form)
    assert not form.assessment.vss.panel.isVisible()
    stored = _save(qtbot, form)
    assert sessions.get(db, stored.id).data.vss is None


def test_a_new_session_does_not_carry_the_previous_vss_over(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    sessions.record(db, patient.id, _recent(vss=SCORED, scar_grade=3), "test")
    form = open_form(patient)
    # Scores are judged afresh each visit, like the grades and reactions.
    assert form.assessment.vss.value() is None
    assert not form.assessment.vss.enabled.isChecked()
    assert form.assessment.scar_grade.currentData() is None
    # The last total is in the header, to compare with.
    assert "VSS 7/13" in previous_summary(sessions.latest(db, patient.id))
    assert not form.is_dirty()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("notes only", SCORED),
        ("height 3", VancouverScarScale(2, 1, 3, 3)),
        ("untick", None),
    ],
)
def test_a_correction_loads_the_vss_and_keeps_or_changes_it(
    qtbot: QtBot,
    db: Database,
    register_patient: Register,
    open_form: OpenForm,
    change: str,
    expected: VancouverScarScale | None,
) -> None:
    patient = register_patient()
    stored = sessions.record(db, patient.id, _recent(vss=SCORED), "test")
    form = open_form(patient, stored)
    assert form.assessment.vss.enabled.isChecked()
    assert form.assessment.vss.panel.isVisible()
    assert {f: s.value() for f, s in form.assessment.vss.spins.items()} == {
        "vascularity": 2,
        "pigmentation": 1,
        "pliability": 3,
        "height": 1,
    }
    assert form.assessment.vss.total.text() == "<b>7</b> / 13"
    assert not form.is_dirty()
    if change == "notes only":
        form.aftercare.notes.setPlainText("Reviewed")
    elif change == "height 3":
        _type(qtbot, form, "height", "3")
        assert form.assessment.vss.total.text() == "<b>9</b> / 13"
    else:
        _tick_vss(qtbot, form)
    assert form.is_dirty()
    _save(qtbot, form)
    again = sessions.get(db, stored.id)
    assert again.data.vss == expected
    assert again.version == stored.version + 1


def test_a_correction_can_add_a_vss_to_a_session_without_one(
    qtbot: QtBot, db: Database, register_patient: Register, open_form: OpenForm
) -> None:
    patient = register_patient()
    stored = sessions.record(db, patient.id, _recent(), "test")
    form = open_form(patient, stored)
    assert not form.assessment.vss.enabled.isChecked()
    _tick_vss(qtbot, form)
    _type(qtbot, form, "vascularity", "1")
    _save(qtbot, form)
    assert sessions.get(db, stored.id).data.vss == VancouverScarScale(1, 0, 0, 0)


def test_ticking_the_vss_is_an_edit_that_escape_asks_about(
    qtbot: QtBot, register_patient: Register, open_form: OpenForm, form_questions: Questions
) -> None:
    form = open_form(register_patient())
    _tick_vss(qtbot, form)
    form_questions.answer = KEEP_BUTTON
    qtbot.keyClick(form, Qt.Key.Key_Escape)
    assert [title for title, _text in form_questions.asked] == ["Discard changes?"]
    assert form.isVisible()


MakeWindow = Callable[[Database], MainWindow]


def test_the_history_shows_a_vss_column_only_for_a_patient_scored_on_it(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    scored = register_consenting(db, make_patient("P-0001", family_name="Aaron"), "test")
    plain = register_consenting(db, make_patient("P-0002", family_name="Zeller"), "test")
    for i, vss in enumerate((None, SCORED)):
        when = datetime(2026, 1, 5, 10) + timedelta(days=35 * i)
        sessions.record(db, scored.id, make_session(performed_at=when, next_due=None, vss=vss), "t")
        sessions.record(db, plain.id, make_session(performed_at=when, next_due=None), "t")
    window = make_window(db)
    model = window.record.history_model
    table = window.record.history

    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)
    assert window.current_patient().id == scored.id
    assert model.headerData(HistoryModel.VSS, Qt.Orientation.Horizontal) == "VSS"
    assert not table.isColumnHidden(HistoryModel.VSS)
    newest, oldest = model.index(0, HistoryModel.VSS), model.index(1, HistoryModel.VSS)
    assert newest.data() == "7/13"
    assert newest.data(Qt.ItemDataRole.ToolTipRole) == (
        "Vancouver Scar Scale 7/13: vascularity 2 (red), pigmentation 1 (hypopigmented), "
        "pliability 3 (firm), height 1 (under 2 mm)"
    )
    assert oldest.data() == ""

    window.patient_view.selectRow(1)
    qtbot.waitUntil(lambda: window.current_patient().id == plain.id)
    qtbot.waitUntil(lambda: not window.record.loading)
    assert table.isColumnHidden(HistoryModel.VSS)
