"""The patient list: search as you type, paging, due view, archive, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QModelRoleData, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Patient
from needlelog.services import clock, patients, sessions
from needlelog.store.database import Database
from needlelog.ui import background
from needlelog.ui.main_window import ALL_TAB, DUE_TAB, MainWindow
from needlelog.ui.patient_models import PAGE_SIZE, FirstPage, PatientRole
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

MakeWindow = Callable[[Database], MainWindow]


def _names(window: MainWindow) -> list[str]:
    model = window.patient_model
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def _record_nos(window: MainWindow) -> list[str]:
    model = window.patient_model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


@pytest.fixture
def clinic(db: Database) -> Database:
    register_consenting(db, make_patient("P-0001"), "test")
    register_consenting(
        db,
        make_patient(
            "P-0002", family_name="Müller", given_name="Jürgen", date_of_birth=date(1975, 5, 1)
        ),
        "test",
    )
    register_consenting(
        db,
        make_patient(
            "Q-0100", family_name="Smith", given_name="Emma", date_of_birth=date(1990, 1, 2)
        ),
        "test",
    )
    return db


def _search(qtbot: QtBot, window: MainWindow, text: str, expected: list[str]) -> None:
    window.search.clear()
    qtbot.keyClicks(window.search, text)
    qtbot.waitUntil(lambda: _record_nos(window) == expected)


def test_search_narrows_the_list_by_name_record_number_and_birth_date(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    assert _names(window) == ["Lefèvre, Zoë", "Müller, Jürgen", "Smith, Emma"]

    _search(qtbot, window, "lef", ["P-0001"])
    _search(qtbot, window, "zoe", ["P-0001"])  # accents do not matter
    _search(qtbot, window, "Q-01", ["Q-0100"])
    _search(qtbot, window, "1975-05-01", ["P-0002"])
    _search(qtbot, window, "02.01.1990", ["Q-0100"])
    _search(qtbot, window, "nobody", [])
    assert "0 patients matching “nobody”" in window.count_label.text()


def test_keys_typed_together_show_only_the_answer_to_the_last(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = make_window(clinic)
    shown: list[str] = []
    show = window.patient_model.show_first_page

    def record(page: FirstPage) -> None:
        shown.append(page.text)
        show(page)

    monkeypatch.setattr(window.patient_model, "show_first_page", record)
    qtbot.keyClicks(window.search, "smi")
    # Each key starts its search at once; the answers to "s" and "sm" arrive after the
    # text changed again and are dropped, so the list never flickers through them.
    qtbot.waitUntil(lambda: _names(window) == ["Smith, Emma"])
    background.wait_for_all()
    qtbot.wait(50)
    assert shown == ["smi"]


def test_selecting_a_patient_shows_the_record(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.patient_view.setFocus()
    qtbot.keyClick(window.patient_view, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    first = window.current_patient()
    assert isinstance(first, Patient)
    assert window.record.name_label.text() == first.full_name
    assert window.edit_patient_action.isEnabled()


def test_down_arrow_in_search_moves_to_the_list(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.activateWindow()
    window.search.setFocus()
    qtbot.keyClicks(window.search, "smith")
    qtbot.waitUntil(lambda: _names(window) == ["Smith, Emma"])
    qtbot.keyClick(window.search, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    assert window.current_patient().record_no == "Q-0100"  # type: ignore[union-attr]


def test_the_list_fetches_more_rows_as_it_scrolls(
    qtbot: QtBot, big_db: Database, make_window: MakeWindow
) -> None:
    window = make_window(big_db)
    model = window.patient_model
    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore()
    view = window.patient_view
    bar = view.verticalScrollBar()
    for _ in range(20):
        if not model.canFetchMore():
            break
        before, end = model.rowCount(), bar.maximum()
        view.scrollToBottom()  # as a user drags the scroll bar to the end
        qtbot.waitUntil(lambda before=before: model.rowCount() > before or not model.canFetchMore())
        if model.rowCount() > before:
            # The new rows are laid out: the scroll bar reaches further.
            qtbot.waitUntil(lambda end=end: bar.maximum() > end)
    assert model.rowCount() == 1000
    assert not model.canFetchMore()
    shown = [model.index(r, 0).data(PatientRole).id for r in range(1000)]  # type: ignore[union-attr]
    assert len(set(shown)) == 1000
    everyone = patients.search(big_db, "", limit=2000)
    assert shown == [p.id for p in everyone]


def test_search_on_a_big_list_starts_again_from_the_first_page(
    qtbot: QtBot, big_db: Database, make_window: MakeWindow
) -> None:
    window = make_window(big_db)
    window.patient_view.scrollToBottom()
    qtbot.waitUntil(lambda: window.patient_model.rowCount() > PAGE_SIZE)
    record_no = window.patient_model.index(PAGE_SIZE + 3, 0).data(PatientRole).record_no  # type: ignore[union-attr]
    _search(qtbot, window, record_no, [record_no])


def _overdue_patient(db: Database) -> Patient:
    patient = register_consenting(
        db, make_patient("P-0777", family_name="Overdue", given_name="Olive"), "test"
    )
    long_ago = datetime.combine(clock.today() - timedelta(weeks=10), datetime.min.time())
    sessions.record(
        db,
        patient.id,
        make_session(
            performed_at=long_ago.replace(hour=10),
            next_due=None,
            products=(),
        ),
        "test",
    )
    return patients.get(db, patient.id)


def test_due_view_lists_an_overdue_patient(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    _overdue_patient(clinic)
    window = make_window(clinic)
    window.show_due_action.trigger()
    assert window.tabs.currentIndex() == DUE_TAB
    model = window.due_model
    assert model.rowCount() == 1
    assert model.index(0, 0).data() == "P-0777"
    assert model.index(0, 2).data() == "Overdue"
    assert int(model.index(0, model.DAYS).data()) > 0

    window.due_view.setFocus()
    window.due_view.selectRow(0)
    qtbot.waitUntil(lambda: window.record.status_label.text().startswith("Overdue"))
    # The overdue patient's next due date stands out in the main list too.
    window.tabs.setCurrentIndex(ALL_TAB)
    row = window.patient_model.row_of(window.current_patient().id)  # type: ignore[union-attr]
    assert row is not None
    assert window.patient_view.currentIndex().row() == row  # the same patient stays chosen
    brush = window.patient_model.index(row, 5).data(Qt.ItemDataRole.ForegroundRole)
    assert brush is not None and brush.color().name() == "#b3261e"


def test_archive_hides_the_patient_unless_show_archived(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def confirm(_parent: object, _title: str, text: str, *_args: object) -> object:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", confirm)
    window = make_window(clinic)
    window.patient_view.selectRow(1)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    assert window.current_patient().record_no == "P-0002"  # type: ignore[union-attr]

    window.archive_action.trigger()

    assert "Archive Jürgen Müller (P-0002)?" in asked[0]
    qtbot.waitUntil(lambda: _record_nos(window) == ["P-0001", "Q-0100"])
    assert patients.find_by_record_no(clinic, "P-0002").archived
    assert window.statusBar().currentMessage() == "Patient archived: Jürgen Müller"
    assert window.current_patient() is None

    qtbot.mouseClick(window.show_archived, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_record_nos(window)) == 3)
    assert "Müller, Jürgen (archived)" in _names(window)


def test_a_cell_shows_the_same_asked_role_by_role_or_all_roles_at_once(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    """A delegate asks for a cell's roles at once (multiData); tests and the record
    ask role by role (data): both give the same, overdue and archived rows included."""
    _overdue_patient(clinic)
    patients.set_archived(clinic, patients.find_by_record_no(clinic, "P-0002").id, True, "t")
    window = make_window(clinic)
    qtbot.mouseClick(window.show_archived, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_record_nos(window)) == 4)
    model = window.patient_model
    roles = [*Qt.ItemDataRole.__members__.values(), PatientRole]
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            for role in roles:
                at_once = QModelRoleData(int(role))
                model.multiData(index, at_once)
                assert at_once.data() == index.data(role), (row, column, role)
    archived = model.row_of(patients.find_by_record_no(clinic, "P-0002").id)
    assert archived is not None
    assert model.index(archived, 1).data() == "Müller, Jürgen (archived)"
    assert model.index(archived, 0).data(Qt.ItemDataRole.ToolTipRole) == "Archived"
    overdue = model.row_of(patients.find_by_record_no(clinic, "P-0777").id)
    assert overdue is not None
    font = model.index(overdue, 5).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    assert model.index(overdue, 4).data(Qt.ItemDataRole.FontRole) is None


def test_archive_cancelled_changes_nothing(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.Cancel)
    window = make_window(clinic)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    window.archive_action.trigger()
    assert not patients.find_by_record_no(clinic, "P-0001").archived
    assert len(_record_nos(window)) == 3


def test_window_remembers_view_and_layout(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.resize(760, 540)
    window.splitter.setSizes([260, 490])
    window.tabs.setCurrentIndex(DUE_TAB)
    sizes = window.splitter.sizes()
    window.close()

    again = make_window(clinic)
    assert again.tabs.currentIndex() == DUE_TAB
    assert again.size().width() == 760
    assert again.splitter.sizes() == sizes


def test_ctrl_f_focuses_the_search_box(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.patient_view.setFocus()
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    window.find_action.trigger()
    assert window.search.hasFocus()


def test_each_standard_shortcut_has_one_action(clinic: Database, make_window: MakeWindow) -> None:
    window = make_window(clinic)
    by_key: dict[str, list[str]] = {}
    for action in window.findChildren(type(window.find_action)):
        key = action.shortcut().toString()
        if key:
            by_key.setdefault(key, []).append(action.text().replace("&", ""))
    assert by_key["Ctrl+N"] == ["New patient…"]
    assert by_key["Ctrl+P"] == ["Print report…"]
    assert by_key["Ctrl+F"]
    assert all(len(texts) == 1 for texts in by_key.values()), by_key


def test_tab_moves_through_the_window_in_reading_order(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    order = [window.search]
    widget = window.search.nextInFocusChain()
    while widget is not window.search and len(order) < 200:
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible():
            order.append(widget)
        widget = widget.nextInFocusChain()
    expected = [
        window.search,
        window.show_archived,
        window.tabs.tabBar(),
        window.patient_view,
        window.record.new_session_button,
        window.record.edit_button,
        window.record.history,
    ]
    positions = [order.index(w) for w in expected]
    assert positions == sorted(positions)


def test_only_the_answer_to_the_latest_text_is_shown(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    window.search.setText("lef")
    window.search_timer.timeout.emit()  # the pause after "lef"
    window.search.setText("smith")
    window.search_timer.timeout.emit()  # and after "smith", before "lef" was answered
    qtbot.waitUntil(lambda: not window.search_pending)
    assert _names(window) == ["Smith, Emma"]
    assert window.patient_model.text == "smith"


def test_enter_in_the_search_box_goes_to_the_first_match(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    qtbot.keyClicks(window.search, "mull")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _names(window) == ["Müller, Jürgen"])
    assert window.current_patient().record_no == "P-0002"  # type: ignore[union-attr]
