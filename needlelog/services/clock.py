"""The current time, in one place, so rules can be tested on any day."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    """Naive UTC, as stored in the created/updated columns."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_now() -> datetime:
    """The clinic's wall-clock time, as a practitioner reads it."""
    return datetime.now().replace(microsecond=0)


def today() -> date:
    return date.today()
