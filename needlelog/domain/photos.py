"""Clinical photographs as plain values: views of the photo protocol, what the camera
recorded about a capture, alignment landmarks, the uses a patient agreed to.

The view codes are public (command line, JSON, FHIR): the default face views are
``front``, ``left_45``, ``right_45``, ``left_profile``, ``right_profile``; a body
area is photographed as ``AREA_front`` and ``AREA_back`` with the area codes of
the CSV contract (``abdomen_front``, ``back_back``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from needlelog.domain.codes import Area
from needlelog.domain.errors import Violation

FACE_VIEWS: tuple[str, ...] = ("front", "left_45", "right_45", "left_profile", "right_profile")
BODY_SIDES: tuple[str, ...] = ("front", "back")

_FACE_LABELS = {
    "front": "Front",
    "left_45": "Left 45°",
    "right_45": "Right 45°",
    "left_profile": "Left profile",
    "right_profile": "Right profile",
}

# Areas of the face: photographed with the face views. Every other area is a body
# area, photographed from the front and the back.
FACE_AREAS: frozenset[Area] = frozenset(
    {
        Area.FOREHEAD,
        Area.GLABELLA,
        Area.PERIORBITAL_LEFT,
        Area.PERIORBITAL_RIGHT,
        Area.NOSE,
        Area.CHEEK_LEFT,
        Area.CHEEK_RIGHT,
        Area.PERIORAL,
        Area.CHIN,
        Area.JAWLINE_LEFT,
        Area.JAWLINE_RIGHT,
    }
)

# File types a photo may have, by Pillow's format name: (extension, media type).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "TIFF": ("tif", "image/tiff"),
    "HEIF": ("heic", "image/heic"),
}


class PhotoUse(StrEnum):
    """A use of a patient's photographs the patient agrees to separately (CLINICAL.md)."""

    CLINICAL_RECORD = "clinical_record"
    OWN_REPORT = "own_report"
    TEACHING = "teaching"
    PUBLICATION = "publication"

    @property
    def label(self) -> str:
        return _USE_LABELS[self]


_USE_LABELS = {
    PhotoUse.CLINICAL_RECORD: "Kept in the clinical record",
    PhotoUse.OWN_REPORT: "Shown in the patient's own report",
    PhotoUse.TEACHING: "Used for teaching",
    PhotoUse.PUBLICATION: "Published",
}


def view_label(code: str) -> str:
    """The words a person reads for a view code ("Left 45°", "Abdomen from the back")."""
    if code in _FACE_LABELS:
        return _FACE_LABELS[code]
    area, _, side = code.rpartition("_")
    try:
        name = Area(area).label
    except ValueError:
        return code
    return f"{name} from the {side}"


@dataclass(frozen=True)
class PhotoProtocol:
    """The clinic's photo protocol (a clinic setting): which views, in which order.

    ``face_views`` are taken for any face area; each of ``body_areas`` (area codes)
    is taken from each of ``body_sides``. Any area code with a side is accepted as
    a view, so photos of an area not listed can still be filed.
    """

    face_views: tuple[str, ...] = FACE_VIEWS
    body_sides: tuple[str, ...] = BODY_SIDES
    body_areas: tuple[str, ...] = tuple(a.value for a in Area if a not in FACE_AREAS)

    def body_views(self, area: str) -> tuple[str, ...]:
        return tuple(f"{area}_{side}" for side in self.body_sides)

    def all_views(self) -> tuple[str, ...]:
        """Every view of the protocol, face first, in the clinic's order."""
        out = list(self.face_views)
        for area in self.body_areas:
            out.extend(self.body_views(area))
        return tuple(out)

    def views_for_areas(self, areas: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        """The view slots of a session that treated ``areas`` (area codes), in order."""
        out: list[str] = []
        if any(_is_face(a) for a in areas):
            out.extend(self.face_views)
        for area in areas:
            if not _is_face(area):
                out.extend(v for v in self.body_views(area) if v not in out)
        return tuple(out)

    def knows(self, view: str) -> bool:
        if view in self.face_views:
            return True
        area, _, side = view.rpartition("_")
        return side in self.body_sides and area in {a.value for a in Area}

    def order_key(self, view: str) -> tuple[int, str]:
        """Sorts views in the protocol's order; unknown ones last, by code."""
        views = self.all_views()
        return (views.index(view), view) if view in views else (len(views), view)

    def to_json(self) -> dict[str, Any]:
        return {
            "face_views": list(self.face_views),
            "body_sides": list(self.body_sides),
            "body_areas": list(self.body_areas),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PhotoProtocol:
        if not data:
            return cls()
        default = cls()
        return cls(
            face_views=tuple(str(v) for v in data.get("face_views", default.face_views)),
            body_sides=tuple(str(v) for v in data.get("body_sides", default.body_sides)),
            body_areas=tuple(str(v) for v in data.get("body_areas", default.body_areas)),
        )


def _is_face(area: str) -> bool:
    try:
        return Area(area) in FACE_AREAS
    except ValueError:
        return False


def view_problem(view: str, protocol: PhotoProtocol) -> Violation | None:
    """A violation if ``view`` is no view of the protocol; None when it is."""
    if protocol.knows(view):
        return None
    allowed = ", ".join(protocol.face_views) + ", or AREA_" + "/AREA_".join(protocol.body_sides)
    return Violation(
        "view", view, allowed, f"view {view!r} is not in the photo protocol; allowed: {allowed}"
    )


def protocol_problems(protocol: PhotoProtocol) -> list[Violation]:
    """What makes a photo protocol unusable (empty, repeated or malformed views)."""
    problems: list[Violation] = []
    codes = list(protocol.face_views) + list(protocol.body_sides)
    for code in codes:
        if not code or not code.replace("_", "").isalnum() or code != code.lower():
            problems.append(
                Violation(
                    "photo_protocol",
                    code,
                    "lower-case letters, digits and _",
                    f"photo view {code!r} is not a valid code; allowed: lower-case letters, "
                    "digits and _",
                )
            )
    if len(set(protocol.face_views)) != len(protocol.face_views):
        problems.append(
            Violation(
                "photo_protocol",
                protocol.face_views,
                "each view once",
                "a face view is listed twice",
            )
        )
    if len(set(protocol.body_areas)) != len(protocol.body_areas):
        problems.append(
            Violation(
                "photo_protocol",
                protocol.body_areas,
                "each area once",
                "a body area is listed twice",
            )
        )
    if len(set(protocol.body_sides)) != len(protocol.body_sides):
        problems.append(
            Violation(
                "photo_protocol",
                protocol.body_sides,
                "each side once",
                "a body side is listed twice",
            )
        )
    if not protocol.face_views and not (protocol.body_areas and protocol.body_sides):
        problems.append(
            Violation(
                "photo_protocol",
                "",
                "at least one view",
                "the photo protocol has no view; keep at least one face view or body area",
            )
        )
    elif protocol.body_areas and not protocol.body_sides:
        problems.append(
            Violation(
                "photo_protocol",
                "",
                "front, back or both",
                "the body areas are photographed from no side; choose the front, the back or both",
            )
        )
    known = {a.value for a in Area}
    for area in protocol.body_areas:
        if area not in known:
            problems.append(
                Violation(
                    "photo_protocol",
                    area,
                    "an area code",
                    f"body area {area!r} of the photo protocol is not an area code",
                )
            )
    return problems


@dataclass(frozen=True)
class CaptureInfo:
    """What the camera recorded about the capture (EXIF), kept as structured data so a
    comparison can warn when flash or camera settings differ."""

    flash_fired: bool | None = None
    exposure_time_s: float | None = None
    f_number: float | None = None
    iso: int | None = None
    focal_length_mm: float | None = None
    taken_at: datetime | None = None
    camera: str = ""  # make and model; never a serial number or an owner

    def differences(self, other: CaptureInfo) -> list[str]:
        """Why two photos may not compare honestly, in words; empty when they match
        (or when the cameras did not say)."""
        out: list[str] = []
        if (
            self.flash_fired is not None
            and other.flash_fired is not None
            and self.flash_fired != other.flash_fired
        ):
            out.append("flash fired on one photo only")
        if self.camera and other.camera and self.camera != other.camera:
            out.append("taken with different cameras")
        for name, a, b, tolerance in (
            ("exposure", self.exposure_time_s, other.exposure_time_s, 0.34),
            ("aperture", self.f_number, other.f_number, 0.15),
            ("focal length", self.focal_length_mm, other.focal_length_mm, 0.10),
            ("ISO", self.iso, other.iso, 0.34),
        ):
            if a and b and abs(math.log(a / b)) > tolerance:
                out.append(f"different {name}")
        return out


@dataclass(frozen=True)
class Landmarks:
    """Two points clicked once per photo (the pupils on a face, two marks on the body),
    in pixels of the photo as displayed (camera orientation applied)."""

    x1: float
    y1: float
    x2: float
    y2: float

    def problem(self, width: int, height: int) -> Violation | None:
        inside = all(0 <= x <= width for x in (self.x1, self.x2)) and all(
            0 <= y <= height for y in (self.y1, self.y2)
        )
        if not inside:
            return Violation(
                "landmarks", self, f"within {width}x{height}", "a landmark lies outside the photo"
            )
        if math.hypot(self.x2 - self.x1, self.y2 - self.y1) < 1:
            return Violation(
                "landmarks", self, "two distinct points", "the two landmarks are the same point"
            )
        return None


@dataclass(frozen=True)
class Similarity:
    """x' = scale * R(angle) * x + (tx, ty): maps one photo's points onto another's."""

    scale: float
    angle: float  # radians
    tx: float
    ty: float

    def apply(self, x: float, y: float) -> tuple[float, float]:
        c, s = math.cos(self.angle) * self.scale, math.sin(self.angle) * self.scale
        return (c * x - s * y + self.tx, s * x + c * y + self.ty)

    def inverse(self) -> Similarity:
        inv = Similarity(1 / self.scale, -self.angle, 0.0, 0.0)
        tx, ty = inv.apply(self.tx, self.ty)
        return Similarity(inv.scale, inv.angle, -tx, -ty)

    def then_scale(self, before: float, after: float) -> Similarity:
        """This transform between copies scaled by ``before`` (input) and ``after``
        (output): for drawing downscaled copies, never the originals."""
        return Similarity(self.scale * after / before, self.angle, self.tx * after, self.ty * after)

    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """(a, b, c, d, e, f) with x' = a*x + c*y + e, y' = b*x + d*y + f (the order of
        ReportLab's and Qt's affine transforms)."""
        c, s = math.cos(self.angle) * self.scale, math.sin(self.angle) * self.scale
        return (c, s, -s, c, self.tx, self.ty)


IDENTITY = Similarity(1.0, 0.0, 0.0, 0.0)


def similarity(moving: Landmarks, fixed: Landmarks) -> Similarity:
    """The similarity transform that puts ``moving``'s landmarks onto ``fixed``'s."""
    mx, my = moving.x2 - moving.x1, moving.y2 - moving.y1
    fx, fy = fixed.x2 - fixed.x1, fixed.y2 - fixed.y1
    lm, lf = math.hypot(mx, my), math.hypot(fx, fy)
    if lm == 0 or lf == 0:
        return IDENTITY
    scale = lf / lm
    angle = math.atan2(fy, fx) - math.atan2(my, mx)
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    tx = fixed.x1 - (c * moving.x1 - s * moving.y1)
    ty = fixed.y1 - (s * moving.x1 + c * moving.y1)
    return Similarity(scale, angle, tx, ty)


@dataclass(frozen=True)
class Photo:
    """A stored photograph as every reader sees it (window, report, exports, check)."""

    id: int
    patient_id: int
    session_id: int
    performed_on: date
    view: str
    after: bool  # taken after the treatment (before is the default and the rule)
    sha256: str
    original_name: str
    ext: str  # jpg, png, tif, heic
    media_type: str
    byte_size: int
    width: int  # as displayed: camera orientation applied
    height: int
    orientation: int  # the EXIF orientation tag of the original (1 = upright)
    capture: CaptureInfo = field(default_factory=CaptureInfo)
    landmarks: Landmarks | None = None
    created_at: datetime | None = None
    created_by: str = ""
    withdrawn_at: datetime | None = None
    withdrawn_by: str = ""
    withdrawn_reason: str = ""

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def timing(self) -> str:
        return "after" if self.after else "before"

    @property
    def view_label(self) -> str:
        return view_label(self.view)

    @property
    def export_name(self) -> str:
        """``DATE_VIEW_before|after.ext``, the name ``photos export`` gives the original."""
        return f"{self.performed_on.isoformat()}_{self.view}_{self.timing}.{self.ext}"


class UsesSource(StrEnum):
    """Where the answer about a patient's photo uses comes from."""

    NONE = "none"  # nothing recorded: no signed photo consent
    RECORDED = "recorded"  # recorded before signed consent (the old list of uses)
    CONSENT = "consent"  # the latest signed photo consent
    WITHDRAWN = "withdrawn"  # the latest photo consent, withdrawn


@dataclass(frozen=True)
class PhotoUses:
    """The uses of their photographs a patient agreed to, and where that answer comes
    from: the latest signed photo consent (``signed_on``), its withdrawal
    (``withdrawn_on``), or the uses recorded before signed consent existed."""

    agreed: frozenset[PhotoUse] = frozenset()
    source: UsesSource = UsesSource.RECORDED
    signed_on: date | None = None  # the photo consent answered from
    withdrawn_on: date | None = None
    withdrawn_reason: str = ""
    consent_id: int | None = None

    def allows(self, use: PhotoUse) -> bool:
        return use in self.agreed

    @property
    def summary(self) -> str:
        """Where the answers come from, for the window."""
        if self.source is UsesSource.CONSENT and self.signed_on is not None:
            return f"From the photo consent signed on {_day(self.signed_on)}."
        if self.source is UsesSource.WITHDRAWN and self.withdrawn_on is not None:
            return f"Photo consent withdrawn on {_day(self.withdrawn_on)}."
        if self.source is UsesSource.RECORDED:
            return "Recorded before signed consent."
        return "No signed photo consent."

    def why_not(self, use: PhotoUse) -> str:
        """A sentence for the window when a photo is left out; empty when allowed."""
        if self.allows(use):
            return ""
        what = use.label.lower()
        if self.source is UsesSource.WITHDRAWN and self.withdrawn_on is not None:
            because = f" ({self.withdrawn_reason})" if self.withdrawn_reason.strip() else ""
            return (
                "Photographs left out: the patient withdrew photo consent on "
                f"{_day(self.withdrawn_on)}{because}."
            )
        if self.source is UsesSource.CONSENT and self.signed_on is not None:
            return (
                f"Photographs left out: the patient answered no to this use ({what}) "
                f"on {_day(self.signed_on)}."
            )
        if self.source is UsesSource.NONE:
            return f"Photographs left out ({what}): no signed photo consent."
        return (
            f"Photographs left out: the patient has not agreed to this use ({what}); "
            "recorded before signed consent."
        )


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass(frozen=True)
class ViewPair:
    """First and latest photo of one view (for the report and the comparison default)."""

    view: str
    first: Photo
    latest: Photo

    @property
    def warnings(self) -> list[str]:
        return self.first.capture.differences(self.latest.capture)
