"""A DTD or entity anywhere in any XML part of a workbook is refused, however deep it is hidden."""

from __future__ import annotations

import zipfile

import pytest
from returns_support import CARDIFF, GOOD_XLSX, raw_rows, replace_parts

from sources.returns import process_file
from sources.returns.safety import check_workbook_zip


def _doctype_after_comment(body: bytes, encoding: str = "utf-8") -> bytes:
    """The part with a 4.5 KB comment, then a DOCTYPE declaring an internal entity, then its XML."""
    comment = "<!--" + "x" * 4500 + "-->"
    declaration = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    doctype = '<!DOCTYPE worksheet [<!ENTITY injected "INJECTED-BY-ENTITY">]>'
    return (declaration + comment + doctype + body.decode("utf-8").split("?>", 1)[-1]).encode(encoding)


@pytest.mark.parametrize(("part", "encoding"), [
    ("xl/worksheets/sheet1.xml", "utf-8"),
    ("xl/workbook.xml", "utf-8"),
    ("xl/worksheets/sheet1.xml", "utf-16"),
])
def test_a_doctype_after_a_long_comment_is_refused(part, encoding, tmp_path, settings, con, config):
    with zipfile.ZipFile(GOOD_XLSX) as book:
        original = book.read(part)
    if part.endswith("sheet1.xml"):
        assert b"<t>W06000015</t>" in original
        original = original.replace(b"<t>W06000015</t>", b"<t>&injected;</t>", 1)
    hostile = _doctype_after_comment(original, encoding)
    path = replace_parts(GOOD_XLSX, tmp_path / "entity.xlsx", {part: hostile})

    assert [p.check for p in check_workbook_zip(path, "entity.xlsx", config)] == ["unreadable_file"]
    submission = process_file(path, settings, CARDIFF, con, config=config)

    (error,) = submission.errors
    assert (error.check, error.value) == ("unreadable_file", part)
    for message in (error.message_en, error.message_cy):
        assert "DOCTYPE" in message and part in message and "entity.xlsx" in message
    assert raw_rows(con) == []


def test_any_xml_part_is_checked_whatever_its_name(tmp_path, config):
    hidden = _doctype_after_comment(b'<?xml version="1.0"?><notes/>')
    path = replace_parts(GOOD_XLSX, tmp_path / "odd.xlsx", {"xl/media/notes.bin": hidden})
    assert [(p.check, p.value) for p in check_workbook_zip(path, "odd.xlsx", config)] == [
        ("unreadable_file", "xl/media/notes.bin")]


def test_a_part_that_is_not_well_formed_is_named(tmp_path, settings, con, config):
    path = replace_parts(GOOD_XLSX, tmp_path / "broken.xlsx", {"xl/styles.xml": b"<styleSheet><unclosed>"})
    (error,) = process_file(path, settings, CARDIFF, con, config=config).errors
    assert (error.check, error.value) == ("unreadable_file", "xl/styles.xml")
    assert "well-formed" in error.message_en and "XML dilys" in error.message_cy


def test_openpyxl_parses_with_defusedxml():
    from openpyxl.xml import DEFUSEDXML, functions

    assert DEFUSEDXML is True
    assert functions.iterparse.__module__.startswith("defusedxml")
    assert functions.fromstring.__module__.startswith("defusedxml")
