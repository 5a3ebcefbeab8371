"""Consent as plain values and rules: versioned consent texts, a signed consent (on
screen or on paper), its withdrawal, and whether a treatment consent covers a day.

A template is one consent text (a key in one language); every saved edit is a new
version, and a consent names the version signed, so a later edit never changes
what someone already signed. The text's SHA-256 (``text_sha256``) is stored with
the version and checked against the text shown when the patient signs.

Validity (``ConsentPolicy``, a clinic setting): a treatment consent covers the
course it was signed for, or a number of months from the day it was signed. A
course here is the one of ``domain.course``: sessions closer together than the
course gap; a course left longer than that (interrupted) or an annual maintenance
session after a finished one starts a new course, which needs a new consent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from needlelog.domain.course import months_later
from needlelog.domain.errors import Violation
from needlelog.domain.photos import PhotoUse


class ConsentKind(StrEnum):
    TREATMENT = "treatment"
    PHOTO = "photo"

    @property
    def label(self) -> str:
        return {ConsentKind.TREATMENT: "Treatment consent", ConsentKind.PHOTO: "Photo consent"}[
            self
        ]


class ConsentMethod(StrEnum):
    ON_SCREEN = "on_screen"
    PAPER = "paper"

    @property
    def label(self) -> str:
        return {
            ConsentMethod.ON_SCREEN: "Signed on screen",
            ConsentMethod.PAPER: "Signed on paper (scan attached)",
        }[self]


# Media types a scan of a paper consent may have.
SCAN_MEDIA_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}

# Bounds of what is stored (a signature is a few hundred points per stroke).
MAX_STROKES = 500
MAX_POINTS = 20_000
MAX_TEXT_CHARS = 100_000
MAX_TITLE_CHARS = 200
MAX_REASON_CHARS = 2_000


@dataclass(frozen=True)
class StrokePoint:
    """One point of a stroke: x, y in pad pixels; pressure 0..1 (1.0 when the device
    gives none)."""

    x: float
    y: float
    pressure: float = 1.0


@dataclass(frozen=True)
class Stroke:
    points: tuple[StrokePoint, ...]


@dataclass(frozen=True)
class Signature:
    """A signature as drawn: the pad's size in pixels and the strokes in order."""

    width: int
    height: int
    strokes: tuple[Stroke, ...]

    def is_empty(self) -> bool:
        """True when nothing that can be seen was drawn (no stroke with a point)."""
        return not any(stroke.points for stroke in self.strokes)

    def point_count(self) -> int:
        return sum(len(stroke.points) for stroke in self.strokes)

    def to_json(self) -> dict[str, Any]:
        """Stable, compact: each stroke a list of [x, y, pressure] rounded to 0.01."""
        return {
            "width": self.width,
            "height": self.height,
            "strokes": [
                [[round(p.x, 2), round(p.y, 2), round(p.pressure, 3)] for p in stroke.points]
                for stroke in self.strokes
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signature:
        """The signature ``to_json`` wrote; ValueError for anything else."""
        try:
            width, height = int(data["width"]), int(data["height"])
            strokes = tuple(
                Stroke(
                    tuple(
                        StrokePoint(float(p[0]), float(p[1]), float(p[2]) if len(p) > 2 else 1.0)
                        for p in stroke
                    )
                )
                for stroke in data["strokes"]
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"not a signature: {exc}") from None
        return cls(width, height, strokes)


@dataclass(frozen=True)
class TemplateVersion:
    id: int
    template_id: int
    key: str  # "treatment", "photo", or an administrator's own key
    kind: ConsentKind
    language: str  # BCP 47 ("en", "de", "fr")
    title: str
    version: int  # 1, 2, 3 ... per template
    text: str  # the exact text shown to the patient
    sha256: str  # text_sha256(text)
    created_at: datetime
    created_by: str

    @property
    def label(self) -> str:
        return f"{self.title} ({self.language}), version {self.version}"


@dataclass(frozen=True)
class ConsentTemplate:
    """One template: one key in one language, with its latest version."""

    id: int
    key: str
    kind: ConsentKind
    language: str
    title: str
    latest: TemplateVersion


@dataclass(frozen=True)
class Withdrawal:
    withdrawn_on: date
    reason: str
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Consent:
    id: int
    patient_id: int
    kind: ConsentKind
    template: TemplateVersion  # the version signed (text, version, checksum)
    answers: tuple[tuple[PhotoUse, bool], ...]  # photo consent: one per PhotoUse; ()
    method: ConsentMethod
    signature: Signature | None  # on screen: the strokes; paper: None
    signature_png: bytes  # the strokes drawn as an image (on screen); b"" for paper
    scan_sha256: str  # paper: the scan's file in the photo store; "" on screen
    scan_media_type: str  # "application/pdf", "image/jpeg", "image/png", ""
    signed_at: datetime  # naive UTC, like the rest of the store
    witness: str  # the witness's display name (or the practitioner named)
    witness_account: str  # the account's user name; "" without accounts
    withdrawal: Withdrawal | None = None

    @property
    def signed_on(self) -> date:
        return self.signed_at.date()

    def agrees_to(self, use: PhotoUse) -> bool:
        return dict(self.answers).get(use, False)

    def is_withdrawn_on(self, day: date) -> bool:
        """True when a withdrawal takes effect on or before ``day``."""
        return self.withdrawal is not None and self.withdrawal.withdrawn_on <= day


@dataclass(frozen=True)
class ConsentPolicy:
    """The clinic's consent setting."""

    required: bool = True  # the gate is on
    valid_months: int | None = None  # None: valid for the course it was signed for

    def to_json(self) -> dict[str, Any]:
        return {"required": self.required, "valid_months": self.valid_months}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ConsentPolicy:
        if not data:
            return cls()
        months = data.get("valid_months")
        return cls(
            required=bool(data.get("required", True)),
            valid_months=None if months in (None, "") else int(months),
        )

    @property
    def label(self) -> str:
        if not self.required:
            return "Treatment consent is not required before a session"
        if self.valid_months is None:
            return "A signed treatment consent is required for each course"
        return f"A signed treatment consent is required, valid for {self.valid_months} months"


MAX_VALID_MONTHS = 120


def consent_policy_violations(policy: ConsentPolicy) -> list[Violation]:
    """What makes a consent setting unusable (a validity outside 1 to 120 months)."""
    months = policy.valid_months
    if months is None or (isinstance(months, int) and 1 <= months <= MAX_VALID_MONTHS):
        return []
    return [
        Violation(
            "consent_policy.valid_months",
            months,
            f"1 to {MAX_VALID_MONTHS} months, or the course",
            f"a consent valid for {months} months is not allowed; choose 1 to "
            f"{MAX_VALID_MONTHS} months, or valid for the course",
        )
    ]


@dataclass(frozen=True)
class ConsentStatus:
    """Whether a treatment consent covers a day: the consent, or why not."""

    consent: Consent | None
    why_not: str = ""
    required: bool = True

    @property
    def ok(self) -> bool:
        return self.consent is not None or not self.required


def text_sha256(text: str) -> str:
    """SHA-256 of the exact UTF-8 bytes of ``text``, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def day_words(day: date) -> str:
    """ "3 Nov 2026": the date as the consent sentences write it."""
    return f"{day.day} {day:%b %Y}"


def template_problems(key: str, language: str, title: str, text: str) -> list[str]:
    """What makes a template edit unusable, in sentences; empty when it can be saved."""
    problems: list[str] = []
    if not key.strip() or not key.replace("_", "").replace("-", "").isalnum() or key != key.lower():
        problems.append(
            f"The template key {key!r} is not usable: lower-case letters, digits, - and _."
        )
    parts = language.split("-")
    if not (2 <= len(parts[0]) <= 3 and parts[0].isalpha() and parts[0].islower()) or not all(
        p.isalnum() and 1 <= len(p) <= 8 for p in parts[1:]
    ):
        problems.append(
            f"The language {language!r} is not a language code such as en, de, fr or pt-BR."
        )
    if not title.strip():
        problems.append("The consent form needs a title.")
    elif len(title) > MAX_TITLE_CHARS:
        problems.append(f"The title is longer than {MAX_TITLE_CHARS} characters.")
    if not text.strip():
        problems.append("The consent text is empty: write the text the patient reads and signs.")
    elif len(text) > MAX_TEXT_CHARS:
        problems.append(f"The consent text is longer than {MAX_TEXT_CHARS:,} characters.")
    return problems


def signature_problem(signature: Signature | None) -> str:
    """Why a signature cannot be stored, in a sentence; empty when it can."""
    if signature is None or signature.is_empty():
        return "The patient has not signed: draw the signature in the box, then press Sign."
    if signature.width <= 0 or signature.height <= 0:
        return "The signature pad had no size; sign again."
    if len(signature.strokes) > MAX_STROKES or signature.point_count() > MAX_POINTS:
        return "The signature has too many strokes to store; clear it and sign again."
    return ""


def answers_problem(
    kind: ConsentKind, answers: Iterable[tuple[PhotoUse, bool]] | dict[PhotoUse, bool]
) -> str:
    """Why photo answers cannot be stored; empty when every use is answered once
    (photo consent) or there are none (treatment consent)."""
    pairs = list(answers.items()) if isinstance(answers, dict) else list(answers)
    if kind is ConsentKind.TREATMENT:
        return "" if not pairs else "A treatment consent has no photo answers."
    seen = [PhotoUse(u) for u, _ in pairs]
    missing = [u for u in PhotoUse if u not in seen]
    if missing:
        return (
            "Answer yes or no for each use of the photographs: "
            + ", ".join(u.label.lower() for u in missing)
            + (" is" if len(missing) == 1 else " are")
            + " not answered."
        )
    if len(seen) != len(set(seen)):
        return "Each use of the photographs is answered once."
    return ""


def ordered_answers(
    answers: Iterable[tuple[PhotoUse, bool]] | dict[PhotoUse, bool],
) -> tuple[tuple[PhotoUse, bool], ...]:
    """Answers in the order of ``PhotoUse``."""
    found = dict(answers.items() if isinstance(answers, dict) else answers)
    return tuple((u, bool(found[u])) for u in PhotoUse if u in found)


def _covers(consent: Consent, day: date, course_start: date | None, policy: ConsentPolicy) -> bool:
    if consent.kind is not ConsentKind.TREATMENT or consent.signed_on > day:
        return False
    if consent.is_withdrawn_on(day):
        return False
    if policy.valid_months is not None:
        return day < months_later(consent.signed_on, policy.valid_months)
    return course_start is None or consent.signed_on >= course_start


def treatment_consent_for(
    day: date,
    consents: Sequence[Consent],
    course_start: date | None,
    policy: ConsentPolicy,
) -> Consent | None:
    """The treatment consent that covers a session on ``day``, or None.

    ``course_start`` is the first day of the course a session on ``day`` belongs to,
    as far as consent goes: the day after the last session of the previous course
    (None: no earlier course, so any consent signed by ``day`` is for this one).
    With ``policy.valid_months`` the course does not matter: a consent covers the
    months from the day it was signed. A consent withdrawn on or before ``day``
    covers nothing; the latest covering consent is answered."""
    found = [c for c in consents if _covers(c, day, course_start, policy)]
    return max(found, key=lambda c: (c.signed_at, c.id)) if found else None


def why_no_consent(
    day: date,
    consents: Sequence[Consent],
    course_start: date | None,
    policy: ConsentPolicy,
) -> str:
    """The sentence the window shows when no treatment consent covers ``day``; empty
    when one does (or the clinic does not require one)."""
    if not policy.required or treatment_consent_for(day, consents, course_start, policy):
        return ""
    ask = (
        " Ask the patient to sign the treatment consent, or record why the session "
        "goes ahead without it."
    )
    treatment = sorted(
        (c for c in consents if c.kind is ConsentKind.TREATMENT),
        key=lambda c: (c.signed_at, c.id),
        reverse=True,
    )
    if not treatment:
        return "The patient has not signed a treatment consent." + ask
    latest = treatment[0]
    if latest.withdrawal is not None and latest.is_withdrawn_on(day):
        w = latest.withdrawal
        because = f" ({w.reason})" if w.reason.strip() else ""
        return (
            f"The patient withdrew treatment consent on {day_words(w.withdrawn_on)}{because}." + ask
        )
    earlier = [c for c in treatment if c.signed_on <= day]
    if not earlier:
        return (
            f"The treatment consent was signed on {day_words(treatment[-1].signed_on)}, "
            f"after the session's date ({day_words(day)})." + ask
        )
    last = earlier[0]
    if last.is_withdrawn_on(day) and last.withdrawal is not None:
        return (
            f"The patient withdrew treatment consent on "
            f"{day_words(last.withdrawal.withdrawn_on)}." + ask
        )
    if policy.valid_months is not None:
        until = months_later(last.signed_on, policy.valid_months)
        return (
            f"The treatment consent signed on {day_words(last.signed_on)} was valid for "
            f"{policy.valid_months} months, until {day_words(until)}." + ask
        )
    return (
        f"The treatment consent signed on {day_words(last.signed_on)} was for an earlier "
        "course; this session belongs to a new course." + ask
    )


def course_start_for(session_dates: Iterable[date], day: date, gap: timedelta) -> date | None:
    """``course_start`` for a session on ``day`` among a patient's other session dates:
    the day after the last session of the previous course, None in the first course.
    ``gap``: the clinic's course gap (a longer gap starts a new course)."""
    before = sorted(d for d in session_dates if d <= day)
    # Walk back from ``day`` while the sessions are closer than the gap.
    current = day
    for previous in reversed(before):
        if previous == current:
            continue
        if current - previous > gap:
            return previous + timedelta(days=1)
        current = previous
    return None


DEFAULT_TREATMENT_TITLE = "Consent to microneedling treatment"

DEFAULT_TREATMENT_TEXT = """\
Consent to microneedling treatment (collagen induction therapy)

The treatment
Microneedling uses a pen or roller with fine sterile needles to make many small \
punctures in the skin. The skin answers with new collagen and elastin. The needle \
depth is chosen for each treated area, usually 0.5 to 1.0 mm on the face. A numbing \
cream may be applied first, and a serum may be applied during or after the treatment.

What it can and cannot achieve
Microneedling can soften acne scars and other scars, improve fine lines, skin texture, \
stretch marks and uneven pigment. Results build slowly, over months, and differ from \
person to person. It cannot remove scars or lines completely, it does not replace \
surgery, and no particular result can be promised.

Number of sessions
A course is usually 3 to 4 sessions, 4 to 6 weeks apart, followed by a maintenance \
session about once a year. Stopping the course early may give less improvement.

Risks
I understand that microneedling can cause:
- redness, swelling and bruising that last for some days;
- pinpoint bleeding during the treatment;
- a flare of acne;
- infection of the treated skin;
- a cold sore (herpes simplex) coming back;
- changes in skin colour (darker or lighter patches), more likely on darker skin \
(Fitzpatrick types IV to VI);
- rarely, scarring;
- rarely, a reaction to the numbing cream or to a product applied.

Before each session I will tell the practitioner about any change in my health, \
medicines, pregnancy or skin treatments, and I understand that the session may not \
go ahead when it is not safe.

Aftercare I agree to follow
- Avoid direct sun for several days and wear sunscreen.
- Avoid strenuous exercise for the first days.
- Avoid exfoliants and alcohol-based products; no makeup on the day of treatment.
- Do not pick at the skin if redness, swelling, light bruising or a mild acne flare \
appear; they usually settle in a few days.
- Before the next visit: no tanning, drink plenty of water, and come without makeup.
- Contact the clinic if the skin becomes hot, very painful, weeps or shows signs of \
infection.

My consent
I have read this information, I have been able to ask questions and have had them \
answered. I agree to a course of microneedling treatment. I know that I may withdraw \
this consent at any time.
"""

DEFAULT_PHOTO_TITLE = "Consent to clinical photographs"

DEFAULT_PHOTO_TEXT = """\
Consent to clinical photographs

Photographs of the treated areas are taken before treatment, and sometimes after, to \
follow how the skin responds across the course. They are taken the same way each \
time and kept privately with my clinical record. Details that the camera adds to an \
image file, such as location, are removed.

I choose separately for each use below. I may answer no to any of them without it \
affecting my treatment, and I may withdraw this consent at any time; a photograph \
is then left out of every use I no longer agree to from that day on.

1. Kept in the clinical record: to compare my skin across sessions.
2. Shown in my own progress report: the before and after pages of the report I am given.
3. Used for teaching: shown to clinical staff in training, without my name.
4. Published: in articles, on the clinic's website or in its leaflets, without my name.
"""
