"""The consent forms page of Clinic settings: the forms listed with kind, language and
version; an edit saved as a new version with the earlier ones readable, unchanged; a
language copy; the consent setting; read only for anyone but an administrator."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog
from pytestqt.qtbot import QtBot

from needlelog.domain.accounts import Account, Role
from needlelog.domain.consent import ConsentKind, ConsentPolicy
from needlelog.services import access, consents
from needlelog.store.database import Database
from needlelog.ui.clinic_settings import ClinicSettingsDialog, read_clinic_settings
from needlelog.ui.consent.templates_tab import TemplatesTab, VersionsDialog


def _open(qtbot: QtBot, db: Database) -> tuple[ClinicSettingsDialog, TemplatesTab]:
    dialog = ClinicSettingsDialog(db, read_clinic_settings(db))
    qtbot.addWidget(dialog)
    dialog.show()
    tab = dialog.consent_tab
    dialog.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: not tab.loading, timeout=10_000)
    return dialog, tab


def _cells(tab: TemplatesTab) -> list[list[str]]:
    return [
        [tab.table.item(r, c).text() for c in range(tab.table.columnCount())]
        for r in range(tab.table.rowCount())
    ]


def _choose(tab: TemplatesTab, kind: ConsentKind, language: str = "en") -> None:
    row = next(i for i, r in enumerate(tab.rows) if r.kind is kind and r.language == language)
    tab.table.selectRow(row)
    assert tab.current is tab.rows[row]


def test_an_edit_is_saved_as_a_new_version_and_the_old_one_stays_readable(
    qtbot: QtBot, db: Database
) -> None:
    before = consents.template_for(db, ConsentKind.TREATMENT, "en")
    _dialog, tab = _open(qtbot, db)
    assert _cells(tab) == [
        ["Consent to microneedling treatment", "Treatment", "English (en)", "1"],
        ["Consent to clinical photographs", "Photo", "English (en)", "1"],
    ]
    _choose(tab, ConsentKind.TREATMENT)
    assert tab.text.toPlainText() == before.text
    assert not tab.save_button.isEnabled(), "nothing edited yet"

    tab.text.moveCursor(tab.text.textCursor().MoveOperation.End)
    qtbot.keyClicks(tab.text, "Photographs of the treated area may be taken.")
    assert tab.table.item(0, 3).text() == "1 (edited)"
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.saving, timeout=10_000)
    assert tab.status.text() == "Saved “Consent to microneedling treatment” (en) as version 2."
    assert tab.table.item(0, 3).text() == "2"

    old, new = consents.versions(db, before.template_id)
    assert old == before, "the version a patient may have signed is unchanged"
    assert (
        new.version == 2
        and new.text == before.text + "Photographs of the treated area may be taken."
    )
    assert consents.template_for(db, ConsentKind.TREATMENT, "en") == new

    qtbot.mouseClick(tab.versions_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.findChild(VersionsDialog) is not None, timeout=10_000)
    versions = tab.findChild(VersionsDialog)
    assert versions.list.count() == 2
    versions.list.setCurrentRow(0)
    assert versions.text.isReadOnly()
    assert versions.text.toPlainText() == before.text
    assert before.sha256 in versions.checksum.text()


def test_a_language_copy_and_the_setting_are_saved_with_the_dialog(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, tab = _open(qtbot, db)
    assert tab.required.isChecked() and tab.for_course.isChecked()
    _choose(tab, ConsentKind.PHOTO)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("de", True))
    qtbot.mouseClick(tab.copy_button, Qt.MouseButton.LeftButton)
    assert _cells(tab)[-1] == [
        "Consent to clinical photographs",
        "Photo",
        "German (de)",
        "new",
    ]
    tab.title.setText("Einwilligung in klinische Fotografien")
    tab.title.textEdited.emit(tab.title.text())
    tab.text.setPlainText("Fotografien der behandelten Bereiche werden aufgenommen.")
    qtbot.mouseClick(tab.for_months, Qt.MouseButton.LeftButton)
    tab.months.setValue(6)

    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.saving, timeout=10_000)
    assert dialog.result() == dialog.DialogCode.Accepted
    german = consents.template_for(db, ConsentKind.PHOTO, "de")
    assert (german.language, german.version, german.title) == (
        "de",
        1,
        "Einwilligung in klinische Fotografien",
    )
    assert consents.policy(db) == ConsentPolicy(required=True, valid_months=6)


def test_an_empty_text_is_refused_with_a_message_and_nothing_is_saved(
    qtbot: QtBot, db: Database
) -> None:
    before = consents.templates(db)
    dialog, tab = _open(qtbot, db)
    _choose(tab, ConsentKind.TREATMENT)
    tab.text.setPlainText("   ")
    dialog.accept()
    assert dialog.error.text() == (
        "Consent form Consent to microneedling treatment (en): The consent text is empty: "
        "write the text the patient reads and signs."
    )
    assert dialog.tabs.currentWidget() is tab
    assert dialog.result() != dialog.DialogCode.Accepted
    qtbot.mouseClick(tab.save_button, Qt.MouseButton.LeftButton)
    assert tab.status.text().startswith("The consent text is empty")
    assert consents.templates(db) == before
    assert tab.text.toPlainText() == "   ", "what was typed stays"


def test_a_language_code_that_is_not_one_is_refused(
    qtbot: QtBot, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dialog, tab = _open(qtbot, db)
    _choose(tab, ConsentKind.TREATMENT)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("German", True))
    qtbot.mouseClick(tab.copy_button, Qt.MouseButton.LeftButton)
    assert tab.status.text() == (
        "The language 'German' is not a language code such as en, de, fr or pt-BR."
    )
    assert len(tab.rows) == 2
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("en", True))
    qtbot.mouseClick(tab.copy_button, Qt.MouseButton.LeftButton)
    assert tab.status.text() == "“treatment” already exists in English (en)."


def test_the_page_is_read_only_for_anyone_but_an_administrator(qtbot: QtBot, db: Database) -> None:
    access.set_current(Account(3, "nurse", "Nurse Kim", Role.PRACTITIONER))
    tab = TemplatesTab(db)
    qtbot.addWidget(tab)
    qtbot.waitUntil(lambda: not tab.loading, timeout=10_000)
    assert not tab.editable
    assert tab.text.isReadOnly() and tab.title.isReadOnly()
    assert not tab.required.isEnabled() and not tab.copy_button.isEnabled()
    assert tab.status.text() == "Read only: only an administrator edits consent forms."
    assert tab.save_work() is None
    access.set_current(Account(1, "owner", "Clinic Owner", Role.ADMINISTRATOR))
    admin = TemplatesTab(db)
    qtbot.addWidget(admin)
    qtbot.waitUntil(lambda: not admin.loading, timeout=10_000)
    assert admin.editable and not admin.text.isReadOnly()
