"""The patient record on the laptop screens clinics use (1366x768, 1280x720): the
Photographs hint is read in full beside its buttons, and every history row in view is
as tall as its wrapped text, however the column widths settled after it was sized."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from needlelog import resource_files
from needlelog.domain.codes import Area
from needlelog.domain.records import Patient, TreatedArea
from needlelog.services import patients, sessions
from needlelog.store.database import Database
from needlelog.ui.main_window import MainWindow
from needlelog.ui.patient_record import VISIBLE_MARGIN_ROWS
from needlelog.ui.photos.record import NO_PHOTOS
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

MakeWindow = Callable[[Database], MainWindow]
SCREENS = ((1366, 768), (1280, 720))
# Six areas, their names long enough to wrap in a narrow column ("Cheek (right) 0.80").
AREAS = tuple(
    TreatedArea(area, Decimal(depth), passes=2)
    for area, depth in (
        (Area.FOREHEAD, "0.50"),
        (Area.CHEEK_LEFT, "0.80"),
        (Area.CHEEK_RIGHT, "0.80"),
        (Area.NOSE, "0.50"),
        (Area.CHIN, "0.70"),
        (Area.NECK, "0.50"),
    )
)


@pytest.fixture(autouse=True)
def bundled_font(qapp: QApplication) -> Iterator[None]:
    """The font the screenshots use (DejaVu Sans 9, shipped with the app): wider than
    the offscreen platform's own, as desktop fonts are."""
    before = QApplication.font()
    font_id = QFontDatabase.addApplicationFont(str(resource_files.path("fonts", "DejaVuSans.ttf")))
    QApplication.setFont(QFont(QFontDatabase.applicationFontFamilies(font_id)[0], 9))
    yield
    QApplication.setFont(before)


def _patient(db: Database, count: int, record_no: str = "P-0001") -> Patient:
    patient = register_consenting(db, make_patient(record_no), "test")
    start = datetime(2020, 1, 6, 10)
    for i in range(count):
        sessions.record(
            db,
            patient.id,
            make_session(performed_at=start + timedelta(days=28 * i), next_due=None, areas=AREAS),
            "test",
            now=start + timedelta(days=28 * i, hours=2),
        )
    return patients.get(db, patient.id)


def _open(qtbot: QtBot, window: MainWindow, size: tuple[int, int]) -> None:
    window.resize(*size)
    # The patient list as wide as a full clinic's needs it (every column filled): the
    # record gets what is left of the screen, about 650 pixels at 1366.
    window.splitter.widget(0).setMinimumWidth(size[0] // 2)
    window.splitter.setSizes([size[0] // 2, size[0] - size[0] // 2])
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading and not window.record.photos.pending)
    qtbot.wait(20)  # the rows' resizing after the column widths settle is queued


def _visible_rows(window: MainWindow) -> range:
    view = window.record.history
    first = max(view.rowAt(0), 0)
    last = view.rowAt(view.viewport().height() - 1)
    return range(first, (last if last >= 0 else view.model().rowCount() - 1) + 1)


def _rows_fit(window: MainWindow) -> None:
    view = window.record.history
    rows = _visible_rows(window)
    assert len(rows) >= 1
    for row in rows:
        assert view.rowHeight(row) >= view.sizeHintForRow(row), f"row {row} clips its text"


@pytest.mark.parametrize("size", SCREENS)
def test_the_photographs_hint_is_read_in_full_beside_its_buttons(
    qtbot: QtBot, db: Database, make_window: MakeWindow, size: tuple[int, int]
) -> None:
    _patient(db, 2)
    window = make_window(db)
    _open(qtbot, window, size)
    assert window.width() <= size[0]  # the hint never widens the window past the screen
    photos = window.record.photos
    summary = photos.summary
    assert summary.text() == NO_PHOTOS
    needed = summary.fontMetrics().boundingRect(
        QRect(0, 0, summary.width(), 10_000), Qt.TextFlag.TextWordWrap, summary.text()
    )
    assert needed.height() <= summary.height()  # every word shown, none cut off
    buttons = (photos.session_button, photos.compare_button)
    assert summary.geometry().right() < min(b.geometry().left() for b in buttons)


@pytest.mark.parametrize("size", SCREENS)
def test_history_rows_in_view_hold_their_wrapped_areas(
    qtbot: QtBot, db: Database, make_window: MakeWindow, size: tuple[int, int]
) -> None:
    _patient(db, 4)
    window = make_window(db)
    _open(qtbot, window, size)
    _rows_fit(window)
    # the window made narrower: the rows in view follow their columns
    window.resize(size[0] - 200, size[1])
    qtbot.waitUntil(
        lambda: all(
            window.record.history.rowHeight(r) >= window.record.history.sizeHintForRow(r)
            for r in _visible_rows(window)
        )
    )
    _rows_fit(window)


def test_a_long_history_still_sizes_only_the_rows_coming_into_view(
    qtbot: QtBot, db: Database, make_window: MakeWindow
) -> None:
    count = 3 * VISIBLE_MARGIN_ROWS
    _patient(db, count)
    second = _patient(db, count, "P-0002")
    window = make_window(db)
    view = window.record.history
    _open(qtbot, window, SCREENS[0])
    sized: list[int] = []
    real = view.resizeRowToContents
    view.resizeRowToContents = lambda row: (sized.append(row), real(row))[1]  # type: ignore[method-assign]
    # another long record opened: the rows in view and a margin are sized once, never
    # again when the columns settle (the scroll bar, gone while the history was
    # empty, used to come back after the sizing and narrow them)
    window.patient_view.selectRow(window.patient_model.row_of(second.id) or 0)
    qtbot.waitUntil(
        lambda: window.record.patient is not None and window.record.patient.id == second.id
    )
    qtbot.waitUntil(lambda: not window.record.loading)
    qtbot.wait(20)
    assert sized and len(sized) == len(set(sized)) < count
    default = view.verticalHeader().defaultSectionSize()
    assert view.rowHeight(count - 1) == default  # far below: not sized yet
    _rows_fit(window)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: view.rowHeight(count - 1) != default)
    _rows_fit(window)
