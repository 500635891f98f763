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

Severity = Literal["error", "warning"]

WARNINGS = frozenset({"unknown_column", "windows_1252_encoding", "missing_measure", "hidden_sheet"})

MESSAGES: dict[str, tuple[str, str]] = {
    "unsupported_file_type": (
        "Files of type '{value}' are not accepted; send the return as .csv or .xlsx.",
        "Ni dderbynnir ffeiliau o'r math '{value}'; anfonwch y ffurflen fel .csv neu .xlsx."),
    "macros_not_accepted": (
        "Workbooks with macros are not accepted; save the return as an Excel Workbook (.xlsx) or CSV.",
        "Ni dderbynnir llyfrau gwaith â macros; cadwch y ffurflen fel Llyfr Gwaith Excel (.xlsx) neu CSV."),
    "file_too_large": (
        "The file is {value} bytes; the limit is {limit} bytes.",
        "Mae'r ffeil yn {value} beit; y terfyn yw {limit} beit."),
    "xlsx_decompression_limit": (
        "The workbook would expand to {value} bytes when opened; the limit is {limit} bytes.",
        "Byddai'r llyfr gwaith yn ehangu i {value} beit o'i agor; y terfyn yw {limit} beit."),
    "xlsx_decompression_limit.ratio": (
        "Part '{value}' of the workbook is compressed {ratio}:1, above the limit of {limit}:1; "
        "save the workbook again from Excel.",
        "Mae rhan '{value}' o'r llyfr gwaith wedi'i chywasgu {ratio}:1, uwchlaw'r terfyn o {limit}:1; "
        "cadwch y llyfr gwaith eto o Excel."),
    "xlsx_decompression_limit.members": (
        "The workbook has {value} parts; the limit is {limit}.",
        "Mae gan y llyfr gwaith {value} rhan; y terfyn yw {limit}."),
    "unreadable_file.csv_quotes": (
        "{file} could not be read as CSV: the quotes in row {row} do not pair up; check for a quote "
        "left open.",
        "Nid oedd modd darllen {file} fel CSV: nid yw'r dyfynodau yn rhes {row} yn paru; gwiriwch am "
        "ddyfynnod sydd heb ei gau."),
    "unreadable_file.csv_long_cell": (
        "{file} could not be read as CSV: a cell in row {row} is longer than {limit} characters.",
        "Nid oedd modd darllen {file} fel CSV: mae cell yn rhes {row} yn hwy na {limit} nod."),
    "unreadable_file.not_xlsx": (
        "{file} could not be read as an Excel workbook: it is not a valid .xlsx file. Save it again "
        "from Excel as an Excel Workbook (.xlsx).",
        "Nid oedd modd darllen {file} fel llyfr gwaith Excel: nid yw'n ffeil .xlsx ddilys. Cadwch hi "
        "eto o Excel fel Llyfr Gwaith Excel (.xlsx)."),
    "unreadable_file.xlsx": (
        "{file} could not be read as an Excel workbook. Save it again from Excel as an Excel "
        "Workbook (.xlsx).",
        "Nid oedd modd darllen {file} fel llyfr gwaith Excel. Cadwch hi eto o Excel fel Llyfr Gwaith "
        "Excel (.xlsx)."),
    "unreadable_file.doctype": (
        "{file} could not be read as an Excel workbook: part {value} declares a DOCTYPE or XML "
        "entities, which Excel never writes.",
        "Nid oedd modd darllen {file} fel llyfr gwaith Excel: mae rhan {value} yn datgan DOCTYPE neu "
        "endidau XML, nad yw Excel byth yn eu hysgrifennu."),
    "unreadable_file.bad_xml": (
        "{file} could not be read as an Excel workbook: part {value} is not well-formed XML. Save it "
        "again from Excel.",
        "Nid oedd modd darllen {file} fel llyfr gwaith Excel: nid yw rhan {value} yn XML dilys. Cadwch "
        "hi eto o Excel."),
    "unreadable_encoding": (
        "The file's text encoding could not be read; save it as 'CSV UTF-8 (comma delimited)'.",
        "Nid oedd modd darllen amgodiad testun y ffeil; cadwch hi fel 'CSV UTF-8 (comma delimited)'."),
    "windows_1252_encoding": (
        "The file is not UTF-8 and was read as Windows-1252, which cannot hold Welsh letters such as "
        "ŵ and ŷ; save it as 'CSV UTF-8 (comma delimited)' next time.",
        "Nid yw'r ffeil yn UTF-8 ac fe'i darllenwyd fel Windows-1252, na all ddal llythrennau Cymraeg "
        "fel ŵ ac ŷ; cadwch hi fel 'CSV UTF-8 (comma delimited)' y tro nesaf."),
    "sheet_not_found": (
        "The workbook has no sheet named '{value}'; its sheets are {allowed}.",
        "Nid oes dalen o'r enw '{value}' yn y llyfr gwaith; ei dalennau yw {allowed}."),
    "sheet_not_found.hidden": (
        "Sheet '{value}' is hidden, and a hidden sheet is never read as the return; unhide it, or "
        "send the return on a visible sheet.",
        "Mae'r ddalen '{value}' wedi'i chuddio, ac ni ddarllenir dalen gudd fel y ffurflen byth; "
        "dangoswch hi, neu anfonwch y ffurflen ar ddalen weladwy."),
    "sheet_not_found.no_visible": (
        "The workbook has no visible sheet: its sheets {allowed} are all hidden, and a hidden sheet "
        "is never read as the return.",
        "Nid oes dalen weladwy yn y llyfr gwaith: mae ei dalennau {allowed} i gyd wedi'u cuddio, ac ni "
        "ddarllenir dalen gudd fel y ffurflen byth."),
    "sheet_too_large": (
        "Sheet '{sheet}' in {file} spans {value}, {rows} rows by {columns} columns: more than the "
        "limit of {max_rows} rows by {max_columns} columns. Delete the unused rows and columns, or "
        "copy the return into a new workbook, and send it again.",
        "Mae'r ddalen '{sheet}' yn {file} yn rhychwantu {value}, {rows} rhes wrth {columns} colofn: "
        "mwy na'r terfyn o {max_rows} rhes wrth {max_columns} colofn. Dilëwch y rhesi a'r colofnau "
        "nas defnyddir, neu copïwch y ffurflen i lyfr gwaith newydd, a'i hanfon eto."),
    "sheet_too_large.rows": (
        "Sheet '{sheet}' in {file} has more than {max_rows} rows; the limit is {max_rows} rows by "
        "{max_columns} columns. Delete the unused rows, or copy the return into a new workbook, and "
        "send it again.",
        "Mae gan y ddalen '{sheet}' yn {file} fwy na {max_rows} rhes; y terfyn yw {max_rows} rhes wrth "
        "{max_columns} colofn. Dilëwch y rhesi nas defnyddir, neu copïwch y ffurflen i lyfr gwaith "
        "newydd, a'i hanfon eto."),
    "hidden_sheet": (
        "Sheet '{value}' is hidden and was not read; the return was read from the visible sheet "
        "'{used}'. If the hidden sheet holds the figures, unhide it and delete the other.",
        "Mae'r ddalen '{value}' wedi'i chuddio ac ni chafodd ei darllen; darllenwyd y ffurflen o'r "
        "ddalen weladwy '{used}'. Os yw'r ddalen gudd yn dal y ffigurau, dangoswch hi a dilëwch y "
        "llall."),
    "empty_file": (
        "The file is empty.",
        "Mae'r ffeil yn wag."),
    "empty_file.no_rows": (
        "The file has a header row but no data rows.",
        "Mae gan y ffeil res pennawd ond dim rhesi data."),
    "missing_columns": (
        "Required column '{column}' is missing from the header row, which must contain {allowed}.",
        "Mae'r golofn ofynnol '{column}' ar goll o'r rhes pennawd, a rhaid iddi gynnwys {allowed}."),
    "duplicate_column": (
        "Column '{column}' appears more than once in the header row.",
        "Mae'r golofn '{column}' yn ymddangos fwy nag unwaith yn y rhes pennawd."),
    "missing_measure": (
        "The return has no row for {measure} ({title_en}); the performance framework cannot be "
        "published without it. Add the figure, or a marker such as [x] with a note saying why it "
        "cannot be given.",
        "Nid oes rhes ar gyfer {measure} ({title_cy}) yn y ffurflen; ni ellir cyhoeddi'r fframwaith "
        "perfformiad hebddi. Ychwanegwch y ffigur, neu farciwr fel [x] gyda nodyn yn esbonio pam na "
        "ellir ei roi."),
    "unknown_column": (
        "Column '{column}' is not part of the template and was ignored.",
        "Nid yw'r golofn '{column}' yn rhan o'r templed ac fe'i hanwybyddwyd."),
    "ragged_row": (
        "Cell {cell} holds '{value}' but its column has no heading; check for a stray comma or a "
        "number written with a thousands separator.",
        "Mae cell {cell} yn dal '{value}' ond nid oes pennawd i'w cholofn; gwiriwch am atalnod crwydr "
        "neu rif wedi'i ysgrifennu gyda gwahanydd miloedd."),
    "formula_cell": (
        "Formulas are not accepted; paste values (the cell holds {value}).",
        "Ni dderbynnir fformiwlâu; gludwch werthoedd (mae'r gell yn dal {value})."),
    "unknown_council": (
        "'{value}' is not the GSS code of a Welsh council (for example W06000015 for Cardiff).",
        "Nid yw '{value}' yn god GSS un o gynghorau Cymru (er enghraifft W06000015 ar gyfer Caerdydd)."),
    "unknown_council.missing": (
        "The council code is missing.",
        "Mae cod y cyngor ar goll."),
    "council_mismatch": (
        "The row is for {value} but the return is from {council}; a council submits only its own figures.",
        "Mae'r rhes ar gyfer {value} ond daw'r ffurflen gan {council}; dim ond ei ffigurau ei hun y "
        "mae cyngor yn eu cyflwyno."),
    "unknown_measure": (
        "'{value}' is not a measure in this collection; use one of {allowed}.",
        "Nid yw '{value}' yn fesur yn y casgliad hwn; defnyddiwch un o {allowed}."),
    "unknown_measure.missing": (
        "The measure id is missing; use one of {allowed}.",
        "Mae dynodydd y mesur ar goll; defnyddiwch un o {allowed}."),
    "malformed_period": (
        "'{value}' is not a financial year; write it like 2024-25.",
        "Nid yw '{value}' yn flwyddyn ariannol; ysgrifennwch hi fel 2024-25."),
    "malformed_period.missing": (
        "The period is missing; write the financial year like 2024-25.",
        "Mae'r cyfnod ar goll; ysgrifennwch y flwyddyn ariannol fel 2024-25."),
    "period_outside_collection": (
        "Period {value} is outside this return's collection ({collection}); open collections are {allowed}.",
        "Mae'r cyfnod {value} y tu allan i gasgliad y ffurflen hon ({collection}); y casgliadau agored "
        "yw {allowed}."),
    "period_outside_collection.closed": (
        "Period {value} is not an open collection; open collections are {allowed}.",
        "Nid yw'r cyfnod {value} yn gasgliad agored; y casgliadau agored yw {allowed}."),
    "non_numeric_value": (
        "'{value}' in column {column} is not a number; write digits only (no commas, units or symbols), "
        "or leave the value empty and give a marker.",
        "Nid yw '{value}' yng ngholofn {column} yn rhif; ysgrifennwch ddigidau yn unig (dim atalnodau, "
        "unedau na symbolau), neu gadewch y gwerth yn wag a rhoi marciwr."),
    "non_numeric_value.not_finite": (
        "'{value}' in column {column} is not a finite number: it is too large to hold, or not a number "
        "at all. Write the figure in digits.",
        "Nid yw '{value}' yng ngholofn {column} yn rhif meidraidd: mae'n rhy fawr i'w gadw, neu nid yw'n "
        "rhif o gwbl. Ysgrifennwch y ffigur mewn digidau."),
    "value_and_marker_both_present": (
        "Both a value ({value}) and a marker ({marker}) are given; give one or the other.",
        "Rhoddwyd gwerth ({value}) a marciwr ({marker}); rhowch y naill neu'r llall."),
    "value_and_marker_both_missing": (
        "Neither a value nor a marker is given; give the value, or a marker such as [x] (not available).",
        "Ni roddwyd gwerth na marciwr; rhowch y gwerth, neu farciwr fel [x] (ddim ar gael)."),
    "unknown_marker": (
        "'{value}' is not an accepted marker; use one of {allowed}.",
        "Nid yw '{value}' yn farciwr a dderbynnir; defnyddiwch un o {allowed}."),
    "numerator_denominator_inconsistent": (
        "The value {value} does not match the numerator and denominator, which give {expected}.",
        "Nid yw'r gwerth {value} yn cyfateb i'r rhifiadur a'r enwadur, sy'n rhoi {expected}."),
    "numerator_denominator_inconsistent.one_missing": (
        "Only one of numerator and denominator is given; give both or neither.",
        "Dim ond un o'r rhifiadur a'r enwadur a roddwyd; rhowch y ddau neu ddim un."),
    "numerator_denominator_inconsistent.zero": (
        "The denominator is zero.",
        "Mae'r enwadur yn sero."),
    "numerator_denominator_inconsistent.withheld": (
        "The value is withheld with marker {marker}, so the numerator and denominator must be empty too.",
        "Mae'r gwerth wedi'i atal â'r marciwr {marker}, felly rhaid i'r rhifiadur a'r enwadur fod yn "
        "wag hefyd."),
    "percentage_out_of_range": (
        "{value} is not a percentage between 0 and 100.",
        "Nid yw {value} yn ganran rhwng 0 a 100."),
    "negative_value": (
        "{value} in column {column} is negative; this measure cannot be below zero.",
        "Mae {value} yng ngholofn {column} yn negyddol; ni all y mesur hwn fod yn llai na sero."),
    "duplicate_row": (
        "Measure {measure} for {period} is already given in row {first_row}.",
        "Mae'r mesur {measure} ar gyfer {period} eisoes wedi'i roi yn rhes {first_row}."),
}


# The line that stands in for the problems of one check beyond the first few listed.
MORE: tuple[str, str] = (
    "…and {omitted} more like this ({check}): {total} in all, of which only the first {shown} are "
    "listed. Correct them all before sending the file again.",
    "…a {omitted} arall fel hyn ({check}): {total} i gyd, a dim ond y {shown} cyntaf a restrir. "
    "Cywirwch bob un cyn anfon y ffeil eto.")


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
    en, cy = MESSAGES[key]
    return Problem(check, "warning" if check in WARNINGS else "error", file, sheet, row, column, cell,
                   text, en.format(**values), cy.format(**values))


def more_like_this(first_omitted: Problem, omitted: int, shown: int) -> Problem:
    """The line that stands for `omitted` problems of one check, after the `shown` listed."""
    values = {"omitted": f"{omitted:,}", "total": f"{omitted + shown:,}", "shown": f"{shown:,}",
              "check": first_omitted.check}
    p = first_omitted
    return Problem(p.check, p.severity, p.file, p.sheet, None, None, None, None,
                   MORE[0].format(**values), MORE[1].format(**values), omitted)


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
