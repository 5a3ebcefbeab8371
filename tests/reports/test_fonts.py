from needlelog.reports import fonts


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
