"""Contraindication screening: which items block a session and which need care."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from needlelog.domain.protocol import Protocol


class Severity(StrEnum):
    AVOID = "avoid"  # blocks saving unless an override reason is written
    CAUTION = "caution"  # must be acknowledged


class Contraindication(StrEnum):
    OPEN_LESIONS = "open_lesions"
    PREGNANCY = "pregnancy"
    RADIATION_THERAPY = "radiation_therapy"
    ECZEMA = "eczema"
    PSORIASIS = "psoriasis"
    KELOID_TENDENCY = "keloid_tendency"
    ISOTRETINOIN = "isotretinoin"
    ANTICOAGULANTS = "anticoagulants"
    HERPES_SIMPLEX = "herpes_simplex"
    RECENT_FILLERS_OR_TOXIN = "recent_fillers_or_toxin"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def note(self) -> str:
        return _NOTES.get(self, "")


_SEVERITY = {
    Contraindication.OPEN_LESIONS: Severity.AVOID,
    Contraindication.PREGNANCY: Severity.AVOID,
    Contraindication.RADIATION_THERAPY: Severity.AVOID,
    Contraindication.ECZEMA: Severity.CAUTION,
    Contraindication.PSORIASIS: Severity.CAUTION,
    Contraindication.KELOID_TENDENCY: Severity.CAUTION,
    Contraindication.ISOTRETINOIN: Severity.CAUTION,
    Contraindication.ANTICOAGULANTS: Severity.CAUTION,
    Contraindication.HERPES_SIMPLEX: Severity.CAUTION,
    Contraindication.RECENT_FILLERS_OR_TOXIN: Severity.CAUTION,
}

_LABELS = {
    Contraindication.OPEN_LESIONS: "Open lesions, active acne or skin infection in the area",
    Contraindication.PREGNANCY: "Pregnancy or breastfeeding",
    Contraindication.RADIATION_THERAPY: "Skin radiation therapy recently",
    Contraindication.ECZEMA: "Eczema",
    Contraindication.PSORIASIS: "Psoriasis",
    Contraindication.KELOID_TENDENCY: "Keloid tendency or scars easily",
    Contraindication.ISOTRETINOIN: "Isotretinoin recently",
    Contraindication.ANTICOAGULANTS: "Anticoagulants",
    Contraindication.HERPES_SIMPLEX: "History of cold sores (herpes simplex)",
    Contraindication.RECENT_FILLERS_OR_TOXIN: "Fillers or botulinum toxin recently",
}

_NOTES = {
    Contraindication.OPEN_LESIONS: "Treatment must not go ahead.",
    Contraindication.ECZEMA: "May not be a good candidate.",
    Contraindication.KELOID_TENDENCY: "Refer to a doctor first.",
    Contraindication.ANTICOAGULANTS: "Expect more bruising.",
}


@dataclass(frozen=True)
class ScreeningAnswer:
    """One screening question as answered on the day of a session.

    ``since`` is the date of the last exposure for the time-bound items
    (radiation, isotretinoin, fillers/toxin); when it lies outside the
    clinic's window the item no longer applies.
    """

    item: Contraindication
    present: bool
    since: date | None = None


def window_for(item: Contraindication, protocol: Protocol) -> timedelta | None:
    """How long after the last exposure a time-bound item still applies."""
    if item is Contraindication.RADIATION_THERAPY:
        return timedelta(days=round(protocol.radiation_window_months * 30.44))
    if item is Contraindication.ISOTRETINOIN:
        return timedelta(days=round(protocol.isotretinoin_washout_months * 30.44))
    if item is Contraindication.RECENT_FILLERS_OR_TOXIN:
        return timedelta(weeks=protocol.fillers_toxin_window_weeks)
    return None


def applies(answer: ScreeningAnswer, on: date, protocol: Protocol) -> bool:
    """Whether an answer counts against treatment on the given day."""
    if not answer.present:
        return False
    window = window_for(answer.item, protocol)
    if window is None or answer.since is None:
        return True
    return on - answer.since < window


@dataclass(frozen=True)
class ScreeningResult:
    avoid: tuple[Contraindication, ...]
    caution: tuple[Contraindication, ...]


def evaluate(answers: tuple[ScreeningAnswer, ...], on: date, protocol: Protocol) -> ScreeningResult:
    active = [a.item for a in answers if applies(a, on, protocol)]
    return ScreeningResult(
        avoid=tuple(i for i in active if i.severity is Severity.AVOID),
        caution=tuple(i for i in active if i.severity is Severity.CAUTION),
    )
