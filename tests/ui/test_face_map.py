"""The face and body map: clicks land on the zone drawn under the pointer."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.codes import Area
from needlelog.ui.face_map import FaceMapWidget


def _map(qtbot: QtBot, width: int, height: int) -> FaceMapWidget:
    widget = FaceMapWidget()
    qtbot.addWidget(widget)
    widget.resize(width, height)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


def test_every_zone_centre_hits_its_own_zone_at_any_size(qtbot: QtBot) -> None:
    for width, height in [(600, 520), (900, 500), (330, 700)]:
        widget = _map(qtbot, width, height)
        assert set(widget.zones()) == set(Area) - {Area.OTHER}
        for area in widget.zones():
            assert widget.zone_at(widget.zone_center(area)) is area, (area, width, height)


def test_hit_test_uses_the_shape_not_the_bounding_box(qtbot: QtBot) -> None:
    """The centre of the arms' bounding box lies on the abdomen, between the two arms."""
    widget = _map(qtbot, 600, 520)
    renderer = widget._renderer
    box_centre = renderer.boundsOnElement("arms").center()
    assert widget.zone_at(widget._to_widget().map(box_centre)) is not Area.ARMS
    assert widget.zone_at(QPointF(2, 2)) is None


def test_clicking_a_zone_toggles_it_and_reports_the_choice(qtbot: QtBot) -> None:
    widget = _map(qtbot, 700, 600)
    cheek = widget.zone_center(Area.CHEEK_LEFT).toPoint()
    with qtbot.waitSignal(widget.areasChanged) as signal:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=cheek)
    assert signal.args == [[Area.CHEEK_LEFT]]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.zone_center(Area.ARMS).toPoint())
    assert widget.selected_areas() == [Area.CHEEK_LEFT, Area.ARMS]
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=cheek)
    assert widget.selected_areas() == [Area.ARMS]
    # Outside every zone nothing changes.
    with qtbot.assertNotEmitted(widget.areasChanged):
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=QPoint(1, 1))
    assert widget.selected_areas() == [Area.ARMS]


def test_set_selected_shows_the_choice_without_reporting_it(qtbot: QtBot) -> None:
    widget = _map(qtbot, 600, 520)
    with qtbot.assertNotEmitted(widget.areasChanged):
        widget.set_selected([Area.NOSE, Area.OTHER])
    assert widget.selected_areas() == [Area.NOSE]
    plain = _map(qtbot, 600, 520).grab().toImage()
    tinted = widget.grab().toImage()
    nose = widget.zone_center(Area.NOSE).toPoint()
    assert tinted.pixelColor(nose) != plain.pixelColor(nose)
