"""The aftercare handout is reachable: offered after a save, in the Patient menu for the
session chosen in the history, and in the history's context menu for any session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient
from needlelog.services import sessions, settings
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.report_actions import ReportPreview
from tests.consenting import signed_for
from tests.factories import make_session
from tests.reports.helpers import page_texts, patient_with_sessions, shown, visit_day

MakeWindow = Callable[[Database], MainWindow]


@pytest.fixture
def patient(db: Database) -> Patient:
    settings.set_clinic(db, ClinicInfo(name="Harbour Skin Clinic"), "test")
    return patient_with_sessions(db, 3, "P-0007")


def _open(qtbot: QtBot, window: MainWindow) -> None:
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)  # history read


def _previews() -> list[ReportPreview]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, ReportPreview)]


def _wait_preview(qtbot: QtBot) -> ReportPreview:
    qtbot.waitUntil(lambda: any(p.isVisible() for p in _previews()), timeout=20_000)
    preview = next(p for p in _previews() if p.isVisible())
    return preview


def test_a_save_offers_the_handout_without_blocking(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open(qtbot, window)
    assert not window.record.saved_offer.isVisible()
    when = datetime(2011, 1, 3, 10)
    signed_for(db, patient.id, when.date())  # a new course: signed again
    saved = sessions.record(
        db, patient.id, make_session(performed_at=when, next_due=None), "test", now=when
    )
    window._on_session_saved(saved)  # what the session form's "saved" signal calls
    assert window.record.saved_offer.isVisible()
    assert window.record.saved_offer_label.text().startswith(f"Session of {shown(when.date())}")
    assert window.isEnabled() and QApplication.activeModalWidget() is None
    window.record.handout_button.click()
    preview = _wait_preview(qtbot)
    assert preview.windowTitle() == "Aftercare handout"
    assert preview.document.pageCount() == 1
    (text,) = page_texts(preview.data)
    assert "After your treatment today" in text and shown(when.date()) in text
    assert text.startswith("Harbour Skin Clinic")
    preview.close()
    # Another patient chosen: the offer goes with the patient it was made for.
    window.record.show_patient(None)
    assert not window.record.saved_offer.isVisible()


def test_the_patient_menu_makes_the_handout_of_the_session_chosen_in_the_history(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open(qtbot, window)
    assert window.features is not None
    handout = window.features.reports.handout
    assert handout in window.patient_menu.actions()
    window.record.history.selectRow(2)  # newest first: the first session
    handout.trigger()
    preview = _wait_preview(qtbot)
    text = page_texts(preview.data)[0]
    assert shown(visit_day(0).date()) in text
    assert shown(visit_day(2).date()) not in text
    preview.close()


def test_the_history_context_menu_makes_the_handout_of_that_session(
    qtbot: QtBot, db: Database, patient: Patient, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open(qtbot, window)
    second = window.record.history_model.session_at(1)
    assert second is not None
    menu = window.record.history_menu(second)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Aftercare handout…", "Open to amend…", "Photos…"]
    menu.actions()[0].trigger()
    preview = _wait_preview(qtbot)
    assert shown(visit_day(1).date()) in page_texts(preview.data)[0]
    preview.close()
