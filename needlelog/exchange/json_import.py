"""Read a JSON export back (docs/json-format.md) through the same import rules as CSV.

Records are added like any import (same rules, all or nothing, record
numbers matched); database ids, created/updated times and versions are
assigned anew by the receiving database. Settings missing from the
receiving database are taken from the file; existing ones are kept.
Photographs come back with their originals (``exchange.json_photos``), each
verified against its checksum before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from needlelog.domain.accounts import Permission
from needlelog.domain.codes import Area, Endpoint, Grade, Indication, Sex
from needlelog.domain.contraindications import Contraindication, ScreeningAnswer
from needlelog.domain.records import (
    Numbing,
    PatientData,
    Product,
    SessionData,
    TreatedArea,
    VancouverScarScale,
)
from needlelog.domain.validation import excerpt, parse_depth
from needlelog.exchange import json_consents, json_photos
from needlelog.exchange.json_export import FORMAT, FORMAT_VERSION
from needlelog.exchange.loader import (
    ImportProblem,
    ImportRefused,
    ImportResult,
    PatientIn,
    SessionIn,
    Written,
    load,
)
from needlelog.services import access, photos
from needlelog.services.mapping import GAIS, GOODMAN_BARON, SATISFACTION, VSS, VSS_ITEMS
from needlelog.store.database import Database


def _depth(value: Any, area: Any) -> Decimal:
    """A depth as text or a JSON number, read in its short form only (never ``1e999999999``)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"depth of {excerpt(str(area))} is not a number")
    return parse_depth(str(value), excerpt(str(area)))


def _short(exc: BaseException) -> str:
    """The error, at most a line long: a bad value is quoted only in part."""
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 160 else text[:157] + "..."


def _record_no(item: Any) -> str:
    return str(item.get("record_no", ""))[:64] if isinstance(item, dict) else ""


def _date(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(value)


def patient_from_json(item: dict[str, Any]) -> tuple[PatientData, bool]:
    return (
        PatientData(
            record_no=item["record_no"],
            family_name=item["family_name"],
            given_name=item.get("given_name", ""),
            date_of_birth=_date(item.get("date_of_birth")),
            sex=Sex(item["sex"]) if item.get("sex") else None,
            phone=item.get("phone", ""),
            email=item.get("email", ""),
            fitzpatrick=item.get("fitzpatrick"),
            contraindications=tuple(Contraindication(c) for c in item.get("contraindications", [])),
            notes=item.get("notes", ""),
            planned_sessions=item.get("planned_sessions"),
        ),
        bool(item.get("archived", False)),
    )


def _grade(value: Any) -> Grade | None:
    return None if value in (None, "") else Grade.from_word(value)


def session_from_json(item: dict[str, Any]) -> SessionData:
    scores = {(x["scale"], x["item"]): int(x["score"]) for x in item.get("scores", [])}
    vss = None
    if any(scale == VSS[0] for scale, _ in scores):
        vss = VancouverScarScale(**{i: scores[(VSS[0], i)] for i in VSS_ITEMS})
    numbing = item.get("numbing")
    return SessionData(
        performed_at=datetime.fromisoformat(item["performed_at"]),
        practitioner=item["practitioner"],
        areas=tuple(
            TreatedArea(
                area=Area(a["area"]),
                depth_mm=_depth(a["depth_mm"], a["area"]),
                passes=a.get("passes"),
                endpoint=Endpoint(a["endpoint"]) if a.get("endpoint") else None,
                label=a.get("label", ""),
            )
            for a in item["areas"]
        ),
        indications=tuple(Indication(i) for i in item.get("indications", [])),
        device=item.get("device", ""),
        cartridge_needles=item.get("cartridge_needles"),
        cartridge_lot=item.get("cartridge_lot", ""),
        pen_speed=item.get("pen_speed"),
        numbing=None if not numbing else Numbing(numbing["product"], int(numbing["minutes"])),
        products=tuple(
            Product(p["name"], p.get("lot", ""), _date(p.get("expiry")))
            for p in item.get("products", [])
        ),
        redness=_grade(item.get("redness")),
        bruising=_grade(item.get("bruising")),
        swelling=_grade(item.get("swelling")),
        pinpoint_bleeding=bool(item.get("pinpoint_bleeding", False)),
        acne_flare=bool(item.get("acne_flare", False)),
        adverse_events=item.get("adverse_events", ""),
        pain=item.get("pain"),
        scar_grade=scores.get((GOODMAN_BARON[0], "grade")),
        gais=scores.get((GAIS[0], "score")),
        satisfaction=scores.get((SATISFACTION[0], "score")),
        vss=vss,
        notes=item.get("notes", ""),
        aftercare_given=bool(item.get("aftercare_given", False)),
        next_due=_date(item.get("next_due")),
        screening=tuple(
            ScreeningAnswer(
                Contraindication(a["item"]),
                bool(a["present"]),
                _date(a.get("since")),
                str(a.get("detail", "")),
            )
            for a in item.get("screening", [])
        ),
        cautions_acknowledged=bool(item.get("cautions_acknowledged", False)),
        override_reason=item.get("override_reason", ""),
        screening_list=int(item.get("screening_list", 0)),
        screening_attested_by=str(item.get("screening_attested_by", "")),
        screening_attested_at=(
            datetime.fromisoformat(item["screening_attested_at"])
            if item.get("screening_attested_at")
            else None
        ),
    )


_BAD = (KeyError, ValueError, TypeError, InvalidOperation, AttributeError)


def import_json(
    db: Database,
    path: Path,
    actor: str,
    commit: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    access.require(db, Permission.IMPORT)  # refused before any file is begun
    name = path.name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportRefused(
            [ImportProblem(name, None, "", "", f"not a JSON export: {exc}")]
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ImportRefused([ImportProblem(name, None, "format", "", f"not a {FORMAT} file")])
    if not isinstance(doc.get("format_version"), int) or doc["format_version"] > FORMAT_VERSION:
        raise ImportRefused(
            [
                ImportProblem(
                    name,
                    None,
                    "format_version",
                    str(doc.get("format_version")),
                    f"format version {doc.get('format_version')} is newer than this "
                    f"version of needlelog reads ({FORMAT_VERSION})",
                )
            ]
        )

    for key, kind, words in (
        ("patients", list, "a list"),
        ("sessions", list, "a list"),
        ("settings", dict, "an object"),
        ("photos", list, "a list"),
        ("photo_uses", list, "a list"),
        ("consent_templates", list, "a list"),
        ("consents", list, "a list"),
    ):
        if key in doc and doc[key] is not None and not isinstance(doc[key], kind):
            raise ImportRefused(
                [ImportProblem(name, None, key, "", f"{key} is not {words} in this file")]
            )

    # Photographs and consents: every form's text and every original (photo or paper
    # scan) checked against its checksum before anything is written.
    photo_items, problems = json_photos.read(name, doc.get("photos"))
    uses, more = json_photos.uses_from_json(name, doc.get("photo_uses"))
    problems += more
    consents = json_consents.ConsentImport(
        name, doc.get("consent_templates"), doc.get("consents"), actor
    )
    problems += consents.problems
    needed = json_photos.wanted(name, photo_items) + consents.scans()
    store = photos.photo_store(db)
    sources: dict[str, Path | None] = {}
    if needed:
        sources, more = json_photos.locate(needed, store, json_photos.beside(path))
        problems += more
    if problems:
        raise ImportRefused(problems)
    in_file: dict[int, tuple[str, SessionData]] = {}  # session id in the file -> session

    def patients() -> Iterator[PatientIn]:
        for n, item in enumerate(doc.get("patients", []), start=1):
            try:
                data, archived = patient_from_json(item)
            except _BAD as exc:
                problem = ImportProblem(
                    name, n, "patients", "", f"patient cannot be read: {_short(exc)}"
                )
                yield PatientIn(n, _record_no(item), None, False, (problem,))
                continue
            yield PatientIn(n, data.record_no, data, archived)

    def sessions() -> Iterator[SessionIn]:
        for n, item in enumerate(doc.get("sessions", []), start=1):
            try:
                data = session_from_json(item)
            except _BAD as exc:
                problem = ImportProblem(
                    name, n, "sessions", "", f"session cannot be read: {_short(exc)}"
                )
                yield SessionIn(n, _record_no(item), None, (problem,))
                continue
            if isinstance(item.get("id"), int):
                in_file[item["id"]] = (_record_no(item), data)
            yield SessionIn(n, _record_no(item), data)

    in_photos = json_photos.PhotoImport(name, photo_items, in_file, uses, store, actor)

    def then(w: Written) -> list[ImportProblem]:
        """Consents and photos, once the patients and sessions are in: all checked, then
        their files put into the store, then their records written."""
        found = in_photos.plan(w) + consents.plan(w)
        if found:
            return found
        if w.commit:
            found = json_photos.store_files(
                name, sources, in_photos.needed() | consents.needed(), store
            )
            if found:
                return found
        return consents.write(w) + in_photos.write(w)

    return load(
        db,
        patients(),
        sessions(),
        actor,
        commit,
        patients_file=f"{name} patients",
        sessions_file=f"{name} sessions",
        settings=doc.get("settings") or {},
        progress=progress,
        total=len(doc.get("patients", [])) + len(doc.get("sessions", [])),
        then=None if not (photo_items or uses or consents.versions) else then,
    )
