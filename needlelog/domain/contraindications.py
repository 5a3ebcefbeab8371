"""Contraindication screening: the items asked before every session, which block a
session and which need care, and what it takes for a screening to be answered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from needlelog.domain.protocol import Protocol


class Severity(StrEnum):
    AVOID = "avoid"  # blocks saving unless an override reason is written
    CAUTION = "caution"  # must be acknowledged


class Contraindication(StrEnum):
    """The screening list of CLINICAL.md, in the order the form asks it.

    The first ten codes are those of the CSV contract (``patients.csv``
    ``contraindications``); the others were added later and have codes of their own.
    """

    OPEN_LESIONS = "open_lesions"
    ACTIVE_INFECTION = "active_infection"
    SUNBURN_OR_TAN = "sunburn_or_tan"
    PIGMENTED_LESION = "pigmented_lesion"
    PREGNANCY = "pregnancy"
    RADIATION_THERAPY = "radiation_therapy"
    KELOID_TENDENCY = "keloid_tendency"
    ECZEMA = "eczema"
    PSORIASIS = "psoriasis"
    ROSACEA_FLARE = "rosacea_flare"
    ISOTRETINOIN = "isotretinoin"
    TOPICAL_RETINOIDS_OR_ACIDS = "topical_retinoids_or_acids"
    RECENT_RESURFACING = "recent_resurfacing"
    RECENT_FILLERS_OR_TOXIN = "recent_fillers_or_toxin"
    ANTICOAGULANTS = "anticoagulants"
    IMMUNOSUPPRESSION = "immunosuppression"
    HERPES_SIMPLEX = "herpes_simplex"
    ALLERGY = "allergy"

    @property
    def severity(self) -> Severity:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        """The practitioner's wording (form, record)."""
        return _LABELS[self]

    @property
    def note(self) -> str:
        """A note for the practitioner; never printed for the patient."""
        return _NOTES.get(self, "")

    @property
    def patient_label(self) -> str:
        """Plain, neutral words for documents the patient reads."""
        return _PATIENT_LABELS[self]


# The list asked before this version: sessions stored then answered these ten.
FIRST_LIST: tuple[Contraindication, ...] = (
    Contraindication.OPEN_LESIONS,
    Contraindication.PREGNANCY,
    Contraindication.RADIATION_THERAPY,
    Contraindication.ECZEMA,
    Contraindication.PSORIASIS,
    Contraindication.KELOID_TENDENCY,
    Contraindication.ISOTRETINOIN,
    Contraindication.ANTICOAGULANTS,
    Contraindication.HERPES_SIMPLEX,
    Contraindication.RECENT_FILLERS_OR_TOXIN,
)

# Which list a session was screened with: 0 = no screening recorded (an import, an
# older record without one), 1 = the first ten items, 2 = the list of CLINICAL.md now.
SCREENING_NOT_RECORDED = 0
SCREENING_LIST_CURRENT = 2
SCREENING_LISTS: dict[int, tuple[Contraindication, ...]] = {
    SCREENING_NOT_RECORDED: (),
    1: FIRST_LIST,
    SCREENING_LIST_CURRENT: tuple(Contraindication),
}

NONE_APPLY_STATEMENT = "None of these apply"
# How long the name of an allergy may be.
DETAIL_MAX = 200

_A, _C = Severity.AVOID, Severity.CAUTION
_SEVERITY = {
    Contraindication.OPEN_LESIONS: _A,
    Contraindication.ACTIVE_INFECTION: _A,
    Contraindication.SUNBURN_OR_TAN: _A,
    Contraindication.PIGMENTED_LESION: _A,
    Contraindication.PREGNANCY: _A,
    Contraindication.RADIATION_THERAPY: _A,
    Contraindication.KELOID_TENDENCY: _C,
    Contraindication.ECZEMA: _C,
    Contraindication.PSORIASIS: _C,
    Contraindication.ROSACEA_FLARE: _C,
    Contraindication.ISOTRETINOIN: _C,
    Contraindication.TOPICAL_RETINOIDS_OR_ACIDS: _C,
    Contraindication.RECENT_RESURFACING: _C,
    Contraindication.RECENT_FILLERS_OR_TOXIN: _C,
    Contraindication.ANTICOAGULANTS: _C,
    Contraindication.IMMUNOSUPPRESSION: _C,
    Contraindication.HERPES_SIMPLEX: _C,
    Contraindication.ALLERGY: _C,
}

_LABELS = {
    Contraindication.OPEN_LESIONS: "Open lesions, active acne or skin infection in the area",
    Contraindication.ACTIVE_INFECTION: "Active cold sore or other infection in or near the area",
    Contraindication.SUNBURN_OR_TAN: "Sunburn or fresh tan in the area",
    Contraindication.PIGMENTED_LESION: "Undiagnosed or changing pigmented lesion in the area",
    Contraindication.PREGNANCY: "Pregnancy or breastfeeding",
    Contraindication.RADIATION_THERAPY: "Skin radiation therapy recently",
    Contraindication.KELOID_TENDENCY: "Keloid tendency or scars easily",
    Contraindication.ECZEMA: "Eczema",
    Contraindication.PSORIASIS: "Psoriasis",
    Contraindication.ROSACEA_FLARE: "Rosacea in a flare",
    Contraindication.ISOTRETINOIN: "Isotretinoin recently",
    Contraindication.TOPICAL_RETINOIDS_OR_ACIDS: "Topical retinoids or acids recently",
    Contraindication.RECENT_RESURFACING: "Chemical peel, laser or other resurfacing recently",
    Contraindication.RECENT_FILLERS_OR_TOXIN: "Fillers or botulinum toxin recently",
    Contraindication.ANTICOAGULANTS: "Anticoagulants or a bleeding disorder",
    Contraindication.IMMUNOSUPPRESSION: "Immunosuppression, or diabetes not well controlled",
    Contraindication.HERPES_SIMPLEX: "History of cold sores (herpes simplex)",
    Contraindication.ALLERGY: "Allergy to the numbing product or a serum",
}

_PATIENT_LABELS = {
    Contraindication.OPEN_LESIONS: "Open or irritated skin in the treated area",
    Contraindication.ACTIVE_INFECTION: "A cold sore or infection near the treated area",
    Contraindication.SUNBURN_OR_TAN: "Sunburn or a recent tan",
    Contraindication.PIGMENTED_LESION: "A mole or pigmented spot to be checked",
    Contraindication.PREGNANCY: "Pregnancy or breastfeeding",
    Contraindication.RADIATION_THERAPY: "Recent radiation therapy to the skin",
    Contraindication.KELOID_TENDENCY: "Raised or thick scarring in the past",
    Contraindication.ECZEMA: "Eczema",
    Contraindication.PSORIASIS: "Psoriasis",
    Contraindication.ROSACEA_FLARE: "Rosacea flare",
    Contraindication.ISOTRETINOIN: "Recent isotretinoin",
    Contraindication.TOPICAL_RETINOIDS_OR_ACIDS: "Recent retinoid or acid skin products",
    Contraindication.RECENT_RESURFACING: "A recent peel or laser treatment",
    Contraindication.RECENT_FILLERS_OR_TOXIN: "Recent fillers or wrinkle injections",
    Contraindication.ANTICOAGULANTS: "Blood-thinning medicine or a bleeding condition",
    Contraindication.IMMUNOSUPPRESSION: "A condition or medicine that slows healing",
    Contraindication.HERPES_SIMPLEX: "Cold sores in the past",
    Contraindication.ALLERGY: "An allergy to a skin product",
}

_NOTES = {
    Contraindication.OPEN_LESIONS: "Treatment must not go ahead.",
    Contraindication.ACTIVE_INFECTION: "Wait until healed.",
    Contraindication.SUNBURN_OR_TAN: "Wait until settled.",
    Contraindication.PIGMENTED_LESION: "Refer for diagnosis first.",
    Contraindication.KELOID_TENDENCY: "Refer to a doctor first.",
    Contraindication.ECZEMA: "May not be a good candidate.",
    Contraindication.ANTICOAGULANTS: "Expect more bruising.",
    Contraindication.IMMUNOSUPPRESSION: "Slower healing, infection risk.",
    Contraindication.HERPES_SIMPLEX: "Antiviral cover may be advised.",
    Contraindication.ALLERGY: "Name it; choose another product.",
}


@dataclass(frozen=True)
class ScreeningAnswer:
    """One screening question as answered on the day of a session.

    ``since`` is the date of the last exposure for the time-bound items
    (radiation, isotretinoin, topical retinoids or acids, peel or laser,
    fillers/toxin); when it lies outside the clinic's window the item no longer
    applies. ``detail`` names what it is (the allergy).
    """

    item: Contraindication
    present: bool
    since: date | None = None
    detail: str = ""


def window_for(item: Contraindication, protocol: Protocol) -> timedelta | None:
    """How long after the last exposure a time-bound item still applies."""
    if item is Contraindication.RADIATION_THERAPY:
        return timedelta(days=round(protocol.radiation_window_months * 30.44))
    if item is Contraindication.ISOTRETINOIN:
        return timedelta(days=round(protocol.isotretinoin_washout_months * 30.44))
    if item is Contraindication.TOPICAL_RETINOIDS_OR_ACIDS:
        return timedelta(days=protocol.retinoids_window_days)
    if item is Contraindication.RECENT_RESURFACING:
        return timedelta(weeks=protocol.resurfacing_window_weeks)
    if item is Contraindication.RECENT_FILLERS_OR_TOXIN:
        return timedelta(weeks=protocol.fillers_toxin_window_weeks)
    return None


def window_text(item: Contraindication, protocol: Protocol) -> str:
    """The clinic's window of a time-bound item in words ("" for the others)."""
    if item is Contraindication.RADIATION_THERAPY:
        return f"{protocol.radiation_window_months} months"
    if item is Contraindication.ISOTRETINOIN:
        return f"{protocol.isotretinoin_washout_months} months"
    if item is Contraindication.TOPICAL_RETINOIDS_OR_ACIDS:
        return f"{protocol.retinoids_window_days} days"
    if item is Contraindication.RECENT_RESURFACING:
        return f"{protocol.resurfacing_window_weeks} weeks"
    if item is Contraindication.RECENT_FILLERS_OR_TOXIN:
        return f"{protocol.fillers_toxin_window_weeks} weeks"
    return ""


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


def unanswered(answers: tuple[ScreeningAnswer, ...], listed: int) -> tuple[Contraindication, ...]:
    """The items of screening list ``listed`` that have no answer."""
    answered = {a.item for a in answers}
    return tuple(i for i in SCREENING_LISTS.get(listed, ()) if i not in answered)
