"""The photographs of a JSON export, brought back by its import (docs/json-format.md).

The export lists each photo by checksum and puts the originals beside the file, in
``needlelog-photos/`` (laid out like the photo store, as beside a backup). The
import finds each original in the receiving clinic's photo store or in that
folder, and verifies its checksum before anything is written: a photo whose
original is missing or does not match refuses the whole import, one line each.
Once the patients and sessions are accepted (same transaction), the originals are
copied into the photo store and the records written through ``services.photos``:
landmarks, capture data and withdrawals as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from needlelog.domain.errors import InvalidRecord
from needlelog.domain.photos import FORMATS, CaptureInfo, Landmarks, PhotoUse, view_problem
from needlelog.domain.records import SessionData
from needlelog.exchange.loader import ImportProblem, Written
from needlelog.exchange.photo_backup import FOLDER
from needlelog.services import clock, photo_query, photos
from needlelog.services.photo_writer import ImportedPhoto
from needlelog.store.files import describe_os_error
from needlelog.store.photo_files import PhotoStore, PhotoStoreError, file_sha256

_MEDIA = set(FORMATS.values())
_BAD = (KeyError, ValueError, TypeError, AttributeError)


@dataclass(frozen=True)
class PhotoIn:
    row: int  # 1 = the first item of "photos"
    record_no: str
    session_ref: int  # the session's id in the file
    photo: ImportedPhoto
    performed_on: str = ""  # the session's day, as the file gives it

    def names(self) -> str:
        """How a person finds it: patient, session day, view."""
        day = f"{self.performed_on} " if self.performed_on else ""
        timing = "after" if self.photo.after else "before"
        return f"{self.record_no}, {day}{self.photo.view} {timing}"


def _int(value: Any, low: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} is not a whole number of at least {low}")
    return value


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _text(value: Any, name: str, limit: int = 500) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{name} is not a text of at most {limit} characters")
    return value


def _when(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromisoformat(_text(value, "a time", 40))


def photo_from_json(item: dict[str, Any]) -> tuple[str, int, ImportedPhoto]:
    """(record number, session id in the file, the photo) of one PHOTO item; raises
    ``ValueError``/``KeyError``/``TypeError`` for anything that is not one."""
    sha = _text(item["sha256"], "sha256", 64)
    PhotoStore(Path(".")).path_for(sha)  # a SHA-256, or ValueError
    timing = item["timing"]
    if timing not in ("before", "after"):
        raise ValueError(f"timing {str(timing)[:20]!r} is not before or after")
    ext, media_type = _text(item["ext"], "ext", 10), _text(item["media_type"], "media_type", 40)
    if (ext, media_type) not in _MEDIA:
        raise ValueError(f"{ext} {media_type} is not a photo type needlelog stores")
    width, height = _int(item["width"], 1, "width"), _int(item["height"], 1, "height")
    orientation = _int(item.get("orientation", 1), 1, "orientation")
    if orientation > 8:
        raise ValueError("orientation is not 1 to 8")
    c = item.get("capture") or {}
    flash = c.get("flash_fired")
    if flash is not None and not isinstance(flash, bool):
        raise ValueError("capture flash_fired is not true, false or null")
    iso = c.get("iso")
    capture = CaptureInfo(
        flash_fired=flash,
        exposure_time_s=_number(c.get("exposure_time_s")),
        f_number=_number(c.get("f_number")),
        iso=None if iso is None else _int(iso, 0, "capture iso"),
        focal_length_mm=_number(c.get("focal_length_mm")),
        taken_at=_when(c.get("taken_at")),
        camera=_text(c.get("camera", ""), "capture camera", 200),
    )
    marks = item.get("landmarks")
    landmarks = None
    if marks is not None:
        x1, y1, x2, y2 = (_number(marks[k]) for k in ("x1", "y1", "x2", "y2"))
        landmarks = Landmarks(x1, y1, x2, y2)  # type: ignore[arg-type]
        problem = landmarks.problem(width, height)
        if problem is not None:
            raise ValueError(problem.message)
    withdrawn = item.get("withdrawn")
    created_at = _when(item.get("created_at"))
    photo = ImportedPhoto(
        view=_text(item["view"], "view", 40),
        after=timing == "after",
        sha256=sha,
        original_name=_text(item.get("original_name", ""), "original_name", 255),
        ext=ext,
        media_type=media_type,
        byte_size=_int(item["byte_size"], 1, "byte_size"),
        width=width,
        height=height,
        orientation=orientation,
        capture=capture,
        landmarks=landmarks,
        created_at=created_at if created_at is not None else clock.utc_now(),
        created_by=_text(item.get("created_by", ""), "created_by", 200),
    )
    if withdrawn is not None:
        reason = _text(withdrawn["reason"], "withdrawn reason").strip()
        if not reason:
            raise ValueError("a withdrawn photo has no reason")
        photo = ImportedPhoto(
            **{
                **photo.__dict__,
                "withdrawn_at": _when(withdrawn["at"]) or clock.utc_now(),
                "withdrawn_by": _text(withdrawn.get("by", ""), "withdrawn by", 200),
                "withdrawn_reason": reason,
            }
        )
    session_ref = item["session_id"]
    if isinstance(session_ref, bool) or not isinstance(session_ref, int):
        raise ValueError("session_id is not a whole number")
    return str(item["record_no"])[:64], session_ref, photo


def read(file: str, items: Any) -> tuple[list[PhotoIn], list[ImportProblem]]:
    """The photo items of a file, and a problem per item that cannot be read."""
    where = f"{file} photos"
    if items is None:
        return [], []
    if not isinstance(items, list):
        return [], [ImportProblem(file, None, "photos", "", "photos is not a list in this file")]
    out: list[PhotoIn] = []
    problems: list[ImportProblem] = []
    for n, item in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise TypeError("not an object")
            record_no, ref, photo = photo_from_json(item)
        except _BAD as exc:
            text = f"{type(exc).__name__}: {exc}"
            text = text if len(text) <= 160 else text[:157] + "..."
            problems.append(ImportProblem(where, n, "", "", f"photo cannot be read: {text}"))
            continue
        day = item.get("performed_on")
        out.append(PhotoIn(n, record_no, ref, photo, day[:10] if isinstance(day, str) else ""))
    return out, problems


def uses_from_json(file: str, items: Any) -> tuple[dict[str, set[PhotoUse]], list[ImportProblem]]:
    """The photo uses each patient agreed to, by record number."""
    if items is None:
        return {}, []
    out: dict[str, set[PhotoUse]] = {}
    problems: list[ImportProblem] = []
    for n, item in enumerate(items if isinstance(items, list) else [None], start=1):
        try:
            out[str(item["record_no"])[:64]] = {PhotoUse(u) for u in item["uses"]}
        except _BAD:
            problems.append(
                ImportProblem(f"{file} photo_uses", n, "uses", "", "not a list of photo uses")
            )
    return out, problems


# (where, row, checksum, what): a file an item of the import needs from the store
Wanted = tuple[str, int, str, str]


def wanted(file: str, items: Iterable[PhotoIn]) -> list[Wanted]:
    return [(f"{file} photos", p.row, p.photo.sha256, f"the photo {p.photo.sha256[:12]}… "
             f"({p.names()})") for p in items]  # fmt: skip


def locate(
    needed: Iterable[Wanted], store: PhotoStore, beside: PhotoStore
) -> tuple[dict[str, Path | None], list[ImportProblem]]:
    """Where each original (photo or paper scan) is: None when the photo store holds it
    (verified), else the verified file beside the export. A problem (one line naming
    the file's item) for each missing or not matching its checksum."""
    found: dict[str, Path | None] = {}
    problems: list[ImportProblem] = []
    for where, row, sha, what in needed:
        if sha in found:
            continue
        in_store = store.verify(sha)
        if in_store is None:
            found[sha] = None
            continue
        there = beside.path_for(sha)
        try:
            actual: str | None = file_sha256(there)
        except FileNotFoundError:
            actual = None
        except OSError as exc:
            actual = f"cannot be read ({describe_os_error(exc)})"
        if actual == sha:
            found[sha] = there
            continue
        if actual is None and in_store == "missing":
            why = (
                f"is missing: it is neither in the photo store ({store.root}) nor in {beside.root}"
            )
        elif actual is None:
            why = f"in the photo store ({store.path_for(sha)}) {in_store}"
        elif actual.startswith("cannot"):
            why = f"{there} {actual}"
        else:
            why = f"{there} does not match its checksum"
        problems.append(ImportProblem(where, row, "sha256" if "photos" in where else "scan_sha256",
                                      "", f"{what} {why}"))  # fmt: skip
    return found, problems


def store_files(
    file: str, sources: dict[str, Path | None], needed: set[str], store: PhotoStore
) -> list[ImportProblem]:
    """Copy the originals found beside the export that records will use into the photo
    store (each verified again as it is copied): before any record names them."""
    for sha, source in sorted(sources.items()):
        if source is None or sha not in needed:
            continue
        try:
            store.put_file(sha, source)
        except OSError as exc:
            return [
                ImportProblem(
                    file, None, "", "",
                    f"{source} cannot be copied into the photo store ({store.root}): "
                    f"{describe_os_error(exc)}",
                )
            ]  # fmt: skip
    return []


class PhotoImport:
    """The photos of an import, once its patients and sessions are in: ``plan`` checks
    and writes nothing, ``write`` records them (their originals already stored)."""

    def __init__(
        self,
        file: str,
        items: list[PhotoIn],
        sessions_in_file: dict[int, tuple[str, SessionData]],
        uses: dict[str, set[PhotoUse]],
        store: PhotoStore,
        actor: str,
    ) -> None:
        self.where = f"{file} photos"
        self.items, self.sessions_in_file, self.uses = items, sessions_in_file, uses
        self.store, self.actor = store, actor
        self.planned: list[tuple[int, PhotoIn]] = []

    def needed(self) -> set[str]:
        """The originals the planned records use."""
        return {p.photo.sha256 for _s, p in self.planned}

    def plan(self, w: Written) -> list[ImportProblem]:
        conn = w.session.connection()
        protocol = photo_query.protocol(conn)
        problems: list[ImportProblem] = []
        present: dict[int, set[tuple[str, str, bool]]] = {}
        for p in self.items:
            session = self.sessions_in_file.get(p.session_ref)
            if session is None or session[0] != p.record_no:
                problems.append(
                    ImportProblem(
                        self.where, p.row, "session_id", str(p.session_ref),
                        f"the photo's session (id {p.session_ref} of {p.record_no}) is not "
                        "among this file's sessions",
                    )
                )  # fmt: skip
                continue
            patient_id = w.patient_id(p.record_no)
            session_id = None if patient_id is None else w.session_id(patient_id, session[1])
            if session_id is None:
                problems.append(
                    ImportProblem(
                        self.where, p.row, "session_id", str(p.session_ref),
                        f"the photo's session ({p.names()}) was not imported",
                    )
                )  # fmt: skip
                continue
            problem = view_problem(p.photo.view, protocol)
            if problem is not None:
                problems.append(
                    ImportProblem(self.where, p.row, "view", p.photo.view, problem.message)
                )
                continue
            if session_id not in present:
                present[session_id] = {
                    (x.sha256, x.view, x.after)
                    for x in photo_query.for_session(conn, session_id, include_withdrawn=True)
                }
            key = (p.photo.sha256, p.photo.view, p.photo.after)
            if key in present[session_id]:
                w.result.photos_skipped += 1
                continue
            present[session_id].add(key)
            self.planned.append((session_id, p))
        return problems

    def write(self, w: Written) -> list[ImportProblem]:
        conn = w.session.connection()
        problems: list[ImportProblem] = []
        now = clock.utc_now()
        for session_id, p in self.planned:
            if w.commit:
                try:
                    photos.add_imported_in(conn, session_id, p.photo, self.actor, now, self.store)
                except (InvalidRecord, PhotoStoreError) as exc:
                    problems.append(ImportProblem(self.where, p.row, "", "", str(exc)))
                    continue
            w.result.photos_added += 1
        for record_no, agreed in sorted(self.uses.items()):
            patient_id = w.patient_id(record_no)
            if patient_id is not None and patient_id in w.added:  # a kept record is not changed
                photos.set_uses_in(conn, patient_id, agreed, self.actor, now)
        return problems


def beside(json_file: Path) -> PhotoStore:
    """The folder of originals the export wrote beside ``json_file``."""
    return PhotoStore(json_file.parent / FOLDER)
