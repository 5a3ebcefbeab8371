"""Acting on the consent windows as a patient and a practitioner do: a pen on the
signature pad (tablet events with pressure), the text scrolled to its end with the
keyboard, each photo use answered by a click."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.photos import PhotoUse
from needlelog.ui.consent.signature_pad import SignaturePad
from needlelog.ui.consent.signing_view import SigningView

_PEN: QPointingDevice | None = None


def pen() -> QPointingDevice:
    """A stylus that reports pressure, as a graphics tablet's pen does."""
    global _PEN
    if _PEN is None:
        _PEN = QPointingDevice(
            "test pen",
            4242,
            QInputDevice.DeviceType.Stylus,
            QPointingDevice.PointerType.Pen,
            QInputDevice.Capability.Position | QInputDevice.Capability.Pressure,
            1,
            2,
        )
    return _PEN


def _tablet(widget: QWidget, kind: QEvent.Type, x: float, y: float, pressure: float) -> bool:
    at = QPointF(x, y)
    down = kind != QEvent.Type.TabletRelease
    event = QTabletEvent(
        kind,
        pen(),
        at,
        QPointF(widget.mapToGlobal(at)),
        pressure,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        Qt.KeyboardModifier.NoModifier,
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton if down else Qt.MouseButton.NoButton,
    )
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def pen_stroke(pad: SignaturePad, points: Sequence[tuple[float, float, float]]) -> None:
    """One pen stroke through ``points`` (x, y, pressure): down, moves, up."""
    (x0, y0, p0), *rest = points
    assert _tablet(pad, QEvent.Type.TabletPress, x0, y0, p0)
    for x, y, p in rest[:-1]:
        _tablet(pad, QEvent.Type.TabletMove, x, y, p)
    x, y, p = rest[-1] if rest else (x0, y0, p0)
    _tablet(pad, QEvent.Type.TabletRelease, x, y, p)


def sign_with_pen(pad: SignaturePad) -> list[list[tuple[float, float, float]]]:
    """A short signature in two strokes, pressing harder as it goes; answers the strokes."""
    first = [(40 + 12 * i, 90 + (i % 3) * 14, round(0.2 + 0.07 * i, 3)) for i in range(10)]
    second = [(220 + 10 * i, 120 - 5 * i, 0.8) for i in range(6)]
    pen_stroke(pad, first)
    pen_stroke(pad, second)
    return [first, second]


def read_to_end(qtbot: QtBot, view: SigningView) -> None:
    """Ctrl+End in the text: as a reader who scrolled through it."""
    view.text_view.setFocus()
    qtbot.keyClick(view.text_view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)


def answer_all(qtbot: QtBot, view: SigningView, yes: set[PhotoUse]) -> None:
    for use in PhotoUse:
        button = view.answers.yes[use] if use in yes else view.answers.no[use]
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
