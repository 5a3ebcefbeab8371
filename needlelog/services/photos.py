"""Clinical photographs: the use cases the window, the command line, the report,
the exports and ``check`` share. Each opens one transaction around the one reader
(``photo_query``) or the one writer (``photo_writer``).

Adding photos, in this order, so that no record ever points at a missing or
partial file:

1. ``prepare`` every file (read, check, strip private metadata, thumbnail):
   an unreadable file refuses the whole lot and nothing is stored;
2. put each original into the photo store folder (write once: temporary file,
   fsync, rename);
3. one transaction writes all the records (with their audit events);
4. thumbnails go into the cache (rebuilt on demand if this is interrupted).

A process killed between 2 and 3 leaves originals no record uses; ``check``
lists them, and adding the same file again reuses them.

``prepare`` touches no database and no store: the window runs it on a worker
thread with progress, then hands the results to ``add``.

Who may: every read of photos (records, thumbnails, originals, the uses a patient
agreed to) needs ``CLINICAL_READ``; adding, withdrawing, landmarks and uses need
``CLINICAL_WRITE`` (the demo clinic's photos, added by whoever may ``IMPORT``, say
``as_import``); the protocol and the folder are clinic settings (``CLINIC_SETTINGS``);
``check_files`` and ``count`` serve ``check`` (``CHECK``). Reading the protocol or
where the store is (no photo, no patient) needs nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Connection

from needlelog import config
from needlelog.domain.accounts import Permission
from needlelog.domain.consent import day_words
from needlelog.domain.errors import InvalidRecord, Violation, raise_if_any
from needlelog.domain.photos import (
    Landmarks,
    Photo,
    PhotoProtocol,
    PhotoUse,
    PhotoUses,
    ViewPair,
    protocol_problems,
    view_problem,
)
from needlelog.domain.records import TreatmentSession
from needlelog.services import (
    access,
    consent_query,
    patient_query,
    photo_query,
    photo_writer,
    session_query,
    settings,
)
from needlelog.services.errors import NotFound, Refused
from needlelog.services.photo_images import (
    THUMBNAIL_SIZE,
    PreparedPhoto,
    UnreadableImage,
    make_thumbnail,
    prepare,
)
from needlelog.store.database import Database
from needlelog.store.photo_files import PhotoStore, PhotoStoreError, folder_problem

__all__ = [
    "PhotoStore",
    "PreparedPhoto",
    "UnreadableImage",
    "add",
    "add_files",
    "add_imported_in",
    "change_photo_folder",
    "check_files",
    "check_view",
    "count",
    "first_and_latest",
    "folder_change_problem",
    "for_patient",
    "for_session",
    "get",
    "original_path",
    "photo_protocol",
    "photo_store",
    "prepare",
    "prepare_all",
    "remove_demo_files",
    "session_on",
    "set_landmarks",
    "set_photo_folder",
    "set_photo_protocol",
    "set_uses",
    "set_uses_in",
    "store_at",
    "thumbnail",
    "uses",
    "withdraw",
]

ENV_PHOTOS = "NEEDLELOG_PHOTOS"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _require_write(db: Database, as_import: bool) -> None:
    """A write of photos needs ``CLINICAL_WRITE``; the demo clinic's, ``IMPORT``."""
    access.require(db, Permission.IMPORT if as_import else Permission.CLINICAL_WRITE)


# -- where the originals live ------------------------------------------------------------


def store_at(sqlite_path: Path | None, chosen: str = "") -> PhotoStore:
    """The photo store of a database: ``NEEDLELOG_PHOTOS`` if set, else the folder the
    clinic set (``chosen``: one shared folder that every PC of a server database
    points at), else ``photos/`` beside the SQLite file (or in the data folder for a
    server database that has no folder set)."""
    env = os.environ.get(ENV_PHOTOS)
    if env:
        return PhotoStore(Path(env).expanduser())
    if chosen:
        return PhotoStore(Path(chosen).expanduser())
    if sqlite_path is not None:
        return PhotoStore(sqlite_path.parent / "photos")
    return PhotoStore(config.paths().data / "photos")


def photo_store(db: Database) -> PhotoStore:
    """The clinic's photo store folder (see ``store_at``)."""
    if os.environ.get(ENV_PHOTOS):
        return store_at(None)
    with db.transaction() as conn:
        chosen = photo_query.folder_setting(conn)
    return store_at(db.sqlite_path, chosen)


def _not_full_path(folder: str) -> Violation | None:
    if folder and not Path(folder).expanduser().is_absolute():
        return Violation(
            "photo_folder",
            folder,
            "a full folder path",
            f"the photo folder {folder!r} must be a full path (for example "
            "\\\\server\\needlelog\\photos or /srv/needlelog/photos)",
        )
    return None


def set_photo_folder(db: Database, folder: str, actor: str) -> None:
    """Set the clinic's photo store folder ("" = beside the database). Moves nothing:
    the window changes it through ``change_photo_folder``, which copies first."""
    access.require(db, Permission.CLINIC_SETTINGS)
    folder = folder.strip()
    problem = _not_full_path(folder)
    raise_if_any([problem] if problem else [])
    settings.set_value(db, photo_query.FOLDER_KEY, folder, actor)


def folder_change_problem(folder: str) -> str | None:
    """Why ``folder`` cannot become the photo store folder, in one sentence (a full
    path to an existing, writable, private folder); None when it can. Reads no record."""
    folder = folder.strip()
    if not folder:
        return "choose a folder"
    problem = _not_full_path(folder)
    if problem is not None:
        return problem.message
    if os.environ.get(ENV_PHOTOS):
        return (
            f"this computer is told where the photos are by {ENV_PHOTOS}; "
            "the folder cannot be changed here"
        )
    return folder_problem(Path(folder).expanduser())


@dataclass(frozen=True)
class FolderChange:
    """What ``change_photo_folder`` did: originals copied (each checked against its
    checksum), ones found already there (checked too), and the two folders."""

    copied: int
    already_there: int
    old_root: Path
    new_root: Path


def _copy_into(
    old: PhotoStore,
    new: PhotoStore,
    needed: set[str],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Copy every original of ``needed`` from ``old`` into ``new`` and verify each copy;
    raises ``PhotoStoreError`` (the setting untouched) when any cannot be."""
    copied = there = 0
    missing: list[str] = []
    for i, sha in enumerate(sorted(needed)):
        if progress is not None:
            progress(i, len(needed))
        if new.has(sha):
            there += 1
        elif old.verify(sha) is None:
            new.put_file(sha, old.path_for(sha))
            copied += 1
        else:
            missing.append(sha)
            continue
        why = new.verify(sha)
        if why is not None:
            raise PhotoStoreError(f"the copy of a photo in {new.root} failed its check ({why})")
    if missing:
        raise PhotoStoreError(
            f"{len(missing)} photo(s) are missing or damaged in {old.root} (run check)"
        )
    return copied, there


def change_photo_folder(
    db: Database,
    folder: str,
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> FolderChange:
    """Point the clinic at another photo store folder without losing a photo: every
    original the records use is copied into it and checked against its checksum
    (one already there is checked, not copied) before the setting changes. The old
    folder is left exactly as it was. Raises ``InvalidRecord`` for an unusable folder
    and ``PhotoStoreError`` when a photo cannot be copied; either way nothing changed."""
    access.require(db, Permission.CLINIC_SETTINGS)
    folder = folder.strip()
    problem = folder_change_problem(folder)
    if problem is not None:
        raise InvalidRecord([Violation("photo_folder", folder, "a usable folder", problem)])
    old, new = photo_store(db), PhotoStore(Path(folder).expanduser())
    with db.transaction() as conn:
        needed = photo_query.checksums(conn)
    copied, there = _copy_into(old, new, needed, progress)
    if progress is not None:
        progress(len(needed), len(needed))
    set_photo_folder(db, folder, actor)
    # Photos another PC added meanwhile went to the old folder: bring them too.
    with db.transaction() as conn:
        late = photo_query.checksums(conn) - needed
    if late:
        more, _ = _copy_into(old, new, late)
        copied += more
    return FolderChange(copied, there, old.root, new.root)


# -- the protocol ----------------------------------------------------------------------


def photo_protocol(db: Database) -> PhotoProtocol:
    with db.transaction() as conn:
        return photo_query.protocol(conn)


def set_photo_protocol(db: Database, protocol: PhotoProtocol, actor: str) -> None:
    access.require(db, Permission.CLINIC_SETTINGS)
    raise_if_any(protocol_problems(protocol))
    settings.set_value(db, photo_query.PROTOCOL_KEY, protocol.to_json(), actor)


# -- reading ---------------------------------------------------------------------------


def get(db: Database, photo_id: int) -> Photo:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return photo_query.one(conn, photo_id)


def count(db: Database) -> int:
    """How many photo records the clinic holds (withdrawn ones included)."""
    access.require(db, Permission.CHECK)
    with db.transaction() as conn:
        return photo_query.count(conn)


def for_session(db: Database, session_id: int, include_withdrawn: bool = False) -> list[Photo]:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return photo_query.for_session(conn, session_id, include_withdrawn)


def for_patient(db: Database, patient_id: int, include_withdrawn: bool = False) -> list[Photo]:
    """A patient's photos, oldest session first (the strip of each session groups them)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return photo_query.for_patient(conn, patient_id, include_withdrawn)


def first_and_latest(db: Database, patient_id: int) -> list[ViewPair]:
    """Per view, the first and latest session's "before" photo (comparison default,
    report page)."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return photo_query.first_and_latest(conn, patient_id)


def uses(db: Database, patient_id: int) -> PhotoUses:
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        return photo_query.uses(conn, patient_id)


def thumbnail(
    db: Database, photo: Photo, size: int = THUMBNAIL_SIZE, store: PhotoStore | None = None
) -> Path:
    """The cached JPEG thumbnail of a photo, made again from the original when missing.
    Raises ``FileNotFoundError`` when the original itself is missing."""
    access.require(db, Permission.CLINICAL_READ)
    store = store or photo_store(db)
    path = store.thumbnail_path(photo.sha256, size)
    if not path.is_file():
        store.put_thumbnail(photo.sha256, size, make_thumbnail(store.read(photo.sha256), size))
    return path


def original_path(db: Database, photo: Photo, store: PhotoStore | None = None) -> Path:
    """Where the stored original is (read it; never write to it)."""
    access.require(db, Permission.CLINICAL_READ)
    return (store or photo_store(db)).path_for(photo.sha256)


# -- adding ----------------------------------------------------------------------------


def session_on(db: Database, record_no: str, day: date) -> TreatmentSession:
    """The patient's session on ``day`` (the last of that day if several), read through
    the patient and session readers; raises ``NotFound`` with a sentence for the user."""
    access.require(db, Permission.CLINICAL_READ)
    with db.transaction() as conn:
        patient = patient_query.by_record_no(conn, record_no)
        found = session_query.on_day(conn, patient.id, day)
    if found is None:
        raise NotFound(f"patient {record_no} has no session on {day.isoformat()}")
    return found


def prepare_all(
    files: Sequence[Path], progress: Callable[[int, int], None] | None = None
) -> list[PreparedPhoto]:
    """Prepare every file, or raise ``UnreadableImage`` for the first that cannot be
    taken (nothing is stored either way). ``progress(done, total)`` after each."""
    out: list[PreparedPhoto] = []
    for i, path in enumerate(files):
        out.append(prepare(Path(path)))
        if progress is not None:
            progress(i + 1, len(files))
    return out


def _check_view(conn: Connection, view: str) -> None:
    problem = view_problem(view, photo_query.protocol(conn))
    if problem is not None:
        raise InvalidRecord([problem])


def check_view(db: Database, view: str) -> None:
    """Raise ``InvalidRecord`` when ``view`` is not a view of the clinic's protocol."""
    with db.transaction() as conn:
        _check_view(conn, view)


def add(
    db: Database,
    session_id: int,
    view: str,
    after: bool,
    prepared: Sequence[PreparedPhoto],
    actor: str,
    store: PhotoStore | None = None,
    *,
    as_import: bool = False,
) -> list[Photo]:
    """Store prepared photos as ``view`` of a session: originals first, then all the
    records in one transaction. Answers the photos as every read gives them.
    ``as_import``: the demo clinic's photos, allowed to whoever may import."""
    _require_write(db, as_import)
    with db.transaction() as conn:
        _check_view(conn, view)
        photo_query.session_patient(conn, session_id)  # NotFound before anything is stored
    store = store or photo_store(db)
    for item in prepared:
        store.put(item.data)
    now = _now()
    with db.transaction(write=True) as conn:
        _check_view(conn, view)
        ids = [
            photo_writer.insert_photo(conn, session_id, view, after, item, actor, now)
            for item in prepared
        ]
        added = [photo_query.one(conn, i) for i in ids]
    for item in prepared:
        # the cache is rebuilt from the original when next shown
        with contextlib.suppress(OSError):
            store.put_thumbnail(item.sha256, THUMBNAIL_SIZE, item.thumbnail)
    return added


def add_files(
    db: Database,
    session_id: int,
    view: str,
    after: bool,
    files: Sequence[Path],
    actor: str,
    progress: Callable[[int, int], None] | None = None,
) -> list[Photo]:
    """``prepare_all`` then ``add``: every file checked before any is stored."""
    access.require(db, Permission.CLINICAL_WRITE)  # before any file is read
    check_view(db, view)
    return add(db, session_id, view, after, prepare_all(files, progress), actor)


def add_imported_in(
    conn: Connection,
    session_id: int,
    photo: photo_writer.ImportedPhoto,
    actor: str,
    now: datetime,
    store: PhotoStore,
) -> int:
    """Inside an import's transaction: record a photo of an archive whose original is in
    ``store`` (put there and verified first: no record points at a missing file)."""
    _check_view(conn, photo.view)
    if not store.has(photo.sha256):
        raise PhotoStoreError(f"the photo {photo.sha256[:12]}… is not in {store.root}")
    return photo_writer.insert_imported(conn, session_id, photo, actor, now)


def set_uses_in(
    conn: Connection, patient_id: int, agreed: Iterable[PhotoUse], actor: str, now: datetime
) -> None:
    """Inside an import's transaction: the uses a patient (added by it) agreed to."""
    photo_writer.set_uses(conn, patient_id, agreed, now.date(), actor, now)


# -- changing --------------------------------------------------------------------------


def withdraw(db: Database, photo_id: int, reason: str, actor: str) -> Photo:
    access.require(db, Permission.CLINICAL_WRITE)
    with db.transaction(write=True) as conn:
        photo_writer.withdraw(conn, photo_id, reason, actor, _now())
        return photo_query.one(conn, photo_id)


def set_landmarks(
    db: Database, photo_id: int, marks: Landmarks | None, actor: str, *, as_import: bool = False
) -> Photo:
    _require_write(db, as_import)
    with db.transaction(write=True) as conn:
        photo_writer.set_landmarks(conn, photo_id, marks, actor, _now())
        return photo_query.one(conn, photo_id)


def set_uses(
    db: Database,
    patient_id: int,
    agreed: Iterable[PhotoUse],
    actor: str,
    agreed_on: date | None = None,
    *,
    as_import: bool = False,
) -> PhotoUses:
    """Record the uses of their photographs a patient agreed to (audited), for a patient
    without a signed photo consent; once one is signed, it decides (``Refused``: a new
    photo consent changes the answers)."""
    _require_write(db, as_import)
    now = _now()
    with db.transaction(write=True) as conn:
        signed = consent_query.photo_uses(conn, patient_id, (agreed_on or now.date()))
        if signed is not None:
            raise Refused(
                "the uses of this patient's photographs follow the photo consent signed on "
                f"{day_words(signed.signed_on)}; record a new photo consent to change them"
            )
        photo_writer.set_uses(conn, patient_id, agreed, agreed_on or now.date(), actor, now)
        return photo_query.uses(conn, patient_id)


def remove_demo_files(db: Database, checksums: Iterable[str]) -> int:
    """After the demo's photo records are deleted (committed): delete their originals
    that no record uses now (never a file another record uses, never any other file
    of the store). Answers how many were deleted."""
    wanted = set(checksums)
    if not wanted:
        return 0
    with db.transaction() as conn:  # photos and paper-consent scans share the store
        still_used = photo_query.checksums(conn) | consent_query.scan_checksums(conn)
    store = photo_store(db)
    removed = 0
    for sha in sorted(wanted - still_used):
        with contextlib.suppress(OSError):  # left behind: check lists it as unused
            removed += store.remove(sha)
    return removed


# -- check -----------------------------------------------------------------------------


def check_files(db: Database) -> tuple[list[tuple[str, str]], list[str]]:
    """(problems, unused): a (where, what) pair per photo or paper-consent scan missing
    or not matching its checksum, and the path of each file in the store folder that no
    record uses."""
    access.require(db, Permission.CHECK)
    store = photo_store(db)
    problems: list[tuple[str, str]] = []
    with db.transaction() as conn:
        used = list(photo_query.every(conn))
        scans = consent_query.scans(conn)  # paper consents' scans live in the same store
    known: set[str] = set()
    for photo in used:
        if photo.sha256 in known:
            continue
        known.add(photo.sha256)
        why = store.verify(photo.sha256)
        if why is not None:
            where = f"photo {photo.id} ({photo.performed_on.isoformat()} {photo.view})"
            problems.append((where, f"{why}: {store.path_for(photo.sha256)}"))
    for consent_id, sha in scans:
        if sha in known:
            continue
        known.add(sha)
        why = store.verify(sha)
        if why is not None:
            where = f"scan of paper consent {consent_id}"
            problems.append((where, f"{why}: {store.path_for(sha)}"))
    unused = [str(store.path_for(sha)) for sha in store.checksums() if sha not in known]
    unused += [str(p) for p in store.stray_files()]
    return problems, unused
