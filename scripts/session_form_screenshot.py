"""Picture of the session form for the README, made offscreen from demo data.

QT_QPA_PLATFORM=offscreen python scripts/session_form_screenshot.py docs/screenshots/session_form.png
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from needlelog.domain.codes import Area
from needlelog.services import demo, patients, sessions
from needlelog.store.migrate import open_database
from needlelog.ui.session_form import SessionForm
from needlelog.ui.session_parts.context import load_context


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--scroll-to", default="areas", help="a section title, or 'areas' for the map"
    )
    parser.add_argument("--size", default="1000x800", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'demo.sqlite3'}")
        demo.fill(db, 40, seed=7)
        # A patient in the middle of a course, so the form starts from a previous session.
        candidates = [p for p in patients.search(db, "", limit=40) if p.sessions_total >= 2]
        patient = candidates[0]
        form = SessionForm(db, load_context(db, patient, None, date.today()))
        form.resize(width, height)
        form.show()
        app.processEvents()
        chosen = form.treatment.face_map.selected_areas()
        extra = next(a for a in (Area.CHEEK_RIGHT, Area.CHEEK_LEFT, Area.CHIN) if a not in chosen)
        # Add one zone the way a practitioner does: a click on the map.
        form.scroll.ensureWidgetVisible(form.treatment.face_map)
        QTest.mouseClick(
            form.treatment.face_map,
            Qt.MouseButton.LeftButton,
            pos=form.treatment.face_map.zone_center(extra).toPoint(),
        )
        target = (
            form.treatment.areas_heading
            if args.scroll_to == "areas"
            else form.page.headings[[s.title for s in form.sections].index(args.scroll_to)]
        )
        app.processEvents()
        form.scroll.verticalScrollBar().setValue(
            target.mapTo(form.scroll.widget(), QPoint(0, 0)).y() + 4
        )
        app.processEvents()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        form.grab().save(str(args.out))
        form.done(0)  # close without the "discard changes?" question
        db.dispose()
        print(f"{args.out}: {patient.full_name}, {len(sessions.history(db, patient.id))} sessions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
