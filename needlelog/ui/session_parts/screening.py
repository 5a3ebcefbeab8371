"""Screening: every contraindication answered present or not present (or all at once
with the "none of these apply" attestation), and the answers an "avoid" or a
"caution" item asks for before treatment may go ahead."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from needlelog import config
from needlelog.domain.contraindications import (
    DETAIL_MAX,
    NONE_APPLY_STATEMENT,
    SCREENING_LIST_CURRENT,
    SCREENING_LISTS,
    Contraindication,
    ScreeningAnswer,
    Severity,
    applies,
    evaluate,
    window_for,
    window_text,
)
from needlelog.domain.errors import Violation
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import SessionData
from needlelog.domain.validation import screening_violations
from needlelog.ui import formatting as fmt
from needlelog.ui.form_widgets import OptionalDateEdit
from needlelog.ui.session_parts.section import FormSection, text_box


class ScreeningItem:
    """One item's row: Present / Not present (neither, until answered), the date of the
    last exposure for a time-bound item, the name of an allergy."""

    def __init__(self, item: Contraindication, changed: Signal) -> None:
        self.item = item
        self.present = QRadioButton("Present")
        self.absent = QRadioButton("Not present")
        for button, word in ((self.present, "present"), (self.absent, "not present")):
            button.setAccessibleName(f"{item.label}: {word}")
        self.group = QButtonGroup()
        self.group.addButton(self.present)
        self.group.addButton(self.absent)
        self.group.buttonToggled.connect(lambda *_: changed.emit())
        self.since: OptionalDateEdit | None = None
        self.detail: QLineEdit | None = None
        if item is Contraindication.ALLERGY:
            self.detail = QLineEdit()
            self.detail.setMaxLength(DETAIL_MAX)
            self.detail.setPlaceholderText("which product or ingredient")
            self.detail.setAccessibleName(f"{item.label}: name")
            self.detail.setEnabled(False)
            self.detail.textChanged.connect(changed)
            self.present.toggled.connect(self.detail.setEnabled)

    def answered(self) -> bool:
        return self.group.checkedButton() is not None

    def set_answer(self, present: bool | None) -> None:
        """Present, not present, or (None) unanswered."""
        self.group.setExclusive(False)
        self.present.setChecked(present is True)
        self.absent.setChecked(present is False)
        self.group.setExclusive(True)

    def set_asked(self, asked: bool) -> None:
        """An item a stored session was not asked (the list was shorter then)."""
        for w in (self.present, self.absent):
            w.setEnabled(asked)
            w.setToolTip("" if asked else "Not on the screening list when this session was logged")

    def answer(self) -> ScreeningAnswer | None:
        if not self.answered():
            return None
        present = self.present.isChecked()
        since = self.since.value() if self.since is not None and present else None
        detail = self.detail.text().strip() if self.detail is not None and present else ""
        return ScreeningAnswer(self.item, present, since, detail)


class ScreeningSection(FormSection):
    """Every contraindication answered (with "last on" for the time-bound ones), and
    the override reason or the cautions tick when the answers call for them."""

    title = "Screening"
    changed = Signal()  # an answer changed: the form judges again whether it may save

    def __init__(
        self,
        protocol: Protocol,
        known: tuple[Contraindication, ...],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._protocol = protocol
        self._known = known  # on the patient's record: pointed out, never answered for them
        self._list = SCREENING_LIST_CURRENT
        self._attested_by = ""
        self._attested_at: datetime | None = None
        top = QHBoxLayout()
        hint = QLabel(
            "Answer each item for today, or all at once if none applies. Time-bound items "
            "count only within their window."
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        self.none_apply = QPushButton(f"{NONE_APPLY_STATEMENT}…")
        self.none_apply.setToolTip(
            "Attest that none of the items below applies today; kept with the session as "
            "that statement, with your name and the time"
        )
        self.none_apply.setAutoDefault(False)  # Enter never attests by accident; Space does
        self.none_apply.clicked.connect(self.attest_none_apply)
        top.addWidget(self.none_apply)
        top.addWidget(hint, 1)
        self.box.addLayout(top)
        self.attestation = QLabel()
        self.attestation.setObjectName("attestation")
        self.attestation.setWordWrap(True)
        self.attestation.hide()
        self.box.addWidget(self.attestation)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 3)
        grid.setColumnStretch(4, 2)
        self.items: dict[Contraindication, ScreeningItem] = {}
        self._notes: dict[Contraindication, QLabel] = {}
        for line, item in enumerate(Contraindication):
            row = ScreeningItem(item, self.changed)
            row.present.toggled.connect(self._withdraw_attestation)
            self.items[item] = row
            avoid = item.severity is Severity.AVOID
            tag = QLabel("AVOID" if avoid else "CAUTION")
            tag.setObjectName("avoidTag" if avoid else "cautionTag")
            tag.setAlignment(Qt.AlignmentFlag.AlignCenter)
            tag.setFixedWidth(70)
            grid.addWidget(tag, line, 0, Qt.AlignmentFlag.AlignVCenter)
            label = QLabel(item.label + ("  (on the patient's record)" if item in known else ""))
            label.setWordWrap(True)
            label.setBuddy(row.present)
            grid.addWidget(label, line, 1)
            grid.addWidget(row.present, line, 2)
            grid.addWidget(row.absent, line, 3)
            note = QLabel(item.note)
            note.setObjectName("hint")
            note.setWordWrap(True)
            self._notes[item] = note
            extra = QHBoxLayout()
            extra.setSpacing(6)
            extra.addWidget(note, 1)
            if window_for(item, protocol) is not None:
                since = OptionalDateEdit()
                since.setToolTip("Date of the last exposure (leave empty if unknown)")
                since.setAccessibleName(f"{item.label}: since")
                since.setEnabled(False)
                since.dateChanged.connect(self.changed)
                row.since = since
                row.present.toggled.connect(since.setEnabled)
                last = QLabel("last on")
                last.setObjectName("hint")
                extra.addWidget(last)
                extra.addWidget(since)
                note.setText(self._window_text(item))
                note.setMinimumWidth(note.fontMetrics().horizontalAdvance("counts for 12 months"))
            if row.detail is not None:
                extra.addWidget(row.detail, 2)
            grid.addLayout(extra, line, 4)
        self.box.addLayout(grid)

        self.alert = QFrame()
        self.alert.setObjectName("screeningAlert")
        alert = QVBoxLayout(self.alert)
        alert.setContentsMargins(12, 10, 12, 10)
        self._override_label = QLabel(
            "An “avoid” item applies: treatment should not go ahead. To treat anyway, "
            "write the reason (it is kept with the session and shown in the history)."
        )
        self._override_label.setWordWrap(True)
        alert.addWidget(self._override_label)
        self.override_reason = text_box("Reason for treating despite the “avoid” item", 56)
        self.override_reason.setAccessibleName("Override reason")
        self.override_reason.textChanged.connect(self.changed)
        alert.addWidget(self.override_reason)
        alert.addWidget(self.error("override_reason"))
        self.cautions_reviewed = QCheckBox("Cautions reviewed with the patient")
        self.cautions_reviewed.toggled.connect(self.changed)
        alert.addWidget(self.cautions_reviewed)
        alert.addWidget(self.error("cautions_acknowledged"))
        self.box.addWidget(self.alert)
        self.box.addWidget(self.error("screening"))

    def _window_text(self, item: Contraindication) -> str:
        window = window_text(item, self._protocol)
        return f"counts for {window}" if window else item.note

    # ---- the attestation ----------------------------------------------------

    def attest_none_apply(self) -> None:
        """Answer every item "not present" at once, as one statement by the user now."""
        self._attested_by = config.current_user()
        self._attested_at = datetime.now().replace(microsecond=0)
        for row in self.items.values():
            row.set_answer(False)
        self._show_attestation()
        self.changed.emit()

    def _withdraw_attestation(self, present: bool) -> None:
        if present and self._attested_by:
            self._attested_by, self._attested_at = "", None
            self._show_attestation()

    def _show_attestation(self) -> None:
        if self._attested_by:
            when = "" if self._attested_at is None else f" on {fmt.day(self._attested_at)}"
            at = "" if self._attested_at is None else f" at {self._attested_at:%H:%M}"
            self.attestation.setText(
                f"“{NONE_APPLY_STATEMENT}”: attested by {self._attested_by}{when}{at}."
            )
        self.attestation.setVisible(bool(self._attested_by))

    # ---- answers and rules ----------------------------------------------------

    def asked(self) -> tuple[Contraindication, ...]:
        return SCREENING_LISTS.get(self._list, ())

    def answers(self) -> tuple[ScreeningAnswer, ...]:
        if self._attested_by:
            return ()  # the statement answers all
        found = (row.answer() for item, row in self.items.items() if item in self.asked())
        return tuple(a for a in found if a is not None)

    def unanswered(self) -> list[Contraindication]:
        if self._attested_by:
            return []
        return [i for i in self.asked() if not self.items[i].answered()]

    def judge(self, performed_at: datetime) -> list[Violation]:
        """Show the override and caution boxes the domain asks for on ``performed_at``;
        the screening rules not met yet (saving waits for them)."""
        answers = self.answers()
        on: date = performed_at.date()
        result = evaluate(answers, on, self._protocol)
        for answer in answers:
            if self.items[answer.item].since is not None:
                lapsed = answer.present and not applies(answer, on, self._protocol)
                self._notes[answer.item].setText(
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
        self.alert.setVisible(has_avoid or bool(result.caution) or self.override_reason.isVisible())
        probe = SessionData(performed_at=performed_at, practitioner="", areas=(), **self.values())
        return screening_violations(probe, self._protocol)

    def missing_answer(self) -> QWidget:
        """The field that still needs an answer while saving is blocked."""
        missing = self.unanswered()
        if missing:
            return self.items[missing[0]].present
        allergy = self.items[Contraindication.ALLERGY]
        if allergy.detail is not None and allergy.detail.isEnabled() and not allergy.detail.text():
            return allergy.detail
        return self.override_reason if self.override_reason.isVisible() else self.cautions_reviewed

    # ---- the FormSection contract -------------------------------------------

    def load(self, data: SessionData) -> None:
        """A stored session as answered then: items its list did not ask stay empty."""
        self._list = data.screening_list
        self._attested_by = data.screening_attested_by
        self._attested_at = data.screening_attested_at
        asked = self.asked()
        for item, row in self.items.items():
            answer = data.screening_for(item)
            if self._attested_by and item in asked:
                row.set_answer(False)
            else:
                row.set_answer(None if answer is None else answer.present)
            row.set_asked(item in asked)
            if row.since is not None:
                row.since.set_value(answer.since if answer else None)
            if row.detail is not None:
                row.detail.setText(answer.detail if answer else "")
        self._show_attestation()
        self.override_reason.setPlainText(data.override_reason)
        self.cautions_reviewed.setChecked(data.cautions_acknowledged)

    def start_new(self, previous: SessionData | None) -> None:
        """Nothing answered for the practitioner; a known exposure keeps its date and a
        named allergy its name, ready for when the item is answered present."""
        self._list = SCREENING_LIST_CURRENT
        self._attested_by, self._attested_at = "", None
        for item, row in self.items.items():
            row.set_answer(None)
            row.set_asked(True)
            last = previous.screening_for(item) if previous is not None else None
            if last is None or not last.present:
                continue
            if row.since is not None:
                row.since.set_value(last.since)
            if row.detail is not None:
                row.detail.setText(last.detail)
        self._show_attestation()

    def values(self) -> dict[str, Any]:
        return {
            "screening": self.answers(),
            "screening_list": self._list,
            "screening_attested_by": self._attested_by,
            "screening_attested_at": self._attested_at,
            "cautions_acknowledged": self.cautions_reviewed.isChecked(),
            "override_reason": self.override_reason.toPlainText().strip(),
        }

    def focus_widgets(self) -> list[QWidget]:
        chain: list[QWidget] = [self.none_apply]
        for row in self.items.values():
            chain += [row.present, row.absent]
            if row.since is not None:
                chain.append(row.since)
            if row.detail is not None:
                chain.append(row.detail)
        return [*chain, self.override_reason, self.cautions_reviewed]
