"""File menu entries for exports, CSV import, backup and restore.

Every long job runs through ``background.run_task`` with a progress dialog whose
Cancel stops the work between batches: an export or backup then removes
its partial file, an import rolls its one transaction back. An import is
first run as a dry run and its report (what would be added, every problem)
is shown before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressDialog,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.exchange import backup as backups
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import (
    ImportProblem,
    ImportRefused,
    import_csv,
    preview_import,
)
from needlelog.exchange.fhir_export import export_fhir
from needlelog.exchange.json_export import export_json
from needlelog.services import settings
from needlelog.store.migrate import upgrade
from needlelog.ui.background import Task, TaskCancelled, TaskControl, run_task
from needlelog.ui.failures import show_failure, told_in_words

if TYPE_CHECKING:
    from needlelog.ui.features import FeatureHost

FORMATS = (
    ("csv", "Spreadsheet (CSV: patients.csv and sessions.csv in a folder)"),
    ("json", "Complete archive (JSON, every field)"),
    ("fhir", "Other clinical systems (FHIR R4 bundle)"),
)

# Long enough for the window, its first page and the first searches to be done.
AUTO_BACKUP_DELAY_MS = 30_000


def install(host: FeatureHost) -> ExchangeActions:
    """Add the exchange entries to the File menu and start the daily backup."""
    controller = ExchangeActions(host)
    menu = host.file_menu
    menu.addSeparator()
    for text, slot, tip in (
        ("&Export…", controller.export, "Export all records or the open patient's"),
        ("&Import from CSV…", controller.import_csv, "Bring in patients and sessions"),
        (None, None, None),
        ("&Back up now…", controller.back_up, "Write a backup file of the records"),
        ("&Restore from backup…", controller.restore, "Replace the records with a backup"),
    ):
        if text is None:
            menu.addSeparator()
            continue
        action = QAction(text, host.window())
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        menu.addAction(action)
        controller.actions[text.replace("&", "")] = action
    controller.start_auto_backup()
    return controller


def _progress_hook(control: TaskControl) -> Callable[[int, int], None]:
    def hook(done: int, total: int) -> None:
        control.progress(done, total)
        control.check()  # raises TaskCancelled: the work undoes itself

    return hook


class ExportDialog(QDialog):
    """Choose the format and whether to export everything or the open patient."""

    def __init__(self, parent: QWidget | None, patient_label: str | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export records")
        self.format = QComboBox()
        for code, text in FORMATS:
            self.format.addItem(text, code)
        self.all_records = QRadioButton("All records")
        self.one_patient = QRadioButton(
            f"Only {patient_label}" if patient_label else "Only the open patient (none open)"
        )
        self.one_patient.setEnabled(patient_label is not None)
        self.all_records.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.all_records)
        group.addButton(self.one_patient)
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Records", self.all_records)
        form.addRow("", self.one_patient)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @property
    def chosen_format(self) -> str:
        return str(self.format.currentData())


class ImportReportDialog(QDialog):
    """What an import would add, or every problem that stops it, before anything is written."""

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        summary: str,
        lines: list[str],
        can_import: bool,
        problems: list[ImportProblem] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        heading = QLabel(summary)
        heading.setWordWrap(True)
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        layout.addWidget(heading)
        self.details = QPlainTextEdit("\n".join(lines))
        self.details.setReadOnly(True)
        self.table: QTableWidget | None = None
        if problems:
            self.resize(860, 460)
            table = QTableWidget(len(problems), 4)
            table.setHorizontalHeaderLabels(["File", "Row", "Column", "Problem"])
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.setWordWrap(True)
            for i, p in enumerate(problems):
                cells = [p.file, "" if p.row_number is None else str(p.row_number), p.column,
                         p.message]  # fmt: skip
                for j, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    item.setToolTip(text)
                    table.setItem(i, j, item)
            header = table.horizontalHeader()
            for j in range(3):
                header.setSectionResizeMode(j, QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
            table.resizeRowsToContents()
            self.table = table
            layout.addWidget(table, 1)
        elif lines:
            self.resize(640, 360)
            layout.addWidget(QLabel("Notes:"))
            layout.addWidget(self.details, 1)
        else:
            self.resize(480, 120)
        if can_import:
            hint = QLabel("Nothing has been written yet. Import adds these records in one step.")
            hint.setWordWrap(True)
            layout.addWidget(hint)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
            self.import_button = buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        else:
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ExchangeActions(QObject):
    """The behaviour behind the menu entries; dialogs are created per use."""

    def __init__(self, host: FeatureHost) -> None:
        super().__init__(host.window())
        self.host = host
        self._window = host.window()  # the parent of every dialog here
        self.actions: dict[str, QAction] = {}
        self.task: Task | None = None
        self.progress: QProgressDialog | None = None
        self.last_report: ImportReportDialog | None = None

    # --- the shared long-job frame ---------------------------------------

    def _run(
        self,
        title: str,
        work: Callable[[TaskControl], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        dialog = QProgressDialog(title, "Cancel", 0, 0, self._window)
        dialog.setWindowTitle("needlelog")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self.progress = dialog
        for action in self.actions.values():
            action.setEnabled(False)

        def finish() -> None:
            dialog.reset()
            dialog.deleteLater()
            self.progress = None
            self.task = None
            for action in self.actions.values():
                action.setEnabled(True)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException, trace: str) -> None:
            finish()
            if isinstance(exc, TaskCancelled):
                self.host.show_status(f"{title.rstrip('…')} cancelled; nothing was changed.")
                return
            if on_error is not None and on_error(exc):
                return
            if not told_in_words(exc):
                show_failure(self._window, exc, trace, title.rstrip("…"))
                return
            QMessageBox.critical(self._window, "needlelog", f"{title.rstrip('…')} failed: {exc}")

        def moved(done_: int, total: int, _message: str) -> None:
            if total > 0:
                dialog.setMaximum(total)
                dialog.setValue(min(done_, total))

        self.task = run_task(work, done, failed, parent=self)
        self.task.progress.connect(moved)
        dialog.canceled.connect(self.task.cancel)

    # --- export -----------------------------------------------------------

    def export(self) -> None:
        patient = self.host.current_patient()
        label = None if patient is None else f"{patient.full_name} ({patient.record_no})"
        chooser = ExportDialog(self._window, label)
        if chooser.exec() != QDialog.DialogCode.Accepted:
            return
        fmt = chooser.chosen_format
        record_no = patient.record_no if chooser.one_patient.isChecked() and patient else None
        stem = f"needlelog-{record_no or 'records'}-{date.today().isoformat()}"
        if fmt == "csv":
            folder = QFileDialog.getExistingDirectory(self._window, "Export CSV files into folder")
            if not folder:
                return
            out = Path(folder)
            present = [n for n in ("patients.csv", "sessions.csv") if (out / n).exists()]
            if (
                present
                and QMessageBox.question(
                    self._window,
                    "Export",
                    f"{' and '.join(present)} already exist in this folder. Replace them?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel,
                )
                != QMessageBox.StandardButton.Yes
            ):
                return
        else:
            suffix = ".json" if fmt == "json" else ".fhir.json"
            name, _ = QFileDialog.getSaveFileName(
                self._window,
                "Export to file",
                str(Path.home() / f"{stem}{suffix}"),
                "JSON (*.json)",
            )
            if not name:
                return
            out = Path(name)
        db = self.host.db
        writer = {"csv": export_csv, "json": export_json, "fhir": export_fhir}[fmt]

        def work(control: TaskControl) -> Any:
            return writer(db, out, record_no, progress=_progress_hook(control))

        def done(result: Any) -> None:
            where = out if fmt != "csv" else out / "patients.csv and sessions.csv"
            message = (
                f"Exported {result.patients} patients and {result.sessions} sessions to {where}"
            )
            self.host.show_status(message)

        self._run("Exporting records…", work, done)

    # --- import -----------------------------------------------------------

    def import_csv(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self._window,
            "Choose patients.csv (and sessions.csv)",
            str(Path.home()),
            "CSV files (*.csv)",
        )
        if not names:
            return
        patients_csv, sessions_csv = _sort_files([Path(n) for n in names])
        if patients_csv is None:
            QMessageBox.warning(
                self._window,
                "Import from CSV",
                "Choose a patients file (with a family_name column) and, if you have one, "
                "a sessions file.",
            )
            return
        db = self.host.db
        actor = f"{config.current_user()} (import)"

        def preview(control: TaskControl) -> Any:
            return preview_import(db, patients_csv, sessions_csv, actor, _progress_hook(control))

        def refused(exc: BaseException) -> bool:
            if not isinstance(exc, ImportRefused):
                return False
            n = len(exc.problems)
            report = ImportReportDialog(
                self._window,
                "Import refused",
                f"Nothing was imported: {n} problem{'s' * (n != 1)} to correct in the file first.",
                [str(p) for p in exc.problems],
                can_import=False,
                problems=list(exc.problems),
            )
            self.last_report = report
            report.exec()
            return True

        def previewed(result: Any) -> None:
            report = ImportReportDialog(
                self._window,
                "Import from CSV",
                result.summary(),
                list(result.notes),
                can_import=True,
            )
            self.last_report = report
            if report.exec() != QDialog.DialogCode.Accepted:
                self.host.show_status("Import cancelled; nothing was changed.")
                return

            def commit(control: TaskControl) -> Any:
                return import_csv(db, patients_csv, sessions_csv, actor, _progress_hook(control))

            def imported(final: Any) -> None:
                self.host.show_status(final.summary())
                self.host.reload()

            self._run("Importing…", commit, imported, refused)

        self._run("Checking the files…", preview, previewed, refused)

    # --- backup and restore ---------------------------------------------

    def back_up(self) -> None:
        db = self.host.db
        if db.sqlite_path is None:
            QMessageBox.information(
                self._window,
                "Back up",
                "These records are on a database server: back them up with the server's "
                "own tools (for PostgreSQL: pg_dump).",
            )
            return
        folder = config.paths().backups
        folder.mkdir(parents=True, exist_ok=True)
        suggested = folder / f"needlelog-{date.today().isoformat()}.zip"
        name, _ = QFileDialog.getSaveFileName(
            self._window, "Back up to file", str(suggested), "needlelog backup (*.zip)"
        )
        if not name:
            return
        out = Path(name)

        def work(control: TaskControl) -> Any:
            return backups.make_backup(db, out, _progress_hook(control))

        def done(info: Any) -> None:
            self.host.show_status(
                f"Backed up {info.patients} patients and {info.sessions} sessions to {info.path}"
            )

        self._run("Backing up…", work, done)

    def restore(self) -> None:
        db = self.host.db
        if db.sqlite_path is None:
            QMessageBox.information(
                self._window,
                "Restore",
                "These records are on a database server: restore them with the server's own tools.",
            )
            return
        name, _ = QFileDialog.getOpenFileName(
            self._window,
            "Restore from backup",
            str(config.paths().backups),
            "needlelog backup (*.zip)",
        )
        if not name:
            return
        file = Path(name)
        try:
            manifest = backups.read_manifest(file)
        except backups.BackupRefused as exc:
            QMessageBox.warning(self._window, "Restore", str(exc))
            return
        counts = manifest.get("counts") or {}
        answer = QMessageBox.question(
            self._window,
            "Restore from backup",
            f"Replace the current records with the backup made {manifest.get('created_at')} "
            f"({counts.get('patients', '?')} patients, {counts.get('sessions', '?')} "
            "sessions)?\n\nThe current database is kept beside it, renamed with today's "
            "time. Close needlelog on every other computer first.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        url = db.url
        db.dispose()  # no pooled connection may keep the old file open

        def work(control: TaskControl) -> Any:
            control.check()
            info = backups.restore_backup(url, file)
            db.adopt_file()  # the new file is this window's own: it may save into it
            # A backup from an older version is brought up to this schema at once.
            upgrade(db, backup_dir=config.paths().backups)
            return info

        def done(info: Any) -> None:
            self.host.reload()
            kept = (
                f" The replaced database is kept as {info.replaced_kept_as.name}."
                if (info.replaced_kept_as)
                else ""
            )
            self.host.show_status(
                f"Restored {info.patients} patients and {info.sessions} sessions.{kept}"
            )

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, backups.BackupRefused):
                QMessageBox.warning(self._window, "Restore", str(exc))
                return True
            return False

        self._run("Restoring…", work, done, refused)

    def start_auto_backup(self, delay_ms: int = AUTO_BACKUP_DELAY_MS) -> None:
        """The daily automatic backup, in the background, silent unless it fails.

        It starts a little after the window, so opening the records and the
        first searches never compete with copying the whole file; quitting
        stops it between steps and leaves no partial file.
        """
        db = self.host.db
        if db.sqlite_path is None:
            return

        def work(control: TaskControl) -> Any:
            keep = int(settings.get_value(db, "backup_keep", 10))
            return backups.auto_backup(db, keep, check=control.check)

        def failed(exc: BaseException, _trace: str) -> None:
            if not isinstance(exc, TaskCancelled):
                self.host.show_status(f"The daily backup could not be made: {exc}")

        QTimer.singleShot(delay_ms, self, lambda: run_task(work, None, failed, parent=self))


def _sort_files(paths: list[Path]) -> tuple[Path | None, Path | None]:
    """Which chosen file holds patients and which sessions, by their header."""
    patients_csv = sessions_csv = None
    for path in paths[:2]:
        try:
            with open(path, encoding="utf-8-sig") as handle:
                header = handle.readline().lower()
        except (OSError, UnicodeDecodeError):
            header = ""
        if "performed_on" in header:
            sessions_csv = path
        elif patients_csv is None:
            patients_csv = path
    return patients_csv, sessions_csv
