"""Preview, print and save a patient's progress report.

The PDF is made on a pool thread (``background.run_task``) behind a progress
dialog; the window stays responsive and the user can cancel. The preview
shows the very bytes that are printed or saved.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.store.database import Database
from needlelog.ui.background import Task, TaskCancelled, TaskControl, run_task
from needlelog.ui.failures import show_failure, told_in_words

if TYPE_CHECKING:
    from needlelog.domain.records import Patient
    from needlelog.ui.clinic_settings import ClinicSettings
    from needlelog.ui.features import FeatureHost


# ReportLab is imported on first use: the main window should not pay for it at start.
def build_progress_report(*args: Any, **kwargs: Any) -> int:
    from needlelog.reports.progress import build_progress_report as build

    return build(*args, **kwargs)


def write_progress_report(*args: Any, **kwargs: Any) -> None:
    from needlelog.reports.progress import write_progress_report as write

    write(*args, **kwargs)


def write_atomically(*args: Any, **kwargs: Any) -> None:
    from needlelog.reports.document import write_atomically as write

    write(*args, **kwargs)


PDF_FILTER = "PDF documents (*.pdf)"
PRINT_DPI_CAP = 300  # enough for text on paper; keeps one page's image small


def _suggested_name(patient: Patient, what: str) -> str:
    record_no = patient.record_no
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in record_no)
    return f"{what}-{safe}.pdf"


def _ask_pdf_path(parent: QWidget | None, title: str, suggestion: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(parent, title, suggestion, PDF_FILTER)
    if not path:
        return None
    out = Path(path)
    return out if out.suffix.lower() == ".pdf" else out.with_name(out.name + ".pdf")


def _status(parent: QWidget | None, text: str) -> None:
    """Tell the main window's status bar, from wherever the action started."""
    widget = parent
    while widget is not None:
        show = getattr(widget, "show_status", None)
        if callable(show):
            show(text)
            return
        widget = widget.parentWidget()


def _in_background(
    parent: QWidget | None,
    label: str,
    work: Callable[[TaskControl], Any],
    on_ready: Callable[[Any], None],
) -> Task:
    """Run ``work`` off the GUI thread behind a cancellable progress dialog."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle("Preparing the report")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)  # quick reports finish before it would flash up
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)

    def progress(done: int, total: int, message: str) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
        if message:
            dialog.setLabelText(message)

    def finished(result: Any) -> None:
        dialog.close()
        dialog.deleteLater()
        on_ready(result)

    def failed(exc: BaseException, trace: str) -> None:
        dialog.close()
        dialog.deleteLater()
        if isinstance(exc, TaskCancelled):
            _status(parent, "Report cancelled; nothing was written.")
            return
        _not_made(parent, exc, trace)

    task = run_task(work, finished, failed, parent)
    task.progress.connect(progress)
    dialog.canceled.connect(task.cancel)
    return task


def _not_made(parent: QWidget | None, exc: BaseException, trace: str) -> None:
    if not told_in_words(exc):  # a font that cannot be read, a bug: to the log
        show_failure(parent, exc, trace, "The report")
        return
    QMessageBox.warning(parent, "The report could not be made", str(exc) or repr(exc))


def _report_bytes(db: Database, patient_id: int) -> Callable[[TaskControl], bytes]:
    def work(control: TaskControl) -> bytes:
        buffer = io.BytesIO()
        build_progress_report(
            db, patient_id, buffer, progress=control.progress, check=control.check
        )
        return buffer.getvalue()

    return work


def load_pdf(data: bytes, owner: QWidget | None = None) -> QPdfDocument:
    """A QPdfDocument over bytes in memory (no temporary file of patient data)."""
    document = QPdfDocument(owner)
    buffer = QBuffer(document)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    return document


def print_document(parent: QWidget | None, document: QPdfDocument) -> bool:
    """Ask for a printer and print the pages of ``document``; False if cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    # The PDF carries its own margins: paint on the whole sheet, not inside
    # the printer's margins again.
    printer.setFullPage(True)
    printer.setDocName(document.metaData(QPdfDocument.MetaDataField.Title) or "needlelog report")
    count = document.pageCount()
    dialog = QPrintDialog(printer, parent)
    dialog.setMinMax(1, max(count, 1))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    first, last = printer.fromPage(), printer.toPage()
    pages = range(first - 1, last) if first and last else range(count)
    dpi = min(printer.resolution(), PRINT_DPI_CAP)
    painter = QPainter()
    if not painter.begin(printer):
        QMessageBox.warning(parent, "Printing failed", "The printer could not be started.")
        return False
    try:
        for n, index in enumerate(pages):
            if n:
                printer.newPage()
            size = document.pagePointSize(index)
            pixels = QSize(round(size.width() / 72 * dpi), round(size.height() / 72 * dpi))
            image: QImage = document.render(index, pixels)
            area = QRectF(painter.viewport())
            scale = min(area.width() / image.width(), area.height() / image.height())
            target = QRectF(QPointF(0, 0), image.size().toSizeF() * scale)
            target.moveCenter(area.center())
            painter.drawImage(target, image)
    finally:
        painter.end()
    return True


def save_bytes(parent: QWidget | None, data: bytes, suggestion: str) -> Path | None:
    out = _ask_pdf_path(parent, "Save report as PDF", suggestion)
    if out is None:
        return None
    try:
        write_atomically(out, lambda handle: handle.write(data))
    except OSError as exc:
        QMessageBox.warning(parent, "The report could not be saved", f"{out}: {exc.strerror}")
        return None
    _status(parent, f"Saved {out.name}")
    return out


class ReportPreview(QDialog):
    """The report as it will print, page after page, with Print and Save buttons."""

    def __init__(self, data: bytes, suggestion: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report preview")
        self.resize(820, 980)
        self.data = data
        self._suggestion = suggestion
        self.document = load_pdf(data, self)
        self.view = QPdfView(self)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.print_button = QPushButton("Print…", self)
        self.save_button = QPushButton("Save as PDF…", self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.print_button.clicked.connect(lambda: print_document(self, self.document))
        self.save_button.clicked.connect(lambda: save_bytes(self, self.data, self._suggestion))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)


# The records (by display name) whose unset clinic name was already asked about in
# this run of the app: the question comes once, not before every report.
_ASKED_CLINIC_NAME: set[str] = set()
OPEN_SETTINGS = "Open Clinic settings…"
CONTINUE_UNNAMED = "Continue without"


def _clinic_named(parent: QWidget | None, db: Database, current: ClinicSettings) -> bool:
    """If the clinic's name (read off the GUI thread) is still unset, ask once: open
    Clinic settings, continue without, or cancel. True to go on."""
    from needlelog.services.settings import ClinicInfo

    name = current.clinic.name.strip()
    if name and name != ClinicInfo().name:
        return True
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("The clinic has no name yet")
    box.setText(
        f"The clinic's name is not set, so the report would be headed “{ClinicInfo().name}”."
    )
    box.setInformativeText("Set the name, address and phone in Clinic settings first?")
    settings_button = box.addButton(OPEN_SETTINGS, QMessageBox.ButtonRole.AcceptRole)
    go_on = box.addButton(CONTINUE_UNNAMED, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(settings_button)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is go_on:
        _ASKED_CLINIC_NAME.add(db.display_name)
        return True
    if clicked is settings_button:
        from needlelog.ui.clinic_settings import ClinicSettingsDialog

        _ASKED_CLINIC_NAME.add(db.display_name)
        dialog = ClinicSettingsDialog(db, current, parent)
        return dialog.exec() == QDialog.DialogCode.Accepted
    return False


def when_clinic_named(
    parent: QWidget | None, db: Database, then: Callable[[], object]
) -> Task | None:
    """Before a report or handout: read the clinic's name off the GUI thread and, if it
    is still unset, ask once (``_clinic_named``); ``then()`` runs when the user goes on.
    Returns the read's task, or None when the question was already answered."""
    if db.display_name in _ASKED_CLINIC_NAME:
        then()
        return None
    from needlelog.ui.clinic_settings import read_clinic_settings

    def answered(current: ClinicSettings) -> None:
        if _clinic_named(parent, db, current):
            then()

    return run_task(
        lambda _control: read_clinic_settings(db),
        answered,
        lambda exc, trace: _not_made(parent, exc, trace),
        parent,
    )


def preview_report(parent: QWidget | None, db: Database, patient: Patient) -> Task | None:
    """Make the report in the background, then show it in a preview window."""
    suggestion = _suggested_name(patient, "progress-report")

    def show(data: bytes) -> None:
        dialog = ReportPreview(data, suggestion, parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    return when_clinic_named(
        parent,
        db,
        lambda: _in_background(
            parent, "Preparing the report…", _report_bytes(db, patient.id), show
        ),
    )


def print_report(parent: QWidget | None, db: Database, patient: Patient) -> Task | None:
    """Make the report in the background, then print it through the print dialog."""

    def send(data: bytes) -> None:
        document = load_pdf(data, parent)
        try:
            if print_document(parent, document):
                _status(parent, f"Sent {document.pageCount()} page(s) to the printer.")
        finally:
            document.deleteLater()

    return when_clinic_named(
        parent,
        db,
        lambda: _in_background(
            parent, "Preparing the report…", _report_bytes(db, patient.id), send
        ),
    )


def save_report_as(parent: QWidget | None, db: Database, patient: Patient) -> Task | None:
    """Ask where, then write the report there in the background (all of it, or nothing)."""

    def ask_and_write() -> None:
        out = _ask_pdf_path(
            parent, "Save report as PDF", _suggested_name(patient, "progress-report")
        )
        if out is None:
            return

        def work(control: TaskControl) -> Path:
            write_progress_report(
                db, patient.id, out, progress=control.progress, check=control.check
            )
            return out

        _in_background(
            parent, "Writing the report…", work, lambda path: _status(parent, f"Saved {path.name}")
        )

    return when_clinic_named(parent, db, ask_and_write)


@dataclass(frozen=True)
class ReportActions:
    reports: list[QAction]  # preview, print, save: in the Patient menu and the toolbar
    handout: QAction  # the aftercare handout, in the Patient menu
    clinic_settings: QAction  # in the File menu


@dataclass(frozen=True)
class _Handout:
    data: bytes
    suggestion: str


def _handout_work(
    db: Database, which: Callable[[], int | None]
) -> Callable[[TaskControl], _Handout | None]:
    """The handout of the session ``which()`` names (None: no session to hand out)."""

    def work(control: TaskControl) -> _Handout | None:
        from needlelog.reports.handout import build_session_handout
        from needlelog.services import patients, sessions

        session_id = which()
        if session_id is None:
            return None
        control.check()
        visit = sessions.get(db, session_id)
        patient = patients.get(db, visit.patient_id)
        buffer = io.BytesIO()
        build_session_handout(db, session_id, buffer)
        what = f"aftercare-{visit.data.performed_at:%Y-%m-%d}"
        return _Handout(buffer.getvalue(), _suggested_name(patient, what))

    return work


def _preview_handout(
    parent: QWidget | None, db: Database, which: Callable[[], int | None]
) -> Task | None:
    def show(handout: _Handout | None) -> None:
        if handout is None:
            _status(parent, "This patient has no session yet: nothing to hand out.")
            return
        dialog = ReportPreview(handout.data, handout.suggestion, parent)
        dialog.setWindowTitle("Aftercare handout")
        dialog.setObjectName("handoutPreview")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    return when_clinic_named(
        parent,
        db,
        lambda: _in_background(parent, "Preparing the handout…", _handout_work(db, which), show),
    )


def preview_session_handout(parent: QWidget | None, db: Database, session_id: int) -> Task | None:
    """Make the aftercare handout of a session in the background, then show it ready to
    print or save (after the one question about an unnamed clinic: it is headed alike)."""
    return _preview_handout(parent, db, lambda: session_id)


def preview_latest_handout(parent: QWidget | None, db: Database, patient_id: int) -> Task | None:
    """The handout of the patient's latest session (found off the GUI thread)."""

    def latest() -> int | None:
        from needlelog.services import sessions

        visit = sessions.latest(db, patient_id)
        return None if visit is None else visit.id

    return _preview_handout(parent, db, latest)


def install(host: FeatureHost) -> ReportActions:
    """Add the report actions to the Patient menu and toolbar, and Clinic settings to File."""
    from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings

    window = host.window()

    def for_patient(action: Callable[[QWidget, Database, Patient], object]) -> Callable[[], None]:
        def run() -> None:
            patient = host.current_patient()
            if patient is None:
                host.show_status("Select a patient first to make their report.")
            else:
                action(window, host.db, patient)

        return run

    specs = (
        ("Preview report…", None, preview_report, "Show the patient's progress report"),
        ("Print report…", QKeySequence.StandardKey.Print, print_report, "Print the report"),
        ("Save report as PDF…", None, save_report_as, "Save the report as a PDF file"),
    )
    reports = []
    for text, shortcut, handler, tip in specs:
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(for_patient(handler))
        host.patient_menu.addAction(action)
        host.toolbar.addAction(action)
        reports.append(action)

    handout_action = QAction("Aftercare &handout…", window)
    handout_action.setStatusTip(
        "The aftercare handout of the session chosen in the history (else the latest)"
    )

    def handout() -> None:
        patient = host.current_patient()
        if patient is None:
            host.show_status("Select a patient first to make their report.")
            return
        chosen = host.chosen_session()  # the history's chosen session, if any
        if chosen is not None:
            preview_session_handout(window, host.db, chosen.id)
        else:
            preview_latest_handout(window, host.db, patient.id)

    handout_action.triggered.connect(handout)
    host.patient_menu.addAction(handout_action)

    settings_action = QAction("Clinic settings…", window)
    settings_action.setStatusTip("Letterhead, confidentiality line and aftercare advice")

    def show_settings(current: ClinicSettings) -> None:
        dialog = ClinicSettingsDialog(host.db, current, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: host.show_status("Clinic settings saved."))
        dialog.open()

    def not_read(exc: BaseException, trace: str) -> None:
        if not told_in_words(exc):
            show_failure(window, exc, trace, "Opening Clinic settings")
            return
        QMessageBox.warning(window, "Clinic settings", str(exc))

    def open_settings() -> None:
        db = host.db
        run_task(lambda _c: read_clinic_settings(db), show_settings, not_read, parent=window)

    settings_action.triggered.connect(open_settings)
    host.file_menu.addAction(settings_action)
    return ReportActions(reports, handout_action, settings_action)
