"""What a council return may contain: councils, measures, markers and template columns.

The measure definitions here are the intake's copy of the measure dimension: the dbt seed
`dbt_project/seeds/dim_measure.csv` carries the same ids, units and polarity for the rows whose
`source_dataset` is `council__returns` (a test compares them). Councils are the 22 principal
councils of Wales keyed by GSS code, never by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Polarity = Literal["higher_is_better", "lower_is_better"]

COUNCILS: dict[str, tuple[str, str]] = {
    "W06000001": ("Isle of Anglesey", "Ynys Môn"),
    "W06000002": ("Gwynedd", "Gwynedd"),
    "W06000003": ("Conwy", "Conwy"),
    "W06000004": ("Denbighshire", "Sir Ddinbych"),
    "W06000005": ("Flintshire", "Sir y Fflint"),
    "W06000006": ("Wrexham", "Wrecsam"),
    "W06000008": ("Ceredigion", "Ceredigion"),
    "W06000009": ("Pembrokeshire", "Sir Benfro"),
    "W06000010": ("Carmarthenshire", "Sir Gaerfyrddin"),
    "W06000011": ("Swansea", "Abertawe"),
    "W06000012": ("Neath Port Talbot", "Castell-nedd Port Talbot"),
    "W06000013": ("Bridgend", "Pen-y-bont ar Ogwr"),
    "W06000014": ("Vale of Glamorgan", "Bro Morgannwg"),
    "W06000015": ("Cardiff", "Caerdydd"),
    "W06000016": ("Rhondda Cynon Taf", "Rhondda Cynon Taf"),
    "W06000018": ("Caerphilly", "Caerffili"),
    "W06000019": ("Blaenau Gwent", "Blaenau Gwent"),
    "W06000020": ("Torfaen", "Torfaen"),
    "W06000021": ("Monmouthshire", "Sir Fynwy"),
    "W06000022": ("Newport", "Casnewydd"),
    "W06000023": ("Powys", "Powys"),
    "W06000024": ("Merthyr Tydfil", "Merthyr Tudful"),
}


@dataclass(frozen=True)
class Measure:
    """One measure councils submit, as in the measure dimension."""

    id: str
    title_en: str
    title_cy: str
    unit: str
    polarity: Polarity
    is_percentage: bool


MEASURES: dict[str, Measure] = {m.id: m for m in (
    Measure("PAM/001", "Working days lost to sickness absence per full-time equivalent employee",
            "Diwrnodau gwaith a gollwyd oherwydd absenoldeb salwch fesul cyflogai cyfwerth ag amser "
            "llawn", "days_per_fte", "lower_is_better", False),
    Measure("PAM/010", "Percentage of highways inspected of a high or acceptable standard of "
            "cleanliness", "Canran y priffyrdd a arolygwyd a oedd o safon glendid uchel neu dderbyniol",
            "percent", "higher_is_better", True),
    Measure("PAM/018", "Percentage of planning applications determined within the required time",
            "Canran y ceisiadau cynllunio a benderfynwyd o fewn yr amser gofynnol", "percent",
            "higher_is_better", True),
    Measure("PAM/023", "Percentage of food establishments broadly compliant with food hygiene standards",
            "Canran y sefydliadau bwyd sy'n cydymffurfio'n fras â safonau hylendid bwyd", "percent",
            "higher_is_better", True),
    Measure("PAM/043", "Residual household waste per person (kilograms)",
            "Gwastraff gweddilliol y cartref fesul person (cilogramau)", "kg_per_person",
            "lower_is_better", False),
)}

# GSS shorthand that stands in for a missing value. `[e]` and `[p]` qualify a value rather than
# replace it, so they are not accepted here: the staging gate requires value empty exactly when
# a marker is present. Say "estimated" or "provisional" in the note column instead.
MARKERS: dict[str, tuple[str, str]] = {
    "[x]": ("not available", "ddim ar gael"),
    "[c]": ("confidential", "cyfrinachol"),
    "[z]": ("not applicable", "amherthnasol"),
}

# The sheet of the XLSX template that holds the return (the other is the guidance).
RETURN_SHEET = "return"
TEMPLATE_COLUMNS = ("council_code", "measure_id", "period", "value", "numerator", "denominator",
                    "marker", "note")
REQUIRED_COLUMNS = ("council_code", "measure_id", "period", "value")
MEASURE_ROW_FIELDS = ("id", "title_en", "title_cy", "unit", "polarity", "is_percentage")

_FINANCIAL_YEAR = re.compile(r"(19|20)(\d{2})-(\d{2})")


def is_financial_year(period: str) -> bool:
    """True for a financial year written `2024-25` (the second part is the next year)."""
    match = _FINANCIAL_YEAR.fullmatch(period)
    if not match:
        return False
    return (int(match.group(2)) + 1) % 100 == int(match.group(3))


def measure_rows() -> list[dict[str, str]]:
    """The measure definitions as seed-style rows, to compare with `dim_measure.csv`."""
    return [{"id": m.id, "title_en": m.title_en, "title_cy": m.title_cy, "unit": m.unit,
             "polarity": m.polarity, "is_percentage": str(m.is_percentage).lower()}
            for m in MEASURES.values()]
