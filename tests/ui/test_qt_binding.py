"""The Qt binding must keep Python's reference counts right: a binding that drops a
reference to None on each call makes a long day's work end in an abort
("deallocating None"), taking the open form with it."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

CALLS = 2000


def test_calls_returning_nothing_leave_none_alone(qtbot: QtBot) -> None:
    field = QLineEdit()
    qtbot.addWidget(field)
    before = sys.getrefcount(None)
    for i in range(CALLS):
        field.setText(str(i))  # a Qt method that returns nothing
        field.backspace()
    # Other objects may come and go meanwhile; a leak would be 2 per round.
    assert abs(sys.getrefcount(None) - before) < CALLS // 10


def test_the_report_preview_module_is_installed() -> None:
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPdfWidgets import QPdfView

    assert QPdfDocument is not None and QPdfView is not None
