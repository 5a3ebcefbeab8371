"""File menu entries for exports, CSV import, backup and restore.

Every long job runs through ``background.run_task`` with a progress dialog whose
Cancel stops the work between batches: an export or backup then removes
its partial file, an import rolls its one transaction back. An import is
first run as a dry run and its report (what would be added, every problem)
is shown before anything is written.

Backups are encrypted (age): Back up now… encrypts to the clinic's backup key
when one is set, or with a passphrase typed twice; Restore from backup… asks
for the passphrase or the identity file (secret key) when the file is
encrypted. The daily backup is encrypted to the clinic's key; until one is
set it stays a plain zip in the private backups folder, and the window says so.
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
    QInputDialog,
    QLabel,
    QLineEdit,
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
from needlelog.exchange import encryption as age
from needlelog.exchange.csv_export import export_csv
from needlelog.exchange.csv_import import (
    ImportProblem,
    ImportRefused,
    import_csv,
    preview_import,
)
from needlelog.exchange.encryption import Decryption, Encryption, KeyProblem
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

NOT_ENCRYPTED_NOTICE = (
    "Today's automatic backup was made in this PC's private backups folder. Daily backups "
    "are not encrypted until a backup key is set in Clinic settings."
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


STRENGTH_COLOURS = {"weak": "#9B1C1C", "fair": "#8A5A00", "strong": "#1F6F3F"}


class BackupEncryptionDialog(QDialog):
    """How Back up now… encrypts: to the clinic's backup key, or with a passphrase typed twice."""

    def __init__(self, parent: QWidget | None, clinic_keys: tuple[str, ...]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Back up: encryption")
        self.clinic_keys = clinic_keys
        intro = QLabel(
            "The backup is encrypted: whoever finds the file cannot read the records "
            "without the key or the passphrase."
        )
        intro.setWordWrap(True)
        self.to_key = QRadioButton(
            "To the clinic's backup key (opened with its secret key, kept off this PC)"
            if clinic_keys
            else "To the clinic's backup key (none set: see Clinic settings)"
        )
        self.to_key.setEnabled(bool(clinic_keys))
        self.with_passphrase = QRadioButton("With a passphrase")
        group = QButtonGroup(self)
        group.addButton(self.to_key)
        group.addButton(self.with_passphrase)
        (self.to_key if clinic_keys else self.with_passphrase).setChecked(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.again = QLineEdit()
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Again", self.again)
        form.addRow("", self.hint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.addButton("Back up…", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.to_key)
        layout.addWidget(self.with_passphrase)
        layout.addLayout(form)
        layout.addWidget(buttons)
        for signal in (
            self.passphrase.textChanged,
            self.again.textChanged,
            self.to_key.toggled,
        ):
            signal.connect(self._update)
        self._update()

    def _update(self) -> None:
        typing = self.with_passphrase.isChecked()
        self.passphrase.setEnabled(typing)
        self.again.setEnabled(typing)
        self.ok.setEnabled(self.encryption() is not None)
        if not typing:
            self.hint.setText("")
            return
        text = self.passphrase.text()
        problem = age.passphrase_problem(text)
        if not text:
            message, colour = "Type a passphrase, then the same again.", "#555555"
        elif problem:
            message, colour = problem[0].upper() + problem[1:] + ".", STRENGTH_COLOURS["weak"]
        else:
            level, message = age.strength(text)
            colour = STRENGTH_COLOURS[level]
            if self.again.text() and self.again.text() != text:
                message, colour = "The two passphrases differ.", STRENGTH_COLOURS["weak"]
        self.hint.setText(message)
        self.hint.setStyleSheet(f"color: {colour}")

    def encryption(self) -> Encryption | None:
        """The chosen encryption, or None while the choice is not complete."""
        if self.to_key.isChecked():
            return Encryption(recipients=self.clinic_keys) if self.clinic_keys else None
        text = self.passphrase.text()
        if age.passphrase_problem(text) or self.again.text() != text:
            return None
        return Encryption(passphrase=text)


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
        # The clinic's key is a setting in the database: read off the GUI thread.
        run_task(
            lambda _control: tuple(age.clinic_recipients(db)),
            self._back_up_with,
            lambda exc, trace: show_failure(self._window, exc, trace, "Back up"),
            parent=self,
        )

    def _back_up_with(self, clinic_keys: tuple[str, ...]) -> None:
        db = self.host.db
        chooser = BackupEncryptionDialog(self._window, clinic_keys)
        if chooser.exec() != QDialog.DialogCode.Accepted:
            return
        encryption = chooser.encryption()
        if encryption is None:
            return
        folder = config.paths().backups
        folder.mkdir(parents=True, exist_ok=True)
        suggested = folder / f"needlelog-{date.today().isoformat()}{backups.ENCRYPTED_SUFFIX}"
        name, _ = QFileDialog.getSaveFileName(
            self._window,
            "Back up to file",
            str(suggested),
            "Encrypted needlelog backup (*.age)",
        )
        if not name:
            return
        out = Path(name)

        def work(control: TaskControl) -> Any:
            return backups.make_backup(db, out, _progress_hook(control), encryption=encryption)

        def done(info: Any) -> None:
            self.host.show_status(
                f"Backed up {info.patients} patients and {info.sessions} sessions to "
                f"{info.path} ({info.encrypted})"
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
            "needlelog backup (*.zip *.age);;All files (*)",
        )
        if not name:
            return
        file = Path(name)
        if not backups.is_encrypted(file):
            try:
                manifest = backups.read_manifest(file)
            except backups.BackupRefused as exc:
                QMessageBox.warning(self._window, "Restore", str(exc))
                return
            self._confirm_restore(file, manifest, None)
            return
        decryption = self._ask_decryption(file)
        if decryption is None:
            return
        work_dir = db.sqlite_path.parent

        def opened(manifest: Any) -> None:
            self._confirm_restore(file, manifest, decryption)

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, backups.BackupRefused):
                QMessageBox.warning(self._window, "Restore", str(exc))
                return True
            return False

        self._run(
            "Opening the encrypted backup…",
            lambda control: backups.open_manifest(file, decryption, work_dir),
            opened,
            refused,
        )

    def _ask_decryption(self, file: Path) -> Decryption | None:
        """The passphrase, or the identity file, that opens an encrypted backup."""
        try:
            passphrase = age.needs_passphrase(file)
        except OSError as exc:
            QMessageBox.warning(self._window, "Restore", f"{file.name} cannot be read: {exc}")
            return None
        if passphrase:
            text, ok = QInputDialog.getText(
                self._window,
                "Restore from backup",
                f"{file.name} is encrypted. Its passphrase:",
                QLineEdit.EchoMode.Password,
            )
            if not ok or not text:
                return None
            return Decryption(passphrase=text)
        QMessageBox.information(
            self._window,
            "Restore from backup",
            f"{file.name} is encrypted to the clinic's backup key. Choose the identity file "
            "that holds its secret key (AGE-SECRET-KEY-1…), for example on a USB stick.",
        )
        name, _ = QFileDialog.getOpenFileName(
            self._window, "Identity file (secret key)", str(Path.home()), "All files (*)"
        )
        if not name:
            return None
        try:
            return age.read_identities(Path(name))
        except KeyProblem as exc:
            QMessageBox.warning(self._window, "Restore", f"{str(exc)[0].upper()}{str(exc)[1:]}.")
            return None

    def _confirm_restore(self, file: Path, manifest: dict, decryption: Decryption | None) -> None:
        db = self.host.db
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
            info = backups.restore_backup(url, file, decryption)
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

        def done(made: Any) -> None:
            if made is not None and not age.is_encrypted(made):
                self.host.show_status(NOT_ENCRYPTED_NOTICE)

        def failed(exc: BaseException, _trace: str) -> None:
            if not isinstance(exc, TaskCancelled):
                self.host.show_status(f"The daily backup could not be made: {exc}")

        QTimer.singleShot(delay_ms, self, lambda: run_task(work, done, failed, parent=self))


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
