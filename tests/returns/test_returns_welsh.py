"""Every Welsh message is wholly Welsh: no English word, no English phrase filled into it."""

from __future__ import annotations

import re

import pytest
from returns_support import CARDIFF, FIXTURES, GOOD_CSV

from sources.returns import process_file
from sources.returns.feedback import render_html
from sources.returns.problems import MESSAGES, MORE, both_templates, make

ENGLISH = re.compile(r"\b(the|is|an|not|workbook|could|file|sheet|row|column|was|and|of|it)\b", re.I)
# What is filled into a message is a code, a number, a name from the file or Welsh text: never English.
NEUTRAL_FIELDS = {"value", "column", "cell", "file", "sheet", "limit", "ratio", "allowed", "measure",
                  "title_cy", "council", "period", "collection", "first_row", "marker", "expected", "row",
                  "used", "rows", "columns", "max_rows", "max_columns", "omitted", "total", "shown", "check"}
# The name of Excel's own "Save as" choice, quoted so a council can find it.
EXCEL_CHOICE = "CSV UTF-8 (comma delimited)"


def _fields(template: str) -> set[str]:
    return set(re.findall(r"{(\w+)", template))


def welsh_english_words(text: str) -> list[str]:
    return ENGLISH.findall(text.replace(EXCEL_CHOICE, ""))


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_welsh_message_is_wholly_welsh(key):
    english, welsh = both_templates(MESSAGES[key])
    assert _fields(welsh) <= NEUTRAL_FIELDS, f"{key}: {_fields(welsh) - NEUTRAL_FIELDS} may be English"
    assert _fields(welsh) - {"title_cy"} == _fields(english) - {"title_en"}
    fields = {f: "9" for f in _fields(welsh) | _fields(english)
              if f not in {"value", "column", "cell", "file", "sheet", "row"}}
    filled = make(key, "ffeil.csv", sheet="dalen", row=3, column="value", col_index=3, value="X1", **fields)
    assert not welsh_english_words(filled.message_cy), (key, filled.message_cy)
    assert filled.message_en != filled.message_cy


def test_welsh_report_headlines_are_wholly_welsh(settings, con, config):
    outcomes = [process_file(GOOD_CSV, settings, CARDIFF, con, config=config),
                process_file(GOOD_CSV, settings, CARDIFF, con, config=config),
                process_file(FIXTURES / "fail" / "duplicate_row.csv", settings, CARDIFF, con, config=config)]
    assert [s.status for s in outcomes] == ["accepted", "duplicate", "quarantined"]
    for submission in outcomes:
        for text in re.findall(r'<span lang="cy">([^<]*)</span>', render_html(submission)):
            assert not welsh_english_words(text), text


def test_an_unreadable_workbook_is_explained_wholly_in_welsh(tmp_path, settings, con, config):
    path = tmp_path / "ffurflen.xlsx"
    path.write_bytes(b"council_code,measure_id\r\nW06000015,PAM/001\r\n")
    submission = process_file(path, settings, CARDIFF, con, config=config)
    (error,) = submission.errors
    assert error.check == "unreadable_file" and error.value  # the technical reason, kept for staff
    assert "ffurflen.xlsx could not be read as an Excel workbook" in error.message_en
    assert not welsh_english_words(error.message_cy), error.message_cy
    assert error.message_cy.startswith("Nid oedd modd darllen ffurflen.xlsx fel llyfr gwaith Excel")


def test_the_line_counting_problems_not_listed_is_wholly_welsh():
    values = {"omitted": "268,000", "total": "268,050", "shown": "50", "check": "unknown_measure"}
    english, welsh = both_templates(MORE)
    assert _fields(welsh) == _fields(english) == set(values)
    assert not welsh_english_words(welsh.format(**values))


def test_a_csv_cell_too_long_to_parse_is_explained_in_both_languages(tmp_path, settings, con, config):
    path = tmp_path / "hir.csv"
    path.write_bytes(GOOD_CSV.read_bytes().replace(b",,\r\n", b',"' + b"x" * 200_000 + b'"\r\n', 1))
    (error,) = process_file(path, settings, CARDIFF, con, config=config).errors
    assert (error.check, error.row) == ("unreadable_file", 2)
    assert "row 2 is longer than 131,072 characters" in error.message_en
    assert "rhes 2 yn hwy na 131,072 nod" in error.message_cy
    assert not welsh_english_words(error.message_cy)
