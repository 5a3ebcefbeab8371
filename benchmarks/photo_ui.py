"""Timed scenarios of the photographs in the window (issue 16, point 7, window half).

    python -m benchmarks.photo_ui [--photos 200] [--json out.json]

Each scenario runs in a fresh child process (``--worker NAME DIR``), so its memory
is its own. The pictures are drawn (not of people) and written as a camera would:
24-megapixel JPEGs where the size matters (comparison, memory, import), smaller
ones for the strip, whose thumbnails come from the photo store's cache either way.

- strip: a 60-session record's photo strip (5 views a session), from the
  thumbnail cache on disk to every visible thumbnail painted (the window's memory
  cache emptied before each run); budget 100 ms.
- switch: the comparison view stepping to the next session with the arrow key,
  both photos already read; budget 16 ms (a frame).
- memory: resident memory after browsing 200 photos (every view, every session,
  each photo opened in the comparison view); budget 400 MB.
- import: a 24 MP JPEG added through the session's photo window: the longest time
  the GUI thread did not answer meanwhile (budget 50 ms), and the import's time.
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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUDGETS = {"strip": 0.100, "switch": 0.016, "memory": 400.0, "import stall": 0.050}
VIEWS = ("front", "left_45", "right_45", "left_profile", "right_profile")
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


def _clinic(folder: Path, sessions_n: int, views: tuple[str, ...], size: tuple[int, int]) -> Any:
    """A database with one patient of ``sessions_n`` sessions, each with ``views`` photos."""
    sys.path.insert(0, str(ROOT))
    from needlelog.services import patients, photos, sessions
    from needlelog.store.migrate import open_database
    from tests.factories import make_patient, make_session

    db = open_database(f"sqlite:///{folder / 'clinic.sqlite3'}", backup_dir=folder)
    patient = patients.register(db, make_patient("P-0001"), "bench")
    start = datetime(2021, 1, 4, 10)
    files = folder / "camera"
    files.mkdir(exist_ok=True)
    number = 0
    for i in range(sessions_n):
        when = start + timedelta(weeks=4 * i)
        stored = sessions.record(
            db,
            patient.id,
            make_session(performed_at=when, next_due=None, consent_override_reason="benchmark"),
            "bench",
            now=start + timedelta(weeks=4 * sessions_n),
        )
        for view in views:
            number += 1
            path = camera_jpeg(files / f"IMG_{number:04d}.jpg", number, size)
            photos.add_files(db, stored.id, view, False, [path], "bench")
            path.unlink()
    return db, patient


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
    db, patient = _clinic(folder, 60, VIEWS, (1600, 1200))
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

    times = []
    for _run in range(7):
        strip.loader.cache = strip.delegate.loader.cache = ImageCache()
        strip.set_photos([], "")
        app.processEvents()
        started = time.perf_counter()
        strip.set_photos(every, "")
        strip.repaint()
        _wait(app, lambda: visible_loaded() and not strip.loader.busy)
        strip.repaint()
        times.append(time.perf_counter() - started)
    read = []
    for _run in range(7):
        started = time.perf_counter()
        photos.for_patient(db, patient.id)
        read.append(time.perf_counter() - started)
    db.dispose()
    return {
        "photos": len(every),
        "sessions": 60,
        "strip_s": statistics.median(times[1:]),
        "strip_max_s": max(times[1:]),
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
    db, patient = _clinic(folder, 8, ("front",), (6000, 4000))
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from needlelog.ui.photos.canvas import Mode

    window, _every = _comparison(db, patient)
    for photo in window.sequence:  # "once both are loaded": every step's photos read
        window._request(photo)
    _wait(app, lambda: not window.loader.busy)
    results: dict[str, Any] = {}
    for mode in Mode:
        window.set_mode(mode)
        window.set_indexes(0, 1)
        window.canvas.repaint()
        steps = []
        for key in [Qt.Key.Key_Right] * 6 + [Qt.Key.Key_Left] * 6:
            started = time.perf_counter()
            QApplication.sendEvent(
                window, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
            )
            window.canvas.repaint()
            steps.append(time.perf_counter() - started)
        results[mode.name.lower()] = {
            "median_s": statistics.median(steps),
            "max_s": max(steps),
        }
    db.dispose()
    return results


def w_memory(folder: Path, count: int) -> dict[str, Any]:
    app = _app()
    sessions_n = max(1, count // len(VIEWS))
    db, patient = _clinic(folder, sessions_n, VIEWS, (6000, 4000))
    from needlelog.ui.photos.strip import PhotoStrip  # noqa: F401  (the record's strip too)

    before = _rss_mb()
    window, every = _comparison(db, patient)
    browsed = 0
    for view_index in range(window.view_box.count()):
        window.view_box.setCurrentIndex(view_index)
        for step in range(len(window.sequence)):
            window.set_indexes(None, step)
            _wait(app, lambda: window.both_loaded)
            window.canvas.repaint()
            browsed += 1
    window.close()
    app.processEvents()
    db.dispose()
    return {
        "photos": len(every),
        "browsed": browsed,
        "rss_before_mb": before,
        "rss_after_mb": _rss_mb(),
        "peak_mb": _peak_mb(),
    }


def w_import(folder: Path) -> dict[str, Any]:
    app = _app()
    db, patient = _clinic(folder, 1, (), (6000, 4000))
    from PySide6.QtCore import QTimer

    from needlelog.services import sessions
    from needlelog.ui.photos.slots import SessionPhotosWindow, SlotKey

    session = sessions.history(db, patient.id)[0]
    window = SessionPhotosWindow(db, patient, session)
    window.resize(*WINDOW)
    window.show()
    _wait(app, lambda: window.store is not None)
    files = [camera_jpeg(folder / f"DSC_{n}.jpg", n) for n in range(3)]
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    started = time.perf_counter()
    last[0] = started
    window.import_files(SlotKey("front", False), files)
    _wait(app, lambda: not window.importing)
    took = time.perf_counter() - started
    timer.stop()
    stored = window.status.text()
    db.dispose()
    return {"files": len(files), "import_s": took, "longest_stall_s": max(gaps), "said": stored}


WORKERS = {"strip": w_strip, "switch": w_switch, "memory": w_memory, "import": w_import}


def _child(name: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="needlelog-photo-bench-") as folder:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", NEEDLELOG_HOME=folder)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.photo_ui", "--worker", name, folder, str(count)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"{name} failed:\n{out.stderr[-3000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.photo_ui")
    parser.add_argument("--photos", type=int, default=200, help="photos browsed for memory")
    parser.add_argument("--only", choices=sorted(WORKERS), action="append")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--worker", nargs=3, metavar=("NAME", "DIR", "COUNT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        name, folder, count = args.worker
        worker = WORKERS[name]
        result = worker(Path(folder), int(count)) if name == "memory" else worker(Path(folder))
        print(json.dumps(result))
        return 0
    results = {name: _child(name, args.photos) for name in (args.only or WORKERS)}
    rows = []
    if "strip" in results:
        r = results["strip"]
        rows.append(
            (
                f"photo strip, {r['sessions']} sessions / {r['photos']} photos",
                r["strip_s"] * 1e3,
                "ms",
                BUDGETS["strip"] * 1e3,
            )
        )
    if "switch" in results:
        for mode, r in results["switch"].items():
            rows.append(
                (f"comparison step ({mode}), max", r["max_s"] * 1e3, "ms", BUDGETS["switch"] * 1e3)
            )
    if "memory" in results:
        r = results["memory"]
        rows.append(
            (
                f"RSS after browsing {r['browsed']} photos",
                r["rss_after_mb"],
                "MB",
                BUDGETS["memory"],
            )
        )
    if "import" in results:
        r = results["import"]
        rows.append(
            (
                f"GUI stall importing {r['files']} x 24 MP",
                r["longest_stall_s"] * 1e3,
                "ms",
                BUDGETS["import stall"] * 1e3,
            )
        )
    for what, value, unit, budget in rows:
        verdict = "ok" if value <= budget else "OVER"
        print(f"{what:<48} {value:9.1f} {unit:<3} budget {budget:6.0f} {unit:<3} {verdict}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
