"""Which sheet of a workbook is the return, and how much of it is read."""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl
from returns_support import CARDIFF, GOOD_CSV, raw_rows, replace_parts

from sources.returns import process_file
from sources.returns.reference import TEMPLATE_COLUMNS


def _good_rows() -> list[list[object]]:
    with GOOD_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    return [[float(c) if re.fullmatch(r"[\d.]+", c) else (c or None) for c in row] for row in rows]


def _book(path: Path, sheets: list[tuple[str, list[list[object]], str]]) -> Path:
    """A workbook of (title, data rows, state) sheets, each under the template header."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows, state in sheets:
        sheet = book.create_sheet(title)
        sheet.append(TEMPLATE_COLUMNS)
        for row in rows:
            sheet.append(row)
        sheet.sheet_state = state
    book.save(path)
    return path


def _loaded(con) -> dict[str, float | None]:
    return dict(con.execute("SELECT measure_id, value FROM raw.council__returns").fetchall())


# A hidden first sheet is never the return; it is reported, in both languages.


def test_a_hidden_draft_sheet_is_reported_and_never_read(tmp_path, settings, con, config):
    draft = [[*row[:3], 1.0, None, None, None, "draft"] for row in _good_rows()]
    path = _book(tmp_path / "hidden.xlsx", [("draft", draft, "hidden"), ("figures", _good_rows(), "visible")])

    submission = process_file(path, settings, CARDIFF, con, config=config)

    assert submission.status == "accepted", submission.errors
    assert _loaded(con)["PAM/001"] == 10.7
    (warning,) = submission.warnings
    assert (warning.check, warning.severity, warning.sheet, warning.file) == (
        "hidden_sheet", "warning", "draft", "hidden.xlsx")
    assert "'draft' is hidden" in warning.message_en and "'figures'" in warning.message_en
    assert "'draft' wedi'i chuddio" in warning.message_cy and "'figures'" in warning.message_cy
    page = (submission.feedback_dir / "feedback.html").read_text(encoding="utf-8")
    assert "Rhybuddion" in page and "wedi&#x27;i chuddio" in page


def test_the_sheet_the_template_names_is_the_return(tmp_path, settings, con, config):
    path = _book(tmp_path / "order.xlsx", [("notes", [["read me first"]], "visible"),
                                           ("return", _good_rows(), "visible"), ("old", [], "veryHidden")])
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert submission.status == "accepted", submission.errors
    assert [(p.check, p.sheet) for p in submission.warnings] == [("hidden_sheet", "old")]


def test_a_hidden_sheet_asked_for_by_name_is_refused(tmp_path, settings, con, config):
    path = _book(tmp_path / "asked.xlsx", [("draft", _good_rows(), "hidden"),
                                           ("return", _good_rows(), "visible")])
    submission = process_file(path, settings, CARDIFF, con, sheet="draft", config=config)
    (error,) = submission.errors
    assert (error.check, error.sheet, error.value) == ("sheet_not_found", "draft", "draft")
    assert "hidden" in error.message_en and "wedi'i chuddio" in error.message_cy
    assert raw_rows(con) == []


def test_a_workbook_with_every_sheet_hidden_is_refused(tmp_path, settings, con, config):
    shown = _book(tmp_path / "shown.xlsx", [("draft", _good_rows(), "visible"),
                                            ("return", _good_rows(), "visible")])
    with zipfile.ZipFile(shown) as book:
        workbook = book.read("xl/workbook.xml")
    assert workbook.count(b'state="visible"') == 2
    # Excel never saves a workbook without a visible sheet, but a file can say so.
    path = replace_parts(shown, tmp_path / "all-hidden.xlsx",
                         {"xl/workbook.xml": workbook.replace(b'state="visible"', b'state="hidden"')})
    (error,) = process_file(path, settings, CARDIFF, con, config=config).errors
    assert error.check == "sheet_not_found" and "draft, return" in error.message_en
    assert "draft, return" in error.message_cy and "wedi'u cuddio" in error.message_cy
