"""The patient record: history newest first with flags in words, chart, session form hooks."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area, Grade
from needlelog.domain.records import Patient, TreatedArea
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_record import SEVERE_BACKGROUND, SOON_BACKGROUND, HistoryModel
from needlelog.ui.progress_chart import ProgressChart, points_from
from needlelog.ui.session_parts.context import SessionFormContext
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

MakeWindow = Callable[[Database], MainWindow]


@pytest.fixture
def treated(db: Database) -> Patient:
    patient = register_consenting(db, make_patient("P-0001"), "test")
    for when, changes in (
        (datetime(2026, 1, 5, 10), {"scar_grade": 4}),
        (datetime(2026, 2, 9, 10), {"scar_grade": 3, "gais": 3, "redness": Grade.SEVERE}),
        (datetime(2026, 2, 23, 10), {"scar_grade": 3, "gais": 2}),  # two weeks: too soon
    ):
        sessions.record(
            db,
            patient.id,
            make_session(
                performed_at=when,
                next_due=None,
                areas=(
                    TreatedArea(Area.CHEEK_LEFT, Decimal("0.75"), passes=3),
                    TreatedArea(Area.FOREHEAD, Decimal("0.50"), passes=2),
                ),
                **changes,
            ),
            "test",
            now=datetime(2026, 3, 1, 12),
        )
    return patients.get(db, patient.id)


def _open_record(qtbot: QtBot, window: MainWindow) -> None:
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)


def _cell(model: HistoryModel, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
    return model.index(row, column).data(role)


def test_history_is_newest_first_with_areas_depths_and_serums(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    model = window.record.history_model
    assert model.rowCount() == 3
    assert [_cell(model, r, HistoryModel.DATE).split("\n")[0] for r in range(3)] == [
        "23 Feb 2026",
        "9 Feb 2026",
        "5 Jan 2026",
    ]
    assert _cell(model, 0, HistoryModel.DATE).split("\n")[1:] == [
        "Dr. Amelia Hart",
        "draft (not signed)",
    ]
    assert _cell(model, 0, HistoryModel.AREAS) == "Cheek (left) 0.75\nForehead 0.50"
    assert _cell(model, 0, HistoryModel.RANGE) == "0.50–0.75 mm"
    assert _cell(model, 0, HistoryModel.SERUMS) == "Vitamin C serum (lot VC2291)"
    assert _cell(model, 0, HistoryModel.REACTIONS) == (
        "Redness: moderate\nBruising: none\nSwelling: mild"
    )
    assert _cell(model, 0, HistoryModel.PAIN) == "4"
    assert _cell(model, 0, HistoryModel.SCAR) == "3"
    assert _cell(model, 0, HistoryModel.GAIS) == "2"


def test_severe_reaction_and_too_soon_stand_out_in_words(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    model = window.record.history_model

    severe_row = 1
    assert _cell(model, severe_row, HistoryModel.ATTENTION) == "Severe reaction"
    assert _cell(model, severe_row, HistoryModel.REACTIONS).startswith("Redness: severe")
    background = _cell(model, severe_row, 0, Qt.ItemDataRole.BackgroundRole)
    assert background.color() == SEVERE_BACKGROUND
    assert _cell(model, severe_row, 0, Qt.ItemDataRole.ToolTipRole) == "Attention: severe reaction"
    assert _cell(model, severe_row, HistoryModel.DATE, Qt.ItemDataRole.DecorationRole) is not None

    soon_row = 0
    assert _cell(model, soon_row, HistoryModel.ATTENTION) == "Too soon"
    assert _cell(model, soon_row, 0, Qt.ItemDataRole.BackgroundRole).color() == SOON_BACKGROUND
    assert "too soon after the previous session" in _cell(
        model, soon_row, 3, Qt.ItemDataRole.ToolTipRole
    )

    plain_row = 2
    assert _cell(model, plain_row, HistoryModel.ATTENTION) == ""
    assert _cell(model, plain_row, 0, Qt.ItemDataRole.BackgroundRole) is None


def test_profile_and_course_status_at_the_top(
    qtbot: QtBot, treated: Patient, db: Database, make_window: MakeWindow
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    record = window.record
    assert record.name_label.text() == "Zoë Lefèvre"
    assert "Record P-0001" in record.details_label.text()
    assert "Fitzpatrick III" in record.details_label.text()
    assert "No known contraindications" in record.contraindications_label.text()
    assert record.status_label.text().startswith(("Overdue", "Course complete", "Due", "In"))


def test_progress_chart_plots_the_course_oldest_first(
    qtbot: QtBot, treated: Patient, db: Database
) -> None:
    chart = ProgressChart()
    qtbot.addWidget(chart)
    history = sessions.history(db, treated.id)
    chart.set_points(points_from(history))
    assert [(p.scar_grade, p.gais) for p in chart.points] == [(4, None), (3, 3), (3, 2)]
    assert "Scar grade (1-4, lower is better): 5 Jan 2026: 4, 9 Feb 2026: 3, 23 Feb 2026: 3" in (
        chart.toolTip()
    )
    chart.resize(chart.sizeHint())
    image = chart.grab().toImage()
    assert not image.isNull()
    # Something other than the background was painted (axes, lines).
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 3


class _FakeSessionForm(QDialog):
    """Stands in for the session form: records how the main window opens it."""

    saved = Signal(object)
    opened: ClassVar[list[tuple[int, int | None]]] = []

    def __init__(
        self,
        db: Database,
        context: SessionFormContext,
        parent: QWidget | None = None,
        *,
        amend_reason: str = "",
    ) -> None:
        super().__init__(parent)
        self.db, self.patient, self.session = db, context.patient, context.session
        self.amend_reason = amend_reason
        _FakeSessionForm.opened.append(
            (context.patient.id, context.session.id if context.session else None)
        )


@pytest.fixture
def fake_form(monkeypatch: pytest.MonkeyPatch) -> type[_FakeSessionForm]:
    module = types.ModuleType("needlelog.ui.session_form")
    module.SessionForm = _FakeSessionForm  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "needlelog.ui.session_form", module)
    _FakeSessionForm.opened = []
    return _FakeSessionForm


def test_new_session_opens_the_form_and_a_saved_session_refreshes_the_record(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    fake_form: type[_FakeSessionForm],
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    qtbot.mouseClick(window.record.new_session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fake_form.opened == [(treated.id, None)])
    form = window.findChild(_FakeSessionForm)
    assert form is not None and form.isVisible()

    stored = sessions.record(
        db, treated.id, make_session(performed_at=datetime(2026, 4, 1, 10), next_due=None), "t"
    )
    form.saved.emit(stored)
    form.accept()

    qtbot.waitUntil(lambda: window.record.history_model.rowCount() == 4)
    assert window.statusBar().currentMessage() == "Session saved for Zoë Lefèvre"
    qtbot.waitUntil(lambda: window.patient_model.index(0, 3).data() == "1 Apr 2026")


def test_double_click_opens_a_session_for_amendment(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    fake_form: type[_FakeSessionForm],
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    history = window.record.history
    rect = history.visualRect(history.model().index(1, 0))
    # A real double-click: the first press and release, then the second press.
    qtbot.mouseClick(history.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(history.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    expected = window.record.history_model.session_at(1)
    assert expected is not None
    qtbot.waitUntil(lambda: fake_form.opened == [(treated.id, expected.id)])


def test_enter_on_a_history_row_opens_it(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    fake_form: type[_FakeSessionForm],
) -> None:
    window = make_window(db)
    _open_record(qtbot, window)
    history = window.record.history
    history.setFocus()
    history.selectRow(2)
    qtbot.keyClick(history, Qt.Key.Key_Return)
    oldest = window.record.history_model.session_at(2)
    assert oldest is not None
    qtbot.waitUntil(lambda: fake_form.opened == [(treated.id, oldest.id)])


def test_archived_patient_cannot_get_a_new_session(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    fake_form: type[_FakeSessionForm],
) -> None:
    patients.set_archived(db, treated.id, True, "test")
    window = make_window(db)
    window.show_archived.setChecked(True)
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1)
    _open_record(qtbot, window)
    assert not window.new_session_action.isEnabled()
    assert not window.record.new_session_button.isEnabled()
    assert window.archive_action.text() == "Bring back from a&rchive"
    window.new_session()
    assert fake_form.opened == []


def test_a_form_that_cannot_be_read_is_explained_and_can_be_tried_again(
    qtbot: QtBot,
    treated: Patient,
    db: Database,
    make_window: MakeWindow,
    fake_form: type[_FakeSessionForm],
    message_boxes: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from needlelog.store.errors import DatabaseBusy

    window = make_window(db)
    _open_record(qtbot, window)
    busy = "the database clinic.sqlite3 is busy: another needlelog is saving"
    real = sessions.known_products

    def refused(*_args: object, **_kwargs: object) -> object:
        raise DatabaseBusy(busy)

    monkeypatch.setattr(sessions, "known_products", refused)
    qtbot.mouseClick(window.record.new_session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("warning", busy) in message_boxes)
    assert window.statusBar().currentMessage() == f"The session could not be opened: {busy}"
    assert fake_form.opened == []

    monkeypatch.setattr(sessions, "known_products", real)
    qtbot.mouseClick(window.record.new_session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fake_form.opened == [(treated.id, None)])
