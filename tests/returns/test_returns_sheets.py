"""Which sheet of a workbook is the return, and how much of it is read."""

from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from returns_support import CARDIFF, GOOD_CSV, GOOD_XLSX, raw_rows, replace_parts

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


# A sheet's size is checked before it is read, and reading is bounded by cells, not bytes.

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _wide_sheet(rows: int, dimension: str | None) -> bytes:
    """Rows with a cell in column A and one in column XFD, the last column Excel allows."""
    head = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="XFD{n}"><v>1</v></c></row>'
                   for n in range(1, rows + 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">{head}'
            f"<sheetData>{body}</sheetData></worksheet>").encode()


def test_a_sheet_larger_than_the_cap_is_refused_before_a_cell_is_read(tmp_path, settings, con, config,
                                                                      monkeypatch):
    path = replace_parts(GOOD_XLSX, tmp_path / "wide.xlsx",
                         {"xl/worksheets/sheet1.xml": _wide_sheet(200, "A1:XFD40000")})
    read = []
    monkeypatch.setattr("sources.returns.reader._cell_text", lambda cell: read.append(cell))

    submission = process_file(path, settings, CARDIFF, con, config=config)

    assert read == []
    (error,) = submission.errors
    assert (error.check, error.file, error.sheet, error.value) == (
        "sheet_too_large", "wide.xlsx", "return", "A1:XFD40000")
    for message in (error.message_en, error.message_cy):
        assert "'return'" in message and "wide.xlsx" in message and "A1:XFD40000" in message
        assert "40,000" in message and "16,384" in message and "10,000" in message and "50" in message


def test_an_unsized_sheet_is_read_only_to_the_caps(tmp_path, settings, con, config, monkeypatch):
    path = replace_parts(GOOD_XLSX, tmp_path / "long.xlsx",
                         {"xl/worksheets/sheet1.xml": _wide_sheet(300, None)})
    widths: list[int] = []
    get_row = ReadOnlyWorksheet._get_row

    def measured(self, row, min_col=1, max_col=None, values_only=False):
        cells = get_row(self, row, min_col, max_col, values_only)
        widths.append(len(cells))
        return cells

    monkeypatch.setattr(ReadOnlyWorksheet, "_get_row", measured)
    capped = replace(config, max_rows=100, max_columns=10)
    submission = process_file(path, settings, CARDIFF, con, config=capped)

    assert widths and max(widths) <= 10 and len(widths) <= 101
    (error,) = submission.errors
    assert (error.check, error.file, error.sheet) == ("sheet_too_large", "long.xlsx", "return")
    assert "more than 100 rows" in error.message_en and "fwy na 100 rhes" in error.message_cy
    assert "long.xlsx" in error.message_cy and "'return'" in error.message_cy


def test_cells_right_of_the_column_cap_are_not_read(tmp_path, settings, con, config):
    with zipfile.ZipFile(GOOD_XLSX) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    far = sheet.replace(b'<dimension ref="A1:H6" />', b"").replace(
        b"</row>", b'<c r="XFD1" t="inlineStr"><is><t>stray</t></is></c></row>', 1)
    assert far.count(b"XFD1") == 1
    path = replace_parts(GOOD_XLSX, tmp_path / "stray.xlsx", {"xl/worksheets/sheet1.xml": far})
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert (submission.status, submission.problems) == ("accepted", ())


def test_a_workbook_that_cannot_be_read_never_gives_an_empty_message(settings, con, config, monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(openpyxl, "load_workbook", exhausted)
    (error,) = process_file(GOOD_XLSX, settings, CARDIFF, con, config=config).errors
    assert (error.check, error.value) == ("unreadable_file", "MemoryError")
    assert error.message_en.startswith("good.xlsx could not be read as an Excel workbook")
    assert error.message_cy.startswith("Nid oedd modd darllen good.xlsx fel llyfr gwaith Excel")
