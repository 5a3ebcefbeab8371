"""Readable at the sizes clinics use: at the default window size, 1366x768 and 1280x720
the last session's areas, depths and serums read in full, the patient list shows its
Next due column whole, and the chart's legend never overlaps its caption."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, QRectF
from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area
from needlelog.domain.records import Product, TreatedArea
from needlelog.services import sessions
from needlelog.store.database import Database
from needlelog.ui import background
from needlelog.ui.app import create_main_window
from needlelog.ui.main_window import MainWindow
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session
from tests.ui.conftest import settle

SIZES = [None, (1366, 768), (1280, 720)]
AREAS = (
    TreatedArea(Area.CHEEK_LEFT, Decimal("0.90")),
    TreatedArea(Area.CHEEK_RIGHT, Decimal("0.85")),
    TreatedArea(Area.JAWLINE_LEFT, Decimal("0.75")),
    TreatedArea(Area.JAWLINE_RIGHT, Decimal("0.75")),
    TreatedArea(Area.PERIORBITAL_LEFT, Decimal("0.50")),
)
PRODUCTS = (
    Product("Polynucleotide serum", "PN2609C", date(2027, 8, 31)),
    Product("Hyaluronic acid serum", "HA2609A", date(2027, 8, 31)),
)


@pytest.fixture
def clinic(db: Database) -> Database:
    pid = register_consenting(
        db, make_patient("R-1", family_name="García Márquez", given_name="Begoña"), "t"
    ).id
    for month in (6, 7, 9):
        when = datetime(2026, month, 2, 10)
        sessions.record(
            db,
            pid,
            make_session(performed_at=when, next_due=None, areas=AREAS, products=PRODUCTS),
            "t",
            now=when,
        )
    return db


@pytest.fixture
def sized(qtbot: QtBot, clinic: Database, request: pytest.FixtureRequest) -> Iterator[MainWindow]:
    window = create_main_window(clinic)
    qtbot.addWidget(window)
    if request.param is not None:  # as on a laptop screen; None: the window's own default
        window.resize(*request.param)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot, window)
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient() is not None)
    qtbot.waitUntil(lambda: not window.record.loading)  # the history is read
    settle(qtbot, window)
    yield window
    background.wait_for_all()
    window.close()


def _inside_window(window: MainWindow, widget: object) -> bool:
    top_left = widget.mapTo(window, QPoint(0, 0))  # type: ignore[attr-defined]
    bottom = top_left.y() + widget.height()  # type: ignore[attr-defined]
    right = top_left.x() + widget.width()  # type: ignore[attr-defined]
    return top_left.y() >= 0 and bottom <= window.height() and right <= window.width()


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["default", "1366x768", "1280x720"])
def test_the_last_sessions_areas_depths_and_serums_read_in_full(sized: MainWindow) -> None:
    details = sized.record.session_details
    assert details.isVisible()
    text = details.text()
    assert text.startswith("<b>Latest session: 2 Sep 2026</b>")
    for area in AREAS:
        assert f"{area.area.label} {area.depth_mm:.2f} mm" in text
    for product in PRODUCTS:
        assert f"{product.name} (lot {product.lot}, exp. 31 Aug 2027)" in text
    # Wrapped, never cut: the label is as tall as its text needs, and on screen.
    assert details.height() >= details.heightForWidth(details.width())
    assert _inside_window(sized, details)


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["default", "1366x768", "1280x720"])
def test_the_patient_list_shows_next_due_whole(sized: MainWindow) -> None:
    view = sized.patient_view
    next_due = 5
    assert sized.patient_model.HEADERS[next_due] == "Next due"
    assert not view.isColumnHidden(next_due)
    right = view.columnViewportPosition(next_due) + view.columnWidth(next_due)
    assert view.columnViewportPosition(next_due) >= 0 and right <= view.viewport().width()
    bold = QFont(view.font())
    bold.setBold(True)  # a due date may be bold
    shown = sized.patient_model.index(0, next_due).data()
    assert shown == "2 Sep 2027"  # the course done: maintenance a year on
    assert QFontMetrics(bold).horizontalAdvance(shown) < view.columnWidth(next_due)
    assert _inside_window(sized, view)


@pytest.mark.parametrize("sized", SIZES, indirect=True, ids=["default", "1366x768", "1280x720"])
def test_the_chart_legend_does_not_overlap_its_caption(sized: MainWindow) -> None:
    chart = sized.record.chart
    layout = chart.legend_layout()
    rects = [rect for _text, rect in layout]
    assert [t for t, _r in layout][-1] == "lower is better"
    for i, first in enumerate(rects):
        assert first.left() >= 0 and first.right() <= chart.width()
        for second in rects[i + 1 :]:
            assert not first.intersects(second), layout


def test_a_narrow_chart_puts_its_caption_on_a_line_of_its_own(qtbot: QtBot) -> None:
    from needlelog.ui.progress_chart import ProgressChart

    chart = ProgressChart()
    qtbot.addWidget(chart)
    chart.resize(chart.fontMetrics().averageCharWidth() * 34, 160)
    layout = dict(chart.legend_layout())
    caption = layout.pop("lower is better")
    assert all(caption.top() >= r.bottom() for r in layout.values())
    assert isinstance(caption, QRectF)


@pytest.mark.parametrize("sized", [(1280, 720)], indirect=True, ids=["1280x720"])
def test_on_a_narrow_pane_the_depth_range_gives_way_to_areas_and_serums(
    qtbot: QtBot, sized: MainWindow
) -> None:
    from needlelog.ui.patient_record import HistoryModel

    history = sized.record.history
    assert history.isColumnHidden(HistoryModel.RANGE)
    char = history.fontMetrics().averageCharWidth()
    assert history.columnWidth(HistoryModel.AREAS) >= 12 * char
    sized.resize(1920, 1080)
    qtbot.waitUntil(lambda: not history.isColumnHidden(HistoryModel.RANGE))
