"""The session form: log or correct one treatment session, in the order it happens.

Every rule (depth range, screening, dates, scores) is judged by the domain and
the services; the form only shows their verdict next to the field concerned.
"""

from __future__ import annotations

import itertools
from datetime import datetime

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.codes import Area, Grade, Indication
from needlelog.domain.contraindications import (
    Contraindication,
    ScreeningAnswer,
    Severity,
    applies,
    evaluate,
    window_for,
)
from needlelog.domain.errors import InvalidRecord
from needlelog.domain.records import (
    Numbing,
    Patient,
    SessionData,
    TreatedArea,
    TreatmentSession,
)
from needlelog.domain.validation import screening_violations
from needlelog.services import sessions, settings
from needlelog.services.errors import NotFound, StaleRecord
from needlelog.store.database import Database
from needlelog.store.errors import StoreError
from needlelog.ui.background import Task, TaskControl, run_task
from needlelog.ui.face_map import FaceMapWidget
from needlelog.ui.form_widgets import (
    DATE_FORMAT,
    FieldError,
    OptionalDateEdit,
    OptionalSpinBox,
    choice_combo,
    confirm_discard,
    select_data,
    sentence,
)
from needlelog.ui.session_rows import AreaRows, ProductRows
from needlelog.ui.vss_part import VssPart, vss_text

GRADE_CHOICES: list[tuple[str, object]] = [("Not recorded", None)] + [
    (g.word.capitalize(), int(g)) for g in Grade
]
# Goodman & Baron qualitative grades and GAIS, worded as in CLINICAL.md.
SCAR_GRADE_CHOICES: list[tuple[str, object]] = [
    ("Not assessed", None),
    ("1  Macular: flat, colour only", 1),
    ("2  Mild: not obvious at 50 cm, covered by make-up", 2),
    ("3  Moderate: obvious at 50 cm, flattens when stretched", 3),
    ("4  Severe: does not flatten when stretched", 4),
]
GAIS_CHOICES: list[tuple[str, object]] = [
    ("Not assessed", None),
    ("1  Very much improved", 1),
    ("2  Much improved", 2),
    ("3  Improved", 3),
    ("4  No change", 4),
    ("5  Worse", 5),
]
WAITING_TEXT = "Waiting for another computer to finish saving…"
SECTIONS = (
    "Screening",
    "Preparation",
    "Treatment",
    "Products",
    "Reactions",
    "Assessment",
    "Aftercare and next visit",
)

STYLE = """
#formHeader { background: #f4f8f9; border-bottom: 1px solid #d5e2e6; }
#patientName { font-size: 17px; font-weight: 600; color: #16323a; }
#patientLine, #hint { color: #5b6b70; }
#sectionTitle { font-size: 15px; font-weight: 600; color: #0e5f73;
                padding-top: 14px; border-bottom: 1px solid #d5e2e6; padding-bottom: 4px; }
#columnHeader { color: #5b6b70; font-size: 11px; font-weight: 600; }
#fieldError { color: #b3261e; }
#errorBanner { background: #fdecea; border: 1px solid #f3b5ae; border-radius: 4px; }
#errorBanner QLabel { color: #8c1d18; }
#blockedNote { color: #b3261e; }
#avoidTag { color: #ffffff; background: #b3261e; border-radius: 3px; padding: 1px 6px;
            font-size: 11px; font-weight: 600; }
#cautionTag { color: #5c3d00; background: #ffd98a; border-radius: 3px; padding: 1px 6px;
              font-size: 11px; font-weight: 600; }
#screeningAlert { background: #fff6e0; border: 1px solid #f0d28c; border-radius: 4px; }
#formContent { background: #ffffff; }
#steps { border: none; border-right: 1px solid #d5e2e6; background: #f4f8f9; font-size: 13px; }
#steps::item { padding: 7px 10px; }
#steps::item:selected { background: #dcebef; color: #0e5f73; }
"""


def _text_box(placeholder: str, height: int = 64) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setPlaceholderText(placeholder)
    box.setTabChangesFocus(True)  # Tab moves on through the form; it is not typed
    box.setFixedHeight(height)
    return box


def _qdatetime(value: datetime) -> QDateTime:
    return QDateTime(value.date(), value.time().replace(microsecond=0))


class SessionForm(QDialog):
    """Log a new session for ``patient`` or, with ``session``, correct a stored one."""

    saved = Signal(object)

    def __init__(
        self,
        db: Database,
        patient: Patient,
        session: TreatmentSession | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._patient = patient
        self._session = session
        self._protocol = settings.get_protocol(db)
        self._previous = sessions.latest(db, patient.id) if session is None else None
        self._save_task: Task | None = None
        self._known_products = sessions.known_products(db)
        self._known_practitioners = sessions.known_practitioners(db)
        self._area_defaults: dict[Area, TreatedArea] = {}
        self._next_due_auto = session is None or session.data.next_due is None
        self._loading = False
        self._field_errors: dict[str, FieldError] = {}
        self._area_order: list[Area] = []
        self._product_order: list[int] = []
        self.section_headings: list[QWidget] = []

        self.setObjectName("sessionForm")
        self.setStyleSheet(STYLE)
        self.setWindowTitle(
            f"New session — {patient.full_name}"
            if session is None
            else f"Session of {session.data.performed_at:%Y-%m-%d} — {patient.full_name}"
        )
        self.setSizeGripEnabled(True)
        self.resize(1040, 820)

        root = QVBoxLayout(self)
        # The scroll area absorbs rows that come and go; the window's size is the user's.
        root.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setMinimumSize(820, 560)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_header())
        root.addWidget(self._build_banner())
        body = QHBoxLayout()
        body.setSpacing(0)
        self.steps = QListWidget()
        self.steps.setObjectName("steps")
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setFixedWidth(200)
        for number, title in enumerate(SECTIONS, start=1):
            item = QListWidgetItem(f"{number}   {title}")
            item.setToolTip(f"Alt+{number}")
            self.steps.addItem(item)
        self.steps.itemClicked.connect(self._go_to_section)
        body.addWidget(self.steps)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget()
        content.setObjectName("formContent")
        content.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._content = QVBoxLayout(content)
        self._content.setContentsMargins(24, 4, 24, 24)
        self._content.setSpacing(8)
        self._build_screening()
        self._build_preparation()
        self._build_treatment()
        self._build_products()
        self._build_reactions()
        self._build_assessment()
        self._build_aftercare()
        self._content.addStretch(1)
        self.scroll.setWidget(content)
        self.scroll.verticalScrollBar().valueChanged.connect(self._track_section)
        body.addWidget(self.scroll, 1)
        root.addLayout(body, 1)
        root.addWidget(self._build_footer())

        self._save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        self._save_shortcut.activated.connect(self.save)
        self._section_shortcuts = []
        for index in range(len(SECTIONS)):
            jump = QShortcut(QKeySequence(f"Alt+{index + 1}"), self)
            jump.activated.connect(lambda i=index: self.go_to_section(i))
            self._section_shortcuts.append(jump)
        self._fill()
        self.steps.setCurrentRow(0)
        self._baseline = self.collect()
        # The first field of a session is the screening; start the keyboard there.
        QTimer.singleShot(0, self, self._focus_first)

    # ---- building ---------------------------------------------------------

    def _build_header(self) -> QWidget:
        header = QFrame()
        header.setObjectName("formHeader")
        layout = QVBoxLayout(header)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.setSpacing(2)
        data = self._patient.data
        verb = "New session" if self._session is None else "Correct session"
        name = QLabel(f"{verb}  ·  {data.full_name}")
        name.setObjectName("patientName")
        layout.addWidget(name)
        facts = [f"Record {data.record_no}"]
        if data.date_of_birth:
            facts.append(f"born {data.date_of_birth.isoformat()}")
        if data.fitzpatrick:
            facts.append(f"Fitzpatrick {data.fitzpatrick}")
        line = QLabel("  ·  ".join(facts))
        line.setObjectName("patientLine")
        layout.addWidget(line)
        if self._previous is not None:
            last = QLabel(self._previous_summary(self._previous))
            last.setObjectName("patientLine")
            last.setTextFormat(Qt.TextFormat.RichText)  # a severe reaction is shown in red
            last.setWordWrap(True)
            layout.addWidget(last)
        return header

    @staticmethod
    def _previous_summary(previous: TreatmentSession) -> str:
        d = previous.data
        parts = [f"Last session {d.performed_at:%Y-%m-%d}"]
        if d.shallowest_mm is not None and d.deepest_mm is not None:
            parts.append(
                f"{d.shallowest_mm:.2f} mm"
                if d.shallowest_mm == d.deepest_mm
                else f"{d.shallowest_mm:.2f}–{d.deepest_mm:.2f} mm"
            )
        reactions = [
            f"<b style='color:#b3261e'>{what} {grade.word}</b>"
            if grade is Grade.SEVERE
            else f"{what} {grade.word}"
            for what, grade in (
                ("redness", d.redness),
                ("bruising", d.bruising),
                ("swelling", d.swelling),
            )
            if grade is not None and grade is not Grade.NONE
        ]
        if reactions:
            parts.append(", ".join(reactions))
        if d.pain is not None:
            parts.append(f"pain {d.pain}/10")
        if d.scar_grade is not None:
            parts.append(f"scar grade {d.scar_grade}")
        if d.vss is not None:
            parts.append(vss_text(d.vss))
        return "&nbsp;&nbsp;·&nbsp;&nbsp;".join(parts)

    def _build_banner(self) -> QWidget:
        self.error_banner = QFrame()
        self.error_banner.setObjectName("errorBanner")
        layout = QHBoxLayout(self.error_banner)
        layout.setContentsMargins(12, 8, 12, 8)
        self.error_summary = QLabel()
        self.error_summary.setWordWrap(True)
        self.error_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.error_summary, 1)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setAutoDefault(False)
        self.reload_button.setToolTip("Show the session as it is stored now (your edits are lost)")
        self.reload_button.clicked.connect(self.reload)
        self.reload_button.hide()
        layout.addWidget(self.reload_button, 0, Qt.AlignmentFlag.AlignTop)
        wrapper = QWidget()
        outer = QVBoxLayout(wrapper)
        outer.setContentsMargins(24, 8, 24, 0)
        outer.addWidget(self.error_banner)
        self._banner_wrapper = wrapper
        wrapper.hide()
        return wrapper

    def _section(self, title: str) -> QVBoxLayout:
        number = len(self.section_headings) + 1
        heading = QLabel(f"{number}. {title}")
        heading.setObjectName("sectionTitle")
        self.section_headings.append(heading)
        self._content.addWidget(heading)
        box = QVBoxLayout()
        box.setContentsMargins(0, 4, 0, 4)
        box.setSpacing(6)
        self._content.addLayout(box)
        return box

    def _error(self, field: str) -> FieldError:
        label = FieldError()
        self._field_errors[field] = label
        return label

    def _build_screening(self) -> None:
        box = self._section("Screening")
        hint = QLabel("Tick what applies today. Time-bound items count only within their window.")
        hint.setObjectName("hint")
        box.addWidget(hint)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(2, 1)
        self.screening_boxes: dict[Contraindication, QCheckBox] = {}
        self.screening_since: dict[Contraindication, OptionalDateEdit] = {}
        self._screening_notes: dict[Contraindication, QLabel] = {}
        for line, item in enumerate(Contraindication):
            tag = QLabel("AVOID" if item.severity is Severity.AVOID else "CAUTION")
            tag.setObjectName("avoidTag" if item.severity is Severity.AVOID else "cautionTag")
            tag.setAlignment(Qt.AlignmentFlag.AlignCenter)
            tag.setFixedWidth(70)
            grid.addWidget(tag, line, 0, Qt.AlignmentFlag.AlignVCenter)
            check = QCheckBox(item.label)
            check.toggled.connect(self._screening_changed)
            self.screening_boxes[item] = check
            grid.addWidget(check, line, 1)
            note = QLabel(item.note)
            note.setObjectName("hint")
            self._screening_notes[item] = note
            extra = QHBoxLayout()
            extra.setSpacing(6)
            extra.addWidget(note, 1)
            if window_for(item, self._protocol) is not None:
                since = OptionalDateEdit()
                since.setToolTip("Date of the last exposure (leave empty if unknown)")
                since.setAccessibleName(f"{item.label}: since")
                since.setEnabled(False)
                since.dateChanged.connect(self._screening_changed)
                self.screening_since[item] = since
                check.toggled.connect(since.setEnabled)
                last = QLabel("last on")
                last.setObjectName("hint")
                extra.addWidget(last)
                extra.addWidget(since)
                note.setText(self._window_text(item))
            grid.addLayout(extra, line, 2)
        box.addLayout(grid)

        self._screening_alert = QFrame()
        self._screening_alert.setObjectName("screeningAlert")
        alert = QVBoxLayout(self._screening_alert)
        alert.setContentsMargins(12, 10, 12, 10)
        self._override_label = QLabel(
            "An “avoid” item applies: treatment should not go ahead. To treat anyway, "
            "write the reason (it is kept with the session and shown in the history)."
        )
        self._override_label.setWordWrap(True)
        alert.addWidget(self._override_label)
        self.override_reason = _text_box("Reason for treating despite the “avoid” item", 56)
        self.override_reason.setAccessibleName("Override reason")
        self.override_reason.textChanged.connect(self._screening_changed)
        alert.addWidget(self.override_reason)
        alert.addWidget(self._error("override_reason"))
        self.cautions_reviewed = QCheckBox("Cautions reviewed with the patient")
        self.cautions_reviewed.toggled.connect(self._screening_changed)
        alert.addWidget(self.cautions_reviewed)
        alert.addWidget(self._error("cautions_acknowledged"))
        box.addWidget(self._screening_alert)
        box.addWidget(self._error("screening"))

    def _window_text(self, item: Contraindication) -> str:
        window = window_for(item, self._protocol)
        if item is Contraindication.RADIATION_THERAPY:
            return f"counts for {self._protocol.radiation_window_months} months"
        if item is Contraindication.ISOTRETINOIN:
            return f"counts for {self._protocol.isotretinoin_washout_months} months"
        if window is not None:
            return f"counts for {self._protocol.fillers_toxin_window_weeks} weeks"
        return item.note

    def _build_preparation(self) -> None:
        box = self._section("Preparation")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.addWidget(QLabel("Numbing cream"), 0, 0)
        self.numbing_product = QLineEdit()
        self.numbing_product.setPlaceholderText("Product (leave empty if none)")
        self.numbing_product.setAccessibleName("Numbing product")
        grid.addWidget(self.numbing_product, 0, 1)
        grid.addWidget(QLabel("applied for"), 0, 2)
        self.numbing_minutes = OptionalSpinBox(1, 120)
        self.numbing_minutes.setSuffix(" min")
        self.numbing_minutes.setAccessibleName("Numbing minutes")
        grid.addWidget(self.numbing_minutes, 0, 3)
        grid.setColumnStretch(1, 1)
        grid.addWidget(self._error("numbing.product"), 1, 1)
        grid.addWidget(self._error("numbing.minutes"), 1, 3)
        grid.addWidget(self._error("numbing"), 2, 1, 1, 3)
        box.addLayout(grid)

    def _build_treatment(self) -> None:
        box = self._section("Treatment")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.addWidget(QLabel("Date and time"), 0, 0)
        self.performed_at = QDateTimeEdit()
        self.performed_at.setDisplayFormat(f"{DATE_FORMAT}  HH:mm")
        self.performed_at.setCalendarPopup(True)
        self.performed_at.setAccessibleName("Date and time of the session")
        self.performed_at.dateTimeChanged.connect(self._date_changed)
        grid.addWidget(self.performed_at, 0, 1)
        grid.addWidget(QLabel("Practitioner"), 0, 2)
        self.practitioner = QComboBox()
        self.practitioner.setEditable(True)
        self.practitioner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.practitioner.addItems(self._known_practitioners)
        self.practitioner.setAccessibleName("Practitioner")
        grid.addWidget(self.practitioner, 0, 3)
        grid.addWidget(self._error("performed_at"), 1, 1)
        grid.addWidget(self._error("practitioner"), 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        box.addLayout(grid)

        box.addWidget(self._subheading("Indications"))
        ind = QGridLayout()
        ind.setHorizontalSpacing(18)
        ind.setVerticalSpacing(2)
        self.indication_boxes: dict[Indication, QCheckBox] = {}
        for i, indication in enumerate(Indication):
            check = QCheckBox(indication.label)
            self.indication_boxes[indication] = check
            ind.addWidget(check, i // 4, i % 4)
        box.addLayout(ind)
        box.addWidget(self._error("indications"))

        box.addWidget(self._subheading("Device and cartridge"))
        dev = QGridLayout()
        dev.setHorizontalSpacing(10)
        self.device = QLineEdit()
        self.device.setPlaceholderText("Make and model")
        self.device.setAccessibleName("Device")
        self.cartridge_needles = OptionalSpinBox(1, 100)
        self.cartridge_needles.setSuffix(" needles")
        self.cartridge_needles.setAccessibleName("Cartridge needle count")
        self.cartridge_lot = QLineEdit()
        self.cartridge_lot.setPlaceholderText("Cartridge lot")
        self.cartridge_lot.setAccessibleName("Cartridge lot")
        self.pen_speed = OptionalSpinBox(1, 20)
        self.pen_speed.setPrefix("speed ")
        self.pen_speed.setAccessibleName("Pen speed setting")
        for col, (label, widget) in enumerate(
            [
                ("Device", self.device),
                ("Needles", self.cartridge_needles),
                ("Cartridge lot", self.cartridge_lot),
                ("Pen speed", self.pen_speed),
            ]
        ):
            header = QLabel(label)
            header.setObjectName("columnHeader")
            dev.addWidget(header, 0, col)
            dev.addWidget(widget, 1, col)
        dev.setColumnStretch(0, 3)
        dev.setColumnStretch(2, 2)
        for col, field in enumerate(["device", "cartridge_needles", "cartridge_lot", "pen_speed"]):
            dev.addWidget(self._error(field), 2, col)
        box.addLayout(dev)

        self.areas_heading = self._subheading("Treated areas")
        box.addWidget(self.areas_heading)
        hint = QLabel(
            "Click zones on the map, or tick them in the list. "
            f"Protocol depth: {self._protocol.depth_allowed_text()}."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        box.addWidget(hint)
        areas = QHBoxLayout()
        areas.setSpacing(16)
        self.face_map = FaceMapWidget()
        self.face_map.setFixedSize(460, 399)
        self.face_map.areasChanged.connect(self._map_changed)
        areas.addWidget(self.face_map)
        self.area_list = QListWidget()
        self.area_list.setAccessibleName("Treated areas")
        self.area_list.setSpacing(2)
        self.area_list.setFixedWidth(220)
        for area in Area:
            item = QListWidgetItem(area.label)
            item.setData(Qt.ItemDataRole.UserRole, area.value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.area_list.addItem(item)
        self.area_list.itemChanged.connect(self._list_changed)
        # Tall enough for every area without a scroll bar, and no taller.
        row = self.area_list.sizeHintForRow(0) + 2 * self.area_list.spacing()
        self.area_list.setFixedHeight(
            min(399, row * self.area_list.count() + 2 * self.area_list.frameWidth())
        )
        areas.addWidget(self.area_list, 0, Qt.AlignmentFlag.AlignTop)
        areas.addStretch(1)
        box.addLayout(areas)
        box.addWidget(self._error("areas"))
        self.area_rows = AreaRows(self._protocol)
        self.area_rows.rowsChanged.connect(self._relink_tab_order)
        box.addWidget(self.area_rows)

    def _subheading(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("columnHeader")
        label.setContentsMargins(0, 8, 0, 0)
        return label

    def _build_products(self) -> None:
        box = self._section("Products")
        self.product_rows = ProductRows(self._known_products)
        self.product_rows.rowsChanged.connect(self._relink_tab_order)
        box.addWidget(self.product_rows)
        box.addWidget(self._error("products"))

    def _build_reactions(self) -> None:
        box = self._section("Reactions")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        self.redness = choice_combo(GRADE_CHOICES)
        self.bruising = choice_combo(GRADE_CHOICES)
        self.swelling = choice_combo(GRADE_CHOICES)
        self.pain = OptionalSpinBox(0, 10, "Not recorded")
        self.pain.setSuffix(" / 10")
        for col, (label, widget) in enumerate(
            [
                ("Redness", self.redness),
                ("Bruising", self.bruising),
                ("Swelling", self.swelling),
                ("Pain (0–10)", self.pain),
            ]
        ):
            header = QLabel(label)
            header.setObjectName("columnHeader")
            widget.setAccessibleName(label)
            grid.addWidget(header, 0, col)
            grid.addWidget(widget, 1, col)
            grid.setColumnStretch(col, 1)
        grid.addWidget(self._error("pain"), 2, 3)
        box.addLayout(grid)
        checks = QHBoxLayout()
        self.pinpoint_bleeding = QCheckBox("Pinpoint bleeding")
        self.acne_flare = QCheckBox("Acne flare")
        checks.addWidget(self.pinpoint_bleeding)
        checks.addWidget(self.acne_flare)
        checks.addStretch(1)
        box.addLayout(checks)
        self.adverse_events = _text_box("Other adverse events (leave empty if none)", 52)
        self.adverse_events.setAccessibleName("Adverse events")
        box.addWidget(self.adverse_events)
        box.addWidget(self._error("adverse_events"))

    def _build_assessment(self) -> None:
        box = self._section("Assessment")
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        self.scar_grade = choice_combo(SCAR_GRADE_CHOICES)
        self.gais = choice_combo(GAIS_CHOICES)
        self.satisfaction = OptionalSpinBox(0, 10, "Not assessed")
        self.satisfaction.setSuffix(" / 10")
        rows = [
            ("Scar grade (Goodman & Baron)", self.scar_grade, "scar_grade"),
            ("Improvement (GAIS, vs. baseline)", self.gais, "gais"),
            ("Patient satisfaction (0–10)", self.satisfaction, "satisfaction"),
        ]
        for line, (label, widget, field) in enumerate(rows):
            widget.setAccessibleName(label)
            grid.addWidget(QLabel(label), 2 * line, 0)
            grid.addWidget(widget, 2 * line, 1)
            grid.addWidget(self._error(field), 2 * line + 1, 1)
        grid.setColumnStretch(2, 1)
        box.addLayout(grid)
        self.vss = VssPart()
        self._field_errors["vss"] = self.vss.error  # rule messages for "vss.<item>" land here
        self.vss.enabled.toggled.connect(self._vss_toggled)
        box.addWidget(self.vss)

    def _vss_toggled(self, on: bool) -> None:
        if on and not self._loading:
            # The four items open below the tick box: bring them into view.
            QTimer.singleShot(0, self, lambda: self.scroll.ensureWidgetVisible(self.vss.panel))

    def _build_aftercare(self) -> None:
        box = self._section("Aftercare and next visit")
        self.notes = _text_box("Notes", 72)
        self.notes.setAccessibleName("Notes")
        box.addWidget(self.notes)
        box.addWidget(self._error("notes"))
        self.aftercare_given = QCheckBox("Aftercare advice given to the patient")
        box.addWidget(self.aftercare_given)
        due = QHBoxLayout()
        due.addWidget(QLabel("Next session due"))
        self.next_due = OptionalDateEdit()
        self.next_due.setAccessibleName("Next session due")
        self.next_due.dateChanged.connect(self._next_due_edited)
        due.addWidget(self.next_due)
        p = self._protocol
        hint = QLabel(
            f"Pre-filled {p.interval_min_weeks}–{p.interval_max_weeks} weeks ahead during a "
            f"course, {p.maintenance_months} months after it for maintenance."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        due.addWidget(hint, 1)
        box.addLayout(due)
        box.addWidget(self._error("next_due"))

    def _build_footer(self) -> QWidget:
        footer = QFrame()
        footer.setObjectName("formFooter")
        layout = QHBoxLayout(footer)
        layout.setContentsMargins(24, 10, 24, 12)
        self.blocked_note = QLabel()
        self.blocked_note.setObjectName("blockedNote")
        self.blocked_note.setWordWrap(True)
        layout.addWidget(self.blocked_note, 1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save session")
        self.save_button.setAutoDefault(False)
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.save_button)
        return footer

    # ---- filling ----------------------------------------------------------

    def _fill(self) -> None:
        """Start from the stored session, or from the patient's previous one."""
        self._loading = True
        try:
            if self._session is not None:
                self._load(self._session.data, whole=True)
            else:
                self._start_new()
        finally:
            self._loading = False
        self._screening_changed()
        self._relink_tab_order()

    def _start_new(self) -> None:
        now = datetime.now().replace(second=0, microsecond=0)
        previous = self._previous.data if self._previous is not None else None
        if previous is not None:
            # Courses repeat: what was done last time, but not how it went.
            self._load(previous, whole=False)
        elif self._known_practitioners:
            self.practitioner.setCurrentIndex(0)
        else:
            self.practitioner.setEditText(config.current_user())
        self.performed_at.setDateTime(_qdatetime(now))
        for item, check in self.screening_boxes.items():
            check.setChecked(item in self._patient.data.contraindications)
            since = self.screening_since.get(item)
            last = previous.screening_for(item) if previous is not None else None
            if since is not None and last is not None and last.present:
                since.set_value(last.since)
        self._refresh_next_due()

    def _load(self, data: SessionData, whole: bool) -> None:
        self.practitioner.setEditText(data.practitioner)
        for indication, check in self.indication_boxes.items():
            check.setChecked(indication in data.indications)
        self.device.setText(data.device)
        self.cartridge_needles.set_number(data.cartridge_needles)
        # A sterile cartridge is single-use: its lot is typed fresh for each session.
        self.cartridge_lot.setText(data.cartridge_lot if whole else "")
        self.pen_speed.set_number(data.pen_speed)
        self.numbing_product.setText(data.numbing.product if data.numbing else "")
        self.numbing_minutes.set_number(data.numbing.minutes if data.numbing else None)
        self._area_defaults = {a.area: a for a in data.areas}
        if whole:
            self.area_rows.widen_depth_range([a.depth_mm for a in data.areas])
        self.area_rows.set_areas([], {})
        self._set_areas([a.area for a in data.areas])
        for treated in data.areas:
            self.area_rows.rows[treated.area].load(treated)
        self.product_rows.clear_rows()
        for product in data.products:
            self.product_rows.add_row(product)
        if not whole:
            return
        self.performed_at.setDateTime(_qdatetime(data.performed_at))
        for item, check in self.screening_boxes.items():
            answer = data.screening_for(item)
            check.setChecked(answer is not None and answer.present)
            if item in self.screening_since:
                self.screening_since[item].set_value(answer.since if answer else None)
        self.override_reason.setPlainText(data.override_reason)
        self.cautions_reviewed.setChecked(data.cautions_acknowledged)
        select_data(self.redness, None if data.redness is None else int(data.redness))
        select_data(self.bruising, None if data.bruising is None else int(data.bruising))
        select_data(self.swelling, None if data.swelling is None else int(data.swelling))
        self.pain.set_number(data.pain)
        self.pinpoint_bleeding.setChecked(data.pinpoint_bleeding)
        self.acne_flare.setChecked(data.acne_flare)
        self.adverse_events.setPlainText(data.adverse_events)
        select_data(self.scar_grade, data.scar_grade)
        select_data(self.gais, data.gais)
        self.satisfaction.set_number(data.satisfaction)
        self.vss.set_value(data.vss)
        self.notes.setPlainText(data.notes)
        self.aftercare_given.setChecked(data.aftercare_given)
        self.next_due.set_value(data.next_due)
        if data.next_due is None:
            self._refresh_next_due()

    # ---- keeping the parts in step ----------------------------------------

    def _set_areas(self, areas: list[Area]) -> None:
        """Show the same choice on the map, in the list and as depth rows."""
        chosen = set(areas)
        self.face_map.set_selected(list(chosen))
        self.area_list.blockSignals(True)
        for i in range(self.area_list.count()):
            item = self.area_list.item(i)
            on = Area(item.data(Qt.ItemDataRole.UserRole)) in chosen
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.area_list.blockSignals(False)
        self.area_rows.set_areas([a for a in Area if a in chosen], self._area_defaults)

    def _map_changed(self, areas: list[Area]) -> None:
        keep_other = [Area.OTHER] if Area.OTHER in self.area_rows.rows else []
        self._set_areas(areas + keep_other)

    def _list_changed(self, _item: QListWidgetItem) -> None:
        areas = []
        for i in range(self.area_list.count()):
            item = self.area_list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                areas.append(Area(item.data(Qt.ItemDataRole.UserRole)))
        self._set_areas(areas)

    def _date_changed(self) -> None:
        if self._loading:
            return
        self._screening_changed()
        self._refresh_next_due()

    def _refresh_next_due(self) -> None:
        if not self._next_due_auto:
            return
        on = self.performed_at.dateTime().toPython().date()
        was_loading = self._loading
        self._loading = True
        self.next_due.set_value(sessions.default_next_due(self._db, self._patient.id, on))
        self._loading = was_loading

    def _next_due_edited(self) -> None:
        if not self._loading:
            self._next_due_auto = False

    def _screening_answers(self) -> tuple[ScreeningAnswer, ...]:
        return tuple(
            ScreeningAnswer(
                item,
                check.isChecked(),
                self.screening_since[item].value() if item in self.screening_since else None,
            )
            for item, check in self.screening_boxes.items()
        )

    def _screening_changed(self) -> None:
        """Show the override and caution boxes the domain asks for, and block saving
        while the screening rules are not met."""
        if self._loading:
            return
        answers = self._screening_answers()
        on = self.performed_at.dateTime().toPython().date()
        result = evaluate(answers, on, self._protocol)
        for answer in answers:
            if answer.item in self.screening_since:
                note = self._screening_notes[answer.item]
                lapsed = answer.present and not applies(answer, on, self._protocol)
                note.setText(
                    "outside the window: does not count today"
                    if lapsed
                    else self._window_text(answer.item)
                )
        has_avoid = bool(result.avoid)
        self._override_label.setVisible(has_avoid)
        self.override_reason.setVisible(has_avoid or bool(self.override_reason.toPlainText()))
        self.cautions_reviewed.setVisible(bool(result.caution))
        if result.caution:
            names = ", ".join(i.label.lower() for i in result.caution)
            self.cautions_reviewed.setText(f"Cautions reviewed with the patient ({names})")
        self._screening_alert.setVisible(
            has_avoid or bool(result.caution) or self.override_reason.isVisible()
        )
        problems = screening_violations(self._screening_probe(answers), self._protocol)
        self.save_button.setEnabled(not problems and self._save_task is None)
        self.blocked_note.setText(
            "Saving is blocked: " + " ".join(sentence(p.message) for p in problems)
            if problems
            else ""
        )

    def _screening_probe(self, answers: tuple[ScreeningAnswer, ...]) -> SessionData:
        return SessionData(
            performed_at=self.performed_at.dateTime().toPython(),
            practitioner="",
            areas=(),
            screening=answers,
            cautions_acknowledged=self.cautions_reviewed.isChecked(),
            override_reason=self.override_reason.toPlainText().strip(),
        )

    def _relink_tab_order(self) -> None:
        """Rows come and go; keep Tab moving down the form in the order it reads."""
        chain: list[QWidget] = []
        for item, check in self.screening_boxes.items():
            chain.append(check)
            if item in self.screening_since:
                chain.append(self.screening_since[item])
        chain += [
            self.override_reason,
            self.cautions_reviewed,
            self.numbing_product,
            self.numbing_minutes,
            self.performed_at,
            self.practitioner,
            *self.indication_boxes.values(),
            self.device,
            self.cartridge_needles,
            self.cartridge_lot,
            self.pen_speed,
            self.area_list,
            *self.area_rows.focus_widgets(),
            *self.product_rows.focus_widgets(),
            self.redness,
            self.bruising,
            self.swelling,
            self.pain,
            self.pinpoint_bleeding,
            self.acne_flare,
            self.adverse_events,
            self.scar_grade,
            self.gais,
            self.satisfaction,
            *self.vss.focus_widgets(),
            self.notes,
            self.aftercare_given,
            self.next_due,
            self.cancel_button,
            self.save_button,
        ]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _focus_first(self) -> None:
        first = next(iter(self.screening_boxes.values()))
        first.setFocus(Qt.FocusReason.TabFocusReason)

    def _go_to_section(self, item: QListWidgetItem) -> None:
        self.go_to_section(self.steps.row(item))

    def go_to_section(self, index: int) -> None:
        """Scroll a section to the top and put the keyboard in its first field."""
        heading = self.section_headings[index]
        self.scroll.verticalScrollBar().setValue(heading.y())
        first: list[QWidget] = [
            next(iter(self.screening_boxes.values())),
            self.numbing_product,
            self.performed_at,
            self.product_rows.focus_widgets()[0],
            self.redness,
            self.scar_grade,
            self.notes,
        ]
        first[index].setFocus(Qt.FocusReason.ShortcutFocusReason)
        # Near the end the last sections cannot reach the top: show the one asked for.
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(index)
        self.steps.blockSignals(False)

    def _track_section(self, value: int) -> None:
        current = 0
        for i, heading in enumerate(self.section_headings):
            if heading.y() <= value + 40:
                current = i
        bar = self.scroll.verticalScrollBar()
        if value >= bar.maximum() and bar.maximum() > 0:
            current = len(self.section_headings) - 1
        self.steps.blockSignals(True)
        self.steps.setCurrentRow(current)
        self.steps.blockSignals(False)

    # ---- reading ----------------------------------------------------------

    def collect(self) -> SessionData:
        """What the form says, as a session record (judged only when saved)."""
        rows = self.area_rows.ordered()
        self._area_order = [r.area for r in rows]
        products = []
        self._product_order = []
        for i, row in enumerate(self.product_rows.rows):
            if not row.is_blank():
                products.append(row.value())
                self._product_order.append(i)
        numbing_product = self.numbing_product.text().strip()
        minutes = self.numbing_minutes.number()
        numbing = (
            Numbing(numbing_product, minutes if minutes is not None else 0)
            if numbing_product or minutes is not None
            else None
        )

        def grade(combo: QComboBox) -> Grade | None:
            value = combo.currentData()
            return None if value is None else Grade(int(value))

        def number(combo: QComboBox) -> int | None:
            value = combo.currentData()
            return None if value is None else int(value)

        return SessionData(
            performed_at=self.performed_at.dateTime().toPython().replace(second=0, microsecond=0),
            practitioner=self.practitioner.currentText().strip(),
            areas=tuple(r.value() for r in rows),
            indications=tuple(i for i, c in self.indication_boxes.items() if c.isChecked()),
            device=self.device.text().strip(),
            cartridge_needles=self.cartridge_needles.number(),
            cartridge_lot=self.cartridge_lot.text().strip(),
            pen_speed=self.pen_speed.number(),
            numbing=numbing,
            products=tuple(products),
            redness=grade(self.redness),
            bruising=grade(self.bruising),
            swelling=grade(self.swelling),
            pinpoint_bleeding=self.pinpoint_bleeding.isChecked(),
            acne_flare=self.acne_flare.isChecked(),
            adverse_events=self.adverse_events.toPlainText().strip(),
            pain=self.pain.number(),
            scar_grade=number(self.scar_grade),
            gais=number(self.gais),
            satisfaction=self.satisfaction.number(),
            vss=self.vss.value(),
            notes=self.notes.toPlainText().strip(),
            aftercare_given=self.aftercare_given.isChecked(),
            next_due=self.next_due.value(),
            screening=self._screening_answers(),
            cautions_acknowledged=self.cautions_reviewed.isChecked(),
            override_reason=self.override_reason.toPlainText().strip(),
        )

    def is_dirty(self) -> bool:
        return self.collect() != self._baseline

    # ---- saving -----------------------------------------------------------

    @property
    def saving(self) -> bool:
        """Whether a save is on its way to the database."""
        return self._save_task is not None

    def save(self) -> None:
        """Save through the services, off the GUI thread; on refusal show each message
        by its field. The form keeps every entry until the save has landed."""
        if self._save_task is not None:
            return  # one save at a time: Ctrl+S pressed again while waiting
        if not self.save_button.isEnabled():
            # Ctrl+S while screening blocks saving: show where the answer is missing.
            self.scroll.ensureWidgetVisible(self._screening_alert)
            target = (
                self.override_reason if self.override_reason.isVisible() else self.cautions_reviewed
            )
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return
        data = self.collect()
        db, patient_id, session = self._db, self._patient.id, self._session
        actor = config.current_user()

        def work(_control: TaskControl) -> TreatmentSession:
            if session is None:
                return sessions.record(db, patient_id, data, actor)
            return sessions.amend(db, session.id, data, session.version, actor)

        self.save_button.setEnabled(False)
        self._save_task = run_task(
            work, self._save_landed, self._save_refused, parent=self, on_waiting=self._waiting
        )

    def _waiting(self) -> None:
        """The save outlasts a normal one: another PC holds the write lock. Say so, and
        hold the entries still until it lands (nothing typed now could be lost)."""
        self.blocked_note.setText(WAITING_TEXT)
        self.scroll.widget().setEnabled(False)

    def _save_ended(self) -> None:
        self._save_task = None
        self.scroll.widget().setEnabled(True)
        self._screening_changed()  # the Save button and the footer note as they were

    def _save_landed(self, stored: TreatmentSession) -> None:
        self._save_ended()
        self._clear_errors()
        self._baseline = self.collect()
        self.saved.emit(stored)
        self.accept()

    def _save_refused(self, exc: BaseException, _trace: str) -> None:
        self._save_ended()
        if isinstance(exc, InvalidRecord):
            self._show_violations(exc)
        elif isinstance(exc, StaleRecord):
            self._show_banner(
                f"Not saved: {exc}. “Reload” replaces your edits in this form with the "
                "stored session.",
                reload=True,
            )
        elif isinstance(exc, StoreError):
            # Busy, read-only or full: the edits stay in the form so nothing typed is lost.
            self._show_banner(f"Not saved: {sentence(str(exc))} Your entries are still here.")
        else:
            raise exc

    def reload(self) -> None:
        """After a conflict: show the session as it is stored now."""
        if self._session is None:
            return
        db, session_id = self._db, self._session.id
        self.reload_button.setEnabled(False)
        run_task(lambda _c: sessions.get(db, session_id), self._reloaded, self._reload_failed, self)

    def _reloaded(self, stored: TreatmentSession) -> None:
        self.reload_button.setEnabled(True)
        self._session = stored
        self._clear_errors()
        self._next_due_auto = stored.data.next_due is None
        self._fill()
        self._baseline = self.collect()

    def _reload_failed(self, exc: BaseException, _trace: str) -> None:
        self.reload_button.setEnabled(True)
        if not isinstance(exc, StoreError | NotFound):
            raise exc
        self._show_banner(f"Not reloaded: {sentence(str(exc))} Your entries are still here.")

    def _clear_errors(self) -> None:
        for label in self._field_errors.values():
            label.clear_message()
        for row in self.area_rows.rows.values():
            row.error.clear_message()
        for product in self.product_rows.rows:
            product.error.clear_message()
        self._banner_wrapper.hide()
        self.reload_button.hide()

    def _show_banner(self, text: str, reload: bool = False) -> None:
        self.error_summary.setText(text)
        self.reload_button.setVisible(reload)
        self._banner_wrapper.show()

    def _label_for(self, field: str) -> FieldError | None:
        parts = field.split(".")
        if parts[0] == "areas" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self._area_order):
                return self.area_rows.rows[self._area_order[index]].error
        if parts[0] == "products" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self._product_order):
                return self.product_rows.rows[self._product_order[index]].error
        while parts:
            label = self._field_errors.get(".".join(parts))
            if label is not None:
                return label
            parts.pop()
        return None

    def _show_violations(self, refused: InvalidRecord) -> None:
        self._clear_errors()
        by_label: dict[int, tuple[FieldError, list[str]]] = {}
        for violation in refused.violations:
            label = self._label_for(violation.field)
            if label is not None:
                by_label.setdefault(id(label), (label, []))[1].append(violation.message)
        for label, messages in by_label.values():
            label.show_messages(messages)
        count = len(refused.violations)
        lines = "\n".join(f"•  {sentence(v.message)}" for v in refused.violations)
        self._show_banner(
            f"Not saved: {count} {'entry needs' if count == 1 else 'entries need'} "
            f"correcting.\n{lines}"
        )
        first = next(iter(by_label.values()), None)
        if first is not None:
            QTimer.singleShot(
                0, self, lambda w=first[0]: self.scroll.ensureWidgetVisible(w, 50, 80)
            )

    # ---- closing ----------------------------------------------------------

    def reject(self) -> None:
        """Esc, Cancel and the window's close button: never drop edits without asking."""
        if self._save_task is not None:
            return  # the save is on its way: its outcome decides what happens
        if self.is_dirty() and not confirm_discard(self, "this session"):
            return
        super().reject()
