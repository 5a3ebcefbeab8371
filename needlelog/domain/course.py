"""Course timing: intervals between sessions, courses, and who is due.

A course is a run of sessions 4 to 6 weeks apart; after the planned number
a patient comes back once a year for maintenance. A gap longer than the course
gap (``Protocol.course_gap_weeks``, a clinic setting; ``COURSE_BREAK`` is its
default) starts a new course; an unfinished course left that long is
interrupted, not due for maintenance.

"Days overdue" always counts from the date the visit was due (``next_due``),
so the list, the record and the report give the same number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol

COURSE_BREAK = DEFAULT_PROTOCOL.course_gap


class CourseState(StrEnum):
    NOT_STARTED = "not_started"  # no session yet
    IN_COURSE = "in_course"  # next session not due yet
    DUE = "due"  # inside the 4-6 week window
    OVERDUE = "overdue"  # unfinished course, more than 6 weeks since the last session
    COMPLETE = "complete"  # course done, maintenance later
    MAINTENANCE_DUE = "maintenance_due"  # course ended a maintenance period ago
    INTERRUPTED = "interrupted"  # unfinished course left longer than the course gap

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class IntervalFlag(StrEnum):
    TOO_SOON = "too_soon"
    LATE = "late"


@dataclass(frozen=True)
class CourseStatus:
    state: CourseState
    course_number: int
    sessions_in_course: int
    planned: int
    last_on: date | None
    next_due: date | None
    days_overdue: int = 0


def months_later(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def interval_flag(
    previous: date, current: date, protocol: Protocol, course_done: bool = False
) -> IntervalFlag | None:
    """Flag an interval: sooner than the minimum, or later than the maximum inside a
    course. ``course_done`` says the previous session completed its course, so the
    current one is a maintenance session, which is never "late"."""
    # Counted in whole days (both are dates): every record read is judged by this, and
    # building three timedeltas from weeks each time took most of a record's flags.
    days = (current - previous).days
    if days < 7 * protocol.interval_min_weeks:
        return IntervalFlag.TOO_SOON
    if not course_done and 7 * protocol.interval_max_weeks < days <= protocol.course_gap.days:
        return IntervalFlag.LATE
    return None


def course_sizes(session_dates: Sequence[date], gap: timedelta = COURSE_BREAK) -> list[int]:
    """Number of sessions in each course, oldest course first (dates in any order);
    ``gap`` is the clinic's course gap."""
    sizes: list[int] = []
    previous: date | None = None
    for day in sorted(session_dates):
        if previous is None or day - previous > gap:
            sizes.append(0)
        sizes[-1] += 1
        previous = day
    return sizes


def positions_in_course(session_dates: Sequence[date]) -> list[int]:
    """Each session's number in its course, for dates in order (1 starts a course)."""
    positions: list[int] = []
    previous: date | None = None
    for day in session_dates:
        new_course = previous is None or day - previous > COURSE_BREAK
        positions.append(1 if new_course else positions[-1] + 1)
        previous = day
    return positions


def default_next_due(
    performed_on: date, session_no_in_course: int, planned: int, protocol: Protocol
) -> date:
    """The next visit a new session should suggest: 4 weeks on, or maintenance."""
    if session_no_in_course < planned:
        return performed_on + timedelta(weeks=protocol.interval_min_weeks)
    return months_later(performed_on, protocol.maintenance_months)


def status(
    session_dates: Sequence[date],
    today: date,
    protocol: Protocol,
    planned: int | None = None,
    recorded_next_due: date | None = None,
) -> CourseStatus:
    """Where a patient stands in their course on ``today``, from all session dates."""
    sizes = course_sizes(session_dates, protocol.course_gap)
    last = max(session_dates) if session_dates else None
    return status_from_summary(
        last,
        sizes[-1] if sizes else 0,
        today,
        protocol,
        planned,
        recorded_next_due,
        course_number=len(sizes),
    )


def status_from_summary(
    last_on: date | None,
    sessions_in_course: int,
    today: date,
    protocol: Protocol,
    planned: int | None = None,
    recorded_next_due: date | None = None,
    course_number: int = 1,
) -> CourseStatus:
    """Where a patient stands, from the summary kept on the patient record."""
    planned = planned or protocol.planned_sessions
    if last_on is None:
        return CourseStatus(CourseState.NOT_STARTED, 0, 0, planned, None, None)
    in_course = sessions_in_course
    next_due = recorded_next_due or default_next_due(last_on, in_course, planned, protocol)
    if in_course < planned:
        if today - last_on > protocol.course_gap:
            # Left unfinished longer than the course gap: the next session starts a
            # new course; nothing is "overdue" about a course that has stopped.
            state, overdue = CourseState.INTERRUPTED, 0
        else:
            # Overdue once past the longest interval (or past a later recorded due
            # date); counted from the day the visit was due.
            latest = max(last_on + timedelta(weeks=protocol.interval_max_weeks), next_due)
            if today > latest:
                state, overdue = CourseState.OVERDUE, (today - next_due).days
            elif today >= next_due:
                state, overdue = CourseState.DUE, 0
            else:
                state, overdue = CourseState.IN_COURSE, 0
    else:
        if today >= next_due:
            state, overdue = CourseState.MAINTENANCE_DUE, (today - next_due).days
        else:
            state, overdue = CourseState.COMPLETE, 0
    return CourseStatus(
        state, course_number, sessions_in_course, planned, last_on, next_due, overdue
    )


def position_in_course(
    session_dates: Sequence[date], day: date, gap: timedelta = COURSE_BREAK
) -> int:
    """1-based number of the session on ``day`` within its course (``day`` among the dates)."""
    position = 0
    previous: date | None = None
    for current in sorted(session_dates):
        if current > day:
            break
        position = 1 if previous is None or current - previous > gap else position + 1
        previous = current
    return position
