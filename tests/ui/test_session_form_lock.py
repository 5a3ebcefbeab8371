"""Saving while another PC holds the write lock: the window keeps painting, says it is
waiting, and keeps what was typed.

The lock is held the way another needlelog holds it while it saves: ``BEGIN IMMEDIATE``
on a second, raw sqlite3 connection to the same file. The busy timeout is shortened
for these tests (it is 10 s in the app) so they run in a few seconds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area
from needlelog.domain.records import Patient
from needlelog.services import sessions
from needlelog.store.database import Database
from needlelog.ui.background import WAITING_TEXT
from needlelog.ui.session_form import SessionForm
from tests.consenting import register_consenting
from tests.factories import make_patient
from tests.ui.form_context import context_for
from tests.ui.form_fixtures import none_apply
from tests.ui.lock_helpers import BUSY_TIMEOUT_MS, LONGEST_STALL_MS, OtherPc, StallProbe

pytest_plugins = ["tests.ui.form_fixtures"]


def _open(qtbot: QtBot, db: Database) -> tuple[SessionForm, Patient]:
    patient = register_consenting(db, make_patient("P-0001"), "test")
    form = SessionForm(db, context_for(db, patient))
    qtbot.addWidget(form)
    form.resize(1000, 800)
    with qtbot.waitActive(form):
        form.show()
        form.activateWindow()
    form.scroll.ensureWidgetVisible(form.treatment.face_map)
    qtbot.mouseClick(
        form.treatment.face_map,
        Qt.MouseButton.LeftButton,
        pos=form.treatment.face_map.zone_center(Area.CHIN).toPoint(),
    )
    none_apply(qtbot, form)
    form.aftercare.notes.setPlainText("Typed before saving")
    return form, patient


def test_a_save_waits_for_another_pc_without_freezing_the_window_and_then_lands(
    qtbot: QtBot, locked_db: Database, other_pc: OtherPc, form_questions: object
) -> None:
    form, patient = _open(qtbot, locked_db)
    probe = StallProbe(lambda: form.saving)
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        other_pc.hold()  # a colleague starts saving just before Save is clicked
        probe.start()
        qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.footer.note.text() == WAITING_TEXT, timeout=2_000)
        assert form.isVisible()
        assert not form.footer.cancel_button.isEnabled()  # the save decides what happens
        assert form.aftercare.notes.toPlainText() == "Typed before saving"
        assert form.treatment.face_map.selected_areas() == [Area.CHIN]
        qtbot.wait(700)  # the colleague's save goes on a while longer
        assert form.saving
        other_pc.release()
    probe.stop()
    stored = saved.args[0]
    assert stored.data.notes == "Typed before saving"
    assert [s.id for s in sessions.history(locked_db, patient.id)] == [stored.id]
    assert not form.isVisible()
    print(
        f"longest stall: {probe.longest_waiting_ms:.1f} ms waiting, {probe.longest_ms:.1f} ms in all"
    )
    assert probe.longest_waiting_ms < LONGEST_STALL_MS, probe.longest_waiting_ms


def test_a_save_that_outlasts_the_busy_timeout_says_so_and_keeps_the_entries(
    qtbot: QtBot, locked_db: Database, other_pc: OtherPc, form_questions: object
) -> None:
    form, patient = _open(qtbot, locked_db)
    other_pc.hold()  # and keeps it past the busy timeout
    probe = StallProbe(lambda: form.saving)
    probe.start()
    with qtbot.assertNotEmitted(form.saved, wait=0):
        qtbot.mouseClick(form.footer.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: form.footer.note.text() == WAITING_TEXT, timeout=2_000)
        qtbot.waitUntil(lambda: not form.saving, timeout=BUSY_TIMEOUT_MS + 5_000)
    probe.stop()
    other_pc.release()
    assert form.isVisible()
    assert form.banner.frame.isVisible()
    assert form.banner.summary.text().startswith("Not saved: The database ")
    assert "is busy: another needlelog is saving. Try again in a moment." in (
        form.banner.summary.text()
    )
    assert form.banner.summary.text().endswith("Your entries are still here.")
    assert form.footer.note.text() == ""
    assert form.footer.save_button.isEnabled()
    assert form.footer.cancel_button.isEnabled()
    assert form.aftercare.notes.toPlainText() == "Typed before saving"
    assert form.treatment.face_map.selected_areas() == [Area.CHIN]
    assert form.is_dirty()
    assert sessions.history(locked_db, patient.id) == []
    print(
        f"longest stall: {probe.longest_waiting_ms:.1f} ms waiting, {probe.longest_ms:.1f} ms in all"
    )
    assert probe.longest_waiting_ms < LONGEST_STALL_MS, probe.longest_waiting_ms
