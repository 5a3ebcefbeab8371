"""Realistic, reproducible demo patients and courses (plain records, no database).

The same seed and day give the same records, so the benchmark generator
and the ``demo`` command build the same clinic.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise

from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.consent import ConsentKind, Signature, Stroke, StrokePoint
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer, Severity
from needlelog.domain.photos import PhotoUse
from needlelog.domain.records import Numbing, PatientData, Product, SessionData, TreatedArea

DEMO_PREFIX = "DEMO-"

# A family name, or its (female, male) forms where the language marks the sex in it.
Family = str | tuple[str, str]

# (given names female, given names male, family names): a clinic's mix of origins.
NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[Family, ...]], ...] = (
    (
        ("Emma", "Olivia", "Charlotte", "Grace", "Sophie", "Hannah", "Chloe"),
        ("James", "Oliver", "Thomas", "Daniel", "Samuel"),
        ("Smith", "Taylor", "Brown", "Walker", "O'Connor", "Hughes", "Fitzgerald-Clarke"),
    ),
    (
        ("Zoë", "Hélène", "Éloïse", "Anaïs", "Célia"),
        ("François", "Jérôme", "Loïc"),
        ("Lefèvre", "Dubois", "Bérenger", "Moreau", "Garçon"),
    ),
    (
        ("Anke", "Birgit", "Katrin"),
        ("Jürgen", "Björn", "Günther"),
        ("Müller", "Schröder", "Weiß", "Krämer"),
    ),
    (
        ("María José", "Inés", "Lucía", "Begoña"),
        ("José", "Íñigo", "Raúl"),
        ("Núñez", "García Márquez", "Peña", "Ibáñez"),
    ),
    (
        ("Łucja", "Zofia", "Małgorzata"),
        ("Paweł", "Michał"),
        ("Wójcik", "Kowalczyk", ("Dąbrowska", "Dąbrowski")),
    ),
    (
        ("Ελένη", "Μαρία", "Σοφία"),
        ("Γιώργος", "Νίκος"),
        (("Παπαδοπούλου", "Παπαδόπουλος"), "Αλεξίου", "Νικολάου"),
    ),
    (
        ("Анна", "Ольга", "Наталья"),
        ("Дмитрий", "Сергей"),
        (("Иванова", "Иванов"), ("Смирнова", "Смирнов"), ("Кузнецова", "Кузнецов")),
    ),
    (("فاطمة", "ليلى", "مريم"), ("أحمد", "يوسف"), ("حداد", "الخطيب", "منصور")),
    (("芳", "娜", "静"), ("伟", "强"), ("王", "李", "张")),
    (("Thị Lan", "Thu Hà"), ("Văn Minh",), ("Nguyễn", "Trần", "Phạm")),
    (("Ayşe", "Elif", "Zeynep"), ("Mehmet", "Çağrı"), ("Yılmaz", "Öztürk", "Şahin")),
    (
        ("Siobhán", "Aoife", "Niamh"),
        ("Seán", "Oisín"),
        (("Ní Bhriain", "Ó Briain"), ("Nic Giolla", "Mac Giolla")),
    ),
)

PRACTITIONERS = ("Dr. Amelia Hart", "Nurse Priya Raman", "Dr. Lukas Brenner", "Sofía Alvarez RN")
DEVICES = (("Dermapen 4", 16), ("SkinPen Precision", 14), ("Exceed", 12))
# What goes on freshly needled skin (CLINICAL.md): never retinoids, AHA/BHA acids or
# low-pH vitamin C, which irritate open channels. (name, lot prefix)
SERUMS = (
    ("Hyaluronic acid serum", "HA"),
    ("Sterile gliding serum", "SG"),
    ("Growth factor serum", "GF"),
    ("Peptide complex", "PC"),
    ("PRP", "PRP"),
    ("Polynucleotide serum", "PN"),
)
# What fits each indication (PRP first for hair loss); drawn like SERUMS.
SERUMS_FOR: dict[Indication, tuple[tuple[str, str], ...]] = {
    Indication.ALOPECIA: (
        ("PRP", "PRP"),
        ("PRP", "PRP"),
        ("Growth factor serum", "GF"),
        ("Peptide complex", "PC"),
        ("PRP", "PRP"),
        ("Sterile gliding serum", "SG"),
    ),
}
# Typical depth (mm) per zone: shallower where the skin is thin (makers' charts), and
# the deepest each zone is taken to, within the protocol's 0.50 to 1.00 mm.
ZONE_DEPTH = {
    Area.FOREHEAD: "0.50", Area.GLABELLA: "0.50", Area.PERIORBITAL_LEFT: "0.50",
    Area.PERIORBITAL_RIGHT: "0.50", Area.NOSE: "0.50", Area.CHEEK_LEFT: "0.80",
    Area.CHEEK_RIGHT: "0.80", Area.PERIORAL: "0.60", Area.CHIN: "0.75",
    Area.JAWLINE_LEFT: "0.75", Area.JAWLINE_RIGHT: "0.75", Area.NECK: "0.50",
    Area.DECOLLETAGE: "0.50", Area.SCALP: "0.75", Area.ABDOMEN: "1.00", Area.THIGHS: "1.00",
    Area.ARMS: "0.75", Area.BACK: "1.00", Area.BUTTOCKS: "1.00",
}  # fmt: skip
THIN = frozenset(
    (Area.FOREHEAD, Area.GLABELLA, Area.PERIORBITAL_LEFT, Area.PERIORBITAL_RIGHT, Area.NOSE,
     Area.NECK, Area.DECOLLETAGE)
)  # fmt: skip
DEPTH_MIN, THIN_MAX, DEPTH_MAX = Decimal("0.50"), Decimal("0.60"), Decimal("1.00")
PLANS: tuple[tuple[Indication, tuple[Area, ...]], ...] = (
    (Indication.ACNE_SCARS, (Area.CHEEK_LEFT, Area.CHEEK_RIGHT, Area.CHIN)),
    (
        Indication.ACNE_SCARS,
        (Area.CHEEK_LEFT, Area.CHEEK_RIGHT, Area.FOREHEAD, Area.JAWLINE_LEFT, Area.JAWLINE_RIGHT),
    ),
    (
        Indication.WRINKLES,
        (
            Area.FOREHEAD,
            Area.GLABELLA,
            Area.PERIORBITAL_LEFT,
            Area.PERIORBITAL_RIGHT,
            Area.PERIORAL,
        ),
    ),
    (
        Indication.REJUVENATION,
        (Area.FOREHEAD, Area.CHEEK_LEFT, Area.CHEEK_RIGHT, Area.NOSE, Area.CHIN, Area.NECK),
    ),
    (Indication.PIGMENTATION, (Area.CHEEK_LEFT, Area.CHEEK_RIGHT, Area.FOREHEAD)),
    (Indication.STRETCH_MARKS, (Area.ABDOMEN, Area.THIGHS)),
    (Indication.ALOPECIA, (Area.SCALP,)),
    (Indication.SCARRING, (Area.CHEEK_RIGHT,)),
    (Indication.SKIN_LAXITY, (Area.NECK, Area.DECOLLETAGE, Area.JAWLINE_LEFT, Area.JAWLINE_RIGHT)),
)
_QUIET = ("", "", "", "Tolerated well.", "Gave the aftercare leaflet; discussed home care.")
# Notes that fit each indication and its areas (8 each, three of them empty).
NOTES: dict[Indication, tuple[str, ...]] = {
    Indication.ACNE_SCARS: (
        *_QUIET,
        "Rolling scars on the cheeks respond well, boxcar scars less so.",
        "Discussed realistic expectations: scars soften over months, not weeks.",
        "Slight acne flare after last session, settled in 3 days.",
    ),
    Indication.SCARRING: (
        *_QUIET,
        "Scar on the right cheek flatter and paler than at the start.",
        "Discussed realistic expectations: a scar softens over months.",
        "Scar edge still raised; kept to the same depth.",
    ),
    Indication.WRINKLES: (
        *_QUIET,
        "Fine lines around the eyes a little softer.",
        "Kept shallow around the eyes and on the forehead.",
        "Discussed realistic expectations: lines soften over months.",
    ),
    Indication.REJUVENATION: (
        *_QUIET,
        "Skin texture smoother; patient pleased.",
        "Pores on the nose and cheeks less visible.",
        "Discussed realistic expectations and daily sunscreen.",
    ),
    Indication.PIGMENTATION: (
        *_QUIET,
        "Daily sunscreen stressed: pigment returns with sun.",
        "Patches on the cheeks slightly lighter.",
        "No darkening after the last session.",
    ),
    Indication.STRETCH_MARKS: (
        *_QUIET,
        "Stretch marks on the abdomen less visible.",
        "Older white marks on the thighs respond slowly; discussed expectations.",
        "Mild bruising on the thighs last time, gone in a week.",
    ),
    Indication.ALOPECIA: (
        *_QUIET,
        "Fine new hairs along the parting.",
        "Scalp photos taken in the same light for comparison.",
        "Discussed realistic expectations: regrowth shows after months.",
    ),
    Indication.SKIN_LAXITY: (
        *_QUIET,
        "Neck skin a little firmer.",
        "Jawline definition discussed; results build over months.",
        "Kept shallow on the neck and décolletage.",
    ),
}
STEP = Decimal("0.05")


@dataclass(frozen=True)
class DemoConsent:
    """A consent a demo patient signed on screen: a made-up signature, never a real one."""

    kind: ConsentKind
    signed_at: datetime
    answers: tuple[tuple[PhotoUse, bool], ...]
    signature: Signature


@dataclass(frozen=True)
class DemoPatient:
    data: PatientData
    sessions: tuple[SessionData, ...]
    consents: tuple[DemoConsent, ...] = ()


def _deepest(area: Area) -> Decimal:
    """How deep a zone is ever taken: thin skin stays shallow."""
    return THIN_MAX if area in THIN else DEPTH_MAX


def _depth(rng: random.Random, area: Area) -> Decimal:
    base = Decimal(ZONE_DEPTH[area])
    shifted = base + STEP * rng.choice((-1, 0, 0, 0, 1, 2))
    shifted = (shifted / STEP).to_integral_value() * STEP
    return min(max(shifted, DEPTH_MIN), _deepest(area)).quantize(Decimal("0.01"))


def _product(rng: random.Random, name: str, code: str, at: datetime) -> Product:
    """A product from one of the month's three vials (lots A to C): patients treated in
    the same month share lots, as in a clinic, and a lot always has the same expiry."""
    vial = "ABC"[rng.randint(0, 2)]
    lot = f"{code}{at.year % 100:02d}{at.month:02d}{vial}"
    # Good to the end of the month eleven months on (every vial of the lot alike).
    expiry = date(at.year + (at.month + 11) // 12, (at.month + 11) % 12 + 1, 1) - timedelta(days=1)
    return Product(name, lot, expiry)


def _grade(rng: random.Random, weights: tuple[int, int, int, int]) -> Grade:
    return rng.choices(list(Grade), weights=weights)[0]


def _screening(
    rng: random.Random, known: tuple[Contraindication, ...]
) -> tuple[tuple[ScreeningAnswer, ...], bool, str]:
    answers = tuple(ScreeningAnswer(c, c in known) for c in Contraindication)
    caution = any(c.severity is Severity.CAUTION for c in known)
    return answers, caution, ""


def _patient(rng: random.Random, number: int, today: date) -> PatientData:
    females, males, families = rng.choice(NAMES)
    sex = rng.choices((Sex.FEMALE, Sex.MALE, Sex.OTHER), weights=(78, 20, 2))[0]
    given = rng.choice(males if sex is Sex.MALE else females)
    chosen = rng.choice(families)
    # Where the language marks the sex in the family name, its form follows the sex.
    family = chosen if isinstance(chosen, str) else chosen[1 if sex is Sex.MALE else 0]
    born = today - timedelta(days=rng.randint(19 * 365, 68 * 365))
    known: tuple[Contraindication, ...] = ()
    if rng.random() < 0.12:
        known = (
            rng.choice(
                (
                    Contraindication.ECZEMA,
                    Contraindication.HERPES_SIMPLEX,
                    Contraindication.ANTICOAGULANTS,
                    Contraindication.KELOID_TENDENCY,
                )
            ),
        )
    # Accents folded ("Thị Lan" gives "thi.lan"); a name in another script gives none.
    letters = f"{given}.{family}".lower().replace(" ", ".").replace("ł", "l")
    folded = unicodedata.normalize("NFKD", letters)
    plain = "".join(c for c in folded if (c.isascii() and c.isalnum()) or c == ".")
    email = f"{plain.strip('.') or 'patient'}{number}@example.org"
    return PatientData(
        record_no=f"{DEMO_PREFIX}{number:06d}",
        family_name=family,
        given_name=given,
        date_of_birth=born,
        sex=sex,
        phone=f"+44 20 7946 {rng.randint(0, 9999):04d}",
        email=email,
        fitzpatrick=rng.choices(range(1, 7), weights=(8, 28, 26, 18, 12, 8))[0],
        contraindications=known,
        notes="Demo patient: made up for trying needlelog.",
        planned_sessions=rng.choice((3, 3, 4)),
    )


def _gap(rng: random.Random) -> int:
    return rng.choices(
        (
            rng.randint(18, 26),
            rng.randint(28, 42),
            rng.randint(50, 70),
            rng.randint(330, 390),
        ),
        weights=(5, 80, 8, 7),
    )[0]


def _at(rng: random.Random, day: date, today: date) -> datetime:
    """A session time in opening hours; never today, whose later hours have not come
    yet (an import of the demo's export would refuse them as being in the future)."""
    at = time(rng.randint(8, 17), rng.choice((0, 15, 30, 45)))
    return datetime.combine(min(day, today - timedelta(days=1)), at)


def _course_dates(rng: random.Random, count: int, today: date) -> list[datetime]:
    span = sum(rng.randint(28, 45) for _ in range(count)) + rng.randint(0, 120)
    day = today - timedelta(days=span)
    out: list[datetime] = []
    for i in range(count):
        if i:
            day += timedelta(days=_gap(rng))
        if day > today:
            break
        out.append(_at(rng, day, today))
    return out


def _exact_course_dates(rng: random.Random, count: int, today: date) -> list[datetime]:
    """Exactly ``count`` dates, all on or before ``today`` (long histories included)."""
    if count <= 0:
        return []
    gaps = [_gap(rng) for _ in range(count - 1)]
    day = today - timedelta(days=sum(gaps) + rng.randint(0, 120))
    out: list[datetime] = []
    for gap in [0, *gaps]:
        day += timedelta(days=gap)
        out.append(_at(rng, day, today))
    return out


def _sessions(
    rng: random.Random, patient: PatientData, today: date, exact: int | None = None
) -> tuple[SessionData, ...]:
    if exact is None:
        count = rng.choices((0, 1, 2, 3, 4, 5, 6, 8, 12), weights=(6, 12, 14, 22, 20, 10, 8, 5, 3))[
            0
        ]
        dates = lambda: _course_dates(rng, count, today)  # noqa: E731
    else:
        count = exact
        dates = lambda: _exact_course_dates(rng, count, today)  # noqa: E731
    indication, zones = rng.choice(PLANS)
    zones = tuple(z for z in zones if rng.random() < 0.9) or zones[:1]
    depths = {z: _depth(rng, z) for z in zones}
    device, needles = rng.choice(DEVICES)
    practitioner = rng.choice(PRACTITIONERS)
    grade = (
        rng.choice((3, 3, 4, 4, 2))
        if indication in (Indication.ACNE_SCARS, Indication.SCARRING)
        else None
    )
    gais = 4
    satisfaction = rng.randint(5, 7)
    serum_name, serum_code = rng.choice(SERUMS_FOR.get(indication, SERUMS))
    out: list[SessionData] = []
    for i, at in enumerate(dates()):
        if i and rng.random() < 0.4:  # deepen a little as the skin tolerates it
            z = rng.choice(zones)
            depths[z] = min(depths[z] + STEP, _deepest(z)).quantize(Decimal("0.01"))
        if i and grade is not None and grade > 1 and rng.random() < 0.35:
            grade -= 1
        if i and gais > 1 and rng.random() < 0.45:
            gais -= 1
        satisfaction = min(10, satisfaction + rng.choice((0, 0, 1)))
        products = [_product(rng, serum_name, serum_code, at)]
        if rng.random() < 0.3 and serum_code != "HA":
            products.append(_product(rng, "Hyaluronic acid serum", "HA", at))
        screening, acknowledged, reason = _screening(rng, patient.contraindications)
        severe = rng.random() < 0.02
        areas = tuple(
            TreatedArea(
                z,
                depths[z],
                passes=rng.choice((2, 3, 3, 4)),
                # Thin skin is taken to erythema only; thicker skin often to pinpoint bleeding.
                endpoint=Endpoint.ERYTHEMA
                if z in THIN
                else rng.choice((Endpoint.ERYTHEMA, Endpoint.PINPOINT_BLEEDING)),
            )
            for z in zones
        )
        out.append(
            SessionData(
                performed_at=at,
                practitioner=practitioner,
                areas=areas,
                indications=(indication,),
                device=device,
                cartridge_needles=needles,
                cartridge_lot=f"C{at.year}{rng.randint(10000, 99999)}",
                pen_speed=rng.choice((None, 6, 8, 10)),
                numbing=Numbing("Lidocaine 5% cream", rng.choice((20, 25, 30))),
                products=tuple(products),
                redness=Grade.SEVERE if severe else _grade(rng, (10, 55, 34, 1)),
                bruising=_grade(rng, (70, 25, 5, 0)),
                swelling=_grade(rng, (50, 40, 10, 0)),
                # The endpoint, recorded per area; the session-wide flag agrees with it.
                pinpoint_bleeding=any(a.endpoint is Endpoint.PINPOINT_BLEEDING for a in areas),
                acne_flare=rng.random() < 0.05,
                adverse_events="Marked erythema for 4 days." if severe else "",
                pain=rng.randint(1, 6),
                scar_grade=grade,
                gais=None if i == 0 else gais,
                satisfaction=None if i == 0 else satisfaction,
                notes=rng.choice(NOTES[indication]),
                aftercare_given=True,
                screening=screening,
                cautions_acknowledged=acknowledged,
                override_reason=reason,
            )
        )
    return tuple(out)


def generate(
    count: int,
    seed: int,
    today: date,
    start: int = 1,
    sessions_for: Callable[[int], int] | None = None,
) -> Iterator[DemoPatient]:
    """Yield ``count`` demo patients with their sessions, oldest session first.

    ``sessions_for(number)`` fixes how many sessions patient ``number`` has (the
    benchmark clinic's long histories); without it the demo's own mix is used.
    """
    for number in range(start, start + count):
        rng = random.Random(f"{seed}:{number}")
        patient = _patient(rng, number, today)
        exact = None if sessions_for is None else sessions_for(number)
        made = _sessions(rng, patient, today, exact)
        # Their own random numbers: the sessions stay what they were before consents.
        signing = random.Random(f"{seed}:{number}:consent")
        yield DemoPatient(patient, made, _consents(signing, made))


# Demo patients sign before each course: a treatment consent a few days before its first
# session, and a photo consent once, at the start.
PHOTO_YES = {
    PhotoUse.CLINICAL_RECORD: 1.0,
    PhotoUse.OWN_REPORT: 0.85,
    PhotoUse.TEACHING: 0.35,
    PhotoUse.PUBLICATION: 0.1,
}
COURSE_GAP = timedelta(weeks=26)  # the default course gap: a longer break starts a course


def _consents(rng: random.Random, made: tuple[SessionData, ...]) -> tuple[DemoConsent, ...]:
    """Consents covering every course of ``made`` (none for a patient without sessions:
    a new patient signs at the first visit, and the window shows they have not yet)."""
    if not made:
        return ()
    days = sorted(s.performed_at for s in made)
    starts = [days[0]] + [b for a, b in pairwise(days) if b - a > COURSE_GAP]
    out: list[DemoConsent] = []
    for i, start in enumerate(starts):
        before = start.date() - timedelta(days=rng.randint(0, 10))
        at = datetime.combine(before, time(rng.randint(8, 16), rng.choice((0, 10, 20, 40))))
        at = min(at, start - timedelta(minutes=20))  # signed before the first needle
        out.append(DemoConsent(ConsentKind.TREATMENT, at, (), demo_signature(rng)))
        if i == 0:
            answers = tuple((u, rng.random() < p) for u, p in PHOTO_YES.items())
            out.append(
                DemoConsent(
                    ConsentKind.PHOTO, at + timedelta(minutes=2), answers, demo_signature(rng)
                )
            )
    return tuple(out)


def demo_signature(rng: random.Random, width: int = 480, height: int = 160) -> Signature:
    """A made-up handwritten flourish: loops along a baseline and an underline stroke,
    with a pen's varying pressure. Drawn by numbers, not taken from any person."""
    strokes: list[Stroke] = []
    x, base = rng.uniform(30, 60), height * rng.uniform(0.5, 0.62)
    for _word in range(rng.randint(1, 2)):
        loops = rng.randint(3, 6)
        radius = rng.uniform(10, 22)
        step = rng.uniform(11, 16)
        points: list[StrokePoint] = []
        for j in range(loops * 14):
            t = j / 14
            angle = t * 2 * math.pi
            px = x + t * step * 2.2 + radius * 0.6 * math.cos(angle)
            py = base - radius * abs(math.sin(angle * 0.5)) * (1.2 if j % 28 < 14 else 0.7)
            pressure = 0.45 + 0.35 * abs(math.sin(angle * 0.7 + 0.4))
            points.append(StrokePoint(round(px, 1), round(py, 1), round(pressure, 2)))
        strokes.append(Stroke(tuple(points)))
        x = points[-1].x + rng.uniform(18, 30)
    y = base + rng.uniform(14, 24)
    end = min(width - 20, x + rng.uniform(-40, 10))
    underline = tuple(
        StrokePoint(round(40 + (end - 40) * k / 12, 1), round(y + 3 * math.sin(k / 2), 1), 0.6)
        for k in range(13)
    )
    strokes.append(Stroke(underline))
    return Signature(width, height, tuple(strokes))
