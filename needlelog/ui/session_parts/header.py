"""The band above the session form: who the patient is and how the last session went."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from needlelog.domain.codes import Grade
from needlelog.domain.records import Patient, TreatmentSession
from needlelog.ui import formatting as fmt
from needlelog.ui.vss_part import vss_text


def previous_summary(previous: TreatmentSession) -> str:
    """The last session on one line: date, depth, reactions (a severe one in red), scores."""
    d = previous.data
    parts = [f"Last session {fmt.day(d.performed_at)}"]
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


class SessionHeader(QFrame):
    def __init__(
        self,
        patient: Patient,
        correcting: bool,
        previous: TreatmentSession | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("formHeader")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        layout.setSpacing(2)
        data = patient.data
        verb = "Correct session" if correcting else "New session"
        self.title = name = QLabel(f"{verb}  ·  {data.full_name}")
        name.setObjectName("patientName")
        layout.addWidget(name)
        facts = [f"Record {data.record_no}"]
        if data.date_of_birth:
            facts.append(f"born {fmt.day(data.date_of_birth)}")
        if data.fitzpatrick:
            facts.append(f"Fitzpatrick {fmt.fitzpatrick(data.fitzpatrick)}")
        line = QLabel("  ·  ".join(facts))
        line.setObjectName("patientLine")
        layout.addWidget(line)
        if previous is not None:
            last = QLabel(previous_summary(previous))
            last.setObjectName("patientLine")
            last.setTextFormat(Qt.TextFormat.RichText)  # a severe reaction is shown in red
            last.setWordWrap(True)
            layout.addWidget(last)
