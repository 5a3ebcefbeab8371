"""The patient record: profile and contraindications, course status, progress, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.course import CourseState, CourseStatus
from needlelog.services import clock
from needlelog.ui import formatting as fmt
from needlelog.ui.background import LatestOnly
from needlelog.ui.consent.record_panel import ConsentPanel
from needlelog.ui.photos.record import RecordPhotos
from needlelog.ui.progress_chart import ProgressChart, points_from
from needlelog.ui.table_model import HeaderedTableModel
from needlelog.ui.vss_part import VSS_MAX_TOTAL, vss_detail

if TYPE_CHECKING:
    from needlelog.domain.records import Patient, TreatmentSession
    from needlelog.store.database import Database

SessionRole = Qt.ItemDataRole.UserRole + 2
SEVERE_BACKGROUND = QColor("#fbe4e2")
SOON_BACKGROUND = QColor("#fff1d6")
AVOID_CHIP = "background:#fbe4e2; color:#8c1d18; border:1px solid #e6a8a3;"
CAUTION_CHIP = "background:#fff1d6; color:#6b4100; border:1px solid #e8c98a;"
_Index = QModelIndex | QPersistentModelIndex
VISIBLE_MARGIN_ROWS = 20  # rows sized beyond the view, so a scroll shows sized rows
EMPTY_HINT = "Choose a patient from the list, or add one with New patient (Ctrl+N)."


def _read_record(
    db: Database, patient: Patient, clinical: bool = True
) -> tuple[Patient, CourseStatus, list[TreatmentSession]]:
    """What the record shows beyond the list's row (runs on a worker thread); without
    ``clinical`` (reception) no session is read at all. The opening is logged."""
    from needlelog import config
    from needlelog.services import disclosures, patients, schedule, sessions

    patient = patients.get(db, patient.id)  # as stored now: another PC may have changed it
    status = schedule.patient_status(patient, db)
    history = sessions.history(db, patient.id, newest_first=True) if clinical else []
    disclosures.log(db, config.current_user(), disclosures.OPEN, patient.id, "patient record")
    return patient, status, history


def flag_words(session: TreatmentSession) -> list[str]:
    return [fmt.FLAG_WORDS.get(f, f.replace("_", " ")) for f in session.flags]


def details_html(session: TreatmentSession, latest: bool = True) -> str:
    """One session in full, as the details pane shows it."""
    from html import escape

    d = session.data
    areas = ", ".join(
        f"{escape(a.label.strip() or a.area.label)} {fmt.depth(a.depth_mm)} mm" for a in d.areas
    )
    products = "; ".join(
        escape(p.name)
        + (
            f" (lot {escape(p.lot)}" + (f", exp. {fmt.day(p.expiry)}" if p.expiry else "") + ")"
            if p.lot
            else ""
        )
        for p in d.products
    )
    reactions = ", ".join(
        f"{what} {fmt.grade(value)}"
        for what, value in (
            ("redness", d.redness),
            ("bruising", d.bruising),
            ("swelling", d.swelling),
        )
        if value is not None
    )
    if d.pain is not None:
        reactions += (" · " if reactions else "") + f"pain {d.pain}/10"
    title = "Latest session" if latest else "Chosen session"
    lines = [
        f"<b>{title}: {fmt.day(d.performed_at)}</b> · {escape(d.practitioner)}",
        f"<b>Record:</b> {escape(signature_words(session))}",
        f"<b>Areas:</b> {areas or '—'}",
        f"<b>Serums:</b> {products or '—'}",
    ]
    if reactions:
        lines.append(f"<b>Reactions:</b> {reactions}")
    if session.imported is not None:
        lines.append(
            f"<b>Imported</b> by {escape(session.imported.by)} on {fmt.day(session.imported.at)}"
        )
    for add in session.addenda:
        corrected = "; ".join(
            escape(str(v)) if k == "corrected values" else f"{escape(k)}: {escape(str(v))}"
            for k, v in add.corrections.items()
        )
        lines.append(
            f"<div style='margin-top:4px; padding:3px 6px; background:#fff8e1; "
            f"border-left:3px solid #c98a00;'><b>{escape(add.heading)}</b><br/>"
            f"<i>Reason:</i> {escape(add.reason)}<br/>{escape(add.text)}"
            + (f"<br/><i>Corrected values:</i> {corrected}" if corrected else "")
            + "</div>"
        )
    return "<br/>".join(lines)


def signature_words(session: TreatmentSession) -> str:
    """The session's standing as a record: signed (by whom, meaning, when), a draft, or
    recorded before signing existed."""
    if session.signature is not None:
        return session.signature.line
    return session.status.label


class HistoryModel(HeaderedTableModel):
    """A patient's sessions, newest first, with everything a practitioner scans for."""

    HEADERS = (
        "Date, practitioner",
        "Areas, depth (mm)",
        "Depth range",
        "Serums (lot)",
        "Reactions",
        "Pain",
        "Scar",
        "GAIS",
        "VSS",
        "Attention",
    )
    DATE, AREAS, RANGE, SERUMS, REACTIONS, PAIN, SCAR, GAIS, VSS, ATTENTION = range(10)
    HEADER_TIPS: ClassVar[dict[int, str]] = {
        REACTIONS: "Redness, bruising and swelling as observed",
        PAIN: "Pain during treatment, 0 to 10",
        SCAR: "Goodman & Baron scar grade, 1 (macular) to 4 (severe)",
        GAIS: "Global Aesthetic Improvement Scale: 1 very much improved to 5 worse",
        VSS: "Vancouver Scar Scale total: 0 (normal skin) to 13",
        ATTENTION: "Severe reactions and intervals outside the course timing",
    }

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[TreatmentSession] = []
        self._warning: QIcon | None = None
        self._severe_flag = ""

    def set_sessions(self, rows: list[TreatmentSession]) -> None:
        if rows:  # the services are imported once there is something to show, not at start
            from needlelog.services.sessions import FLAG_SEVERE

            self._severe_flag = FLAG_SEVERE
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def has_vss(self) -> bool:
        """Whether any session shown was scored on the Vancouver Scar Scale."""
        return any(s.data.vss is not None for s in self._rows)

    def session_at(self, row: int) -> TreatmentSession | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def _icon(self) -> QIcon:
        if self._warning is None:
            from PySide6.QtWidgets import QStyle  # its many enums load when first needed

            icon = QStyle.StandardPixmap.SP_MessageBoxWarning
            self._warning = QApplication.style().standardIcon(icon)
        return self._warning

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        session = self._rows[index.row()]
        column = index.column()
        severe = self._severe_flag in session.flags
        soon = "too_soon" in session.flags
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(session, column)
        if role == SessionRole:
            return session
        if role == Qt.ItemDataRole.BackgroundRole:
            if severe:
                return QBrush(SEVERE_BACKGROUND)
            if soon:
                return QBrush(SOON_BACKGROUND)
            return None
        if role == Qt.ItemDataRole.DecorationRole and column == self.DATE and session.flags:
            return self._icon() if (severe or soon) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            tips = []
            if column == self.VSS and session.data.vss is not None:
                tips.append(vss_detail(session.data.vss))
            if column == self.AREAS and session.data.bleeding_reached:
                where = ", ".join(session.data.bleeding_reached)
                tips.append(f"Endpoint pinpoint bleeding: {where}")
            words = flag_words(session)
            if words:
                tips.append("Attention: " + "; ".join(words))
            return "\n".join(tips) or None
        if role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole):
            marked = (column == self.REACTIONS and severe) or (
                column == self.ATTENTION and session.flags
            )
            if not marked:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#8c1d18"))
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (self.PAIN, self.SCAR, self.GAIS, self.VSS):
                return int(Qt.AlignmentFlag.AlignCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, session: TreatmentSession, column: int) -> str:
        data = session.data
        if column == self.DATE:
            mark = "signed" if session.signed else session.status.label.lower()
            if session.addenda:
                n = len(session.addenda)
                mark += f" · {n} addend{'um' if n == 1 else 'a'}"
            return f"{fmt.day(data.performed_at)}\n{data.practitioner}\n{mark}"
        if column == self.AREAS:
            return fmt.areas(data)
        if column == self.RANGE:
            return fmt.depth_range(data)
        if column == self.SERUMS:
            return fmt.products(data)
        if column == self.REACTIONS:
            return fmt.reactions(data)
        if column == self.PAIN:
            return "" if data.pain is None else str(data.pain)
        if column == self.SCAR:
            return "" if data.scar_grade is None else str(data.scar_grade)
        if column == self.GAIS:
            return "" if data.gais is None else str(data.gais)
        if column == self.VSS:
            return "" if data.vss is None else f"{data.vss.total}/{VSS_MAX_TOTAL}"
        return "\n".join(fmt.FLAG_SHORT.get(f, f.replace("_", " ")) for f in session.flags)


class PatientRecordView(QWidget):
    """Everything about the selected patient; empty page while none is chosen."""

    new_session_requested = Signal()
    edit_patient_requested = Signal()
    open_session_requested = Signal(object)
    patient_read = Signal(object)  # the shown patient as stored now, with their history
    read_failed = Signal(object)  # the status and history could not be read: the error
    handout_requested = Signal(object)  # a TreatmentSession

    def __init__(self, db: Database | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db  # None until the window is attached; no patient is shown before
        # False for an account that may not see clinical details (reception): the
        # record shows who the patient is, how to reach them and when they are due.
        self.clinical = True
        self.may_record = True  # False: no New session, no Restart course (not a recorder)
        self.patient: Patient | None = None
        self.status: CourseStatus | None = None
        self._records = LatestOnly(self)
        self._records.answered.connect(self._show_record)
        self._records.failed.connect(lambda exc, _trace: self.read_failed.emit(exc))

        self.pages = QStackedWidget()
        self.empty_hint = QLabel(EMPTY_HINT)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setStyleSheet("color:#5f6670;")
        self.pages.addWidget(self.empty_hint)

        page = QWidget()
        self.name_label = QLabel()
        self.name_label.setObjectName("patientName")
        title_font = QFont(self.font())
        title_font.setPointSizeF(self.font().pointSizeF() * 1.45)
        title_font.setBold(True)
        self.name_label.setFont(title_font)
        # Names in right-to-left scripts still start at the left edge, like the rest.
        self.name_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.contraindications_label = QLabel()
        self.contraindications_label.setObjectName("contraindications")
        self.contraindications_label.setWordWrap(True)
        self.contraindications_label.setTextFormat(Qt.TextFormat.RichText)
        self.notes_label = QLabel()
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color:#3c4043;")
        self.status_label = QLabel()
        self.status_label.setObjectName("courseStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setMargin(6)
        # An interrupted course is not "overdue": the record offers to start a new one.
        self.restart_button = QPushButton("Restart course…")
        self.restart_button.setObjectName("restartCourse")
        self.restart_button.setToolTip("Log a session that starts a new course")
        self.restart_button.clicked.connect(self.new_session_requested)
        self.restart_button.hide()

        self.new_session_button = QPushButton("New session…")
        self.new_session_button.setToolTip("Log today's session, pre-filled from the previous one")
        self.new_session_button.clicked.connect(self.new_session_requested)
        self.edit_button = QPushButton("Edit patient…")
        self.edit_button.clicked.connect(self.edit_patient_requested)
        buttons = QVBoxLayout()
        buttons.addWidget(self.new_session_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)

        profile = QVBoxLayout()
        profile.addWidget(self.name_label)
        profile.addWidget(self.details_label)
        profile.addWidget(self.contraindications_label)
        profile.addWidget(self.notes_label)
        profile.addStretch(1)

        self.chart = ProgressChart()
        chart_frame = self.chart_frame = QFrame()
        chart_frame.setFrameShape(QFrame.Shape.StyledPanel)
        chart_box = QVBoxLayout(chart_frame)
        chart_title = QLabel("Progress")
        chart_title.setStyleSheet("font-weight:600;")
        chart_box.addWidget(chart_title)
        chart_box.addWidget(self.chart, 1)

        top = QHBoxLayout()
        top.addLayout(profile, 3)
        top.addWidget(chart_frame, 3)
        top.addLayout(buttons)

        self.history_model = HistoryModel()
        self.history = QTableView()
        self.history.setObjectName("sessionHistory")
        self.history.setModel(self.history_model)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setAlternatingRowColors(False)
        self.history.setWordWrap(True)
        self.history.verticalHeader().hide()
        self.history.setTabKeyNavigation(False)
        header = self.history.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        # "activated" is a double-click, or Enter for keyboard users (once each).
        self.history.activated.connect(self._open_session)
        self.history.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.history.customContextMenuRequested.connect(self._history_menu_at)
        # Rows take the height of their wrapped text as they come into view: sizing all
        # of a 150-session history at once held the window for a tenth of a second.
        # A row's height holds for the column widths it was sized at: when they change
        # (the window, or the scroll bar appearing narrows the stretched columns after
        # the first sizing), the rows in view are sized again, once per change.
        self._sized_rows: set[int] = set()
        self._sized_widths: tuple[int, ...] = ()
        # The scroll bar always there: its showing up once rows are in would narrow the
        # stretched columns after every open and have each row sized twice.
        self.history.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.history.verticalScrollBar().valueChanged.connect(self._size_visible_rows)
        self.history_model.modelReset.connect(self._sized_rows.clear)
        self._resize_rows = QTimer(self)
        self._resize_rows.setSingleShot(True)
        self._resize_rows.setInterval(0)
        self._resize_rows.timeout.connect(self._size_visible_rows)
        header.sectionResized.connect(lambda *_: self._resize_rows.start())
        history_title = self.history_title = QLabel(
            "Session history (newest first, double-click to amend)"
        )
        history_title.setStyleSheet("font-weight:600;")
        # The latest (or the chosen) session in full, wrapped to the pane's width: its
        # areas, depths and serums read at any window size, with no column to widen.
        self.session_details = QLabel()
        self.session_details.setObjectName("sessionDetails")
        self.session_details.setWordWrap(True)
        self.session_details.setTextFormat(Qt.TextFormat.RichText)
        self.session_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_details.setStyleSheet(
            "#sessionDetails { background:#f6f8fa; border:1px solid #dde3ea; "
            "border-radius:3px; padding:4px; }"
        )
        self.history.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_details(
                self.history_model.session_at(current.row())
            )
        )

        # After a save: the handout is offered here, without stopping the work.
        self.saved_offer = QFrame()
        self.saved_offer.setObjectName("savedOffer")
        self.saved_offer.setStyleSheet(
            "#savedOffer { background:#e6f2e8; border:1px solid #a9d0b0; border-radius:3px; }"
        )
        self.saved_offer_label = QLabel()
        self.saved_offer_label.setWordWrap(True)
        self.handout_button = QPushButton("Aftercare handout…")
        self.handout_button.setObjectName("offerHandout")
        self.handout_button.setToolTip("Print or save the aftercare advice for the patient")
        self.handout_button.clicked.connect(self._hand_out_offered)
        close_offer = QPushButton("Dismiss")
        close_offer.clicked.connect(self.clear_offer)
        offer_row = QHBoxLayout(self.saved_offer)
        offer_row.setContentsMargins(6, 3, 6, 3)
        offer_row.addWidget(self.saved_offer_label, 1)
        offer_row.addWidget(self.handout_button)
        offer_row.addWidget(close_offer)
        self.saved_offer.hide()
        self._offered: TreatmentSession | None = None

        layout = QVBoxLayout(page)
        layout.addWidget(self.saved_offer)
        layout.addLayout(top)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status_label, 1)
        status_row.addWidget(self.restart_button)
        layout.addLayout(status_row)
        # Treatment and photo consent, read off the GUI thread (needlelog/ui/consent).
        self.consents = ConsentPanel()
        self.consents.read_failed.connect(self.read_failed)
        layout.addWidget(self.consents)
        # Each session's photographs, read off the GUI thread (needlelog/ui/photos).
        self.photos = RecordPhotos(self.selected_session)
        layout.addWidget(self.photos)
        # Photo uses follow the photo consent: a new one changes what the strip leaves out.
        self.consents.consents_changed.connect(self.photos.reload)
        layout.addWidget(history_title)
        layout.addWidget(self.session_details)
        layout.addWidget(self.history, 1)
        self.pages.addWidget(page)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- showing a patient ------------------------------------------------
    def offer_handout(self, session: TreatmentSession) -> None:
        """Say the session is saved and offer its aftercare handout (non-blocking)."""
        self._offered = session
        when = fmt.day(session.data.performed_at)
        self.saved_offer_label.setText(
            f"Session of {when} saved. Give the patient their aftercare?"
        )
        self.saved_offer.show()

    def clear_offer(self) -> None:
        self._offered = None
        self.saved_offer.hide()

    def _hand_out_offered(self) -> None:
        if self._offered is not None:
            self.handout_requested.emit(self._offered)

    def history_menu(self, session: TreatmentSession) -> QMenu:
        """What can be done with one session of the history."""
        menu = QMenu(self)
        handout = menu.addAction("Aftercare handout…")
        handout.triggered.connect(lambda: self.handout_requested.emit(session))
        amend = menu.addAction("Open to amend…")
        amend.triggered.connect(lambda: self.open_session_requested.emit(session))
        photos = menu.addAction("Photos…")
        photos.triggered.connect(lambda: self.photos.open_session(session))
        return menu

    def _history_menu_at(self, point: QPoint) -> None:
        index = self.history.indexAt(point)
        session = self.history_model.session_at(index.row()) if index.isValid() else None
        if session is None:
            return
        self.history.selectRow(index.row())
        menu = self.history_menu(session)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.history.viewport().mapToGlobal(point))

    def set_clinical(self, clinical: bool) -> None:
        """Show or hide everything clinical: contraindications, notes, Fitzpatrick type,
        the progress chart, the session history and details, New session."""
        self.clinical = clinical
        for widget in (
            self.chart_frame,
            self.photos,
            self.history_title,
            self.history,
            self.new_session_button,
            self.consents,
        ):
            widget.setVisible(clinical)
        if not clinical:
            self.session_details.hide()
            self.contraindications_label.hide()
            self.notes_label.hide()
            self.saved_offer.hide()
            self.history_model.set_sessions([])

    def show_patient(self, patient: Patient | None) -> None:
        """Show ``patient`` at once from what the list knows; the course status and the
        history are read off the GUI thread and follow (only the latest choice's)."""
        if self.patient is not None and (patient is None or patient.id != self.patient.id):
            self.clear_offer()  # the offer belongs to the patient it was made for
        previous, self.patient = self.patient, patient
        if patient is None:
            self._records.supersede()
            self.status = None
            self.history_model.set_sessions([])
            self.chart.set_points([])
            self.photos.show_patient(None, None, [])
            self.consents.show_patient(None, None)
            self._show_details(None)
            self.pages.setCurrentIndex(0)
            return
        assert self.db is not None, "a patient is shown only once the records are open"
        if previous is None or previous.id != patient.id:
            # Never another patient's history under this one's name, not even briefly.
            self.status = None
            self.status_label.setText("")
            self.history_model.set_sessions([])
            self.chart.set_points([])
            self.photos.show_patient(None, None, [])
            self._show_details(None)
        self.pages.setCurrentIndex(1)
        self._fill_profile(patient)
        self.new_session_button.setEnabled(not patient.archived)
        db = self.db
        clinical = self.clinical
        self._records.request(lambda: _read_record(db, patient, clinical))

    @property
    def loading(self) -> bool:
        """Whether the shown patient's status and history are still being read."""
        return self._records.pending

    def _show_record(self, answer: tuple[Patient, CourseStatus, list[TreatmentSession]]) -> None:
        patient, status, rows = answer
        if self.patient is None or self.patient.id != patient.id:
            return
        if patient != self.patient:
            self.patient = patient
            self._fill_profile(patient)
            self.new_session_button.setEnabled(not patient.archived)
        self.status = status
        self._fill_status(status, patient)
        self.history_model.set_sessions(rows)
        # Most courses never use the VSS: its column shows only for a patient scored on it.
        self.history.setColumnHidden(HistoryModel.VSS, not self.history_model.has_vss())
        self.chart.set_points(points_from(rows))
        # Photographs are clinical: never read for an account that may not see them.
        self.photos.show_patient(self.db if self.clinical else None, patient, rows)
        if self.clinical:
            self.consents.show_patient(self.db, patient)
        self._show_details(rows[0] if rows else None)
        self._size_history()
        self.patient_read.emit(patient)

    def _show_details(self, session: TreatmentSession | None) -> None:
        self.session_details.setVisible(session is not None)
        if session is None:
            self.session_details.clear()
            return
        self.session_details.setText(details_html(session, latest=self._is_latest(session)))

    def _is_latest(self, session: TreatmentSession) -> bool:
        newest = self.history_model.session_at(0)
        return newest is not None and newest.id == session.id

    def _fill_profile(self, patient: Patient) -> None:
        from html import escape

        from needlelog.domain.contraindications import Severity

        data = patient.data
        name = data.full_name
        self.name_label.setText(f"{name}  (archived)" if patient.archived else name)
        parts = [f"Record {data.record_no}"]
        if patient.anonymised_at is not None:  # the birth year is all that is kept
            born = f"born {data.date_of_birth.year}" if data.date_of_birth else ""
            parts.append(
                f"anonymised on {fmt.day(patient.anonymised_at)}" + (f" · {born}" if born else "")
            )
        elif data.date_of_birth:
            years = fmt.age(data.date_of_birth, clock.today())
            parts.append(f"born {fmt.day(data.date_of_birth)} ({years} years)")
        if fmt.sex(data.sex):
            parts.append(fmt.sex(data.sex))
        if data.fitzpatrick and self.clinical:
            parts.append(f"Fitzpatrick {fmt.fitzpatrick(data.fitzpatrick)}")
        contact = [x for x in (data.phone, data.email) if x]
        text = " · ".join(parts)
        if contact:
            text += "\n" + " · ".join(contact)
        self.details_label.setText(text)
        chips = []
        for item in data.contraindications:
            avoid = item.severity is Severity.AVOID
            style = AVOID_CHIP if avoid else CAUTION_CHIP
            word = "Avoid" if avoid else "Caution"
            chips.append(f'<span style="{style}">&nbsp;{word}: {escape(item.label)}&nbsp;</span>')
        if chips:
            self.contraindications_label.setText("&nbsp; ".join(chips))
        else:
            self.contraindications_label.setText(
                '<span style="color:#2e6b36;">No known contraindications</span>'
            )
        self.notes_label.setText(data.notes if self.clinical else "")
        self.notes_label.setVisible(bool(data.notes) and self.clinical)
        self.contraindications_label.setVisible(self.clinical)

    def _fill_status(self, status: CourseStatus, patient: Patient) -> None:
        text = fmt.status_text(status)
        if patient.archived:
            text = "Archived: hidden from daily lists. " + text
        overdue = status.state is CourseState.OVERDUE or (
            status.state is CourseState.MAINTENANCE_DUE and status.days_overdue > 0
        )
        due = status.state in (
            CourseState.DUE,
            CourseState.MAINTENANCE_DUE,
            CourseState.INTERRUPTED,
        )
        if overdue:
            style = "background:#fbe4e2; color:#8c1d18; font-weight:600; border-radius:3px;"
        elif due:
            style = "background:#fff1d6; color:#6b4100; font-weight:600; border-radius:3px;"
        else:
            style = "background:#eef2f6; color:#2b3440; border-radius:3px;"
        self.status_label.setStyleSheet(style)
        self.status_label.setText(text)
        self.restart_button.setVisible(
            status.state is CourseState.INTERRUPTED and not patient.archived and self.may_record
        )

    def _size_history(self) -> None:
        metrics = self.history.fontMetrics()
        char = metrics.averageCharWidth()
        # Widths in characters, so they scale with the font and the screen's DPI.
        # Dates, names and flags wrap onto a second line rather than take the width the
        # areas and serums need.
        widths = (18, 19, 14, 20, 17, 4, 4, 4, 5, 12)
        header = self.history.horizontalHeader()
        for column, chars in enumerate(widths):
            self.history.setColumnWidth(column, char * chars + char * 2)
        # The two free-text columns share whatever width is left, so the table
        # fits the pane instead of scrolling sideways.
        header.setMinimumSectionSize(char * 6)
        for column in (HistoryModel.AREAS, HistoryModel.SERUMS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self._fit_history()
        self._sized_rows.clear()
        self._size_visible_rows()

    def _size_visible_rows(self, *_: object) -> None:
        """Size the rows now in view (and a screenful below) to their wrapped text:
        counted in sized heights, so a record opens sizing a dozen rows, not thirty."""
        view = self.history
        widths = tuple(view.columnWidth(c) for c in range(self.history_model.columnCount()))
        if widths != self._sized_widths:  # wrapped heights depend on the column widths
            self._sized_rows.clear()
            self._sized_widths = widths
        row = max(view.rowAt(0), 0)
        end = self.history_model.rowCount()
        room: float = 2 * view.viewport().height()  # the screen in view and one below
        # every row in view, however tall the sized ones above it grew (-1: the view
        # reaches below the last row)
        last = view.rowAt(view.viewport().height() - 1)
        last = end - 1 if last < 0 else last
        if room <= 2:  # not laid out yet: a few rows now, the rest once it has a size
            room, end = float("inf"), min(end, row + VISIBLE_MARGIN_ROWS)
        while row < end and (room > 0 or row <= last):
            if row not in self._sized_rows:
                view.resizeRowToContents(row)
                self._sized_rows.add(row)
            room -= view.rowHeight(row)
            row += 1

    def _fit_history(self) -> None:
        """On a narrow pane the depth range gives way (each area's depth is in the areas
        column and the details above), so areas and serums keep room to be read."""
        char = self.history.fontMetrics().averageCharWidth()
        fixed = sum(
            self.history.columnWidth(c)
            for c in range(HistoryModel.ATTENTION + 1)
            if c not in (HistoryModel.AREAS, HistoryModel.SERUMS, HistoryModel.RANGE)
            and not self.history.isColumnHidden(c)
        )
        range_width = char * 16  # as _size_history sets it (hidden, it reads 0)
        wanted = fixed + range_width + 2 * 20 * char
        self.history.setColumnHidden(HistoryModel.RANGE, self.history.viewport().width() < wanted)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.patient is not None:
            if event.size().width() != event.oldSize().width():
                self._fit_history()
                self._sized_rows.clear()  # the widths changed: so do the wrapped heights
            self._size_visible_rows()

    def _open_session(self, index: QModelIndex) -> None:
        session = self.history_model.session_at(index.row())
        if session is not None:
            self.open_session_requested.emit(session)

    def selected_session(self) -> TreatmentSession | None:
        rows = self.history.selectionModel().selectedRows()
        return self.history_model.session_at(rows[0].row()) if rows else None
