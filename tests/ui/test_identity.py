"""Application identity (About box, icon, names) and the bundle's smoke switch."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication, QMainWindow
from pytestqt.qtbot import QtBot

from needlelog import __version__
from needlelog.services import patients
from needlelog.store.database import Database
from needlelog.ui import failures as ui_failures
from needlelog.ui import smoke
from needlelog.ui.about import AboutDialog
from needlelog.ui.identity import app_icon, apply_identity
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_form import SessionForm
from needlelog.ui.smoke import ENV_SMOKE, arm_smoke_exit
from tests.factories import make_patient


def test_about_box_shows_version_licence_and_qt(qtbot: QtBot) -> None:
    about = AboutDialog()
    qtbot.addWidget(about)
    text = about.text()
    assert f"Version {__version__}" in text
    assert "MIT licence" in text and "needlelog contributors" in text
    assert f"Qt {qVersion()}" in text


def test_identity_names_the_app_and_gives_it_an_icon(qapp: QApplication) -> None:
    assert not app_icon().isNull()
    apply_identity(qapp)
    assert qapp.applicationDisplayName() == "needlelog"
    assert qapp.applicationVersion() == __version__
    assert not qapp.windowIcon().isNull()


class FakeApp:
    def __init__(self) -> None:
        self.code: int | None = None

    def exit(self, code: int = 0) -> None:
        self.code = code


def test_smoke_switch_leaves_with_0_once_the_main_window_is_shown(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "0")
    window = QMainWindow()
    window.setWindowTitle("needlelog — clinic")
    qtbot.addWidget(window)
    window.show()
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 0
    assert "smoke: main window shown: needlelog — clinic" in capsys.readouterr().out


class OpeningWindow(QMainWindow):
    """A main window whose records are still opening (``attached`` as MainWindow has it)."""

    attached = False


def test_smoke_switch_waits_for_the_records_in_the_main_window(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "0")
    window = OpeningWindow()
    window.setWindowTitle("needlelog — clinic")
    qtbot.addWidget(window)
    window.show()
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.wait(3 * smoke.POLL_MS)
    assert app.code is None  # still opening: not a pass yet
    window.attached = True
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 0
    assert "smoke: main window shown: needlelog — clinic" in capsys.readouterr().out


def test_smoke_switch_fails_when_the_records_never_open(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "0")
    monkeypatch.setattr(smoke, "ATTACH_LIMIT_MS", 2 * smoke.POLL_MS)
    window = OpeningWindow()
    qtbot.addWidget(window)
    window.show()
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 1
    assert "the records never opened" in capsys.readouterr().err


def test_smoke_switch_fails_when_no_window_is_shown(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "0")
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 1
    assert "no window was shown" in capsys.readouterr().err


def test_smoke_switch_refuses_a_delay_that_is_not_a_number(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "soon")
    app = FakeApp()
    arm_smoke_exit(app)
    assert app.code == 2
    assert "is not a whole number" in capsys.readouterr().err


def test_smoke_switch_does_nothing_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SMOKE, raising=False)
    app = FakeApp()
    arm_smoke_exit(app)
    assert app.code is None


@pytest.fixture
def clinic_window(qtbot: QtBot, db: Database, make_window: object) -> Iterator[MainWindow]:
    patients.register(db, make_patient("P-0001"), "test")
    window: MainWindow = make_window(db)  # type: ignore[operator]
    yield window
    for form in QApplication.topLevelWidgets():
        if isinstance(form, SessionForm) and form.isVisible():
            form.reject()


def test_smoke_switch_opens_a_session_form_with_its_face_map(
    qtbot: QtBot,
    clinic_window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_SMOKE, "0")
    monkeypatch.setenv(smoke.ENV_SESSION_FORM, "1")
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None, timeout=20_000)
    assert app.code == 0
    out = capsys.readouterr().out
    assert "smoke: session form shown with 19 map zones: New session — " in out


def test_smoke_switch_fails_when_the_session_form_cannot_open(
    qtbot: QtBot,
    clinic_window: MainWindow,
    resource_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    message_boxes: list[tuple[str, str]],
) -> None:
    (resource_copy / "maps" / "face_body.svg").unlink()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    ui_failures.install()
    monkeypatch.setattr(smoke, "FORM_LIMIT_MS", 500)
    monkeypatch.setenv(ENV_SMOKE, "0")
    monkeypatch.setenv(smoke.ENV_SESSION_FORM, "1")
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None, timeout=20_000)
    assert app.code == 1
    assert "smoke: the session form did not open" in capsys.readouterr().err
    assert len(message_boxes) == 1 and "maps/face_body.svg is missing" in message_boxes[0][1]


def _shown_main_window(qtbot: QtBot) -> QMainWindow:
    window = QMainWindow()
    window.setWindowTitle("needlelog — clinic")
    qtbot.addWidget(window)
    window.show()
    return window


def test_smoke_switch_renders_a_pdf_as_the_report_preview_does(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from reportlab.pdfgen import canvas

    pdf = tmp_path / "report.pdf"
    page = canvas.Canvas(str(pdf))
    page.setFont("Helvetica", 40)
    page.drawString(72, 700, "Progress report")
    page.rect(72, 400, 300, 200, fill=1)
    page.showPage()
    page.save()
    monkeypatch.setenv(ENV_SMOKE, "0")
    monkeypatch.setenv(smoke.ENV_PDF, str(pdf))
    window = _shown_main_window(qtbot)  # noqa: F841  (kept alive while it runs)
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 0
    assert "smoke: PDF preview rendered page 1 of 1" in capsys.readouterr().out


def test_smoke_switch_fails_on_a_file_that_is_no_pdf(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    broken = tmp_path / "report.pdf"
    broken.write_bytes(b"not a PDF at all")
    monkeypatch.setenv(ENV_SMOKE, "0")
    monkeypatch.setenv(smoke.ENV_PDF, str(broken))
    window = _shown_main_window(qtbot)  # noqa: F841  (kept alive while it runs)
    app = FakeApp()
    arm_smoke_exit(app)
    qtbot.waitUntil(lambda: app.code is not None)
    assert app.code == 1
    assert "QtPdf could not open" in capsys.readouterr().err
