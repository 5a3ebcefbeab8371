"""The clinic's adjustable protocol: depth range, course timing, screening windows.

Sources disagree on several of these numbers (CLINICAL.md), so each is a
setting with the documented default rather than a constant in the rules.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

# What any pen on the market can do; a value outside this is a typing error,
# not a protocol choice, so the clinic's range must lie within it.
PEN_MIN_DEPTH_MM = Decimal("0.25")
PEN_MAX_DEPTH_MM = Decimal("3.00")


@dataclass(frozen=True)
class Protocol:
    depth_min_mm: Decimal = Decimal("0.50")
    depth_max_mm: Decimal = Decimal("1.00")
    depth_step_mm: Decimal = Decimal("0.05")
    interval_min_weeks: int = 4
    interval_max_weeks: int = 6
    planned_sessions: int = 3
    maintenance_months: int = 12
    radiation_window_months: int = 12
    isotretinoin_washout_months: int = 6
    fillers_toxin_window_weeks: int = 2

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Protocol:
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in data.items():
            if key not in known:
                continue
            values[key] = Decimal(str(raw)) if key.startswith("depth_") else int(raw)
        return cls(**values)

    def depth_allowed_text(self) -> str:
        return (
            f"{self.depth_min_mm:.2f} to {self.depth_max_mm:.2f} mm "
            f"in steps of {self.depth_step_mm:.2f} mm"
        )


DEFAULT_PROTOCOL = Protocol()
