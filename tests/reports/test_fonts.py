import subprocess
import sys
from pathlib import Path

import pytest

from needlelog.reports import fonts
from needlelog.store.migrate import open_database
from tests.reports.helpers import patient_with_sessions


def test_user_text_is_escaped_for_paragraph_markup() -> None:
    assert fonts.markup('<b>Tom & "Jerry"</b>') == '&lt;b&gt;Tom &amp; "Jerry"&lt;/b&gt;'


def test_chinese_runs_use_the_cjk_font_and_latin_stays_outside() -> None:
    text = fonts.markup("王静 (Jing) 小明")
    assert text == (
        f'<font name="{fonts.CJK}">王静</font> (Jing) <font name="{fonts.CJK}">小明</font>'
    )


def test_italic_never_applies_to_arabic_runs() -> None:
    text = fonts.markup("Note: فاطمة الزهراء", italic=True)
    assert text.startswith("<i>Note: </i>")
    assert "فاطمة الزهراء" in text
    assert "<i>فاطمة" not in text


def test_line_breaks_of_notes_are_kept() -> None:
    assert fonts.lines_markup("one\ntwo <3") == "one<br/>two &lt;3"


def test_has_arabic() -> None:
    assert fonts.has_arabic("Dr. محمد")
    assert not fonts.has_arabic("Zoë Лефевр 王")


_LOADED_AFTER_REPORT = """
import io, sys
from needlelog.reports import fonts
from needlelog.reports.progress import build_progress_report
from needlelog.store.migrate import open_database
db = open_database(sys.argv[1])
build_progress_report(db, int(sys.argv[2]), io.BytesIO())
print(" ".join(sorted(fonts._loaded)))
"""


@pytest.mark.parametrize(
    ("family_name", "expected"),
    [
        ("Lefèvre", {fonts.BASE, fonts.BOLD}),
        ("王", {fonts.BASE, fonts.BOLD, fonts.CJK}),
    ],
)
def test_a_report_reads_only_the_faces_it_sets(
    db_path: Path, family_name: str, expected: set[str]
) -> None:
    db = open_database(f"sqlite:///{db_path}")
    patient = patient_with_sessions(db, 2, family_name=family_name)
    db.dispose()
    found = subprocess.run(
        [sys.executable, "-c", _LOADED_AFTER_REPORT, f"sqlite:///{db_path}", str(patient.id)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert set(found.stdout.split()) == expected
