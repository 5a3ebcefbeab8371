"""Pictures of the clinical parts of the window for the README, made offscreen from
demo data at 1366x768 (a laptop screen): the screening section, the products section
with a carried-over lot still to confirm, and the Protocol page of Clinic settings.

QT_QPA_PLATFORM=offscreen python scripts/clinical_screenshots.py docs/screenshots
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QWidget

from needlelog.domain.contraindications import Contraindication
from needlelog.services import demo, patients, sessions
from needlelog.store.migrate import open_database
from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings
from needlelog.ui.session_form import SessionForm, fitted_size
from needlelog.ui.session_parts.context import load_context

SCREEN = QRect(0, 0, 1366, 768 - 40)  # below a task bar


def _scroll_to(app: QApplication, form: SessionForm, target: QWidget) -> None:
    app.processEvents()
    form.scroll.verticalScrollBar().setValue(
        target.mapTo(form.scroll.widget(), QPoint(0, 0)).y() - 4
    )
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(f"sqlite:///{Path(folder) / 'demo.sqlite3'}")
        demo.fill(db, 40, seed=7)
        candidates = [
            p
            for p in patients.search(db, "", limit=40)
            if p.sessions_total >= 2 and (last := sessions.latest(db, p.id)) and last.data.products
        ]
        patient = candidates[0]
        form = SessionForm(db, load_context(db, patient, None, date.today()))
        form.resize(fitted_size(SCREEN))
        form.show()
        app.processEvents()
        # Screening part-way: two items answered, the rest still to answer.
        form.screening.items[Contraindication.OPEN_LESIONS].absent.click()
        form.screening.items[Contraindication.ACTIVE_INFECTION].absent.click()
        _scroll_to(app, form, form.page.headings[0])
        form.grab().save(str(args.folder / "session-screening.png"))

        form.screening.attest_none_apply()
        _scroll_to(app, form, form.page.headings[3])
        form.grab().save(str(args.folder / "session-products.png"))
        form.done(0)

        dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
        dialog.resize(dialog.width(), min(dialog.height(), SCREEN.height() - 40))
        dialog.tabs.setCurrentWidget(dialog.protocol_editor)
        dialog.protocol_editor.body_button.click()
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(args.folder / "protocol-editor.png"))
        dialog.done(0)
        db.dispose()
    print(f"{args.folder}: session-screening.png, session-products.png, protocol-editor.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
