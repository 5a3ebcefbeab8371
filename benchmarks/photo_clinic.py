"""Issue 16's photo clinic: the full-size clinic with 5,000 patients of 20 photos each.

    python -m benchmarks.photo_clinic [--patients 100000 --sessions 1000000 --seed 1]
                                      [--photo-patients 5000 --photos-each 20]

The clinic of ``benchmarks.generate`` (made first with ``python -m benchmarks.generate``)
is COPIED into its own folder, brought to the current schema there (the cached
clinic itself is never changed), and photographs are added to the copy:

- 5,000 patients (every n-th patient with at least two sessions, plus the three
  below) hold photos. Each of the background patients has 20: the five face views
  of the clinic's protocol before and after treatment, at their first and at their
  latest session. Their files are small distinct JPEGs (160x120, drawn with the
  patient's and the photo's number), each put through needlelog's own preparation
  (metadata, SHA-256, thumbnail) and stored under its real checksum in the photo
  store folder beside the copy; their records and audit events are written by the
  photo writer (``photo_writer.insert_photo``), 5,000 to a transaction. Their
  thumbnails are not put in the cache (the app makes a missing one on demand);
  no scenario shows them. 100,000 distinct 24-megapixel files would need about
  300 GB of disk.
- The photos the scenarios open are real camera-size files, filed through
  ``photos.add_files`` (the path of ``photos add``):
  the strip patient: a 60-session record with the five views at every session
  (300 photos, 1600x1200; the strip paints their 256 px thumbnails from the cache);
  the comparison patient: the front view at 8 sessions, 24 MP (6000x4000);
  the memory patient: the five views at 40 sessions, 24 MP (200 photos).
  So 4,997 patients hold 20 photos each and three hold 300, 8 and 200: 100,448
  photo records in all.

The result is cached in ``NEEDLELOG_BENCH_DATA`` (or ``benchmarks/data``) as a folder
named by size, seed and photo counts: ``clinic.sqlite3``, its ``photos`` store and
``photo-clinic.json`` (the scenario patients). Delete the folder to free the disk.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.generate import DATA_DIR, FORMAT, _to_head

FACE_VIEWS = ("front", "left_45", "right_45", "left_profile", "right_profile")
STRIP_SESSIONS = 60
SWITCH_SESSIONS = 8
MEMORY_SESSIONS = 40
BATCH = 5_000
ACTOR = "bench"


@dataclass(frozen=True)
class PhotoClinic:
    """Where the photo clinic is and which patients the scenarios use."""

    path: Path
    photo_patients: int
    photos: int
    strip_patient: int  # 60 sessions, five views each (1600x1200)
    switch_patient: int  # front view at 8 sessions, 24 MP
    memory_patient: int  # five views at 40 sessions, 24 MP
    import_patient: int  # a background patient; the import scenarios add to its latest session

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"


def folder_for(patients: int, sessions: int, seed: int, photo_patients: int, each: int) -> Path:
    return DATA_DIR / (
        f"photo-clinic-p{patients}-s{sessions}-seed{seed}-v{FORMAT}-{photo_patients}x{each}"
    )


def small_jpeg(patient: int, number: int) -> bytes:
    """A small distinct JPEG: a drawn oval and the patient's and photo's numbers."""
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (160, 120), (200, 205, 210))
    draw = ImageDraw.Draw(im)
    draw.ellipse((50, 10, 110, 110), fill=(225, 180 - number % 20, 150 + patient % 50))
    draw.text((4, 4), f"{patient}/{number}", fill=(0, 0, 0))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=85)
    return out.getvalue()


def _prepared(job: tuple[int, int, str]) -> Any:
    from needlelog.services.photo_images import prepare_bytes

    patient, number, name = job
    return prepare_bytes(small_jpeg(patient, number), name)


def _copy(source: Path, target: Path) -> None:
    """Copy the cached clinic (a consistent copy, also while another process has it open)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if Path(f"{source}-wal").exists():
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    else:
        shutil.copyfile(source, partial)
    partial.replace(target)


def _choose(conn: sqlite3.Connection, photo_patients: int) -> tuple[int, int, int, list[int]]:
    counts = conn.execute(
        "SELECT patient_id, COUNT(*) FROM treatment_sessions GROUP BY patient_id ORDER BY 1"
    ).fetchall()
    by_count = dict(counts)
    strip = next(p for p, c in counts if c == STRIP_SESSIONS)
    memory = next(p for p, c in counts if c >= MEMORY_SESSIONS and p != strip)
    switch = next(p for p, c in counts if c >= SWITCH_SESSIONS and p not in (strip, memory))
    special = {strip, memory, switch}
    eligible = [p for p, c in counts if c >= 2 and p not in special]
    wanted = photo_patients - len(special)
    step = max(1, len(eligible) // wanted)
    background = eligible[::step][:wanted]
    if len(background) < wanted:
        raise SystemExit(f"the clinic has too few patients with two sessions ({len(eligible)})")
    assert all(by_count[p] >= 2 for p in background)
    return strip, switch, memory, background


def _background_jobs(
    conn: sqlite3.Connection, patients: list[int], each: int
) -> Iterator[tuple[int, str, bool, tuple[int, int, str]]]:
    """(session id, view, after, prepare job) for the background patients' photos."""
    per_session = each // 2
    slots = [(view, after) for after in (False, True) for view in FACE_VIEWS][:per_session]
    number = 0
    for patient in patients:
        first, latest = conn.execute(
            "SELECT MIN(id), MAX(id) FROM treatment_sessions WHERE patient_id = ?", (patient,)
        ).fetchone()
        for session in (first, latest):
            for view, after in slots:
                number += 1
                name = f"IMG_{number:06d}.JPG"
                yield session, view, after, (patient, number, name)


def _add_background(
    db: Any, raw: sqlite3.Connection, patients: list[int], each: int, log: Any
) -> int:
    from needlelog.services import photo_writer, photos

    store = photos.photo_store(db)
    jobs = list(_background_jobs(raw, patients, each))
    done = 0
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        prepared = pool.imap(_prepared, [job for *_rest, job in jobs], chunksize=200)
        for start in range(0, len(jobs), BATCH):
            batch = [(jobs[i], next(prepared)) for i in range(start, min(start + BATCH, len(jobs)))]
            for _job, item in batch:
                path = store.path_for(item.sha256)
                if not path.exists():  # private as the store keeps it; no fsync per file
                    path.parent.mkdir(parents=True, exist_ok=True)
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as out:
                        out.write(item.data)
            now = datetime.now(UTC).replace(tzinfo=None)
            with db.transaction(write=True) as conn:
                for (session, view, after, _job), item in batch:
                    photo_writer.insert_photo(conn, session, view, after, item, ACTOR, now)
            done += len(batch)
            log(f"  {done:,} background photos ({time.perf_counter() - started:.0f} s)")
    return done


def _camera_jobs(
    raw: sqlite3.Connection,
    patient: int,
    sessions: int,
    views: tuple[str, ...],
    size: tuple[int, int],
) -> list[tuple[int, str, tuple[int, int], int]]:
    ids = [
        r[0]
        for r in raw.execute(
            "SELECT id FROM treatment_sessions WHERE patient_id = ? ORDER BY performed_at, id",
            (patient,),
        )
    ][:sessions]
    return [
        (sid, view, size, patient * 1000 + i)
        for i, (sid, view) in enumerate((sid, view) for sid in ids for view in views)
    ]


def _camera_file(job: tuple[Path, int, tuple[int, int]]) -> Path:
    from benchmarks.photo_ui import camera_jpeg

    path, number, size = job
    return camera_jpeg(path, number, size)


def _add_camera(db: Any, raw: sqlite3.Connection, folder: Path, plan: list[Any], log: Any) -> int:
    """File real camera-size JPEGs through ``photos.add_files``, one file at a time."""
    from needlelog.services import photos

    jobs = [
        (sid, view, (folder / f"DSC_{number:07d}.JPG", number, size))
        for patient, sessions, views, size in plan
        for sid, view, size, number in _camera_jobs(raw, patient, sessions, views, size)
    ]
    started = time.perf_counter()
    done = 0
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for (sid, view, _job), path in zip(
            jobs, pool.imap(_camera_file, [job for *_rest, job in jobs]), strict=True
        ):
            photos.add_files(db, sid, view, False, [path], ACTOR)
            path.unlink()
            done += 1
            if done % 50 == 0:
                log(f"  {done} camera photos ({time.perf_counter() - started:.0f} s)")
    return done


def build(
    source: Path, folder: Path, photo_patients: int, each: int, log: Any = print
) -> PhotoClinic:
    from benchmarks.harness import open_db

    if folder.exists():
        shutil.rmtree(folder)
    work = folder.with_name(folder.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    path = work / "clinic.sqlite3"
    started = time.perf_counter()
    _copy(source, path)
    log(f"copied {source.name} ({time.perf_counter() - started:.0f} s)")
    _to_head(path)
    log(f"schema brought to the current revision ({time.perf_counter() - started:.0f} s)")
    raw = sqlite3.connect(path)
    db = open_db(str(path))
    try:
        strip, switch, memory, background = _choose(raw, photo_patients)
        count = _add_background(db, raw, background, each, log)
        camera = work / "camera"
        camera.mkdir()
        count += _add_camera(
            db,
            raw,
            camera,
            [
                (strip, STRIP_SESSIONS, FACE_VIEWS, (1600, 1200)),
                (switch, SWITCH_SESSIONS, ("front",), (6000, 4000)),
                (memory, MEMORY_SESSIONS, FACE_VIEWS, (6000, 4000)),
            ],
            log,
        )
        camera.rmdir()
    finally:
        db.dispose()
        raw.close()
    made = PhotoClinic(
        folder / "clinic.sqlite3",
        len(background) + 3,
        count,
        strip,
        switch,
        memory,
        background[0],
    )
    meta = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(made).items()}
    meta["path"] = "clinic.sqlite3"
    (work / "photo-clinic.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    work.replace(folder)
    log(f"photo clinic ready: {count:,} photos ({time.perf_counter() - started:.0f} s)")
    return made


def load(folder: Path) -> PhotoClinic:
    """The photo clinic made earlier in ``folder``."""
    meta = json.loads((folder / "photo-clinic.json").read_text(encoding="utf-8"))
    meta["path"] = folder / meta["path"]
    return PhotoClinic(**meta)


def photo_clinic(
    patients: int = 100_000,
    sessions: int = 1_000_000,
    seed: int = 1,
    photo_patients: int = 5_000,
    each: int = 20,
    log: Any = print,
) -> PhotoClinic:
    """The cached photo clinic of that size, made first (from a copy) if needed."""
    folder = folder_for(patients, sessions, seed, photo_patients, each)
    if (folder / "photo-clinic.json").exists():
        return load(folder)
    source = DATA_DIR / f"clinic-p{patients}-s{sessions}-seed{seed}-v{FORMAT}.sqlite3"
    if not source.exists():
        raise SystemExit(
            f"{source} does not exist: make it first with python -m benchmarks.generate "
            f"--patients {patients} --sessions {sessions} --seed {seed}"
        )
    return build(source, folder, photo_patients, each, log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.photo_clinic", description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photo-patients", type=int, default=5_000)
    parser.add_argument("--photos-each", type=int, default=20)
    args = parser.parse_args(argv)
    made = photo_clinic(
        args.patients, args.sessions, args.seed, args.photo_patients, args.photos_each
    )
    print(f"{made.path}: {made.photos:,} photos of {made.photo_patients:,} patients")
    return 0


if __name__ == "__main__":
    sys.exit(main())
