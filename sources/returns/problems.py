"""Every problem a return can have, with its English and Welsh message.

Each check has an id (the fail fixtures in `tests/fixtures/returns/fail/` are named after them),
a severity (`error` quarantines the file, `warning` is reported but the file is accepted) and
message templates. Some checks have variants (`check.variant`) that share the check id.

Every Welsh template is wholly Welsh: what is filled into it is a code, a number, a name taken
from the file or Welsh text, never an English phrase (a test scans them for English words).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sources.i18n import N_, gettext

Severity = Literal["error", "warning"]

WARNINGS = frozenset({"unknown_column", "windows_1252_encoding", "missing_measure", "hidden_sheet"})

# The English of each message is its msgid; the Welsh is in the catalogue (`sources/i18n.py`).
MESSAGES: dict[str, str] = {
    "unsupported_file_type": N_(
        "Files of type '{value}' are not accepted; send the return as .csv or .xlsx."),
    "macros_not_accepted": N_(
        "Workbooks with macros are not accepted; save the return as an Excel Workbook (.xlsx) or CSV."),
    "file_too_large": N_(
        "The file is {value} bytes; the limit is {limit} bytes."),
    "xlsx_decompression_limit": N_(
        "The workbook would expand to {value} bytes when opened; the limit is {limit} bytes."),
    "xlsx_decompression_limit.ratio": N_(
        "Part '{value}' of the workbook is compressed {ratio}:1, above the limit of {limit}:1; save "
        "the workbook again from Excel."),
    "xlsx_decompression_limit.members": N_(
        "The workbook has {value} parts; the limit is {limit}."),
    "unreadable_file.csv_quotes": N_(
        "{file} could not be read as CSV: the quotes in row {row} do not pair up; check for a quote "
        "left open."),
    "unreadable_file.csv_long_cell": N_(
        "{file} could not be read as CSV: a cell in row {row} is longer than {limit} characters."),
    "unreadable_file.not_xlsx": N_(
        "{file} could not be read as an Excel workbook: it is not a valid .xlsx file. Save it again "
        "from Excel as an Excel Workbook (.xlsx)."),
    "unreadable_file.xlsx": N_(
        "{file} could not be read as an Excel workbook. Save it again from Excel as an Excel Workbook"
        " (.xlsx)."),
    "unreadable_file.doctype": N_(
        "{file} could not be read as an Excel workbook: part {value} declares a DOCTYPE or XML "
        "entities, which Excel never writes."),
    "unreadable_file.bad_xml": N_(
        "{file} could not be read as an Excel workbook: part {value} is not well-formed XML. Save it "
        "again from Excel."),
    "unreadable_encoding": N_(
        "The file's text encoding could not be read; save it as 'CSV UTF-8 (comma delimited)'."),
    "windows_1252_encoding": N_(
        "The file is not UTF-8 and was read as Windows-1252, which cannot hold Welsh letters such as "
        "ŵ and ŷ; save it as 'CSV UTF-8 (comma delimited)' next time."),
    "sheet_not_found": N_(
        "The workbook has no sheet named '{value}'; its sheets are {allowed}."),
    "sheet_not_found.hidden": N_(
        "Sheet '{value}' is hidden, and a hidden sheet is never read as the return; unhide it, or "
        "send the return on a visible sheet."),
    "sheet_not_found.no_visible": N_(
        "The workbook has no visible sheet: its sheets {allowed} are all hidden, and a hidden sheet "
        "is never read as the return."),
    "sheet_too_large": N_(
        "Sheet '{sheet}' in {file} spans {value}, {rows} rows by {columns} columns: more than the "
        "limit of {max_rows} rows by {max_columns} columns. Delete the unused rows and columns, or "
        "copy the return into a new workbook, and send it again."),
    "sheet_too_large.rows": N_(
        "Sheet '{sheet}' in {file} has more than {max_rows} rows; the limit is {max_rows} rows by "
        "{max_columns} columns. Delete the unused rows, or copy the return into a new workbook, and "
        "send it again."),
    "hidden_sheet": N_(
        "Sheet '{value}' is hidden and was not read; the return was read from the visible sheet "
        "'{used}'. If the hidden sheet holds the figures, unhide it and delete the other."),
    "empty_file": N_(
        "The file is empty."),
    "empty_file.no_rows": N_(
        "The file has a header row but no data rows."),
    "missing_columns": N_(
        "Required column '{column}' is missing from the header row, which must contain {allowed}."),
    "duplicate_column": N_(
        "Column '{column}' appears more than once in the header row."),
    "missing_measure": N_(
        "The return has no row for {measure} ({title_en}); the performance framework cannot be "
        "published without it. Add the figure, or a marker such as [x] with a note saying why it "
        "cannot be given."),
    "unknown_column": N_(
        "Column '{column}' is not part of the template and was ignored."),
    "ragged_row": N_(
        "Cell {cell} holds '{value}' but its column has no heading; check for a stray comma or a "
        "number written with a thousands separator."),
    "formula_cell": N_(
        "Formulas are not accepted; paste values (the cell holds {value})."),
    "unknown_council": N_(
        "'{value}' is not the GSS code of a Welsh council (for example W06000015 for Cardiff)."),
    "unknown_council.missing": N_(
        "The council code is missing."),
    "council_mismatch": N_(
        "The row is for {value} but the return is from {council}; a council submits only its own "
        "figures."),
    "unknown_measure": N_(
        "'{value}' is not a measure in this collection; use one of {allowed}."),
    "unknown_measure.missing": N_(
        "The measure id is missing; use one of {allowed}."),
    "malformed_period": N_(
        "'{value}' is not a financial year; write it like 2024-25."),
    "malformed_period.missing": N_(
        "The period is missing; write the financial year like 2024-25."),
    "period_outside_collection": N_(
        "Period {value} is outside this return's collection ({collection}); open collections are "
        "{allowed}."),
    "period_outside_collection.closed": N_(
        "Period {value} is not an open collection; open collections are {allowed}."),
    "non_numeric_value": N_(
        "'{value}' in column {column} is not a number; write digits only (no commas, units or "
        "symbols), or leave the value empty and give a marker."),
    "non_numeric_value.not_finite": N_(
        "'{value}' in column {column} is not a finite number: it is too large to hold, or not a "
        "number at all. Write the figure in digits."),
    "value_and_marker_both_present": N_(
        "Both a value ({value}) and a marker ({marker}) are given; give one or the other."),
    "value_and_marker_both_missing": N_(
        "Neither a value nor a marker is given; give the value, or a marker such as [x] (not "
        "available)."),
    "unknown_marker": N_(
        "'{value}' is not an accepted marker; use one of {allowed}."),
    "numerator_denominator_inconsistent": N_(
        "The value {value} does not match the numerator and denominator, which give {expected}."),
    "numerator_denominator_inconsistent.one_missing": N_(
        "Only one of numerator and denominator is given; give both or neither."),
    "numerator_denominator_inconsistent.zero": N_(
        "The denominator is zero."),
    "numerator_denominator_inconsistent.withheld": N_(
        "The value is withheld with marker {marker}, so the numerator and denominator must be empty "
        "too."),
    "percentage_out_of_range": N_(
        "{value} is not a percentage between 0 and 100."),
    "negative_value": N_(
        "{value} in column {column} is negative; this measure cannot be below zero."),
    "duplicate_row": N_(
        "Measure {measure} for {period} is already given in row {first_row}."),
}


# The line that stands in for the problems of one check beyond the first few listed.
MORE = N_("…and {omitted} more like this ({check}): {total} in all, of which only the first {shown} are"
          " listed. Correct them all before sending the file again.")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with (or worth knowing about) a return, located as precisely as possible.

    `omitted` is 0 for a problem found in the file; a line summing up problems not listed one by
    one (see `ProblemLog`) has no location and counts them in `omitted`.
    """

    check: str
    severity: Severity
    file: str
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    value: str | None
    message_en: str
    message_cy: str
    omitted: int = 0

    @property
    def count(self) -> int:
        """How many problems this line stands for."""
        return self.omitted or 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def both_templates(msgid: str) -> tuple[str, str]:
    """(English, Welsh) of a message, not yet filled in.

    A Welsh template may use `{title_cy}` where the English has `{title_en}`.
    """
    return msgid, gettext(msgid, "cy")


def check_ids() -> set[str]:
    """Every check id (variants folded into their check)."""
    return {key.split(".")[0] for key in MESSAGES}


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def make(key: str, file: str, *, sheet: str | None = None, row: int | None = None,
         column: str | None = None, col_index: int | None = None, value: object = None,
         **fields: object) -> Problem:
    """Build a problem from a message key (`check` or `check.variant`) and its fields."""
    check = key.split(".")[0]
    cell = f"{column_letter(col_index)}{row}" if col_index is not None and row else None
    text = None if value is None else str(value)
    values = {"file": file, "sheet": sheet, "row": row, "value": text, "column": column, "cell": cell,
              **fields}
    en, cy = both_templates(MESSAGES[key])
    return Problem(check, "warning" if check in WARNINGS else "error", file, sheet, row, column, cell,
                   text, en.format(**values), cy.format(**values))


def more_like_this(first_omitted: Problem, omitted: int, shown: int) -> Problem:
    """The line that stands for `omitted` problems of one check, after the `shown` listed."""
    values = {"omitted": f"{omitted:,}", "total": f"{omitted + shown:,}", "shown": f"{shown:,}",
              "check": first_omitted.check}
    p = first_omitted
    return Problem(p.check, p.severity, p.file, p.sheet, None, None, None, None,
                   *(t.format(**values) for t in both_templates(MORE)), omitted)


class ProblemLog:
    """Problems in the order found, keeping only the first `per_check` of each check (0 keeps all).

    The rest are counted, not kept: `problems()` puts one line where the first of them was, saying
    how many more there were, so a file wrong on every row still gets a short, readable report
    (and the warehouse a small write) that gives the true total.
    """

    def __init__(self, per_check: int = 0) -> None:
        self.per_check = per_check
        self._kept: list[Problem] = []
        self._counts: Counter[str] = Counter()
        self._more_at: dict[str, int] = {}

    def append(self, problem: Problem) -> None:
        self._counts[problem.check] += 1
        seen = self._counts[problem.check]
        if not self.per_check or seen <= self.per_check:
            self._kept.append(problem)
        elif seen == self.per_check + 1:
            self._more_at[problem.check] = len(self._kept)
            self._kept.append(problem)  # replaced by the summary once the total is known

    def extend(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    def problems(self) -> list[Problem]:
        """The problems kept, each check's summary line in place of the ones beyond the cap."""
        kept = list(self._kept)
        for check, index in self._more_at.items():
            kept[index] = more_like_this(kept[index], self._counts[check] - self.per_check, self.per_check)
        return kept
