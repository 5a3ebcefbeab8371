"""Fixtures for driving the real windows: isolated settings, a filled clinic, no stray work."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from needlelog.services import clock, patients
from needlelog.services.demo_data import generate
from needlelog.store import database
from needlelog.store.database import Database
from needlelog.store.migrate import open_database
from needlelog.ui import background
from needlelog.ui.app import create_main_window
from needlelog.ui.form_widgets import DISCARD_BUTTON
from needlelog.ui.main_window import MainWindow
from tests.ui.lock_helpers import BUSY_TIMEOUT_MS, OtherPc


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path: Path) -> Iterator[Path]:
    """Window settings go to a temporary folder; background work ends before teardown."""
    folder = tmp_path / "qsettings"
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder
    assert background.wait_for_all(30_000), "background tasks still running at teardown"


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """No message box ever blocks a test: each call is recorded (kind, text) and
    answered "Discard"/"OK" (a box the app builds itself: "Discard changes"). Tests that
    care patch ``QMessageBox`` themselves."""
    shown: list[tuple[str, str]] = []

    def answer(kind: str, reply: QMessageBox.StandardButton):  # type: ignore[no-untyped-def]
        def box(_parent: object, _title: str, text: str, *_a: object, **_k: object) -> object:
            shown.append((kind, text))
            return reply

        return box

    monkeypatch.setattr(
        QMessageBox, "question", answer("question", QMessageBox.StandardButton.Discard)
    )
    for kind in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, kind, answer(kind, QMessageBox.StandardButton.Ok))

    def exec_box(box: QMessageBox) -> int:
        # A box built by the app (the discard question) is answered by pressing a button.
        shown.append(("exec", box.text()))
        press = next((b for b in box.buttons() if b.text() == DISCARD_BUTTON), None)
        (press or box.escapeButton()).click()
        return box.result()

    monkeypatch.setattr(QMessageBox, "exec", exec_box)
    return shown


AMEND_REASON = "Corrected a typing error"


@pytest.fixture(autouse=True)
def text_questions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No text question blocks a test: each is recorded (its label) and answered with
    ``AMEND_REASON``. Tests that care patch ``QInputDialog.getText`` themselves."""
    asked: list[str] = []

    def get_text(_parent: object, _title: str, label: str, *_a: object, **_k: object):  # type: ignore[no-untyped-def]
        asked.append(label)
        return AMEND_REASON, True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    return asked


@pytest.fixture
def big_db(tmp_path: Path) -> Iterator[Database]:
    """1,000 patients (no sessions) added in one transaction: fast enough for every run."""
    db = open_database(f"sqlite:///{tmp_path / 'big.sqlite3'}")
    with db.write() as s:
        for demo in generate(1000, seed=7, today=clock.today()):
            patients.add_in(s, demo.data, "test", clock.today())
    yield db
    db.dispose()


def settle(qtbot: QtBot, window: MainWindow) -> None:
    """Wait until the first page and the due list are in (conditions, not timers)."""
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() != "Opening the patient list…")
    qtbot.waitUntil(lambda: not window.due_pending)


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[object]:
    """Open main windows on a database; each is closed and waited for at the end."""
    opened: list[MainWindow] = []

    def make(db: Database) -> MainWindow:
        window = create_main_window(db)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        settle(qtbot, window)
        opened.append(window)
        return window

    yield make
    for window in opened:
        background.wait_for_all()
        window.close()


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type like a keyboard: QTest only knows ASCII keys, so other letters arrive as
    key events carrying their text, the way a keyboard layout delivers "ë"."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            )


@pytest.fixture
def locked_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """A clinic database whose connections give up after ``BUSY_TIMEOUT_MS``."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    db = open_database(f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    yield db
    db.dispose()


@pytest.fixture
def other_pc(locked_db: Database) -> Iterator[OtherPc]:
    path = locked_db.sqlite_path
    assert path is not None
    other = OtherPc(path)
    yield other
    other.release()
    other._conn.close()
