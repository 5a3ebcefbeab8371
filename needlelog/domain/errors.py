"""Typed rule violations: each names the field, the value and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``field`` is the dotted path of the offending input."""

    field: str
    value: object
    allowed: str
    message: str

    def __str__(self) -> str:
        return self.message


class InvalidRecord(ValueError):
    """Raised when a record breaks one or more rules; nothing was written."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        if not violations:
            raise ValueError("InvalidRecord needs at least one violation")
        self.violations: tuple[Violation, ...] = tuple(violations)
        super().__init__("; ".join(v.message for v in self.violations))

    def for_field(self, field: str) -> list[Violation]:
        """Violations of one field, or of any field below it (``areas`` covers ``areas.0``)."""
        return [v for v in self.violations if v.field == field or v.field.startswith(field + ".")]

    @property
    def fields(self) -> set[str]:
        return {v.field for v in self.violations}


def raise_if_any(violations: Iterable[Violation]) -> None:
    found = list(violations)
    if found:
        raise InvalidRecord(found)
