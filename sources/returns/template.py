"""The return template, shipped blank as `sources/sample_returns/template.csv` and `template.xlsx`.

`python -m sources.returns.template [FOLDER]` rewrites both. Output is byte-for-byte
deterministic (fixed document times and zip entry times), so a regenerated template shows in a
diff only when its content changed. `write_workbook` is also used for the sample returns.
"""

from __future__ import annotations

import csv
import re
import sys
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from sources.returns.reference import (
    COUNCILS,
    MARKERS,
    MEASURES,
    REQUIRED_COLUMNS,
    RETURN_SHEET,
    TEMPLATE_COLUMNS,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "sample_returns"
FIXED_TIME = datetime(2024, 4, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "council_code": ("GSS code of your council, e.g. W06000015 (Cardiff).",
                     "Cod GSS eich cyngor, e.e. W06000015 (Caerdydd)."),
    "measure_id": ("Measure id: " + ", ".join(MEASURES) + ".",
                   "Dynodydd y mesur: " + ", ".join(MEASURES) + "."),
    "period": ("Financial year, e.g. 2024-25.", "Blwyddyn ariannol, e.e. 2024-25."),
    "value": ("The figure, digits only; leave empty only when you give a marker.",
              "Y ffigur, digidau yn unig; gadewch yn wag dim ond pan fyddwch yn rhoi marciwr."),
    "numerator": ("Optional: the count the value is calculated from (see the measures below).",
                  "Dewisol: y rhif y cyfrifir y gwerth ohono (gweler y mesurau isod)."),
    "denominator": ("Optional: what the numerator is divided by (see the measures below).",
                    "Dewisol: yr hyn y rhennir y rhifiadur ag ef (gweler y mesurau isod)."),
    "marker": ("Only when there is no value: " + ", ".join(f"{k} {v[0]}" for k, v in MARKERS.items()) + ".",
               "Dim ond pan nad oes gwerth: " + ", ".join(f"{k} {v[1]}" for k, v in MARKERS.items()) + "."),
    "note": ("Optional free text, e.g. why a figure is estimated or provisional.",
             "Testun rhydd dewisol, e.e. pam mae ffigur yn amcangyfrif neu'n un dros dro."),
}
RATIO_HELP: dict[str, tuple[str, str]] = {
    "PAM/001": ("days lost / average FTE employees", "diwrnodau a gollwyd / cyfartaledd gweithwyr CALl"),
    "PAM/010": ("highways of a high or acceptable standard / highways inspected",
                "priffyrdd o safon uchel neu dderbyniol / priffyrdd a arolygwyd"),
    "PAM/018": ("applications determined in time / applications determined",
                "ceisiadau a benderfynwyd mewn pryd / ceisiadau a benderfynwyd"),
    "PAM/023": ("broadly compliant establishments / establishments rated",
                "sefydliadau sy'n cydymffurfio'n fras / sefydliadau a sgoriwyd"),
    "PAM/043": ("kg of residual household waste / population",
                "kg o wastraff gweddilliol y cartref / poblogaeth"),
}


def write_csv(path: Path, rows: Iterable[Sequence[object]] = (), *, bom: bool = True) -> Path:
    """A return as CSV: the template header, then `rows` (UTF-8, with a BOM for Excel by default)."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(TEMPLATE_COLUMNS)
        writer.writerows(rows)
    return path


def _guidance(book: Workbook) -> None:
    sheet = book.create_sheet("guidance")
    sections = [
        [("column", "colofn", "required / gofynnol", "English", "Cymraeg")],
        [(c, c, "yes / ydy" if c in REQUIRED_COLUMNS else "no / nac ydy", *COLUMN_HELP[c])
         for c in TEMPLATE_COLUMNS],
        [("measure_id", "unit", "polarity", "title_en", "title_cy", "numerator / denominator",
          "rhifiadur / enwadur")],
        [(m.id, m.unit, m.polarity, m.title_en, m.title_cy, *RATIO_HELP[m.id]) for m in MEASURES.values()],
        [("council_code", "name_en", "name_cy")],
        [(code, *names) for code, names in COUNCILS.items()],
    ]
    for index, rows in enumerate(sections):
        if index % 2 == 0:
            if index:
                sheet.append(())
            sheet.append(rows[0])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        else:
            for row in rows:
                sheet.append(row)


def normalise_zip(source: Path, target: Path) -> None:
    """Rewrite a saved workbook with fixed entry times and document dates, for identical bytes."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            out.writestr(entry, data)


def write_workbook(path: Path, rows: Iterable[Sequence[object]] = (), *, guidance: bool = True,
                   title: str = RETURN_SHEET) -> Path:
    """A return as XLSX: header, drop-down lists for codes and markers, then `rows`."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(TEMPLATE_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGH", (13, 11, 9, 10, 12, 13, 8, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    for column, choices in (("A", COUNCILS), ("B", MEASURES), ("G", MARKERS)):
        check = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        check.add(f"{column}2:{column}1000")
        sheet.add_data_validation(check)
    for row in rows:
        sheet.append(list(row))
    if guidance:
        _guidance(book)
    book.properties.creator = "Data Cymru"
    book.properties.created = FIXED_TIME
    staging = path.with_name(f".{path.name}.tmp")
    book.save(staging)
    try:
        normalise_zip(staging, path)
    finally:
        staging.unlink()
    return path


def write_templates(folder: Path = TEMPLATE_DIR) -> list[Path]:
    """Write the blank `template.csv` and `template.xlsx` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return [write_csv(folder / "template.csv"), write_workbook(folder / "template.xlsx")]


if __name__ == "__main__":
    for written in write_templates(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_DIR):
        print(f"wrote {written}")
