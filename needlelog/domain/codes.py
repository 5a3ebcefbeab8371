"""The coded vocabularies of CLINICAL.md and of the CSV contract.

The string values are public: they appear in CSV, JSON and on the command
line, so they never change once released.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Area(StrEnum):
    FOREHEAD = "forehead"
    GLABELLA = "glabella"
    PERIORBITAL_LEFT = "periorbital_left"
    PERIORBITAL_RIGHT = "periorbital_right"
    NOSE = "nose"
    CHEEK_LEFT = "cheek_left"
    CHEEK_RIGHT = "cheek_right"
    PERIORAL = "perioral"
    CHIN = "chin"
    JAWLINE_LEFT = "jawline_left"
    JAWLINE_RIGHT = "jawline_right"
    NECK = "neck"
    DECOLLETAGE = "decolletage"
    SCALP = "scalp"
    ABDOMEN = "abdomen"
    THIGHS = "thighs"
    ARMS = "arms"
    BACK = "back"
    BUTTOCKS = "buttocks"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _AREA_LABELS[self]


_AREA_LABELS: dict[Area, str] = {
    Area.FOREHEAD: "Forehead",
    Area.GLABELLA: "Glabella",
    Area.PERIORBITAL_LEFT: "Periorbital (left)",
    Area.PERIORBITAL_RIGHT: "Periorbital (right)",
    Area.NOSE: "Nose",
    Area.CHEEK_LEFT: "Cheek (left)",
    Area.CHEEK_RIGHT: "Cheek (right)",
    Area.PERIORAL: "Upper lip / perioral",
    Area.CHIN: "Chin",
    Area.JAWLINE_LEFT: "Jawline (left)",
    Area.JAWLINE_RIGHT: "Jawline (right)",
    Area.NECK: "Neck",
    Area.DECOLLETAGE: "Décolletage",
    Area.SCALP: "Scalp",
    Area.ABDOMEN: "Abdomen",
    Area.THIGHS: "Thighs",
    Area.ARMS: "Arms",
    Area.BACK: "Back",
    Area.BUTTOCKS: "Buttocks",
    Area.OTHER: "Other",
}


class Indication(StrEnum):
    ACNE_SCARS = "acne_scars"
    SCARRING = "scarring"
    ACNE = "acne"
    ALOPECIA = "alopecia"
    STRETCH_MARKS = "stretch_marks"
    SKIN_LAXITY = "skin_laxity"
    WRINKLES = "wrinkles"
    PIGMENTATION = "pigmentation"
    ROSACEA = "rosacea"
    REJUVENATION = "rejuvenation"

    @property
    def label(self) -> str:
        return _INDICATION_LABELS[self]


_INDICATION_LABELS: dict[Indication, str] = {
    Indication.ACNE_SCARS: "Acne scars",
    Indication.SCARRING: "Other scarring",
    Indication.ACNE: "Acne",
    Indication.ALOPECIA: "Alopecia",
    Indication.STRETCH_MARKS: "Stretch marks",
    Indication.SKIN_LAXITY: "Loose skin",
    Indication.WRINKLES: "Wrinkles and fine lines",
    Indication.PIGMENTATION: "Pigmentation",
    Indication.ROSACEA: "Rosacea",
    Indication.REJUVENATION: "General rejuvenation",
}


class Grade(IntEnum):
    """Severity of an observed reaction (redness, bruising, swelling)."""

    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3

    @property
    def word(self) -> str:
        return self.name.lower()

    @classmethod
    def from_word(cls, word: str) -> Grade:
        return cls[word.strip().upper()]


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Endpoint(StrEnum):
    """The immediate clinical endpoint reached in an area."""

    ERYTHEMA = "erythema"
    PINPOINT_BLEEDING = "pinpoint_bleeding"


FITZPATRICK_NUMERALS = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
