"""Products ▸ Find by lot…: the recall window, driven as reception would."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.records import Product
from needlelog.services import sessions
from needlelog.store.database import Database
from needlelog.ui import lot_recall
from needlelog.ui.lot_recall import LotRecallDialog
from needlelog.ui.main_window import MainWindow
from tests.consenting import register_consenting
from tests.factories import make_patient, make_session

MakeWindow = Callable[[Database], MainWindow]


@pytest.fixture
def clinic(db: Database) -> Database:
    pid = register_consenting(
        db, make_patient("L-1", phone="+44 20 7946 0101", email="zoe@example.org"), "t"
    ).id
    sessions.record(
        db,
        pid,
        make_session(
            performed_at=datetime(2026, 3, 2, 10),
            next_due=None,
            products=(Product("Hyaluronic acid serum", "HA2949", date(2027, 7, 25)),),
        ),
        "t",
    )
    return db


def _dialog(qtbot: QtBot, window: MainWindow) -> LotRecallDialog:
    assert window.features is not None
    installed = window.features.lot_recall
    assert installed.find_by_lot in installed.menu.actions()
    assert installed.menu.title() == "P&roducts"
    installed.find_by_lot.trigger()
    dialog = window.findChild(LotRecallDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _search(qtbot: QtBot, dialog: LotRecallDialog, lot: str) -> None:
    dialog.lot_edit.clear()
    qtbot.keyClicks(dialog.lot_edit, lot)
    qtbot.keyClick(dialog.lot_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.pending)


def test_find_by_lot_lists_who_received_it_with_contact_and_exports_csv(
    qtbot: QtBot,
    clinic: Database,
    make_window: MakeWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(clinic)
    dialog = _dialog(qtbot, window)
    _search(qtbot, dialog, "ha2949")
    model = dialog.model
    assert model.rowCount() == 1
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row == [
        "2 Mar 2026",
        "L-1",
        "Lefèvre, Zoë",
        "+44 20 7946 0101",
        "zoe@example.org",
        "Hyaluronic acid serum",
        "Cheek (left), Forehead",
    ]
    assert dialog.message.text() == "Lot ha2949 was used in 1 session(s) of 1 patient(s)."
    out = tmp_path / "recall.csv"
    monkeypatch.setattr(lot_recall.QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    assert dialog.export() == out
    with open(out, newline="", encoding="utf-8") as handle:
        (written,) = list(csv.DictReader(handle))
    assert (written["record_no"], written["lot"], written["performed_on"]) == (
        "L-1",
        "HA2949",
        "2026-03-02",
    )


def test_an_unknown_lot_says_so_and_offers_no_export(
    qtbot: QtBot, clinic: Database, make_window: MakeWindow
) -> None:
    window = make_window(clinic)
    dialog = _dialog(qtbot, window)
    _search(qtbot, dialog, "ZZ-404")
    assert dialog.model.rowCount() == 0
    assert dialog.message.text() == "No session used lot ZZ-404: nobody to recall."
    assert not dialog.export_button.isEnabled()


def test_an_empty_lot_asks_for_one(qtbot: QtBot, clinic: Database, make_window: MakeWindow) -> None:
    window = make_window(clinic)
    dialog = _dialog(qtbot, window)
    dialog.find()
    assert dialog.message.text() == "Type the lot number to look for."
    assert not dialog.pending
