"""Importing a 24-megapixel camera JPEG, beside Pillow's own decode, thumbnail and save
of the same file in the same run (issue budget: at most 2x), in issue 16's clinic: the
full-size clinic with 5,000 patients of 20 photos each (``benchmarks.photo_clinic``).

    python -m benchmarks.photo_import [--megapixels 24] [--repeats 5] [--json out.json]
    python -m benchmarks.photo_import --patients 10000 --sessions 100000 --photo-patients 500

needlelog's import is the whole path of ``photos add`` for one file: read it,
rewrite its metadata (GPS, serials, maker notes, thumbnail out; the JPEG's scan
data copied), SHA-256, a 256 px thumbnail, the original written once into the
photo store (temporary file, fsync, rename), the record and its audit event in
one transaction, the thumbnail into the cache. Pillow's limit: open the same
file, decode it fully, make a 256 px thumbnail, save it as JPEG.
Times are medians after one warm-up; each repeat imports into a fresh store folder (so
the original is written each time), its record into the clinic's database, to the
latest session of a patient who has 20 photos already (each run adds its repeats
and the warm-up to the cached clinic).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFilter

MAX_RATIO = 2.0


def camera_file(path: Path, megapixels: float, seed: int = 1) -> Path:
    """A camera-like JPEG: detailed content (noise, shapes) at quality 92 with an EXIF
    block holding GPS, a body serial, an owner, maker notes and a thumbnail."""
    from tests.camera_files import camera_exif

    width = int((megapixels * 1e6 * 1.5) ** 0.5)
    height = int(width / 1.5)
    rng = random.Random(seed)
    small = Image.effect_noise((width // 8, height // 8), 60).convert("RGB")
    im = small.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(300):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(10, 200)
        draw.ellipse((x, y, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    im = im.filter(ImageFilter.GaussianBlur(1))
    thumb = io.BytesIO()
    im.resize((160, 120)).save(thumb, "JPEG", quality=70)
    im.save(path, "JPEG", quality=92, exif=camera_exif(6, False, thumb.getvalue()))
    return path


def _median(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def pillow_limit(path: Path) -> None:
    """Pillow's own decode, thumbnail and save of the file."""
    with Image.open(path) as im:
        im.load()
        im.thumbnail((256, 256))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=85)


def run(megapixels: float, repeats: int, clinic: Any = None) -> dict[str, Any]:
    """Time the import; into ``clinic`` (a ``photo_clinic.PhotoClinic``) if given, else
    into a new one-patient database (the quick check the tests run)."""
    from needlelog.services import patients, photos, sessions
    from needlelog.store.migrate import open_database
    from tests.factories import make_patient, make_session

    work = Path(tempfile.mkdtemp(prefix="needlelog-photo-bench-"))
    try:
        source = camera_file(work / "DSC_0001.JPG", megapixels)
        if clinic is None:
            db = open_database(f"sqlite:///{work / 'clinic.sqlite3'}")
            pid = patients.register(db, make_patient("B-1"), "bench").id
            visit = sessions.record(
                db,
                pid,
                make_session(
                    performed_at=datetime(2026, 3, 2, 10), consent_override_reason="benchmark"
                ),
                "bench",
            )
        else:
            from benchmarks.harness import open_db

            db = open_db(str(clinic.path))
            visit = sessions.history(db, clinic.import_patient)[0]
        try:
            before = photos.count(db)
            stores = iter(range(1_000_000))

            def needlelog_import() -> None:
                store = photos.PhotoStore(work / f"store-{next(stores)}")
                prepared = photos.prepare(source)
                photos.add(db, visit.id, "front", False, [prepared], "bench", store=store)

            mine = _median(needlelog_import, repeats)
            limit = _median(lambda: pillow_limit(source), repeats)
            prepare_only = _median(lambda: photos.prepare(source), repeats)
        finally:
            db.dispose()
        with Image.open(source) as im:
            size = im.size
        return {
            "scenario": "import a camera JPEG",
            "photos_in_database": before,
            "pixels": f"{size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.1f} MP)",
            "file_mb": round(source.stat().st_size / 1e6, 1),
            "needlelog_s": round(mine, 3),
            "prepare_only_s": round(prepare_only, 3),
            "pillow_limit_s": round(limit, 3),
            "ratio": round(mine / limit, 2),
            "max_ratio": MAX_RATIO,
            "ok": mine / limit <= MAX_RATIO,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photo-patients", type=int, default=5_000)
    parser.add_argument("--photos-each", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from benchmarks.photo_clinic import photo_clinic

    clinic = photo_clinic(
        args.patients, args.sessions, args.seed, args.photo_patients, args.photos_each
    )
    result = run(args.megapixels, args.repeats, clinic)
    print(
        f"{result['scenario']} into a clinic of {result['photos_in_database']:,} photos: "
        f"{result['pixels']}, {result['file_mb']} MB: "
        f"needlelog {result['needlelog_s'] * 1000:.0f} ms (read, strip, checksum, thumbnail: "
        f"{result['prepare_only_s'] * 1000:.0f} ms) vs Pillow decode+thumbnail+save "
        f"{result['pillow_limit_s'] * 1000:.0f} ms: ratio {result['ratio']} "
        f"(budget {MAX_RATIO}) {'OK' if result['ok'] else 'OVER'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
