"""Make the README's screenshots from demo data, offscreen.

    python scripts/screenshots.py [--out docs/screenshots]

Builds a throw-away database of 60 demo patients, opens the real windows
and saves PNGs of the patient list, a patient record with several sessions,
the due list with its recall panel, the lot recall window, the patient dialog,
the record's photographs, a session's photo slots, the comparison (wipe and
overlay, aligned), and the record at the window's default size, 1366x768 and
1280x720, so the pictures stay true as the app changes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtGui import QFont, QFontDatabase, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from needlelog import resource_files  # noqa: E402
from needlelog.domain.recall import ContactOutcome  # noqa: E402
from needlelog.domain.search import fold  # noqa: E402
from needlelog.services import demo, patients, recall, sessions  # noqa: E402
from needlelog.store.migrate import open_database  # noqa: E402
from needlelog.ui.app import create_main_window, prepare_application  # noqa: E402
from needlelog.ui.background import wait_for_all  # noqa: E402
from needlelog.ui.lot_recall import LotRecallDialog  # noqa: E402
from needlelog.ui.main_window import MainWindow, app_settings  # noqa: E402
from needlelog.ui.patient_dialog import PatientDialog  # noqa: E402

WIDTH, HEIGHT = 1600, 900
SIZES = (("default", None), ("1366x768", (1366, 768)), ("1280x720", (1280, 720)))
MAX_BYTES = 300 * 1024


def _save(widget: QWidget, path: Path) -> None:
    # Full colour at the strongest compression; only a picture that stays too big
    # for a README is cut down to 256 colours.
    image = widget.grab().toImage()
    image.save(str(path), "PNG", 0)
    if path.stat().st_size > MAX_BYTES:
        flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
        image.convertToFormat(QImage.Format.Format_Indexed8, flags).save(str(path), "PNG", 0)


def _settle(app: QApplication) -> None:
    for _ in range(3):
        wait_for_all()
        app.processEvents()


def _search(app: QApplication, window: MainWindow, text: str) -> None:
    # Enter answers at once; no busy wait on the debounce timer (every call of a
    # static Qt function with no result costs PySide 6.12 a reference to None).
    window.search.setText(text)
    window.search.returnPressed.emit()
    _settle(app)


def _use_bundled_font(app: QApplication) -> None:
    # The offscreen platform has no desktop font settings: use the bundled
    # DejaVu Sans so the pictures look the same on every machine.
    family = None
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DroidSansFallbackFull.ttf"):
        font_id = QFontDatabase.addApplicationFont(str(resource_files.path("fonts", name)))
        families = QFontDatabase.applicationFontFamilies(font_id)
        if family is None and families:
            family = families[0]
    if family:
        app.setFont(QFont(family, 9))


def _best_patient(db) -> int:  # type: ignore[no-untyped-def]
    """A patient with a long course and some scores, to show the history and chart."""
    best, best_score = 0, -1
    for patient in patients.search(db, "", limit=1000):
        if not fold(patient.full_name).isascii():
            continue  # the README picture reads best in the language of the README
        rows = sessions.history(db, patient.id)
        scored = sum(1 for s in rows if s.data.scar_grade or s.data.gais)
        flagged = sum(1 for s in rows if s.flags)
        score = min(len(rows), 6) * 10 + scored + min(flagged, 2) * 8
        if patient.data.contraindications:
            score += 5
        if score > best_score:
            best, best_score = patient.id, score
    return best


def _photographs(app: QApplication, db, window: MainWindow, out: Path) -> None:  # type: ignore[no-untyped-def]
    """The record's photo strip, a session's slots and the aligned comparison, of a demo
    patient with drawn photographs who agreed to their use in their own report."""
    from needlelog.domain.photos import PhotoUse
    from needlelog.services import photos
    from needlelog.ui.photos.canvas import Mode

    shown = None
    for patient in patients.search(db, "", limit=1000):
        taken = photos.for_patient(db, patient.id)
        if len({p.view for p in taken}) > 1 and photos.uses(db, patient.id).allows(
            PhotoUse.OWN_REPORT
        ):
            shown = patient
            break
    if shown is None:
        return
    _search(app, window, shown.data.family_name[:5])
    window.patient_view.selectRow(window.patient_model.row_of(shown.id) or 0)
    _settle(app)
    _save(window, out / "photo-strip.png")
    size = window.size()
    window.resize(1366, 768)
    _settle(app)
    _save(window, out / "photo-strip-1366x768.png")
    window.resize(size)
    _settle(app)
    record = window.record.photos
    record.open_session(None)
    _settle(app)
    slots = record.open_windows()[-1]
    slots.resize(1366, 768)
    _settle(app)
    _save(slots, out / "session-photos.png")
    slots.close()
    record.open_comparison(None)
    _settle(app)
    compare = record.open_windows()[-1]
    for name, size in (("", (WIDTH, HEIGHT)), ("-1366x768", (1366, 768))):
        compare.resize(*size)
        for mode, file in ((Mode.WIPE, "compare-wipe"), (Mode.OVERLAY, "compare-overlay")):
            compare.set_mode(mode)
            _settle(app)
            _save(compare, out / f"{file}{name}.png")
    compare.close()
    _search(app, window, "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NEEDLELOG_HOME"] = str(Path(tmp) / "home")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        app = prepare_application()
        _use_bundled_font(app)
        db = open_database(f"sqlite:///{Path(tmp) / 'clinic.sqlite3'}")
        try:
            demo.fill(db, 60, seed=1)
            window = create_main_window(db)
            window.resize(WIDTH, HEIGHT)
            window.show()
            _settle(app)

            target = patients.get(db, _best_patient(db))
            row = window.patient_model.row_of(target.id)
            window.patient_view.selectRow(row or 0)
            _settle(app)
            _save(window, args.out / "patient-list.png")

            _search(app, window, target.data.family_name[:4])
            window.patient_view.selectRow(window.patient_model.row_of(target.id) or 0)
            _settle(app)
            _save(window, args.out / "patient-record.png")

            _search(app, window, "")
            window.tabs.setCurrentIndex(1)
            window.due_view.selectRow(0)
            _settle(app)
            entry = window.due_model.entry_at(0)
            if entry is not None:  # one logged call, so the recall log shows in the picture
                recall.log_contact(
                    db,
                    entry.patient.id,
                    ContactOutcome.MESSAGE_LEFT,
                    "Reception",
                    note="voicemail; prefers mornings",
                )
                window.reload()
                _settle(app)
            _save(window, args.out / "due-list.png")
            window.tabs.setCurrentIndex(0)

            # The target's lot that most patients shared, as a recall would find it.
            lots = {p.lot for t in sessions.history(db, target.id) for p in t.data.products}
            lot = max(sorted(lots), key=lambda x: len(sessions.lot_uses(db, x)), default="")
            assert window.features is not None
            window.features.lot_recall.find_by_lot.trigger()
            lots = window.findChild(LotRecallDialog)
            lots.lot_edit.setText(lot)
            lots.find()
            _settle(app)
            _save(lots, args.out / "lot-recall.png")
            lots.close()

            _photographs(app, db, window, args.out)

            dialog = PatientDialog(db, target, window)
            dialog.show()
            _settle(app)
            _save(dialog, args.out / "patient-dialog.png")
            dialog.reject()
            window.close()
            _settle(app)

            # The record as a first start shows it at the window's own size and on
            # the laptop screens clinics use.
            for name, size in SIZES:
                app_settings().clear()  # a first start: no remembered geometry
                window = create_main_window(db)
                if size is not None:
                    window.resize(*size)
                window.show()
                _settle(app)
                window.patient_view.selectRow(window.patient_model.row_of(target.id) or 0)
                _settle(app)
                _save(window, args.out / f"record-{name}.png")
                window.close()
                _settle(app)
        finally:
            db.dispose()
    for png in sorted(args.out.glob("*.png")):
        print(f"{png.name}  {png.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
