"""Screening: what applies to the patient today, and the answers an "avoid" or a
"caution" item asks for before treatment may go ahead."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.contraindications import (
    Contraindication,
    ScreeningAnswer,
    Severity,
    applies,
    evaluate,
    window_for,
)
from needlelog.domain.errors import Violation
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import SessionData
from needlelog.domain.validation import screening_violations
from needlelog.ui.form_widgets import OptionalDateEdit
from needlelog.ui.session_parts.section import FormSection, text_box


class ScreeningSection(FormSection):
    """A tick per contraindication (with "last on" for the time-bound ones), and the
    override reason or the cautions tick when the answers call for them."""

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
        self._known = known  # on the patient's record: ticked for a new session
        hint = QLabel("Tick what applies today. Time-bound items count only within their window.")
        hint.setObjectName("hint")
        self.box.addWidget(hint)
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(2, 1)
        self.boxes: dict[Contraindication, QCheckBox] = {}
        self.since: dict[Contraindication, OptionalDateEdit] = {}
        self._notes: dict[Contraindication, QLabel] = {}
        for line, item in enumerate(Contraindication):
            avoid = item.severity is Severity.AVOID
            tag = QLabel("AVOID" if avoid else "CAUTION")
            tag.setObjectName("avoidTag" if avoid else "cautionTag")
            tag.setAlignment(Qt.AlignmentFlag.AlignCenter)
            tag.setFixedWidth(70)
            grid.addWidget(tag, line, 0, Qt.AlignmentFlag.AlignVCenter)
            check = QCheckBox(item.label)
            check.toggled.connect(self.changed)
            self.boxes[item] = check
            grid.addWidget(check, line, 1)
            note = QLabel(item.note)
            note.setObjectName("hint")
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
                self.since[item] = since
                check.toggled.connect(since.setEnabled)
                last = QLabel("last on")
                last.setObjectName("hint")
                extra.addWidget(last)
                extra.addWidget(since)
                note.setText(self._window_text(item))
            grid.addLayout(extra, line, 2)
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
        window = window_for(item, self._protocol)
        if item is Contraindication.RADIATION_THERAPY:
            return f"counts for {self._protocol.radiation_window_months} months"
        if item is Contraindication.ISOTRETINOIN:
            return f"counts for {self._protocol.isotretinoin_washout_months} months"
        if window is not None:
            return f"counts for {self._protocol.fillers_toxin_window_weeks} weeks"
        return item.note

    def answers(self) -> tuple[ScreeningAnswer, ...]:
        return tuple(
            ScreeningAnswer(
                item, check.isChecked(), self.since[item].value() if item in self.since else None
            )
            for item, check in self.boxes.items()
        )

    def judge(self, performed_at: datetime) -> list[Violation]:
        """Show the override and caution boxes the domain asks for on ``performed_at``;
        the screening rules not met yet (saving waits for them)."""
        answers = self.answers()
        on: date = performed_at.date()
        result = evaluate(answers, on, self._protocol)
        for answer in answers:
            if answer.item in self.since:
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
        return self.override_reason if self.override_reason.isVisible() else self.cautions_reviewed

    def load(self, data: SessionData) -> None:
        for item, check in self.boxes.items():
            answer = data.screening_for(item)
            check.setChecked(answer is not None and answer.present)
            if item in self.since:
                self.since[item].set_value(answer.since if answer else None)
        self.override_reason.setPlainText(data.override_reason)
        self.cautions_reviewed.setChecked(data.cautions_acknowledged)

    def start_new(self, previous: SessionData | None) -> None:
        """The record's contraindications ticked; a known exposure keeps its date."""
        for item, check in self.boxes.items():
            check.setChecked(item in self._known)
            since = self.since.get(item)
            last = previous.screening_for(item) if previous is not None else None
            if since is not None and last is not None and last.present:
                since.set_value(last.since)

    def values(self) -> dict[str, Any]:
        return {
            "screening": self.answers(),
            "cautions_acknowledged": self.cautions_reviewed.isChecked(),
            "override_reason": self.override_reason.toPlainText().strip(),
        }

    def focus_widgets(self) -> list[QWidget]:
        chain: list[QWidget] = []
        for item, check in self.boxes.items():
            chain.append(check)
            if item in self.since:
                chain.append(self.since[item])
        return [*chain, self.override_reason, self.cautions_reviewed]
