from __future__ import annotations

from datetime import date

from needlelog.domain.search import fold, name_words, parse_date, parse_query


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Zoë LEFÈVRE") == "zoe lefevre"
    assert fold("Łucja") == "łucja"  # a letter of its own, not an accent
    assert fold("Ελένη") == "ελενη"


def test_name_words_split_on_punctuation() -> None:
    assert name_words("García Márquez") == {"garcia", "marquez"}
    assert name_words("O'Connor-Hughes") == {"o", "connor", "hughes"}
    assert name_words("王芳") == {"王芳"}


def test_dates_typed_in_common_forms() -> None:
    assert parse_date("1984-03-07") == date(1984, 3, 7)
    assert parse_date("07.03.1984") == date(1984, 3, 7)
    assert parse_date("7/3/1984") == date(1984, 3, 7)
    assert parse_date("1984-02-30") is None
    assert parse_date("Smith") is None


def test_query() -> None:
    q = parse_query("  Zoë  Lef ")
    assert q.text == "Zoë  Lef"
    assert q.words == ("lef", "zoe")
    assert parse_query("").is_empty
