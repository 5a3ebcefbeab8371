"""Translation between stored rows and the plain records of ``domain``."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    PatientData,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.domain.signing import Status

if TYPE_CHECKING:
    from needlelog.store.models import PatientRow

# Scales and the versions scores are recorded against (CLINICAL.md).
GOODMAN_BARON = ("goodman_baron_qualitative", "1996")
GAIS = ("gais", "2008")
SATISFACTION = ("satisfaction_nrs", "0-10")
VSS = ("vancouver_scar_scale", "1990")
VSS_ITEMS = ("vascularity", "pigmentation", "pliability", "height")

UM_PER_MM = Decimal(1000)
E = TypeVar("E", bound=Enum)


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


def patient_values(data: PatientData) -> dict[str, Any]:
    """A patient's values as the columns of its row."""
    values = {name: getattr(data, name) for name in PATIENT_FIELDS}
    values["sex"] = data.sex.value if data.sex else None
    values["contraindications"] = join_codes(data.contraindications)
    return values


def patient_to_row(data: PatientData, row: PatientRow) -> None:
    for name, value in patient_values(data).items():
        setattr(row, name, value)


def patient_data(row: Mapping[str, Any]) -> PatientData:
    """A patient's values from a stored row, read by column name."""
    return PatientData(
        record_no=row["record_no"],
        family_name=row["family_name"],
        given_name=row["given_name"],
        date_of_birth=row["date_of_birth"],
        sex=_sex(row["sex"]) if row["sex"] else None,
        phone=row["phone"],
        email=row["email"],
        fitzpatrick=row["fitzpatrick"],
        contraindications=_contraindications(row["contraindications"]),
        notes=row["notes"],
        planned_sessions=row["planned_sessions"],
    )


@lru_cache(maxsize=1024)
def _contraindications(text: str) -> tuple[Contraindication, ...]:
    return tuple(_contraindication(c) for c in split_codes(text))


# --- sessions -------------------------------------------------------------

SESSION_SCALARS = (
    "performed_at", "practitioner", "device", "cartridge_needles", "cartridge_lot", "pen_speed",
    "pinpoint_bleeding", "acne_flare", "adverse_events", "pain", "notes", "aftercare_given",
    "next_due", "cautions_acknowledged", "override_reason", "screening_list",
    "screening_attested_by", "screening_attested_at", "consent_override_reason",
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
status = _finder(Status)  # a session's signing status from its stored code


_GRADES: dict[int | None, Grade] = {g.value: g for g in Grade}


def _grade(value: int | None) -> Grade | None:
    """Three per session read: one dict lookup each (an unknown code fails as the
    enum does)."""
    found = _GRADES.get(value)
    if found is None and value is not None:
        return _grade_of(value)
    return found


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


# A session's children come as one JSON text per kind: a list with one list per
# child, its values those of these columns in this order (None: none of that kind).
# These lists are the only ones of the packed columns: ``session_query`` selects
# them, and the readers below pick values out of them by name. Arrays, not objects
# keyed by column: a third of the text for SQLite to build and for ``json`` to read.
AREA_COLUMNS = ("position", "area", "label", "depth_um", "passes", "endpoint")
PRODUCT_COLUMNS = ("position", "name", "lot", "expiry")
SCREENING_COLUMNS = ("item", "present", "since", "detail")
SCORE_COLUMNS = ("scale", "item", "score")


def _picker(columns: tuple[str, ...], *names: str) -> Callable[[list[Any]], Any]:
    """The values of ``names`` (one value for one name) from a child packed as
    ``columns``."""
    return itemgetter(*(columns.index(name) for name in names))


_AREA_POSITION = _picker(AREA_COLUMNS, "position")
_AREA_VALUES = _picker(AREA_COLUMNS, "area", "depth_um", "passes", "endpoint", "label")
_PRODUCT_POSITION = _picker(PRODUCT_COLUMNS, "position")
_PRODUCT_VALUES = _picker(PRODUCT_COLUMNS, "name", "lot", "expiry")
_SCREENING_VALUES = _picker(SCREENING_COLUMNS, "item", "present", "since", "detail")
_SCORE_VALUES = _picker(SCORE_COLUMNS, "scale", "item", "score")


# Texts repeat from session to session (the same answers, areas, scores), so each
# distinct one is decoded once.
def _decoded(packed: str | None) -> list[list[Any]]:
    return json.loads(packed) if packed else []


@lru_cache(maxsize=4096)
def _areas(packed: str | None) -> tuple[TreatedArea, ...]:
    return tuple(
        _treated_area(*_AREA_VALUES(a)) for a in sorted(_decoded(packed), key=_AREA_POSITION)
    )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


# A product's lot changes every month or so, and patients treated in the same month
# share them: a clinic's whole history holds a few thousand distinct lists (7,300 in
# 100,000 sessions of the benchmark clinic), which a smaller cache walked in record
# order kept evicting before they came round again.
@lru_cache(maxsize=16384)
def _products(packed: str | None) -> tuple[Product, ...]:
    children = sorted(_decoded(packed), key=_PRODUCT_POSITION)
    return tuple(
        Product(name, lot, _day(expiry)) for name, lot, expiry in map(_PRODUCT_VALUES, children)
    )


@lru_cache(maxsize=1024)
def _screening(packed: str | None) -> tuple[ScreeningAnswer, ...]:
    """The answers of a session's screening, in the order of the questionnaire."""
    return tuple(
        sorted(
            (
                ScreeningAnswer(_contraindication(item), bool(present), _day(since), detail)
                for item, present, since, detail in map(_SCREENING_VALUES, _decoded(packed))
            ),
            key=lambda a: _SCREENING_ORDER[a.item],
        )
    )


Scores = tuple[int | None, int | None, int | None, VancouverScarScale | None]


@lru_cache(maxsize=1024)
def _scores(packed: str | None) -> Scores:
    """The scar grade, GAIS, satisfaction and VSS of a session."""
    scores = {(scale, item): score for scale, item, score in map(_SCORE_VALUES, _decoded(packed))}
    vss = None
    if any(scale == VSS[0] for scale, _ in scores):
        vss = VancouverScarScale(**{i: scores.get((VSS[0], i), 0) for i in VSS_ITEMS})
    return (
        scores.get((GOODMAN_BARON[0], "grade")),
        scores.get((GAIS[0], "score")),
        scores.get((SATISFACTION[0], "score")),
        vss,
    )


@lru_cache(maxsize=256)
def _indications(text: str) -> tuple[Indication, ...]:
    return tuple(_indication(c) for c in split_codes(text))


def session_data(
    row: Mapping[str, Any],
    areas: str | None,
    products: str | None,
    screening: str | None,
    assessments: str | None,
) -> SessionData:
    """A session's values from its stored row, read by column name, and its children
    as one JSON text per kind (areas, products, screening answers, scores: a list of
    objects by column name; None: none of that kind)."""
    scar_grade, gais, satisfaction, vss = _scores(assessments)
    return SessionData(
        performed_at=row["performed_at"],
        practitioner=row["practitioner"],
        areas=_areas(areas),
        indications=_indications(row["indications"]),
        device=row["device"],
        cartridge_needles=row["cartridge_needles"],
        cartridge_lot=row["cartridge_lot"],
        pen_speed=row["pen_speed"],
        numbing=(
            Numbing(row["numbing_product"], row["numbing_minutes"])
            if row["numbing_product"] and row["numbing_minutes"] is not None
            else None
        ),
        products=_products(products),
        redness=_grade(row["redness"]),
        bruising=_grade(row["bruising"]),
        swelling=_grade(row["swelling"]),
        pinpoint_bleeding=row["pinpoint_bleeding"],
        acne_flare=row["acne_flare"],
        adverse_events=row["adverse_events"],
        pain=row["pain"],
        scar_grade=scar_grade,
        gais=gais,
        satisfaction=satisfaction,
        vss=vss,
        notes=row["notes"],
        aftercare_given=row["aftercare_given"],
        next_due=row["next_due"],
        screening=_screening(screening),
        cautions_acknowledged=row["cautions_acknowledged"],
        override_reason=row["override_reason"],
        screening_list=row["screening_list"],
        screening_attested_by=row["screening_attested_by"],
        screening_attested_at=row["screening_attested_at"],
        consent_override_reason=row["consent_override_reason"],
    )


def as_dict(data: PatientData | SessionData) -> dict[str, Any]:
    """Field values for the audit trail (nested records are left to ``audit`` to
    flatten: ``dataclasses.asdict`` deep-copies every value, a third of a save's time)."""
    return {f.name: getattr(data, f.name) for f in fields(data)}
