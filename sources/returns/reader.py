"""Read a return (CSV or XLSX) into rows of text cells, without trusting anything in it.

CSV is decoded in Python (UTF-8 with or without BOM; Windows-1252 with a warning) and split with
the standard `csv` parser in strict mode. DuckDB's reader is not used here: it skips empty lines
(so reported row numbers would drift from the rows a council sees in Excel) and silently drops
a quoted cell left open at the end of a file; a return is at most a few hundred rows.

XLSX is opened with openpyxl in read-only mode with `data_only=False`, after the zip checks in
`safety`: formulas are never evaluated; a formula cell comes back as a `Formula` so validation
can report it. The return is a visible sheet; hidden sheets are reported and never read. A
sheet is bounded by the cells read, not by bytes: its declared size is checked before reading,
and at most `max_rows` rows of `max_columns` cells are read.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sources.returns.config import ReturnsConfig
from sources.returns.problems import Problem, make
from sources.returns.reference import RETURN_SHEET
from sources.returns.safety import check_workbook_zip


class Formula(str):
    """The text of a formula cell: reported, never evaluated, never loaded."""


Cell = str | None


@dataclass
class Table:
    """A return's header cells and its non-blank data rows, numbered as in the file (header = 1)."""

    file: str
    sheet: str | None
    header: list[Cell]
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)


def read_table(path: Path, file: str, ext: str, sheet: str | None,
               config: ReturnsConfig) -> tuple[Table | None, list[Problem]]:
    """Read an archived return; a `None` table means the file could not be read at all."""
    if ext == "xlsx":
        return _read_xlsx(path, file, sheet, config)
    return _read_csv(path, file)


def _table(file: str, sheet: str | None, records: list[tuple[int, list[Cell]]]) -> Table | None:
    if not records:
        return None
    _, header = records[0]
    rows = [(n, cells) for n, cells in records[1:] if any(c is not None and c.strip() for c in cells)]
    return Table(file, sheet, header, rows)


def _decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, [make("unreadable_encoding", file)]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return None, [make("unreadable_encoding", file)]
        problems.append(make("windows_1252_encoding", file))
    if "\x00" in text:
        return None, [make("unreadable_encoding", file)]
    return unicodedata.normalize("NFC", text), problems


def _read_csv(path: Path, file: str) -> tuple[Table | None, list[Problem]]:
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return None, [make("empty_file", file)]
    text, problems = _decode(data, file)
    if text is None:
        return None, problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[Cell]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            records.append((number, [c if c != "" else None for c in record]))
    except csv.Error as exc:
        return None, [*problems, _unreadable_csv(file, len(records) + 1, exc)]
    table = _table(file, None, records)
    return table, problems if table else [*problems, make("empty_file", file)]


def _unreadable_csv(file: str, row: int, exc: csv.Error) -> Problem:
    """A CSV the parser gave up on: a cell over the parser's size limit, or quotes that do not pair."""
    if "field larger than field limit" in str(exc):
        return make("unreadable_file.csv_long_cell", file, row=row, value=str(exc),
                    limit=f"{csv.field_size_limit():,}")
    return make("unreadable_file.csv_quotes", file, row=row, value=str(exc))


def _unreadable_workbook(file: str, exc: BaseException) -> Problem:
    """A workbook openpyxl could not read; the technical reason is kept as the problem's value."""
    reason = str(exc).strip()
    return make("unreadable_file.xlsx", file,
                value=f"{type(exc).__name__}: {reason}" if reason else type(exc).__name__)


def _cell_text(cell: object) -> Cell:
    value = getattr(cell, "value", None)
    if value is None:
        return None
    if getattr(cell, "data_type", None) == "f":
        return Formula(getattr(value, "text", None) or str(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value))


def _choose_sheet(book: object, file: str, sheet: str | None) -> tuple[object | None, list[Problem]]:
    """The worksheet that is the return, and a warning for every hidden sheet (never read).

    A sheet named in `sheet` must exist and be visible. Otherwise the return is the visible sheet
    the template names (`return`), or else the first visible sheet: a hidden sheet is often an
    old draft, so it is never taken for the return without the council seeing it.
    """
    worksheets = book.worksheets
    visible = [ws for ws in worksheets if ws.sheet_state == "visible"]
    if sheet is not None:
        if sheet not in book.sheetnames:
            return None, [make("sheet_not_found", file, value=sheet, allowed=", ".join(book.sheetnames))]
        if book[sheet].sheet_state != "visible":
            return None, [make("sheet_not_found.hidden", file, sheet=sheet, value=sheet)]
        chosen = book[sheet]
    elif not worksheets:
        return None, [make("empty_file", file)]
    elif not visible:
        return None, [make("sheet_not_found.no_visible", file, allowed=", ".join(book.sheetnames))]
    else:
        named = [ws for ws in visible if ws.title.strip().casefold() == RETURN_SHEET]
        chosen = (named or visible)[0]
    hidden = [make("hidden_sheet", file, sheet=ws.title, value=ws.title, used=chosen.title)
              for ws in worksheets if ws.sheet_state != "visible"]
    return chosen, hidden


def _too_large(worksheet: object, file: str, config: ReturnsConfig, key: str = "sheet_too_large",
               **fields: object) -> Problem:
    return make(key, file, sheet=worksheet.title, max_rows=f"{config.max_rows:,}",
                max_columns=f"{config.max_columns:,}", **fields)


def _declared_too_large(worksheet: object, file: str, config: ReturnsConfig) -> Problem | None:
    """The sheet's own `<dimension>`, checked before a cell is read; None when within the caps.

    A sheet without one (or with one that understates it) is bounded while it is read instead.
    """
    rows, columns = worksheet.max_row, worksheet.max_column
    if rows is None or columns is None or (rows <= config.max_rows and columns <= config.max_columns):
        return None
    return _too_large(worksheet, file, config, value=worksheet.calculate_dimension(),
                      rows=f"{rows:,}", columns=f"{columns:,}")


def _bounded_records(worksheet: object, file: str,
                     config: ReturnsConfig) -> tuple[list[tuple[int, list[Cell]]], Problem | None]:
    """The sheet's rows, never more than `max_rows` of them nor more than `max_columns` cells each.

    openpyxl pads every row out to the widest column asked for, so without `max_col` one cell in
    column XFD makes each row 16,384 cells; cells right of the cap are not read at all.
    """
    worksheet.reset_dimensions()  # read to the real end of the data, not to what the sheet declares
    records: list[tuple[int, list[Cell]]] = []
    for number, row in enumerate(worksheet.iter_rows(max_col=config.max_columns), start=1):
        if number > config.max_rows:
            return records, _too_large(worksheet, file, config, "sheet_too_large.rows")
        records.append((number, [_cell_text(c) for c in row]))
    return records, None


def _read_xlsx(path: Path, file: str, sheet: str | None,
               config: ReturnsConfig) -> tuple[Table | None, list[Problem]]:
    problems = check_workbook_zip(path, file, config)
    if problems:
        return None, problems
    import openpyxl  # imported here: CSV-only runs need not pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # any failure to parse an untrusted file means it is unreadable
        return None, [_unreadable_workbook(file, exc)]
    try:
        worksheet, problems = _choose_sheet(book, file, sheet)
        if worksheet is None:
            return None, problems
        too_large = _declared_too_large(worksheet, file, config)
        if too_large is None:
            records, too_large = _bounded_records(worksheet, file, config)
        if too_large is not None:
            return None, [*problems, too_large]
    except Exception as exc:  # see above
        return None, [_unreadable_workbook(file, exc)]
    finally:
        book.close()
    table = _table(file, worksheet.title, records)
    return table, problems if table else [*problems, make("empty_file", file, sheet=worksheet.title)]
