"""The rules a patient or session must meet before it is stored.

Each check returns every violation it finds (not only the first), so a
form or an import can show all problems at once.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from needlelog.domain.codes import Area
from needlelog.domain.contraindications import (
    DETAIL_MAX,
    NONE_APPLY_STATEMENT,
    SCREENING_LIST_CURRENT,
    SCREENING_LISTS,
    Contraindication,
    evaluate,
    unanswered,
)
from needlelog.domain.errors import Violation, raise_if_any
from needlelog.domain.protocol import Protocol
from needlelog.domain.records import PatientData, SessionData

RECORD_NO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,31}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]{3,32}$")
EARLIEST_BIRTH = date(1900, 1, 1)
EARLIEST_SESSION = date(1990, 1, 1)
NAME_MAX = 100
TEXT_MAX = 20_000
SHORT_TEXT_MAX = 200
# A clock a few minutes apart between two clinic PCs must not refuse a save.
FUTURE_SLACK = timedelta(minutes=10)

# --- text and numbers as typed: shared by the forms, CSV and JSON -----------

# How much of a bad value a message quotes: enough to find it, never the whole cell.
EXCERPT_MAX = 40
# A needle depth as written: at most two digits, then at most three decimals
# ("0.75", "1", "0,5", ".5"); nothing else is read as a number at all.
DEPTH_TEXT = re.compile(r"^(?:\d{1,2}(?:[.,]\d{0,3})?|[.,]\d{1,3})$")
# A whole number as written: an optional sign and at most six digits
# (no "0_3", no "1e3", no "３", no spaces inside).
WHOLE_TEXT = re.compile(r"^[+-]?[0-9]{1,6}$")
# Direction overrides, embeddings and isolates make text display in another
# order than it is stored ("Trojan source"); no field needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Fields that may hold several lines (notes) keep their line breaks and tabs.
MULTILINE = "\n\r\t"


def excerpt(value: object, limit: int = EXCERPT_MAX) -> str:
    """A short, quoted excerpt of a value for a message: never the whole of a huge cell."""
    text = value if isinstance(value, str) else str(value)[: limit * 4]
    if len(text) > limit:
        return repr(text[:limit]) + f"… ({len(text):,} characters)"
    return repr(text)


class BadNumber(ValueError):
    """Text that is not a number in the form a field accepts; the message says why."""


def parse_depth(text: str, what: str) -> Decimal:
    """A needle depth in mm from text, checked for its form before it becomes a number."""
    cleaned = text.strip()
    if not DEPTH_TEXT.match(cleaned):
        raise BadNumber(
            f"needle depth for {what} {excerpt(cleaned)} is not a number in mm; allowed: e.g. 0.75"
        )
    return Decimal(cleaned.replace(",", "."))


def parse_whole(text: str, what: str) -> int | None:
    """A whole number from text (None when empty); only its exact form is accepted."""
    cleaned = text.strip()
    if not cleaned:
        return None
    if not WHOLE_TEXT.match(cleaned):
        raise BadNumber(f"{what} {excerpt(cleaned)} is not a whole number")
    return int(cleaned)


def _refused(allowed: str) -> re.Pattern[str]:
    """Any control character (C0, DEL, C1) but those ``allowed``, or a direction override."""
    controls = "".join(chr(c) for c in (*range(32), *range(127, 160)) if chr(c) not in allowed)
    return re.compile("[" + re.escape(controls + "".join(sorted(BIDI_CONTROLS))) + "]")


# Every text cell of an import is checked: one search in C, not a loop over characters.
_REFUSED = {False: _refused(""), True: _refused(MULTILINE)}


def bad_characters(value: str, multiline: bool = False) -> str | None:
    """Why text cannot be stored (a control or direction-override character), or None."""
    found = _REFUSED[multiline].search(value)
    if found is None:
        return None
    ch = found.group()
    if ch in BIDI_CONTROLS:
        return f"a direction-override character (U+{ord(ch):04X})"
    return f"a control character (U+{ord(ch):04X})"


def _range(field: str, value: int | None, low: int, high: int, what: str) -> list[Violation]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [
            Violation(
                field,
                value,
                f"{low} to {high}",
                f"{what} is {value}; allowed: a whole number from {low} to {high}",
            )
        ]
    return []


def _text(
    field: str,
    value: str,
    what: str,
    limit: int,
    required: bool = False,
    multiline: bool = False,
) -> list[Violation]:
    if required and not value.strip():
        return [Violation(field, value, "not empty", f"{what} is required")]
    elif len(value) > limit:
        return [
            Violation(
                field,
                f"{value[:20]}…",
                f"at most {limit} characters",
                f"{what} is {len(value)} characters long; allowed: at most {limit}",
            )
        ]
    else:
        bad = bad_characters(value, multiline)
        if bad is not None:
            lines = (
                "letters, digits, punctuation and new lines"
                if multiline
                else ("letters, digits and punctuation on one line")
            )
            return [
                Violation(
                    field,
                    value[:EXCERPT_MAX],
                    lines,
                    f"{what} holds {bad}; allowed: {lines}",
                )
            ]
    return []


def patient_violations(data: PatientData, today: date) -> list[Violation]:
    found: list[Violation] = []
    if not RECORD_NO_PATTERN.match(data.record_no):
        found.append(
            Violation(
                "record_no",
                data.record_no,
                "1 to 32 letters, digits, '.', '_', '/' or '-', starting with a letter or digit",
                f"record number {excerpt(data.record_no)} is not valid; allowed: 1 to 32 letters, "
                "digits, "
                "'.', '_', '/' or '-', starting with a letter or digit",
            )
        )
    found += _text("family_name", data.family_name, "family name", NAME_MAX, required=True)
    found += _text("given_name", data.given_name, "given name", NAME_MAX)
    dob = data.date_of_birth
    if dob is not None:
        if dob > today:
            found.append(
                Violation(
                    "date_of_birth",
                    dob.isoformat(),
                    f"on or before {today.isoformat()}",
                    f"date of birth {dob.isoformat()} is in the future; "
                    f"allowed: on or before {today.isoformat()}",
                )
            )
        elif dob < EARLIEST_BIRTH:
            found.append(
                Violation(
                    "date_of_birth",
                    dob.isoformat(),
                    f"on or after {EARLIEST_BIRTH.isoformat()}",
                    f"date of birth {dob.isoformat()} is too early; "
                    f"allowed: on or after {EARLIEST_BIRTH.isoformat()}",
                )
            )
    bad_email = bad_characters(data.email) if data.email else None
    if bad_email is not None:
        found.append(
            Violation("email", data.email[:EXCERPT_MAX], "an address", f"email holds {bad_email}")
        )
    elif data.email and not EMAIL_PATTERN.match(data.email):
        found.append(
            Violation(
                "email",
                data.email,
                "an address like name@example.org",
                f"email {excerpt(data.email)} is not an address like name@example.org",
            )
        )
    bad_phone = bad_characters(data.phone) if data.phone else None
    if bad_phone is not None:
        found.append(
            Violation("phone", data.phone[:EXCERPT_MAX], "digits", f"phone holds {bad_phone}")
        )
    elif data.phone and not PHONE_PATTERN.match(data.phone):
        found.append(
            Violation(
                "phone",
                data.phone,
                "digits, spaces, + ( ) . / -",
                f"phone {excerpt(data.phone)} is not valid; allowed: digits, spaces and + ( ) . / -",
            )
        )
    if data.fitzpatrick is not None:
        ok = isinstance(data.fitzpatrick, int) and 1 <= data.fitzpatrick <= 6
        if not ok:
            found.append(
                Violation(
                    "fitzpatrick",
                    data.fitzpatrick,
                    "1 to 6 (I to VI)",
                    f"Fitzpatrick skin type is {data.fitzpatrick}; allowed: 1 to 6 (I to VI)",
                )
            )
    found += _range("planned_sessions", data.planned_sessions, 1, 20, "planned sessions")
    if len(set(data.contraindications)) != len(data.contraindications):
        found.append(
            Violation(
                "contraindications",
                [c.value for c in data.contraindications],
                "each item once",
                "a contraindication is listed twice",
            )
        )
    found += _text("notes", data.notes, "notes", TEXT_MAX, multiline=True)
    return found


def check_patient(data: PatientData, today: date) -> None:
    """Raise ``InvalidRecord`` listing every problem with a patient."""
    raise_if_any(patient_violations(data, today))


def depth_violations(
    field: str, where: str, depth: Decimal, protocol: Protocol, area: Area | None = None
) -> list[Violation]:
    """Whether ``depth`` is within the clinic's range for ``area`` and on its step. The
    one depth rule of the form, the services and every import: the message names the
    area, the value and the area's range."""
    low, high = protocol.widest_range if area is None else protocol.depth_range(area)
    if (
        isinstance(depth, Decimal)
        and depth.is_finite()
        and -6 <= depth.adjusted() <= 3
        and low <= depth <= high
        and (depth - low) % protocol.depth_step_mm == 0
    ):
        return []  # the usual case, decided before any message is worded
    allowed = protocol.depth_allowed_text(area)
    if not isinstance(depth, Decimal) or not depth.is_finite():
        return [
            Violation(
                field,
                depth,
                allowed,
                f"needle depth for {where} is not a number; allowed: {allowed}",
            )
        ]
    if depth.adjusted() > 3 or depth.adjusted() < -6:
        # Far outside any depth: said without writing out all its digits.
        return [
            Violation(
                field,
                excerpt(str(depth)),
                allowed,
                f"needle depth for {where} is out of range; allowed: {allowed}",
            )
        ]
    if not low <= depth <= high:
        return [
            Violation(
                field,
                depth,
                allowed,
                f"needle depth for {where} is {depth:.2f} mm; allowed: {allowed}",
            )
        ]
    if (depth - low) % protocol.depth_step_mm != 0:
        return [
            Violation(
                field,
                depth,
                allowed,
                f"needle depth for {where} is {depth} mm, not on a "
                f"{protocol.depth_step_mm:.2f} mm step; allowed: {allowed}",
            )
        ]
    return []


def session_violations(
    data: SessionData,
    protocol: Protocol,
    today: date,
    date_of_birth: date | None = None,
    now: datetime | None = None,
) -> list[Violation]:
    found: list[Violation] = []
    performed = data.performed_at
    on = performed.date()
    latest = (now or datetime.combine(today, datetime.max.time())) + FUTURE_SLACK
    if performed > latest:
        found.append(
            Violation(
                "performed_at",
                performed.isoformat(sep=" "),
                "not in the future",
                f"session date {performed.isoformat(sep=' ')} is in the future; "
                "allowed: today or earlier",
            )
        )
    if on < EARLIEST_SESSION:
        found.append(
            Violation(
                "performed_at",
                on.isoformat(),
                f"on or after {EARLIEST_SESSION}",
                f"session date {on.isoformat()} is too early; allowed: on or after "
                f"{EARLIEST_SESSION.isoformat()}",
            )
        )
    if date_of_birth is not None and on < date_of_birth:
        found.append(
            Violation(
                "performed_at",
                on.isoformat(),
                f"on or after the date of birth {date_of_birth.isoformat()}",
                f"session date {on.isoformat()} is before the patient's date of "
                f"birth {date_of_birth.isoformat()}",
            )
        )
    found += _text("practitioner", data.practitioner, "practitioner", SHORT_TEXT_MAX, required=True)

    if not data.areas:
        found.append(
            Violation(
                "areas",
                "",
                "at least one treated area",
                "no treated area; allowed: at least one area with its depth",
            )
        )
    seen: set[tuple[Area, str]] = set()
    for i, ta in enumerate(data.areas):
        # Messages name the area as the practitioner reads it, never by its code.
        where = ta.label.strip() if ta.area is Area.OTHER and ta.label.strip() else ta.area.label
        key = (ta.area, ta.label.strip().casefold())
        if key in seen:
            found.append(
                Violation(
                    f"areas.{i}",
                    ta.area.value,
                    "each area once",
                    f"{where} is listed twice; allowed: each area once",
                )
            )
        seen.add(key)
        found += _text(f"areas.{i}.label", ta.label, "area description", SHORT_TEXT_MAX)
        if ta.area is Area.OTHER and not ta.label.strip():
            found.append(
                Violation(
                    f"areas.{i}.label",
                    "",
                    "a description",
                    f"an area marked “{Area.OTHER.label}” needs a description of where it is",
                )
            )
        found += depth_violations(f"areas.{i}.depth_mm", where, ta.depth_mm, protocol, ta.area)
        found += _range(f"areas.{i}.passes", ta.passes, 1, 20, f"passes for {where}")

    if len(set(data.indications)) != len(data.indications):
        found.append(
            Violation(
                "indications",
                [i.value for i in data.indications],
                "each once",
                "an indication is listed twice",
            )
        )
    found += _text("device", data.device, "device", SHORT_TEXT_MAX)
    found += _text("cartridge_lot", data.cartridge_lot, "cartridge lot", SHORT_TEXT_MAX)
    found += _range("cartridge_needles", data.cartridge_needles, 1, 100, "cartridge needle count")
    found += _range("pen_speed", data.pen_speed, 1, 20, "pen speed setting")
    if data.numbing is not None:
        found += _text(
            "numbing.product",
            data.numbing.product,
            "numbing product",
            SHORT_TEXT_MAX,
            required=True,
        )
        found += _range("numbing.minutes", data.numbing.minutes, 1, 120, "numbing minutes")
    for i, p in enumerate(data.products):
        found += _text(f"products.{i}.name", p.name, "product name", SHORT_TEXT_MAX, required=True)
        found += _text(f"products.{i}.lot", p.lot, "lot number", SHORT_TEXT_MAX)
        if p.expiry is not None and p.expiry < on:
            found.append(
                Violation(
                    f"products.{i}.expiry",
                    p.expiry.isoformat(),
                    f"on or after the session date {on.isoformat()}",
                    f"{p.name or 'product'} lot {p.lot or '?'} expired on "
                    f"{p.expiry.isoformat()}, before the session on {on.isoformat()}",
                )
            )
    found += _range("pain", data.pain, 0, 10, "pain")
    found += _range("scar_grade", data.scar_grade, 1, 4, "Goodman & Baron scar grade")
    found += _range("gais", data.gais, 1, 5, "GAIS score")
    found += _range("satisfaction", data.satisfaction, 0, 10, "patient satisfaction")
    if data.vss is not None:
        found += _range("vss.vascularity", data.vss.vascularity, 0, 3, "VSS vascularity")
        found += _range("vss.pigmentation", data.vss.pigmentation, 0, 2, "VSS pigmentation")
        found += _range("vss.pliability", data.vss.pliability, 0, 5, "VSS pliability")
        found += _range("vss.height", data.vss.height, 0, 3, "VSS height")
    found += _text(
        "adverse_events", data.adverse_events, "adverse events", TEXT_MAX, multiline=True
    )
    found += _text("notes", data.notes, "notes", TEXT_MAX, multiline=True)
    found += _text(
        "override_reason", data.override_reason, "override reason", TEXT_MAX, multiline=True
    )
    found += _text(
        "consent_override_reason",
        data.consent_override_reason,
        "reason to go ahead without consent",
        TEXT_MAX,
        multiline=True,
    )
    if data.next_due is not None and data.next_due <= on:
        found.append(
            Violation(
                "next_due",
                data.next_due.isoformat(),
                f"after the session date {on.isoformat()}",
                f"next session due {data.next_due.isoformat()} is not after the "
                f"session date {on.isoformat()}",
            )
        )
    found += screening_violations(data, protocol)
    return found


def screening_violations(data: SessionData, protocol: Protocol) -> list[Violation]:
    found: list[Violation] = []
    items = [a.item for a in data.screening]
    if len(set(items)) != len(items):
        found.append(
            Violation(
                "screening",
                [i.value for i in items],
                "each item once",
                "a screening item is answered twice",
            )
        )
    if data.screening_list not in SCREENING_LISTS:
        found.append(
            Violation(
                "screening_list",
                data.screening_list,
                ", ".join(str(n) for n in SCREENING_LISTS),
                f"screening list {data.screening_list} is not known; allowed: "
                + ", ".join(str(n) for n in SCREENING_LISTS),
            )
        )
    missing = unanswered(data.screening, data.screening_list)
    attested = bool(data.screening_attested_by.strip())
    if attested:
        present = [a.item.label.lower() for a in data.screening if a.present]
        if present:
            found.append(
                Violation(
                    "screening",
                    present,
                    "no item present when none apply",
                    f"“{NONE_APPLY_STATEMENT}” was attested, but {', '.join(present)} "
                    "is answered present",
                )
            )
        found += _text(
            "screening_attested_by", data.screening_attested_by, "attested by", SHORT_TEXT_MAX
        )
    elif missing:
        names = ", ".join(i.label.lower() for i in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        found.append(
            Violation(
                "screening",
                [i.value for i in missing],
                "every item answered present or not present",
                f"screening is not finished: {len(missing)} unanswered ({names}{more}); "
                f"answer each item present or not present, or attest “{NONE_APPLY_STATEMENT}”",
            )
        )
    for a in data.screening:
        found += _text(
            f"screening.{a.item.value}.detail", a.detail, f"{a.item.label.lower()}", DETAIL_MAX
        )
        named = a.detail.strip() or data.screening_list != SCREENING_LIST_CURRENT
        if a.item is Contraindication.ALLERGY and a.present and not named:
            found.append(
                Violation(
                    f"screening.{a.item.value}.detail",
                    "",
                    "the allergy named",
                    "an allergy is answered present: name it (the product or ingredient)",
                )
            )
    result = evaluate(data.screening, data.performed_at.date(), protocol)
    if result.avoid and not data.override_reason.strip():
        names = ", ".join(i.label.lower() for i in result.avoid)
        found.append(
            Violation(
                "override_reason",
                "",
                "a written reason to treat despite an 'avoid' item",
                f"screening found {names}: treatment should not go ahead; "
                "write an override reason to save this session anyway",
            )
        )
    if result.caution and not data.cautions_acknowledged:
        names = ", ".join(i.label.lower() for i in result.caution)
        found.append(
            Violation(
                "cautions_acknowledged",
                False,
                "cautions acknowledged",
                f"screening found {names}: tick that these cautions were reviewed",
            )
        )
    return found


def check_session(
    data: SessionData,
    protocol: Protocol,
    today: date,
    date_of_birth: date | None = None,
    now: datetime | None = None,
) -> None:
    """Raise ``InvalidRecord`` listing every problem with a session."""
    raise_if_any(session_violations(data, protocol, today, date_of_birth, now))
