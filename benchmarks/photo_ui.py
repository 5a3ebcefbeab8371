"""Timed scenarios of the photographs in the window (issue 16, point 7, window half),
in issue 16's clinic: the full-size clinic (100,000 patients, 1,000,000 sessions) with
5,000 patients of 20 photos each (``benchmarks.photo_clinic`` says exactly what is in
it: small distinct JPEGs for the background photos, real camera-size files for the
photos these scenarios open).

    python -m benchmarks.photo_ui [--photos 200] [--json out.json]
    python -m benchmarks.photo_ui --patients 10000 --sessions 100000 --photo-patients 500

Each scenario runs in a fresh child process (``--worker NAME DIR``) on the same photo
clinic, so its memory is its own. While it runs, a 5 ms Qt timer records the longest
gap between its ticks: the longest the window could not paint or answer a key
("longest stall", budget 50 ms).

- strip: the 60-session record's photo strip (5 views a session, 300 photos of
  1600x1200), from the thumbnail cache on disk to every visible thumbnail painted
  (the window's memory cache emptied before each run); budget 100 ms. Beside it,
  for information, the read of the record's photos (``photos.for_patient``).
- switch: the comparison view stepping to the next session with the arrow key
  (8 sessions, 24 MP front views), both photos already read; budget 16 ms (a frame).
- memory: resident memory after browsing 200 photos of 24 MP (every view of a
  40-session record, each photo opened in the comparison view); budget 400 MB.
- import: three 24 MP JPEGs added through the session's photo window (to the latest
  session of a patient who already has 20 photos): the longest stall (budget 50 ms)
  and the import's time. This adds three photos to the cached clinic at each run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"strip": 0.100, "switch": 0.016, "memory": 400.0, "stall": 0.050}
WINDOW = (1366, 768)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1e3
    return 0.0


def camera_jpeg(path: Path, number: int, size: tuple[int, int] = (6000, 4000)) -> Path:
    """A drawn face at camera size: smooth like skin, a few marks, distinct per number."""
    from PIL import Image, ImageDraw, ImageFilter

    small = Image.new("RGB", (size[0] // 4, size[1] // 4), (200, 205, 210))
    draw = ImageDraw.Draw(small)
    w, h = small.size
    draw.ellipse((w * 0.3, h * 0.1, w * 0.7, h * 0.95), fill=(225, 180 - number % 20, 150))
    for eye in (0.42, 0.58):
        draw.ellipse((w * eye - 12, h * 0.42 - 7, w * eye + 12, h * 0.42 + 7), fill=(40, 40, 40))
    for i in range(12 + number % 7):
        x, y = w * (0.38 + 0.02 * (i % 6)), h * (0.55 + 0.03 * (i // 6))
        draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(170, 110, 95))
    draw.text((10, 10), f"{number}", fill=(0, 0, 0))
    noise = Image.effect_noise(small.size, 12).convert("RGB")
    small = Image.blend(small, noise, 0.06).filter(ImageFilter.SMOOTH)
    small.resize(size, Image.Resampling.BILINEAR).save(path, quality=88)
    return path


def _open(folder: Path, which: str) -> tuple[Any, Any]:
    """The photo clinic in ``folder`` and one of its scenario patients."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import open_db
    from benchmarks.photo_clinic import load
    from needlelog.services import patients

    clinic = load(folder)
    db = open_db(str(clinic.path))
    return db, patients.get(db, getattr(clinic, f"{which}_patient"))


def _probe() -> Any:
    from benchmarks.harness import stall_probe

    return stall_probe()


def _app() -> Any:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["needlelog"])


def _wait(app: Any, done: Any, timeout: float = 120.0) -> None:
    ends = time.perf_counter() + timeout
    while not done():
        app.processEvents()
        time.sleep(0.0005)
        if time.perf_counter() > ends:
            raise TimeoutError("the window did not finish in time")


# --- scenarios (each in its own process) ------------------------------------------------


def w_strip(folder: Path) -> dict[str, Any]:
    app = _app()
    db, patient = _open(folder, "strip")
    from needlelog.services import photos
    from needlelog.ui.photos.images import ImageCache
    from needlelog.ui.photos.strip import EntryRole, PhotoStrip

    store = photos.photo_store(db)
    every = photos.for_patient(db, patient.id)
    strip = PhotoStrip(lambda p: photos.thumbnail(db, p, store=store))
    strip.resize(WINDOW[0] - 700, strip.height())
    strip.show()
    app.processEvents()

    def visible_loaded() -> bool:
        for row in range(strip.strip_model.rowCount()):
            index = strip.strip_model.index(row)
            rect = strip.visualRect(index)
            if not rect.intersects(strip.viewport().rect()):
                continue
            entry = index.data(EntryRole)
            if entry is None or not hasattr(entry, "sha256"):
                continue
            if strip.loader.get(("thumb", entry.sha256)) is None:
                return False
        return True

    probe = _probe()
    times = []
    stalls = []
    for _run in range(7):
        strip.loader.cache = strip.delegate.loader.cache = ImageCache()
        strip.set_photos([], "")
        app.processEvents()
        probe.start()
        started = time.perf_counter()
        strip.set_photos(every, "")
        strip.repaint()
        _wait(app, lambda: visible_loaded() and not strip.loader.busy)
        strip.repaint()
        times.append(time.perf_counter() - started)
        stalls.append(probe.stop())
    read = []
    for _run in range(7):
        started = time.perf_counter()
        photos.for_patient(db, patient.id)
        read.append(time.perf_counter() - started)
    db.dispose()
    return {
        "photos": len(every),
        "sessions": len({p.session_id for p in every}),
        "strip_s": statistics.median(times[1:]),
        "strip_max_s": max(times[1:]),
        "longest_stall_s": max(stalls[1:]),
        "record_read_s": statistics.median(read),
    }


def _comparison(db: Any, patient: Any) -> Any:
    from needlelog.services import photos
    from needlelog.ui.photos.compare import ComparisonWindow

    every = photos.for_patient(db, patient.id)
    window = ComparisonWindow(
        db, patient, every, photos.uses(db, patient.id), photos.photo_store(db)
    )
    window.resize(*WINDOW)
    window.show()
    return window, every


def w_switch(folder: Path) -> dict[str, Any]:
    app = _app()
    db, patient = _open(folder, "switch")
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from needlelog.ui.photos.canvas import Mode

    window, _every = _comparison(db, patient)
    for photo in window.sequence:  # "once both are loaded": every step's photos read
        window._request(photo)
    _wait(app, lambda: not window.loader.busy)
    results: dict[str, Any] = {"sessions": len(window.sequence)}
    probe = _probe()
    for mode in Mode:
        window.set_mode(mode)
        window.set_indexes(0, 1)
        window.canvas.repaint()
        app.processEvents()
        steps = []
        probe.start()
        for key in [Qt.Key.Key_Right] * 6 + [Qt.Key.Key_Left] * 6:
            started = time.perf_counter()
            QApplication.sendEvent(
                window, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
            )
            window.canvas.repaint()
            steps.append(time.perf_counter() - started)
            app.processEvents()  # the probe's ticks between two key presses
        results[mode.name.lower()] = {
            "median_s": statistics.median(steps),
            "max_s": max(steps),
            "longest_stall_s": probe.stop(),
        }
    db.dispose()
    return results


def w_memory(folder: Path) -> dict[str, Any]:
    app = _app()
    db, patient = _open(folder, "memory")
    from needlelog.ui.photos.strip import PhotoStrip  # noqa: F401  (the record's strip too)

    before = _rss_mb()
    window, every = _comparison(db, patient)
    browsed = 0
    probe = _probe()
    probe.start()
    for view_index in range(window.view_box.count()):
        window.view_box.setCurrentIndex(view_index)
        for step in range(len(window.sequence)):
            window.set_indexes(None, step)
            _wait(app, lambda: window.both_loaded)
            window.canvas.repaint()
            browsed += 1
    stall = probe.stop()
    window.close()
    app.processEvents()
    db.dispose()
    return {
        "photos": len(every),
        "browsed": browsed,
        "rss_before_mb": before,
        "rss_after_mb": _rss_mb(),
        "peak_mb": _peak_mb(),
        "longest_stall_s": stall,
    }


def w_import(folder: Path) -> dict[str, Any]:
    app = _app()
    db, patient = _open(folder, "import")
    from needlelog.services import sessions
    from needlelog.ui.photos.slots import SessionPhotosWindow, SlotKey

    session = sessions.history(db, patient.id)[0]  # the latest, which has its 10 photos
    window = SessionPhotosWindow(db, patient, session)
    window.resize(*WINDOW)
    window.show()
    _wait(app, lambda: window.store is not None)
    home = Path(os.environ["NEEDLELOG_HOME"])
    files = [camera_jpeg(home / f"DSC_{n}.jpg", 9000 + n) for n in range(3)]
    probe = _probe()
    probe.start()
    started = time.perf_counter()
    window.import_files(SlotKey("front", False), files)
    _wait(app, lambda: not window.importing)
    took = time.perf_counter() - started
    stall = probe.stop()
    stored = window.status.text()
    db.dispose()
    return {"files": len(files), "import_s": took, "longest_stall_s": stall, "said": stored}


WORKERS = {"strip": w_strip, "switch": w_switch, "memory": w_memory, "import": w_import}


def _child(name: str, clinic: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="needlelog-photo-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NEEDLELOG_HOME=home)
        env.pop("NEEDLELOG_PHOTOS", None)  # the clinic's own store, beside its file
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.photo_ui", "--worker", name, str(clinic)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def _rows(results: dict[str, Any]) -> list[tuple[str, float, str, float | None]]:
    """(what, value, unit, budget or None for information) for the table."""
    stall = BUDGETS["stall"] * 1e3
    rows: list[tuple[str, float, str, float | None]] = []
    if "strip" in results:
        r = results["strip"]
        shown = f"{r['sessions']} sessions / {r['photos']} photos"
        rows.append((f"photo strip painted from the cache, {shown}", r["strip_s"] * 1e3, "ms",
                     BUDGETS["strip"] * 1e3))  # fmt: skip
        rows.append(("  slowest of the 6 timed paints", r["strip_max_s"] * 1e3, "ms", None))
        rows.append(("  longest stall meanwhile", r["longest_stall_s"] * 1e3, "ms", stall))
        rows.append(("  the record's photos read", r["record_read_s"] * 1e3, "ms", None))
    if "switch" in results:
        for mode, r in results["switch"].items():
            if not isinstance(r, dict):
                continue
            rows.append((f"comparison step ({mode}), slowest of 12", r["max_s"] * 1e3, "ms",
                         BUDGETS["switch"] * 1e3))  # fmt: skip
            rows.append(("  longest stall meanwhile", r["longest_stall_s"] * 1e3, "ms", stall))
    if "memory" in results:
        r = results["memory"]
        rows.append((f"RSS after browsing {r['browsed']} photos of 24 MP", r["rss_after_mb"],
                     "MB", BUDGETS["memory"]))  # fmt: skip
        rows.append(("  RSS before (database open)", r["rss_before_mb"], "MB", None))
        rows.append(("  peak RSS", r["peak_mb"], "MB", None))
        rows.append(("  longest stall meanwhile", r["longest_stall_s"] * 1e3, "ms", stall))
    if "import" in results:
        r = results["import"]
        rows.append((f"GUI stall importing {r['files']} x 24 MP", r["longest_stall_s"] * 1e3,
                     "ms", stall))  # fmt: skip
        rows.append(("  the import's time", r["import_s"] * 1e3, "ms", None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.photo_ui")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--photo-patients", type=int, default=5_000)
    parser.add_argument("--photos-each", type=int, default=20)
    parser.add_argument("--only", choices=sorted(WORKERS), action="append")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--worker", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, folder = args.worker
        print(json.dumps(WORKERS[name](Path(folder))))
        return 0
    from benchmarks.photo_clinic import photo_clinic

    clinic = photo_clinic(
        args.patients, args.sessions, args.seed, args.photo_patients, args.photos_each
    )
    print(f"{clinic.path}: {clinic.photos:,} photos of {clinic.photo_patients:,} patients")
    results: dict[str, Any] = {
        "clinic": {"patients": args.patients, "sessions": args.sessions,
                   "photo_patients": clinic.photo_patients, "photos": clinic.photos},
    }  # fmt: skip
    for name in args.only or WORKERS:
        results[name] = _child(name, clinic.path.parent)
    for what, value, unit, budget in _rows(results):
        if budget is None:
            print(f"{what:<52} {value:9.1f} {unit}")
        else:
            verdict = "ok" if value <= budget else "OVER"
            print(f"{what:<52} {value:9.1f} {unit:<3} budget {budget:6.0f} {unit:<3} {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
