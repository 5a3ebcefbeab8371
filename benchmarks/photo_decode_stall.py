"""The window's stall while 24 MP photos are decoded for the comparison view.

A small stand-in for ``benchmarks.photo_ui``'s comparison scenarios that needs no
photo clinic: a few camera-size JPEGs (some turned, EXIF orientation 6) are made
with Pillow, then read through the window's picture loader (two at a time on the
worker threads, as the comparison view does when it steps to photos it has not read
yet) while a 5 ms Qt timer records the longest gap between its ticks.

    python -m benchmarks.photo_decode_stall [--photos 8] [--rounds 3] [--pillow-only]

``--pillow-only`` reads the JPEGs with Pillow too, as the window did before Qt read
them: the same run, for comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _camera_files(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    from benchmarks.photo_ui import camera_jpeg

    files = []
    for number in range(count):
        path = camera_jpeg(folder / f"face{number}.jpg", number)
        if number % 2:  # half of them turned, as a portrait shot is
            with Image.open(path) as plain:
                exif = plain.getexif()
                exif[0x0112] = 6
                plain.save(path, quality=88, exif=exif)
        files.append(path)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pillow-only", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtWidgets import QApplication

    from benchmarks.harness import spin, spin_until, stall_probe
    from needlelog.ui.photos import images
    from needlelog.ui.photos.images import DISPLAY_SIDE, ImageCache
    from needlelog.ui.photos.loading import PictureLoader

    if args.pillow_only:
        images._decode_with_qt = lambda _path, _side: None  # type: ignore[assignment]

    app = QApplication.instance() or QApplication(["needlelog"])
    with tempfile.TemporaryDirectory() as tmp:
        files = _camera_files(Path(tmp), args.photos)
        stalls, times = [], []
        for _round in range(args.rounds):
            loader = PictureLoader(cache=ImageCache())  # nothing read yet
            probe = stall_probe()
            spin(50)
            probe.start()
            started = time.perf_counter()
            for key, path in enumerate(files):
                loader.request(key, path, DISPLAY_SIDE)
                spin(20)  # a step of the comparison view every 20 ms
            if not spin_until(lambda loader=loader: not loader.busy, 120):
                raise TimeoutError("the pictures were not read in time")
            times.append(time.perf_counter() - started)
            if len(loader.cache) != len(files):
                raise RuntimeError(f"{len(files) - len(loader.cache)} pictures were not read")
            stalls.append(probe.stop())
        del app
    load = os.getloadavg()[0]
    how = "Pillow only" if args.pillow_only else "JPEG by Qt"
    print(f"{args.photos} photos of 24 MP ({how}), {args.rounds} rounds, load {load:.2f}")
    print("longest stall per round (ms): " + ", ".join(f"{s * 1e3:.0f}" for s in stalls))
    print("read time per round (s):      " + ", ".join(f"{t:.2f}" for t in times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
