"""The recall log: attempts to reach a patient who is due (CLINICAL.md, course and timing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from needlelog.domain.errors import Violation

NOTE_MAX = 500


class ContactOutcome(StrEnum):
    """What came of an attempt; the values are stored and exported, never changed."""

    CALLED = "called"
    MESSAGE_LEFT = "message_left"
    BOOKED = "booked"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class ContactAttempt:
    patient_id: int
    contacted_on: date
    outcome: ContactOutcome
    note: str = ""
    actor: str = ""
    id: int | None = None
    recorded_at: datetime | None = None


def contact_violations(contacted_on: date, note: str, today: date) -> list[Violation]:
    problems: list[Violation] = []
    if contacted_on > today:
        problems.append(
            Violation(
                "contacted_on",
                contacted_on,
                f"today ({today.isoformat()}) or earlier",
                f"contact date {contacted_on.isoformat()} is in the future; an attempt is "
                "logged once it was made",
            )
        )
    if len(note) > NOTE_MAX:
        problems.append(
            Violation(
                "note",
                f"{len(note)} characters",
                f"at most {NOTE_MAX} characters",
                f"the note has {len(note)} characters; at most {NOTE_MAX} are kept",
            )
        )
    return problems
