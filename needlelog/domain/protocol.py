"""The clinic's adjustable protocol: depth ranges per area, course timing, screening
windows.

Sources disagree on several of these numbers (CLINICAL.md), so each is a
setting with the documented default rather than a constant in the rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from needlelog.domain.codes import Area
from needlelog.domain.errors import Violation

# What any pen on the market can do; a value outside this is a typing error,
# not a protocol choice, so the clinic's range must lie within it.
PEN_MIN_DEPTH_MM = Decimal("0.25")
PEN_MAX_DEPTH_MM = Decimal("3.00")

# An area's own range: (area code, shallowest mm, deepest mm).
AreaRange = tuple[str, Decimal, Decimal]


@dataclass(frozen=True)
class Protocol:
    # The range of every area without a range of its own.
    depth_min_mm: Decimal = Decimal("0.50")
    depth_max_mm: Decimal = Decimal("1.00")
    depth_step_mm: Decimal = Decimal("0.05")
    # Areas whose range differs from the one above (body areas are often deeper).
    area_ranges: tuple[AreaRange, ...] = ()
    interval_min_weeks: int = 4
    interval_max_weeks: int = 6
    planned_sessions: int = 3
    maintenance_months: int = 12
    course_gap_weeks: int = 26
    radiation_window_months: int = 12
    isotretinoin_washout_months: int = 6
    retinoids_window_days: int = 5
    resurfacing_window_weeks: int = 4
    fillers_toxin_window_weeks: int = 2

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if key == "area_ranges":
                out[key] = {code: [str(low), str(high)] for code, low, high in self.area_ranges}
            else:
                out[key] = str(value) if isinstance(value, Decimal) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Protocol:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                continue
            if key == "area_ranges":
                values[key] = tuple(
                    (code, Decimal(str(pair[0])), Decimal(str(pair[1])))
                    for code, pair in dict(raw).items()
                )
            else:
                values[key] = Decimal(str(raw)) if key.startswith("depth_") else int(raw)
        return cls(**values)

    @property
    def course_gap(self) -> timedelta:
        """An unfinished course left longer than this is interrupted; a session after
        such a gap starts a new course."""
        return timedelta(weeks=self.course_gap_weeks)

    def depth_range(self, area: Area | str) -> tuple[Decimal, Decimal]:
        """The shallowest and deepest depth the clinic allows in ``area``."""
        code = str(area)
        for own, low, high in self.area_ranges:
            if own == code:
                return low, high
        return self.depth_min_mm, self.depth_max_mm

    def with_area_range(self, area: Area, low: Decimal, high: Decimal) -> Protocol:
        """This protocol with ``area``'s own range (dropped when it equals the default)."""
        kept = tuple(r for r in self.area_ranges if r[0] != area.value)
        if (low, high) != (self.depth_min_mm, self.depth_max_mm):
            kept = (*kept, (area.value, low, high))
        order = {a.value: i for i, a in enumerate(Area)}
        return replace(self, area_ranges=tuple(sorted(kept, key=lambda r: order.get(r[0], 99))))

    @property
    def widest_range(self) -> tuple[Decimal, Decimal]:
        """From the shallowest to the deepest depth any area allows."""
        lows = [self.depth_min_mm, *(r[1] for r in self.area_ranges)]
        highs = [self.depth_max_mm, *(r[2] for r in self.area_ranges)]
        return min(lows), max(highs)

    def range_text(self, area: Area | str) -> str:
        low, high = self.depth_range(area)
        return f"{low:.2f} to {high:.2f} mm"

    def depth_allowed_text(self, area: Area | str | None = None) -> str:
        low, high = self.widest_range if area is None else self.depth_range(area)
        return f"{low:.2f} to {high:.2f} mm in steps of {self.depth_step_mm:.2f} mm"


def ranges_text(protocol: Protocol) -> str:
    """Every range of the protocol in words: the default, then each area's own."""
    parts = [f"{protocol.depth_min_mm:.2f} to {protocol.depth_max_mm:.2f} mm"]
    for code, low, high in protocol.area_ranges:
        name = Area(code).label if code in Area._value2member_map_ else code
        parts.append(f"{name} {low:.2f} to {high:.2f} mm")
    return "; ".join(parts) + f", in steps of {protocol.depth_step_mm:.2f} mm"


# The bounds of each whole-number setting: (field, what it is, unit, lowest, highest).
WHOLE_SETTINGS: tuple[tuple[str, str, str, int, int], ...] = (
    ("interval_min_weeks", "shortest interval", "weeks", 1, 52),
    ("interval_max_weeks", "longest interval", "weeks", 1, 52),
    ("planned_sessions", "sessions in a course", "sessions", 1, 20),
    ("maintenance_months", "maintenance after", "months", 1, 60),
    ("course_gap_weeks", "course gap", "weeks", 2, 260),
    ("radiation_window_months", "radiation therapy window", "months", 1, 60),
    ("isotretinoin_washout_months", "isotretinoin washout", "months", 1, 24),
    ("retinoids_window_days", "topical retinoids or acids window", "days", 1, 90),
    ("resurfacing_window_weeks", "peel or laser window", "weeks", 1, 52),
    ("fillers_toxin_window_weeks", "fillers or toxin window", "weeks", 1, 52),
)
MAX_STEP_MM = Decimal("0.50")


def _range_violation(field: str, what: str, low: Decimal, high: Decimal) -> Violation | None:
    if PEN_MIN_DEPTH_MM <= low < high <= PEN_MAX_DEPTH_MM:
        return None
    return Violation(
        field,
        f"{low}-{high}",
        f"{PEN_MIN_DEPTH_MM} to {PEN_MAX_DEPTH_MM} mm, shallowest below deepest",
        f"depth range for {what} {low} to {high} mm is not valid; allowed: within "
        f"{PEN_MIN_DEPTH_MM} to {PEN_MAX_DEPTH_MM} mm, shallowest below deepest",
    )


def protocol_violations(protocol: Protocol) -> list[Violation]:
    """Every reason a protocol cannot be the clinic's (each change is judged by this)."""
    found: list[Violation] = []
    bad = _range_violation(
        "depth_range", "all other areas", protocol.depth_min_mm, protocol.depth_max_mm
    )
    if bad is not None:
        found.append(bad)
    step = protocol.depth_step_mm
    if not Decimal("0") < step <= MAX_STEP_MM:
        found.append(
            Violation(
                "depth_step_mm",
                step,
                f"above 0 and at most {MAX_STEP_MM} mm",
                f"depth step {step} mm is not valid; allowed: above 0 and at most {MAX_STEP_MM} mm",
            )
        )
    seen: set[str] = set()
    for code, low, high in protocol.area_ranges:
        known = code in Area._value2member_map_
        name = Area(code).label if known else repr(code)
        if not known or code in seen:
            found.append(
                Violation(
                    f"area_ranges.{code}",
                    code,
                    "each area once",
                    f"depth range for {name}: unknown or repeated area",
                )
            )
        seen.add(code)
        bad = _range_violation(f"area_ranges.{code}", name, low, high)
        if bad is not None:
            found.append(bad)
    for field, what, unit, low, high in WHOLE_SETTINGS:
        value = getattr(protocol, field)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            found.append(
                Violation(
                    field,
                    value,
                    f"{low} to {high} {unit}",
                    f"{what} is {value} {unit}; allowed: {low} to {high} {unit}",
                )
            )
    if protocol.interval_min_weeks > protocol.interval_max_weeks:
        found.append(
            Violation(
                "interval_weeks",
                f"{protocol.interval_min_weeks}-{protocol.interval_max_weeks}",
                "shortest not above longest",
                f"shortest interval {protocol.interval_min_weeks} weeks is above the longest "
                f"{protocol.interval_max_weeks} weeks",
            )
        )
    if protocol.course_gap_weeks <= protocol.interval_max_weeks:
        found.append(
            Violation(
                "course_gap_weeks",
                protocol.course_gap_weeks,
                "longer than the longest interval",
                f"course gap {protocol.course_gap_weeks} weeks is not longer than the longest "
                f"interval {protocol.interval_max_weeks} weeks",
            )
        )
    return found


def parse_mm(text: str) -> Decimal | None:
    """A depth in mm as typed in a settings field, or None when it is not a number."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


DEFAULT_PROTOCOL = Protocol()
