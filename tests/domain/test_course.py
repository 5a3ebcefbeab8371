"""Course timing: too soon, overdue, maintenance, and the next due date."""

from __future__ import annotations

from datetime import date, timedelta

from needlelog.domain.course import (
    CourseState,
    IntervalFlag,
    course_sizes,
    default_next_due,
    interval_flag,
    months_later,
    position_in_course,
    status,
)
from needlelog.domain.protocol import DEFAULT_PROTOCOL, Protocol

P = DEFAULT_PROTOCOL
D0 = date(2026, 1, 5)


def weeks(n: float) -> timedelta:
    return timedelta(weeks=n)


def test_interval_flags() -> None:
    assert interval_flag(D0, D0 + weeks(3), P) is IntervalFlag.TOO_SOON
    assert interval_flag(D0, D0 + weeks(4) - timedelta(days=1), P) is IntervalFlag.TOO_SOON
    assert interval_flag(D0, D0 + weeks(4), P) is None
    assert interval_flag(D0, D0 + weeks(6), P) is None
    assert interval_flag(D0, D0 + weeks(7), P) is IntervalFlag.LATE
    assert interval_flag(D0, D0 + weeks(52), P) is None  # a new course, not a late session


def test_default_next_due_is_four_weeks_then_annual_maintenance() -> None:
    assert default_next_due(D0, 1, 3, P) == D0 + weeks(4)
    assert default_next_due(D0, 2, 3, P) == D0 + weeks(4)
    assert default_next_due(D0, 3, 3, P) == date(2027, 1, 5)
    assert default_next_due(date(2024, 2, 29), 3, 3, P) == date(2025, 2, 28)


def test_months_later_clamps_to_month_end() -> None:
    assert months_later(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_later(date(2026, 11, 15), 3) == date(2027, 2, 15)


def test_courses_split_at_long_gaps() -> None:
    dates = [D0, D0 + weeks(5), D0 + weeks(10), D0 + weeks(62), D0 + weeks(67)]
    assert course_sizes(dates) == [3, 2]
    assert course_sizes(list(reversed(dates))) == [3, 2]
    assert position_in_course(dates, D0 + weeks(10)) == 3
    assert position_in_course(dates, D0 + weeks(67)) == 2
    assert course_sizes([]) == []


def test_status_through_a_course() -> None:
    first = [D0]
    assert status([], D0, P).state is CourseState.NOT_STARTED
    assert status(first, D0 + weeks(2), P).state is CourseState.IN_COURSE
    assert status(first, D0 + weeks(5), P).state is CourseState.DUE
    late = status(first, D0 + weeks(6) + timedelta(days=3), P)
    assert late.state is CourseState.OVERDUE
    # Counted from the day the visit was due (4 weeks on), not from the 6-week limit.
    assert late.next_due == D0 + weeks(4)
    assert late.days_overdue == 17
    done = [D0, D0 + weeks(5), D0 + weeks(10)]
    complete = status(done, D0 + weeks(20), P)
    assert complete.state is CourseState.COMPLETE
    assert complete.next_due == months_later(D0 + weeks(10), 12)
    assert status(done, D0 + weeks(10) + weeks(53), P).state is CourseState.MAINTENANCE_DUE


def test_planned_sessions_and_recorded_due_date_are_respected() -> None:
    done = [D0, D0 + weeks(5), D0 + weeks(10)]
    assert status(done, D0 + weeks(15), P, planned=4).state is CourseState.DUE
    assert status(done, D0 + weeks(17), P, planned=4).state is CourseState.OVERDUE
    recorded = D0 + weeks(12)
    st = status([D0], D0 + weeks(5), Protocol(), recorded_next_due=recorded)
    assert st.next_due == recorded
    assert st.state is CourseState.IN_COURSE


def test_an_abandoned_course_is_interrupted_not_maintenance_due() -> None:
    # One of three sessions, then nothing for ten months.
    st = status([D0], D0 + weeks(43), P)
    assert st.state is CourseState.INTERRUPTED
    assert st.days_overdue == 0
    assert st.sessions_in_course == 1
    # Up to the course gap it is an overdue course, counted from its due date.
    still = status([D0], D0 + weeks(26), P)
    assert still.state is CourseState.OVERDUE
    assert still.days_overdue == (D0 + weeks(26) - (D0 + weeks(4))).days


def test_a_finished_course_left_for_a_year_is_maintenance_overdue_from_its_due_date() -> None:
    done = [D0, D0 + weeks(5), D0 + weeks(10)]
    due = months_later(D0 + weeks(10), 12)
    st = status(done, due + timedelta(days=92), P)
    assert st.state is CourseState.MAINTENANCE_DUE
    assert st.days_overdue == 92


def test_a_later_recorded_due_date_is_not_overdue_before_it_comes() -> None:
    recorded = D0 + weeks(8)
    st = status([D0], D0 + weeks(7), P, recorded_next_due=recorded)
    assert st.state is CourseState.IN_COURSE
    st = status([D0], recorded + timedelta(days=5), P, recorded_next_due=recorded)
    assert st.state is CourseState.OVERDUE
    assert st.days_overdue == 5


def test_a_maintenance_session_is_never_late() -> None:
    last_of_course = D0
    assert interval_flag(last_of_course, D0 + weeks(12), P) is IntervalFlag.LATE
    assert interval_flag(last_of_course, D0 + weeks(12), P, course_done=True) is None
    # Too soon still applies after a finished course.
    assert interval_flag(D0, D0 + weeks(2), P, course_done=True) is IntervalFlag.TOO_SOON
