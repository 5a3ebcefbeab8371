"""Plain records that travel between the layers: what a patient and a session are.

They carry values only; the rules that judge them live in ``validation``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.signing import Addendum, Imported, Signature, Status


@dataclass(frozen=True)
class PatientData:
    record_no: str
    family_name: str
    given_name: str
    date_of_birth: date | None = None
    sex: Sex | None = None
    phone: str = ""
    email: str = ""
    fitzpatrick: int | None = None
    contraindications: tuple[Contraindication, ...] = ()
    notes: str = ""
    planned_sessions: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass(frozen=True)
class TreatedArea:
    area: Area
    depth_mm: Decimal
    passes: int | None = None
    endpoint: Endpoint | None = None
    label: str = ""  # free text for Area.OTHER


@dataclass(frozen=True)
class Product:
    """A serum or product applied, with what traceability needs."""

    name: str
    lot: str = ""
    expiry: date | None = None


@dataclass(frozen=True)
class Numbing:
    product: str
    minutes: int


@dataclass(frozen=True)
class VancouverScarScale:
    vascularity: int
    pigmentation: int
    pliability: int
    height: int

    @property
    def total(self) -> int:
        return self.vascularity + self.pigmentation + self.pliability + self.height


@dataclass(frozen=True, slots=True)
class SessionData:
    performed_at: datetime
    practitioner: str
    areas: tuple[TreatedArea, ...]
    indications: tuple[Indication, ...] = ()
    device: str = ""
    cartridge_needles: int | None = None
    cartridge_lot: str = ""
    pen_speed: int | None = None
    numbing: Numbing | None = None
    products: tuple[Product, ...] = ()
    redness: Grade | None = None
    bruising: Grade | None = None
    swelling: Grade | None = None
    # Pinpoint bleeding is the treatment endpoint, recorded per area (TreatedArea.endpoint),
    # not a reaction. This session-wide flag is kept as stored, so older records and the
    # CSV/JSON column ``pinpoint_bleeding`` import and export unchanged; it is read as
    # "reached in some area" (see ``bleeding_reached``), never shown as a reaction.
    pinpoint_bleeding: bool = False
    acne_flare: bool = False
    adverse_events: str = ""
    pain: int | None = None
    scar_grade: int | None = None
    gais: int | None = None
    satisfaction: int | None = None
    vss: VancouverScarScale | None = None
    notes: str = ""
    aftercare_given: bool = False
    next_due: date | None = None
    screening: tuple[ScreeningAnswer, ...] = ()
    cautions_acknowledged: bool = False
    override_reason: str = ""
    # Which screening list was asked (contraindications.SCREENING_LISTS): 0 when no
    # screening was recorded. Every item of that list is answered, or the practitioner
    # named here attested at that time that none of them apply.
    screening_list: int = 0
    screening_attested_by: str = ""
    screening_attested_at: datetime | None = None
    # Why a new session went ahead without a treatment consent valid on its date (the
    # consent gate's override); empty when a consent covered it or none was asked for.
    consent_override_reason: str = ""

    @property
    def bleeding_reached(self) -> tuple[str, ...]:
        """Where pinpoint bleeding was reached as the endpoint: the areas' names, or
        ("area not recorded",) for an older record that has only the session-wide flag."""
        names = tuple(
            a.label.strip() or a.area.label
            for a in self.areas
            if a.endpoint is Endpoint.PINPOINT_BLEEDING
        )
        if names or not self.pinpoint_bleeding:
            return names
        return ("area not recorded",)

    @property
    def deepest_mm(self) -> Decimal | None:
        return max((a.depth_mm for a in self.areas), default=None)

    @property
    def shallowest_mm(self) -> Decimal | None:
        return min((a.depth_mm for a in self.areas), default=None)

    def screening_for(self, item: Contraindication) -> ScreeningAnswer | None:
        return next((a for a in self.screening if a.item is item), None)


@dataclass(frozen=True)
class Patient:
    """A stored patient as services hand it out (detached from any database session)."""

    id: int
    data: PatientData
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime
    last_session_on: date | None = None
    course_sessions: int = 0
    sessions_total: int = 0
    next_due: date | None = None
    anonymised_at: datetime | None = None  # then the date of birth holds the year only

    @property
    def record_no(self) -> str:
        return self.data.record_no

    @property
    def full_name(self) -> str:
        return self.data.full_name


@dataclass(frozen=True, slots=True)
class TreatmentSession:
    """A stored session as services hand it out."""

    id: int
    patient_id: int
    data: SessionData
    version: int
    created_at: datetime
    updated_at: datetime
    flags: tuple[str, ...] = field(default=())
    status: Status = Status.DRAFT
    signature: Signature | None = None
    addenda: tuple[Addendum, ...] = ()
    imported: Imported | None = None

    @property
    def signed(self) -> bool:
        return self.signature is not None
