"""How dates, grades and names read on screen: one place, so every view agrees."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from needlelog.domain.codes import FITZPATRICK_NUMERALS, Grade, Sex
from needlelog.domain.course import CourseState, CourseStatus

if TYPE_CHECKING:  # the records' classes load with the records, not with the window
    from needlelog.domain.records import Patient, SessionData

# Month names spelled out so 03/04 can never be misread between clinics.
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Short words for the history table; the long ones explain them in tooltips.
FLAG_SHORT = {
    "severe_reaction": "Severe reaction",
    "too_soon": "Too soon",
    "late": "Late",
    "avoid_overridden": "Avoid overridden",
}

FLAG_WORDS = {
    "severe_reaction": "severe reaction",
    "too_soon": "too soon after the previous session",
    "late": "later than the course interval",
    "avoid_overridden": "treated despite an 'avoid' item",
}

STATE_WORDS = {
    CourseState.NOT_STARTED: "No session yet",
    CourseState.IN_COURSE: "In course",
    CourseState.DUE: "Due now",
    CourseState.OVERDUE: "Overdue",
    CourseState.COMPLETE: "Course complete",
    CourseState.MAINTENANCE_DUE: "Maintenance due",
    CourseState.INTERRUPTED: "Course interrupted",
}


def day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def day_time(value: datetime) -> str:
    return f"{day(value)} {value:%H:%M}"


def list_name(patient: Patient) -> str:
    """Family name first, as the list is sorted."""
    data = patient.data
    return f"{data.family_name}, {data.given_name}" if data.given_name else data.family_name


def fitzpatrick(value: int | None) -> str:
    return FITZPATRICK_NUMERALS.get(value, "") if value is not None else ""


def sex(value: Sex | None) -> str:
    return "" if value is None or value is Sex.UNKNOWN else value.value.capitalize()


def age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def grade(value: Grade | None) -> str:
    return "" if value is None else value.word


def depth(value: Decimal) -> str:
    return f"{value:.2f}"


def depth_range(data: SessionData) -> str:
    low, high = data.shallowest_mm, data.deepest_mm
    if low is None or high is None:
        return ""
    if low == high:
        return f"{depth(low)} mm"
    return f"{depth(low)}–{depth(high)} mm"


def areas(data: SessionData) -> str:
    lines = []
    for treated in data.areas:
        name = treated.label.strip() or treated.area.label
        lines.append(f"{name} {depth(treated.depth_mm)}")
    return "\n".join(lines)


def products(data: SessionData) -> str:
    lines = []
    for product in data.products:
        lines.append(f"{product.name} (lot {product.lot})" if product.lot else product.name)
    return "\n".join(lines)


def sessions_in_course(patient: Patient, planned_default: int) -> str:
    if patient.sessions_total == 0:
        return ""
    return course_count(patient.course_sessions, patient.data.planned_sessions or planned_default)


def course_count(done: int, planned: int) -> str:
    """ "2 of 3", or "5 (3 planned)" once a course runs past its plan."""
    return f"{done} of {planned}" if done <= planned else f"{done} ({planned} planned)"


def reactions(data: SessionData) -> str:
    return "\n".join(
        f"{what}: {grade(value)}"
        for what, value in (
            ("Redness", data.redness),
            ("Bruising", data.bruising),
            ("Swelling", data.swelling),
        )
        if value is not None
    )


def status_text(status: CourseStatus) -> str:
    """One line on where the patient stands in their course."""
    words = STATE_WORDS[status.state]
    if status.state is CourseState.NOT_STARTED:
        return words
    done, planned = status.sessions_in_course, status.planned
    if status.state is CourseState.INTERRUPTED:
        # No due date and no count of days: the course has stopped; the next
        # session starts a new one.
        parts = [f"{words} after {done} of {planned} sessions"]
        if status.last_on is not None:
            parts.append(f"last {day(status.last_on)}")
        parts.append("the next session starts a new course")
        return " · ".join(parts)
    if done <= planned:
        parts = [f"{words}: {done} of {planned} sessions in this course"]
    else:
        parts = [f"{words}: {done} sessions in this course ({planned} planned)"]
    if status.last_on is not None:
        parts.append(f"last {day(status.last_on)}")
    if status.next_due is not None:
        parts.append(f"next due {day(status.next_due)}")
    if status.days_overdue:
        parts.append(f"{status.days_overdue} days overdue")
    return " · ".join(parts)
