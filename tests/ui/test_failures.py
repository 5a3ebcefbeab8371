"""In the window, an action that fails unexpectedly says so: one message box naming
the log file, the trace in the log. (The command line's side: tests/test_failures.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from needlelog import failures
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui import background
from needlelog.ui import failures as ui_failures
from needlelog.ui.app import run_app
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_form import SessionForm
from tests.factories import make_patient


@pytest.fixture
def hook_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook the app's start installs (run_app), put back as it was after the test."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    ui_failures.install()
    assert sys.excepthook is ui_failures.on_uncaught


def _session_forms() -> list[SessionForm]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, SessionForm)]


def _open_new_session_form(qtbot: QtBot, make_window: object, db: Database) -> MainWindow:
    patients.register(db, make_patient("P-0001"), "test")
    window: MainWindow = make_window(db)  # type: ignore[operator]
    window.patient_view.selectRow(0)
    qtbot.waitUntil(lambda: window.new_session_action.isEnabled())
    window.new_session_action.trigger()  # as the menu entry, the toolbar or Ctrl+Shift+N do
    return window


def test_a_session_form_without_its_face_map_data_says_so_and_names_the_log(
    qtbot: QtBot,
    db: Database,
    make_window: object,
    resource_copy: Path,
    hook_installed: None,
    message_boxes: list[tuple[str, str]],
) -> None:
    (resource_copy / "maps" / "zones.json").unlink()

    _open_new_session_form(qtbot, make_window, db)

    log = failures.log_path()
    qtbot.waitUntil(lambda: bool(message_boxes))  # the form's records are read first
    assert message_boxes == [
        (
            "critical",
            "That did not work: needlelog is not completely installed: maps/zones.json is "
            f"missing from {resource_copy} (reinstall needlelog).\n\n"
            f"The details are in {log}.",
        )
    ]
    text = log.read_text("utf-8")
    assert "needlelog: an action in the window failed" in text
    assert "in _show_session_form" in text and "in zones_path" in text
    assert "ResourceError: needlelog is not completely installed" in text
    qtbot.waitUntil(lambda: not _session_forms())  # no half-built form left behind


def test_a_damaged_face_map_file_says_so_too(
    qtbot: QtBot,
    db: Database,
    make_window: object,
    resource_copy: Path,
    hook_installed: None,
    message_boxes: list[tuple[str, str]],
) -> None:
    (resource_copy / "maps" / "zones.json").write_text('{"forehead": {"cx": 1,', "utf-8")

    _open_new_session_form(qtbot, make_window, db)

    qtbot.waitUntil(lambda: bool(message_boxes))
    assert len(message_boxes) == 1
    kind, text = message_boxes[0]
    assert kind == "critical"
    assert text.startswith(
        "That did not work: needlelog's installation is damaged: maps/zones.json cannot be read"
    )
    assert text.endswith(f"The details are in {failures.log_path()}.")
    assert "JSONDecodeError" in failures.log_path().read_text("utf-8")


def test_with_its_resources_the_form_opens_and_nothing_is_logged(
    qtbot: QtBot,
    db: Database,
    make_window: object,
    hook_installed: None,
    message_boxes: list[tuple[str, str]],
) -> None:
    _open_new_session_form(qtbot, make_window, db)
    qtbot.waitUntil(lambda: any(form.isVisible() for form in _session_forms()))
    assert message_boxes == []
    assert not failures.log_path().exists()
    for form in _session_forms():
        form.reject()


def test_the_running_app_answers_a_failing_action_with_one_box_and_keeps_running(
    qtbot: QtBot, db: Database, message_boxes: list[tuple[str, str]]
) -> None:
    hook_before = sys.excepthook

    def failing_action() -> None:
        assert sys.excepthook is ui_failures.on_uncaught  # installed while the app runs
        raise ZeroDivisionError("division by zero")

    def close_main_window() -> None:
        for window in QApplication.topLevelWidgets():
            if isinstance(window, MainWindow):
                window.close()

    QTimer.singleShot(200, failing_action)
    QTimer.singleShot(400, close_main_window)
    assert run_app(db.url) == 0

    assert sys.excepthook is hook_before
    log = failures.log_path()
    assert message_boxes == [
        (
            "critical",
            "That did not work: an unexpected error stopped it (ZeroDivisionError: division "
            f"by zero).\n\nThe details are in {log}.",
        )
    ]
    assert 'raise ZeroDivisionError("division by zero")' in log.read_text("utf-8")
    for window in QApplication.topLevelWidgets():
        if isinstance(window, MainWindow):
            window.deleteLater()


def test_background_work_that_fails_unexpectedly_says_so_in_the_one_box(
    qtbot: QtBot, hook_installed: None, message_boxes: list[tuple[str, str]]
) -> None:
    def broken_work(_control: object) -> None:
        raise ZeroDivisionError("division by zero")

    task = background.run_task(broken_work)  # no on_error: nobody foresaw this one
    qtbot.waitUntil(lambda: task.done)
    log = failures.log_path()
    assert message_boxes == [
        (
            "critical",
            "That did not work: an unexpected error stopped it (ZeroDivisionError: division "
            f"by zero).\n\nThe details are in {log}.",
        )
    ]
    assert "in broken_work" in log.read_text("utf-8")  # the work thread's own trace
