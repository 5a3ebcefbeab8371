"""Translation between stored rows and the plain records of ``domain``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from types import SimpleNamespace
from typing import Any, TypeVar

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    Patient,
    PatientData,
    Product,
    SessionData,
    TreatedArea,
    TreatmentSession,
    VancouverScarScale,
)
from needlelog.store.models import (
    AssessmentRow,
    PatientRow,
    ProductRow,
    ScreeningRow,
    SessionRow,
    TreatedAreaRow,
)

# Scales and the versions scores are recorded against (CLINICAL.md).
GOODMAN_BARON = ("goodman_baron_qualitative", "1996")
GAIS = ("gais", "2008")
SATISFACTION = ("satisfaction_nrs", "0-10")
VSS = ("vancouver_scar_scale", "1990")
VSS_ITEMS = ("vascularity", "pigmentation", "pliability", "height")

UM_PER_MM = Decimal(1000)
E = TypeVar("E", bound=Enum)
R = TypeVar("R")


def _stored(cls: type[R], **values: Any) -> R:
    """A record from values read back from the store, the same object ``cls(**values)``
    makes (every field is given): without the frozen dataclass's assignment field by
    field, a fifth of opening a long history or of reading a page of patients."""
    record = object.__new__(cls)
    record.__dict__.update(values)
    return record


# ``_stored`` skips ``__init__``: only for records whose ``__init__`` does nothing else.
for _cls in (PatientData, Patient, SessionData, TreatmentSession):
    assert not hasattr(_cls, "__post_init__") and not hasattr(_cls, "__slots__"), _cls


def depth_to_um(depth_mm: Decimal) -> int:
    return int((depth_mm * UM_PER_MM).to_integral_value())


def um_to_depth(depth_um: int) -> Decimal:
    return (Decimal(depth_um) / UM_PER_MM).quantize(Decimal("0.01"))


def join_codes(items: tuple[Any, ...]) -> str:
    return ";".join(i.value for i in items)


def split_codes(text: str) -> list[str]:
    return [t for t in text.split(";") if t]


# --- patients -------------------------------------------------------------

PATIENT_FIELDS = (
    "record_no", "family_name", "given_name", "date_of_birth", "phone", "email",
    "fitzpatrick", "notes", "planned_sessions",
)  # fmt: skip


def patient_to_row(data: PatientData, row: PatientRow) -> None:
    for name in PATIENT_FIELDS:
        setattr(row, name, getattr(data, name))
    row.sex = data.sex.value if data.sex else None
    row.contraindications = join_codes(data.contraindications)


def patient_data(row: PatientRow) -> PatientData:
    return patient_from_row(row).data


def patient_from_row(row: PatientRow) -> Patient:
    """A stored patient from a mapped row (or any object with the same attributes)."""
    return patient_from_columns(tuple(getattr(row, name) for name in PATIENT_COLUMNS))


# The columns ``patient_from_columns`` reads, in its order.
PATIENT_COLUMNS = (
    "id", "record_no", "family_name", "given_name", "date_of_birth", "sex", "phone", "email",
    "fitzpatrick", "contraindications", "notes", "planned_sessions", "archived",
    "last_session_on", "course_sessions", "sessions_total", "next_due", "created_at",
    "updated_at", "version",
)  # fmt: skip


@lru_cache(maxsize=1024)
def _contraindications(text: str) -> tuple[Contraindication, ...]:
    return tuple(_contraindication(c) for c in split_codes(text))


def patient_from_columns(row: tuple[Any, ...]) -> Patient:
    """A stored patient from a plain row holding ``PATIENT_COLUMNS`` (a page of search
    results builds a hundred)."""
    (
        pid, record_no, family_name, given_name, date_of_birth, sex, phone, email,
        fitzpatrick, contraindications, notes, planned_sessions, archived,
        last_session_on, course_sessions, sessions_total, next_due, created_at,
        updated_at, version,
    ) = row  # fmt: skip
    data = _stored(
        PatientData,
        record_no=record_no,
        family_name=family_name,
        given_name=given_name,
        date_of_birth=date_of_birth,
        sex=_sex(sex) if sex else None,
        phone=phone,
        email=email,
        fitzpatrick=fitzpatrick,
        contraindications=_contraindications(contraindications),
        notes=notes,
        planned_sessions=planned_sessions,
    )
    return _stored(
        Patient,
        id=pid,
        data=data,
        archived=archived,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
        last_session_on=last_session_on,
        course_sessions=course_sessions,
        sessions_total=sessions_total,
        next_due=next_due,
    )


# --- sessions -------------------------------------------------------------

SESSION_SCALARS = (
    "performed_at", "practitioner", "device", "cartridge_needles", "cartridge_lot", "pen_speed",
    "pinpoint_bleeding", "acne_flare", "adverse_events", "pain", "notes", "aftercare_given",
    "next_due", "cautions_acknowledged", "override_reason", "screening_list",
    "screening_attested_by", "screening_attested_at",
)  # fmt: skip


def _finder(kind: type[E]) -> Callable[[Any], E]:
    """``kind(value)`` for stored codes, from a dict: a long history reads thousands of
    codes, and the enum's own lookup is several times slower. Unknown codes still fail
    as the enum fails."""
    members: dict[Any, E] = {m.value: m for m in kind}

    def find(value: Any) -> E:
        found = members.get(value)
        return kind(value) if found is None else found

    return find


_sex = _finder(Sex)
_area = _finder(Area)
_endpoint = _finder(Endpoint)
_indication = _finder(Indication)
_contraindication = _finder(Contraindication)
_grade_of = _finder(Grade)


def _grade(value: int | None) -> Grade | None:
    return None if value is None else _grade_of(value)


@dataclass(frozen=True)
class SessionValues:
    """A session as the column values of its rows: the session row (without its
    patient, id, timestamps and version) and the rows of each child table (without
    their session)."""

    session: dict[str, Any]
    areas: list[dict[str, Any]]
    products: list[dict[str, Any]]
    screening: list[dict[str, Any]]
    assessments: list[dict[str, Any]]


def score_rows(data: SessionData) -> list[dict[str, Any]]:
    """The session's scores as assessment rows, each with its scale and version."""
    scores: list[dict[str, Any]] = []
    for (scale, version), item, value in (
        (GOODMAN_BARON, "grade", data.scar_grade),
        (GAIS, "score", data.gais),
        (SATISFACTION, "score", data.satisfaction),
    ):
        if value is not None:
            scores.append({"scale": scale, "scale_version": version, "item": item, "score": value})
    if data.vss is not None:
        for item in VSS_ITEMS:
            scores.append(
                {
                    "scale": VSS[0],
                    "scale_version": VSS[1],
                    "item": item,
                    "score": getattr(data.vss, item),
                }
            )
    return scores


def session_values(data: SessionData) -> SessionValues:
    values = {name: getattr(data, name) for name in SESSION_SCALARS}
    values["indications"] = join_codes(data.indications)
    values["numbing_product"] = data.numbing.product if data.numbing else ""
    values["numbing_minutes"] = data.numbing.minutes if data.numbing else None
    values["redness"] = None if data.redness is None else int(data.redness)
    values["bruising"] = None if data.bruising is None else int(data.bruising)
    values["swelling"] = None if data.swelling is None else int(data.swelling)
    areas = [
        {
            "position": i,
            "area": a.area.value,
            "label": a.label,
            "depth_um": depth_to_um(a.depth_mm),
            "passes": a.passes,
            "endpoint": a.endpoint.value if a.endpoint else None,
        }
        for i, a in enumerate(data.areas)
    ]
    products = [
        {"position": i, "name": p.name, "lot": p.lot, "expiry": p.expiry}
        for i, p in enumerate(data.products)
    ]
    screening = [
        {"item": a.item.value, "present": a.present, "since": a.since, "detail": a.detail}
        for a in data.screening
    ]
    scores = score_rows(data)
    return SessionValues(values, areas, products, screening, scores)


def session_to_row(data: SessionData, row: SessionRow) -> None:
    """Write a session's values into a row (new or existing), children replaced."""
    values = session_values(data)
    for name, value in values.session.items():
        setattr(row, name, value)
    row.areas = [TreatedAreaRow(**v) for v in values.areas]
    row.products = [ProductRow(**v) for v in values.products]
    row.screening = [ScreeningRow(**v) for v in values.screening]
    row.assessments = [AssessmentRow(**v) for v in values.assessments]


def session_from_values(
    session_id: int, patient_id: int, values: SessionValues, stamp: datetime
) -> TreatmentSession:
    """The stored view of a session just written from ``values`` (version 1)."""
    plain = SimpleNamespace(
        id=session_id,
        patient_id=patient_id,
        version=1,
        created_at=stamp,
        updated_at=stamp,
        **values.session,
        areas=[SimpleNamespace(**v) for v in values.areas],
        products=[SimpleNamespace(**v) for v in values.products],
        screening=[SimpleNamespace(**v) for v in values.screening],
        assessments=[SimpleNamespace(**v) for v in values.assessments],
    )
    return session_from_row(plain)  # type: ignore[arg-type]


# Screening answers in the order of the questionnaire.
_SCREENING_ORDER = {item: i for i, item in enumerate(Contraindication)}


# A long history repeats the same areas and screening answers session after session:
# the records are immutable, so each is built once (a third of opening a record).
@lru_cache(maxsize=4096)
def _treated_area(
    area: str, depth_um: int, passes: int | None, endpoint: str | None, label: str
) -> TreatedArea:
    return TreatedArea(
        area=_area(area),
        depth_mm=um_to_depth(depth_um),
        passes=passes,
        endpoint=_endpoint(endpoint) if endpoint else None,
        label=label,
    )


@lru_cache(maxsize=1024)
def _screening(
    answers: tuple[tuple[str, bool, date | None, str], ...],
) -> tuple[ScreeningAnswer, ...]:
    return tuple(
        sorted(
            (
                ScreeningAnswer(_contraindication(item), present, since, detail)
                for item, present, since, detail in answers
            ),
            key=lambda a: _SCREENING_ORDER[a.item],
        )
    )


# The columns ``session_from_columns`` reads, in its order: statements that read
# sessions for it select exactly these (``sessions.history``).
SESSION_COLUMNS = (
    "id", "patient_id", "version", "created_at", "updated_at", "performed_at", "practitioner",
    "indications", "device", "cartridge_needles", "cartridge_lot", "pen_speed",
    "numbing_product", "numbing_minutes", "redness", "bruising", "swelling",
    "pinpoint_bleeding", "acne_flare", "adverse_events", "pain", "notes", "aftercare_given",
    "next_due", "cautions_acknowledged", "override_reason", "screening_list",
    "screening_attested_by", "screening_attested_at",
)  # fmt: skip
# The columns of each child row, after its session id, in the order read below.
AREA_COLUMNS = ("area", "depth_um", "passes", "endpoint", "label")
PRODUCT_COLUMNS = ("name", "lot", "expiry")
SCREENING_COLUMNS = ("item", "present", "since", "detail")
ASSESSMENT_COLUMNS = ("scale", "item", "score")


@lru_cache(maxsize=256)
def _indications(text: str) -> tuple[Indication, ...]:
    return tuple(_indication(c) for c in split_codes(text))


@lru_cache(maxsize=4096)
def _product(name: str, lot: str, expiry: date | None) -> Product:
    return Product(name, lot, expiry)


def session_data(row: SessionRow) -> SessionData:
    """A session's values from its mapped row (or any object with the same attributes
    and children)."""

    def children(items: list[Any], names: tuple[str, ...]) -> list[tuple[Any, ...]]:
        return [(None, *(getattr(item, name) for name in names)) for item in items]

    return session_data_from_columns(
        tuple(getattr(row, name) for name in SESSION_COLUMNS),
        children(row.areas, AREA_COLUMNS),
        children(row.products, PRODUCT_COLUMNS),
        children(row.screening, SCREENING_COLUMNS),
        children(row.assessments, ASSESSMENT_COLUMNS),
    )


def session_from_columns(
    row: tuple[Any, ...],
    areas: list[tuple[Any, ...]],
    products: list[tuple[Any, ...]],
    screening: list[tuple[Any, ...]],
    assessments: list[tuple[Any, ...]],
    flags: Callable[[SessionData], tuple[str, ...]],
) -> TreatmentSession:
    """A stored session from plain rows (see ``session_data_from_columns``), with the
    flags ``flags`` finds for it."""
    data = session_data_from_columns(row, areas, products, screening, assessments)
    sid, patient_id, version, created_at, updated_at = row[:5]
    return _stored(
        TreatmentSession,
        id=sid,
        patient_id=patient_id,
        data=data,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
        flags=flags(data),
    )


def session_data_from_columns(
    row: tuple[Any, ...],
    areas: list[tuple[Any, ...]],
    products: list[tuple[Any, ...]],
    screening: list[tuple[Any, ...]],
    assessments: list[tuple[Any, ...]],
) -> SessionData:
    """A session's values from plain rows: ``row`` holds ``SESSION_COLUMNS``, each child
    row its session id and then its ``*_COLUMNS``. Opening a long history builds sixty
    of these; reading values by position is what keeps that quick."""
    (
        _sid, _patient_id, _version, _created_at, _updated_at, performed_at, practitioner,
        indications, device, cartridge_needles, cartridge_lot, pen_speed,
        numbing_product, numbing_minutes, redness, bruising, swelling,
        pinpoint_bleeding, acne_flare, adverse_events, pain, notes, aftercare_given,
        next_due, cautions_acknowledged, override_reason, screening_list,
        screening_attested_by, screening_attested_at,
    ) = row  # fmt: skip
    scores = {(scale, item): score for _sid, scale, item, score in assessments}
    vss = None
    if any(scale == VSS[0] for scale, _ in scores):
        vss = VancouverScarScale(**{i: scores.get((VSS[0], i), 0) for i in VSS_ITEMS})
    return _stored(
        SessionData,
        performed_at=performed_at,
        practitioner=practitioner,
        areas=tuple(_treated_area(*a[1:]) for a in areas),
        indications=_indications(indications),
        device=device,
        cartridge_needles=cartridge_needles,
        cartridge_lot=cartridge_lot,
        pen_speed=pen_speed,
        numbing=(
            Numbing(numbing_product, numbing_minutes)
            if numbing_product and numbing_minutes is not None
            else None
        ),
        products=tuple(_product(*p[1:]) for p in products),
        redness=_grade(redness),
        bruising=_grade(bruising),
        swelling=_grade(swelling),
        pinpoint_bleeding=pinpoint_bleeding,
        acne_flare=acne_flare,
        adverse_events=adverse_events,
        pain=pain,
        scar_grade=scores.get((GOODMAN_BARON[0], "grade")),
        gais=scores.get((GAIS[0], "score")),
        satisfaction=scores.get((SATISFACTION[0], "score")),
        vss=vss,
        notes=notes,
        aftercare_given=aftercare_given,
        next_due=next_due,
        screening=_screening(tuple(s[1:] for s in screening)),
        cautions_acknowledged=cautions_acknowledged,
        override_reason=override_reason,
        screening_list=screening_list,
        screening_attested_by=screening_attested_by,
        screening_attested_at=screening_attested_at,
    )


def session_from_row(
    row: SessionRow, flags: tuple[str, ...] = (), data: SessionData | None = None
) -> TreatmentSession:
    return TreatmentSession(
        id=row.id,
        patient_id=row.patient_id,
        data=session_data(row) if data is None else data,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        flags=flags,
    )


def as_dict(data: PatientData | SessionData) -> dict[str, Any]:
    """Field values for the audit trail (nested records are left to ``audit`` to
    flatten: ``dataclasses.asdict`` deep-copies every value, a third of a save's time)."""
    return {f.name: getattr(data, f.name) for f in fields(data)}
