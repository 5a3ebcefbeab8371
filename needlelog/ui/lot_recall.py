"""Products ▸ Find by lot…: which patients received a product or cartridge lot (a recall)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from needlelog.ui import formatting as fmt
from needlelog.ui.background import Task, run_task
from needlelog.ui.failures import show_failure, told_in_words
from needlelog.ui.table_model import HeaderedTableModel

if TYPE_CHECKING:
    from needlelog.services.sessions import LotUse
    from needlelog.store.database import Database
    from needlelog.ui.features import FeatureHost

_Index = QModelIndex | QPersistentModelIndex
CSV_FILTER = "CSV files (*.csv)"


class LotUseModel(HeaderedTableModel):
    HEADERS = ("Date", "Record no", "Name", "Phone", "Email", "Product", "Areas")

    def __init__(self) -> None:
        super().__init__()
        self.uses: list[LotUse] = []

    def set_uses(self, uses: list[LotUse]) -> None:
        self.beginResetModel()
        self.uses = list(uses)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.uses)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        u = self.uses[index.row()]
        name = f"{u.family_name}, {u.given_name}" if u.given_name else u.family_name
        values = (
            fmt.day(u.performed_at),
            u.record_no,
            f"{name} (archived)" if u.archived else name,
            u.phone,
            u.email,
            u.product,
            ", ".join(u.areas),
        )
        return values[index.column()]


class LotRecallDialog(QDialog):
    """Type a lot, see who received it and how to reach them, export the list as CSV."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("lotRecall")
        self.setWindowTitle("Find by lot")
        self._task: Task | None = None
        self._searched = ""
        self.lot_edit = QLineEdit()
        self.lot_edit.setObjectName("lotEdit")
        self.lot_edit.setPlaceholderText("Lot number of a product or a cartridge, e.g. HA2949")
        self.lot_edit.setAccessibleName("Lot number")
        self.lot_edit.returnPressed.connect(self.find)
        self.find_button = QPushButton("&Find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.find)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Lot:"))
        row.itemAt(0).widget().setBuddy(self.lot_edit)  # type: ignore[attr-defined]
        row.addWidget(self.lot_edit, 1)
        row.addWidget(self.find_button)

        self.message = QLabel("Which patients received a lot? Type it and press Enter.")
        self.message.setObjectName("lotMessage")
        self.message.setWordWrap(True)
        self.model = LotUseModel()
        self.table = QTableView()
        self.table.setObjectName("lotUses")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)

        self.export_button = QPushButton("&Export CSV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        line = self.fontMetrics().lineSpacing()
        self.resize(line * 76, line * 26)

    @property
    def pending(self) -> bool:
        return self._task is not None and not self._task.done

    def find(self) -> None:
        lot = self.lot_edit.text().strip()
        if not lot:
            self.message.setText("Type the lot number to look for.")
            return
        db = self.db
        self.find_button.setEnabled(False)
        self.message.setText(f"Looking for lot {lot}…")

        def work(_control: object) -> list[LotUse]:
            from needlelog.services import sessions

            return sessions.lot_uses(db, lot)

        def done(uses: object) -> None:
            if not shiboken6.isValid(self):
                return
            self.find_button.setEnabled(True)
            self._show(lot, uses)  # type: ignore[arg-type]

        def failed(exc: BaseException, trace: str) -> None:
            if not shiboken6.isValid(self):
                return
            self.find_button.setEnabled(True)
            if not told_in_words(exc):
                self.message.setText("The search could not be run.")
                show_failure(self, exc, trace, "Finding by lot")
                return
            self.message.setText(f"The search could not be run: {exc}")

        self._task = run_task(work, done, failed, self)

    def _show(self, lot: str, uses: list[LotUse]) -> None:
        self._searched = lot
        self.model.set_uses(uses)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(
            len(LotUseModel.HEADERS) - 1, QHeaderView.ResizeMode.Stretch
        )
        self.table.resizeRowsToContents()
        self.export_button.setEnabled(bool(uses))
        if not uses:
            self.message.setText(f"No session used lot {lot}: nobody to recall.")
            return
        people = len({u.patient_id for u in uses})
        self.message.setText(
            f"Lot {lot} was used in {len(uses)} session(s) of {people} patient(s)."
        )

    def export(self) -> Path | None:
        if not self.model.uses:
            return None
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in self._searched)
        path, _filter = QFileDialog.getSaveFileName(
            self, "Export recall list", f"recall-{safe}.csv", CSV_FILTER
        )
        if not path:
            return None
        out = Path(path)
        if out.suffix.lower() != ".csv":
            out = out.with_name(out.name + ".csv")
        from needlelog.exchange.lot_recall import write_csv

        try:
            count = write_csv(self.model.uses, out)
        except OSError as exc:
            QMessageBox.warning(self, "The list could not be saved", str(exc))
            return None
        self.message.setText(f"Saved {count} row(s) to {out.name}.")
        return out


@dataclass(frozen=True)
class LotRecallActions:
    menu: QMenu  # Products, before Help
    find_by_lot: QAction


def install(host: FeatureHost) -> LotRecallActions:
    """Add the Products menu with Find by lot… before Help."""
    window = host.window()
    menu = host.menuBar().addMenu("P&roducts")
    host.menuBar().insertMenu(host.help_menu.menuAction(), menu)
    action = QAction("Find by &lot…", window)
    action.setStatusTip("Which patients received a product or cartridge lot (for a recall)")

    def open_dialog() -> None:
        dialog = LotRecallDialog(host.db, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    action.triggered.connect(open_dialog)
    menu.addAction(action)
    return LotRecallActions(menu, action)
