"""Qt item models for the patient list and the due list.

The patient list never holds the whole clinic: it asks the service for one
keyset page at a time (name order, index-backed) as the view scrolls, so a
list of 100,000 patients opens as fast as a list of 100. The list can exist
before the database is open (the window paints first): it stays empty until
``attach(db)``, and the services are imported only when first queried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from needlelog.domain import course
from needlelog.domain.course import CourseState
from needlelog.domain.protocol import Protocol
from needlelog.services import clock
from needlelog.ui import formatting as fmt
from needlelog.ui.background import LatestOnly
from needlelog.ui.table_model import HeaderedTableModel

if TYPE_CHECKING:
    from needlelog.domain.records import Patient
    from needlelog.services.schedule import DueEntry
    from needlelog.store.database import Database

PAGE_SIZE = 200
PatientRole = Qt.ItemDataRole.UserRole + 1

OVERDUE_COLOUR = QColor("#b3261e")
DUE_COLOUR = QColor("#8a5300")
ARCHIVED_COLOUR = QColor("#6b6b6b")
ARCHIVED_BRUSH = QBrush(ARCHIVED_COLOUR)

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class FirstPage:
    """The first page of a search, ready to show."""

    text: str
    include_archived: bool
    rows: list[Patient]
    protocol: Protocol


class PatientListModel(HeaderedTableModel):
    """Patients matching the search text, fetched page by page as the view scrolls."""

    page_failed = Signal(object)  # a next page could not be read: the error

    HEADERS = (
        "Record no",
        "Name",
        "Date of birth",
        "Last session",
        "Sessions",
        "Next due",
    )
    HEADER_TIPS: ClassVar[dict[int, str]] = {
        0: "The patient's record number",
        1: "Family name, given name",
        3: "Date of the latest session",
        4: "Sessions in the current course, of those planned",
        5: "When the next session is due (red: overdue)",
    }
    # Widest value each column usually holds, to size columns in the font in use.
    SAMPLES = (
        "DEMO-000000",
        "García Márquez, Begoña",
        "28 Sep 2026",
        "28 Sep 2026",
        "12 (3 planned)",
        "28 Sep 2026",
    )

    def __init__(self, db: Database | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self._db = db
        self._page_size = page_size
        self._rows: list[Patient] = []
        # What each row shows, by column and role; None until a view first asks.
        self._cells: list[tuple[dict[int, Any], ...] | None] = []
        self._more = False
        self._text = ""
        self._include_archived = False
        # The stored protocol arrives with the first page; no row is shown before it.
        self._protocol = Protocol()
        self._today = clock.today()
        self._pages = LatestOnly(self)
        self._pages.answered.connect(self._next_page)
        self._pages.failed.connect(lambda exc, _trace: self.page_failed.emit(exc))

    def attach(self, db: Database) -> None:
        """Query ``db`` from now on (the list stays as it is until the next query)."""
        self._db = db

    def _database(self) -> Database:
        if self._db is None:
            raise RuntimeError("the patient list is not attached to a database yet")
        return self._db

    # --- what to show ---------------------------------------------------
    @property
    def text(self) -> str:
        return self._text

    def first_page(self, text: str, include_archived: bool) -> FirstPage:
        """Query the first page; touches no widget, so it may run on a worker thread."""
        from needlelog.services import patients, settings

        db = self._database()
        rows = patients.search(db, text, limit=self._page_size, include_archived=include_archived)
        return FirstPage(text, include_archived, rows, settings.get_protocol(db))

    def show_first_page(self, page: FirstPage) -> None:
        self._pages.supersede()  # a next page of the previous search no longer fits
        self.beginResetModel()
        self._text = page.text
        self._include_archived = page.include_archived
        self._protocol = page.protocol
        self._today = clock.today()
        self._rows = list(page.rows)
        self._cells = [None] * len(self._rows)
        self._more = len(self._rows) == self._page_size
        self.endResetModel()

    def row_of(self, patient_id: int) -> int | None:
        return next((i for i, p in enumerate(self._rows) if p.id == patient_id), None)

    # --- lazy fetching --------------------------------------------------
    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        """The next page, read off the GUI thread; its rows join the list when it lands
        (unless a new search started meanwhile)."""
        if parent.isValid() or not self._more or not self._rows or self._pages.pending:
            return
        from needlelog.services import patients

        db, text, archived = self._database(), self._text, self._include_archived
        after = patients.page_key(self._rows[-1])
        self._pages.request(
            lambda: patients.search(
                db, text, limit=self._page_size, after=after, include_archived=archived
            )
        )

    def _next_page(self, page: list[Patient]) -> None:
        self._more = len(page) == self._page_size
        if page:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._rows.extend(page)
            self._cells.extend([None] * len(page))
            self.endInsertRows()

    # --- the table ------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def _status(self, patient: Patient) -> course.CourseStatus:
        return course.status_from_summary(
            patient.last_session_on,
            patient.course_sessions,
            self._today,
            self._protocol,
            patient.data.planned_sessions,
            patient.next_due,
        )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = index.row()
        if role == PatientRole:
            return self._rows[row]
        cells = self._cells[row] or self._fill(row)
        return cells[index.column()].get(role)

    def multiData(self, index: _Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """The roles a delegate asks for at once to paint a cell (six of them): one
        call and a look-up each, instead of a call of ``data`` per role. Each row's
        cells are worked out once, when a view first shows the row, and only for
        the rows it shows."""
        if not index.isValid():
            return
        row = index.row()
        cell = (self._cells[row] or self._fill(row))[index.column()]
        wanted = [roleDataSpan] if isinstance(roleDataSpan, QModelRoleData) else roleDataSpan
        for role_data in wanted:
            role = role_data.role()
            value = self._rows[row] if role == PatientRole else cell.get(role)
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def _fill(self, row: int) -> tuple[dict[int, Any], ...]:
        """What each column of ``row`` shows, by role (a role not in it shows nothing)."""
        patient = self._rows[row]
        archived = patient.archived
        status = self._status(patient)
        cells: list[dict[int, Any]] = []
        for column in range(len(self.HEADERS)):
            cell: dict[int, Any] = {_DISPLAY: self._display(patient, column, status)}
            if column == 5:
                for role in _DUE_ROLES:
                    value = _due_decoration(status, role)
                    if value is not None:
                        cell[role] = value
            elif archived:
                cell[_FOREGROUND] = ARCHIVED_BRUSH
                cell[_TOOLTIP] = "Archived"
            cells.append(cell)
        self._cells[row] = filled = tuple(cells)
        return filled

    def _display(self, patient: Patient, column: int, status: course.CourseStatus) -> str:
        data = patient.data
        if column == 0:
            return data.record_no
        if column == 1:
            name = fmt.list_name(patient)
            return f"{name} (archived)" if patient.archived else name
        if column == 2:
            return fmt.day(data.date_of_birth)
        if column == 3:
            return fmt.day(patient.last_session_on)
        if column == 4:
            return fmt.sessions_in_course(patient, self._protocol.planned_sessions)
        if patient.next_due is not None and status.state is CourseState.INTERRUPTED:
            return fmt.STATE_WORDS[CourseState.INTERRUPTED]
        return fmt.day(patient.next_due)


# The roles as the plain numbers a view asks with.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_DUE_ROLES = (_FOREGROUND, int(Qt.ItemDataRole.FontRole), _TOOLTIP)


def _due_decoration(status: course.CourseStatus, role: int) -> Any:
    overdue = status.state is CourseState.OVERDUE or (
        status.state is CourseState.MAINTENANCE_DUE and status.days_overdue > 0
    )
    due = status.state in (CourseState.DUE, CourseState.MAINTENANCE_DUE)
    if role == Qt.ItemDataRole.ForegroundRole:
        if overdue:
            return QBrush(OVERDUE_COLOUR)
        return QBrush(DUE_COLOUR) if due else None
    if role == Qt.ItemDataRole.FontRole:
        if overdue or due:
            font = QFont()
            font.setBold(True)
            return font
        return None
    if status.state is CourseState.NOT_STARTED:
        return None
    return fmt.status_text(status)


class DueListModel(HeaderedTableModel):
    """Who is due or overdue, most overdue first (filled from services.schedule): a recall
    list with the phone to call and the last contact attempt."""

    HEADERS = (
        "Record no",
        "Name",
        "Status",
        "Next due",
        "Days",
        "Phone",
        "Last contact",
    )
    HEADER_TIPS: ClassVar[dict[int, str]] = {
        4: "Days overdue, counted from the day the visit was due",
        6: "The latest contact attempt (its date and note in the tooltip)",
    }
    RECORD, NAME, STATUS, NEXT_DUE, DAYS, PHONE, CONTACT = range(7)
    SAMPLES = (
        "DEMO-000000",
        "García Márquez, Begoña",
        "Maintenance due",
        "28 Sep 2026",
        "365",
        "+44 20 7946 0000",
        "Message left",
    )

    def __init__(self) -> None:
        super().__init__()
        self._entries: list[DueEntry] = []
        self._today = clock.today()

    def set_entries(self, entries: list[DueEntry]) -> None:
        self.beginResetModel()
        self._today = clock.today()
        self._entries = list(entries)
        self.endResetModel()

    def entry_at(self, row: int) -> DueEntry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    @property
    def entries(self) -> list[DueEntry]:
        return list(self._entries)

    def row_of(self, patient_id: int) -> int | None:
        return next((i for i, e in enumerate(self._entries) if e.patient.id == patient_id), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == PatientRole:
            return entry.patient
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.DAYS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column == self.CONTACT and role == Qt.ItemDataRole.ToolTipRole:
            contact = entry.last_contact
            if contact is None:
                return "No contact attempt logged"
            return f"{contact.outcome.label} on {fmt.day(contact.contacted_on)}" + (
                f": {contact.note}" if contact.note else ""
            )
        if column in (self.PHONE, self.NAME) and role == Qt.ItemDataRole.ToolTipRole:
            data = entry.patient.data
            return " · ".join(x for x in (data.phone, data.email) if x) or "No phone or email"
        if column in (self.STATUS, self.NEXT_DUE, self.DAYS) and role in (
            Qt.ItemDataRole.ForegroundRole,
            Qt.ItemDataRole.FontRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return _due_decoration(entry.status, role)
        return None

    def _display(self, entry: DueEntry, column: int) -> str:
        patient, status = entry.patient, entry.status
        if column == self.RECORD:
            return patient.record_no
        if column == self.NAME:
            return fmt.list_name(patient)
        if column == self.STATUS:
            if status.state is CourseState.IN_COURSE and status.next_due is not None:
                days = (status.next_due - self._today).days
                return "Due tomorrow" if days == 1 else f"Due in {days} days"
            return fmt.STATE_WORDS[status.state]
        if column == self.NEXT_DUE:
            if status.state is CourseState.INTERRUPTED:
                return "Restart"  # the record offers "Restart course…"
            return fmt.day(status.next_due)
        if column == self.DAYS:
            return str(status.days_overdue) if status.days_overdue else ""
        if column == self.PHONE:
            return patient.data.phone
        contact = entry.last_contact
        return "" if contact is None else contact.outcome.label
