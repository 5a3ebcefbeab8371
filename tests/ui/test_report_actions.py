from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from needlelog import failures
from needlelog.domain.records import Patient
from needlelog.services import settings
from needlelog.services.settings import ClinicInfo
from needlelog.store.database import Database
from needlelog.ui import background, report_actions
from needlelog.ui.report_actions import ReportPreview
from tests.reports.helpers import page_texts, patient_with_sessions
from tests.ui.fake_window import FakeWindow


@pytest.fixture
def patient(db: Database) -> Patient:
    # A named clinic: the question about an unset name has its own tests.
    settings.set_clinic(db, ClinicInfo(name="Harbour Skin Clinic"), "test")
    return patient_with_sessions(db, 12, "P-0007")


@pytest.fixture
def window(qtbot: QtBot, db: Database, patient: Patient) -> Iterator[FakeWindow]:
    win = FakeWindow(db, patient)
    qtbot.addWidget(win)
    report_actions.install(win)
    yield win
    background.wait_for_all()


def action(win: FakeWindow, text: str) -> Any:
    found = [a for a in win.patient_menu.actions() + win.file_menu.actions() if a.text() == text]
    assert len(found) == 1, text
    return found[0]


def test_install_adds_the_report_actions_to_menu_and_toolbar(window: FakeWindow) -> None:
    names = [a.text() for a in window.patient_menu.actions()]
    assert names == [
        "Preview report…",
        "Print report…",
        "Save report as PDF…",
        "Aftercare &handout…",
    ]
    # The handout is a menu item; the toolbar keeps the report's three buttons.
    assert [a.text() for a in window.toolbar.actions()] == names[:3]
    assert action(window, "Print report…").shortcut() == QKeySequence(
        QKeySequence.StandardKey.Print
    )
    assert action(window, "Print report…").shortcut().toString() == "Ctrl+P"
    assert [a.text() for a in window.file_menu.actions()] == ["Clinic settings…"]


def test_without_a_patient_the_actions_only_say_what_to_do(
    window: FakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    window.patient = None
    asked: list[object] = []
    monkeypatch.setattr(
        report_actions.QFileDialog, "getSaveFileName", lambda *a: asked.append(a) or ("", "")
    )
    for text in ("Preview report…", "Print report…", "Save report as PDF…"):
        action(window, text).trigger()
    assert window.statuses == ["Select a patient first to make their report."] * 3
    assert asked == []
    assert window.findChild(ReportPreview) is None


def test_save_report_writes_a_valid_pdf_off_the_gui_thread(
    qtbot: QtBot, window: FakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "for the referral"  # no suffix: .pdf is added
    monkeypatch.setattr(report_actions.QFileDialog, "getSaveFileName", lambda *a: (str(target), ""))
    action(window, "Save report as PDF…").trigger()
    qtbot.waitUntil(lambda: "Saved for the referral.pdf" in window.statuses, timeout=20_000)
    texts = page_texts(tmp_path / "for the referral.pdf")
    assert "Zoë Lefèvre" in texts[0] and "P-0007" in texts[0]
    assert f"Page {len(texts)} of {len(texts)}" in texts[-1]


def test_cancelled_save_dialog_writes_nothing(
    window: FakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_actions.QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    action(window, "Save report as PDF…").trigger()
    background.wait_for_all()
    assert not list(tmp_path.glob("*.pdf"))


# The offscreen platform plugin warns that it cannot pass on a window's size
# hints when a top-level dialog is shown; that says nothing about our code.
@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_preview_shows_every_page_and_saves_the_same_pdf(
    qtbot: QtBot, window: FakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    action(window, "Preview report…").trigger()
    qtbot.waitUntil(lambda: window.findChild(ReportPreview) is not None, timeout=20_000)
    preview = window.findChild(ReportPreview)
    assert preview.isVisible()
    assert preview.document.pageCount() > 1
    assert preview.document.pageCount() == len(page_texts(preview.data))
    assert preview.print_button.text() == "Print…"

    saved = tmp_path / "copy.pdf"
    monkeypatch.setattr(report_actions.QFileDialog, "getSaveFileName", lambda *a: (str(saved), ""))
    preview.save_button.click()
    assert saved.read_bytes() == preview.data
    assert window.statuses[-1] == "Saved copy.pdf"
    preview.close()


class _PrintToFile:
    """Stands in for QPrintDialog: accepts, and points the printer at a PDF file."""

    target: Path

    def __init__(self, printer: QPrinter, _parent: object = None) -> None:
        self.printer = printer

    def setMinMax(self, low: int, high: int) -> None:
        self.range = (low, high)

    def exec(self) -> int:
        self.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        self.printer.setOutputFileName(str(self.target))
        return QDialog.DialogCode.Accepted


def test_print_sends_every_page_to_the_printer(
    qtbot: QtBot, window: FakeWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _PrintToFile.target = tmp_path / "printed.pdf"
    monkeypatch.setattr(report_actions, "QPrintDialog", _PrintToFile)
    action(window, "Print report…").trigger()
    qtbot.waitUntil(lambda: any("printer" in s for s in window.statuses), timeout=20_000)
    from pypdf import PdfReader

    printed = PdfReader(_PrintToFile.target)
    assert window.statuses[-1] == f"Sent {len(printed.pages)} page(s) to the printer."
    assert len(printed.pages) > 1


def test_a_report_that_cannot_be_written_is_told_in_words(
    qtbot: QtBot, window: FakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> int:
        raise OSError(28, "No space left on device")

    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(report_actions, "build_progress_report", broken)
    monkeypatch.setattr(
        report_actions.QMessageBox,
        "warning",
        lambda _p, title, text: warnings.append((title, text)),
    )
    action(window, "Preview report…").trigger()
    qtbot.waitUntil(lambda: bool(warnings), timeout=20_000)
    assert warnings == [("The report could not be made", "[Errno 28] No space left on device")]
    assert window.findChild(ReportPreview) is None


def test_an_unexpected_report_failure_names_the_log_with_the_trace(
    qtbot: QtBot,
    window: FakeWindow,
    monkeypatch: pytest.MonkeyPatch,
    message_boxes: list[tuple[str, str]],
) -> None:
    def broken(*_a: object, **_k: object) -> int:
        raise RuntimeError("the printer spooler is full")

    monkeypatch.setattr(report_actions, "build_progress_report", broken)
    action(window, "Preview report…").trigger()
    qtbot.waitUntil(lambda: bool(message_boxes), timeout=20_000)
    log = failures.log_path()
    assert message_boxes == [
        (
            "critical",
            "The report did not work: an unexpected error stopped it "
            f"(RuntimeError: the printer spooler is full).\n\nThe details are in {log}.",
        )
    ]
    assert 'raise RuntimeError("the printer spooler is full")' in log.read_text("utf-8")
    assert window.findChild(ReportPreview) is None


def test_clinic_settings_open_with_what_is_stored_and_saving_says_so(
    qtbot: QtBot, window: FakeWindow, db: Database
) -> None:
    from needlelog.services import settings
    from needlelog.ui.clinic_settings import ClinicSettingsDialog

    action(window, "Clinic settings…").trigger()  # read off the GUI thread, then opened
    qtbot.waitUntil(lambda: window.findChild(ClinicSettingsDialog) is not None)
    dialog = window.findChild(ClinicSettingsDialog)
    assert dialog.isVisible()
    assert dialog.name.text() == settings.get_clinic(db).name
    dialog.name.setText("Riverside Skin Clinic")
    dialog.accept()
    qtbot.waitUntil(lambda: window.statuses == ["Clinic settings saved."])
    assert settings.get_clinic(db).name == "Riverside Skin Clinic"


def test_the_main_window_and_its_stand_in_are_feature_hosts(
    window: FakeWindow, db: Database, make_window: Any
) -> None:
    from needlelog.ui.features import FeatureHost

    real = make_window(db)
    assert isinstance(real, FeatureHost)
    assert isinstance(window, FeatureHost)
    assert real.features is not None
    assert [a.text() for a in real.features.reports.reports] == [
        "Preview report…",
        "Print report…",
        "Save report as PDF…",
    ]
