"""The published cube a test serves, plus the backend's fixed texts, as plain dataclasses.

Evidence: Marvell-Consulting/statswales-backend commit 25ea7888. Every
path below (``services/…``, ``resources/…``) is relative to that ``src`` folder. Nothing here is taken
from the project's own client (``sources/``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

LANGS = ("en", "cy")
# SUPPORTED_LOCALES (config/envs/default.ts L28); filter_table.language is locale.toLowerCase()
# (services/cube-builder.ts L1285, L1536, L1716).
LOCALE = {"en": "en-GB", "cy": "cy-GB"}

# resources/locales/en.json L130-143 and cy.json L127-140 (`column_headers`).
COLUMN_HEADERS: dict[str, dict[str, str]] = {
    "en": {
        "data_values": "Data values",
        "measure": "Data description",
        "note_codes": "Note codes",
        "notes": "Notes",
        "annotated": "annotated",
        "formatted": "formatted",
        "reference": "reference",
        "hierarchy": "hierarchy",
        "sort": "sort",
    },
    "cy": {
        "data_values": "Gwerthoedd data",
        "measure": "Disgrifiad o\u2019r data",
        "note_codes": "Codau nodiadau",
        "notes": "Nodiadau",
        "annotated": "anodedig",
        "formatted": "fformatiwyd",
        "reference": "cyfeiriad",
        "hierarchy": "hierarchiaeth",
        "sort": "didoli",
    },
}

# enums/note-code.ts L23-41 (code -> tag), with the descriptions of en.json L144-162 and
# cy.json L141-159 (`note_codes`). createNotesTable inserts exactly these (cube-builder.ts L2250-2264).
NOTE_CODES: dict[str, dict[str, str]] = {
    "a": {"en": "Average", "cy": "Cyfartaledd"},
    "b": {"en": "Break in time series", "cy": "Cyfres toriad mewn amser"},
    "c": {"en": "Confidential", "cy": "Cyfrinachol"},
    "e": {"en": "Estimated", "cy": "Amcangyfrifedig"},
    "f": {"en": "Forecast", "cy": "Rhagolwg"},
    "k": {"en": "Low Figure", "cy": "Ffigwr Isel"},
    "ns": {"en": "Not statistically significant", "cy": "Ddim yn arwyddocaol yn ystadegol"},
    "p": {"en": "Provisional", "cy": "Amodol"},
    "r": {"en": "Revised", "cy": "Diwygiedig"},
    "s": {
        "en": "Statistically significant at 0.05 or 5% level",
        "cy": "Yn arwyddocaol yn ystadegol ar lefel 5% neu 0.05",
    },
    "ss": {
        "en": "Statistically significant at 0.01 or 1% level",
        "cy": "Yn arwyddocaol yn ystadegol ar lefel 1% neu 0.01",
    },
    "sss": {
        "en": "Statistically significant at 0.001 or 0.1% level",
        "cy": "Yn arwyddocaol yn ystadegol ar lefel 0.1% neu 0.001",
    },
    "t": {"en": "Total", "cy": "Cyfanswm"},
    "u": {"en": "Low Reliability", "cy": "Dibynadwyedd Isel"},
    "w": {"en": "None recorded in survey", "cy": "Dim wedi eu cofnodi yn yr arolwg"},
    "x": {"en": "Not available", "cy": "Ddim ar gael"},
    "z": {"en": "Not Applicable", "cy": "Amherthnasol"},
}

# resources/locales/en.json L32-75 and cy.json L30-73 (`errors`): only the keys the v2 data routes
# use. Keys missing from the locale files (e.g. errors.filter_id_not_found) and raw messages such
# as "page_size must not exceed 10000" go through parseMissingKeyHandler, which answers the generic
# text (middleware/translation.ts L17-20, L44-47).
ERRORS: dict[str, dict[str, str]] = {
    "en": {
        "errors.unknown_error": "An unknown error occurred",
        "errors.output_format_required": "Output format is required",
        "errors.page_number_too_high": "Page number must be less than or equal to {{page_number}}",
        "errors.dataset_id_invalid": "Dataset id is invalid or missing",
        "errors.no_dataset": "Dataset could not be found",
        "errors.invalid_dto": "Invalid request object",
    },
    "cy": {
        "errors.unknown_error": "Mae gwall anhysbys wedi digwydd",
        "errors.output_format_required": "Mae angen darparu fformat allbwn",
        "errors.page_number_too_high": (
            "Rhaid i rif y dudalen fod yn llai na {{page_number}} neu\u2019n {{page_number}} tudalen"
        ),
        "errors.dataset_id_invalid": "Mae id y set ddata yn annilys neu ar goll",
        "errors.no_dataset": "Set ddata heb ei chanfod",
        "errors.invalid_dto": "Gwrthrych cais annilys",
    },
}


def translate(key: str, text_lang: str) -> str:
    """i18next `t(key)`: the locale text, or the generic text for any key it does not know."""
    table = ERRORS["cy" if text_lang == "cy" else "en"]
    return table.get(key, table["errors.unknown_error"])


@dataclass
class Value:
    """One row of a lookup table (file-utils.ts L86: reference, language, description, sort_order,
    hierarchy) in both languages. `fmt`/`decimals` only matter for measure values (measure table,
    cube-builder.ts L1304-1316, formats L1362-1409)."""

    reference: str
    description: dict[str, str]
    parent: str | None = None
    sort_order: int | None = None
    fmt: str = "integer"
    decimals: int | None = None


@dataclass
class Dimension:
    """A lookup-table dimension. `name` is its metadata name per language ('en'/'cy'); a missing or
    empty name falls back to the fact-table column (cube-builder.ts L1658-1659)."""

    fact_table_column: str
    name: dict[str, str]
    values: list[Value]
    is_date: bool = False  # date dimensions sort descending (cube-builder.ts L1706-1712)


@dataclass
class Measure:
    """The measure column and its lookup (the `Data description` of every row)."""

    fact_table_column: str
    values: list[Value]


@dataclass
class Publisher:
    """PublisherDTO (dtos/publisher-dto.ts): group and organisation names per language."""

    group_id: str
    group_name: dict[str, str]
    email: str
    organisation_id: str
    organisation_name: dict[str, str]


@dataclass
class Cube:
    """A published dataset: metadata, dimensions, measure and fact rows.

    Each fact maps every dimension's and the measure's fact-table column to a reference, plus
    'value' (number or None) and 'notes' (comma-separated note codes such as 'p,r', or None).
    `fact_table_order` is the fact table's column order (defaults to the dimensions, then the
    measure); it decides the dimensions' order in every view (cube-builder.ts L1938-1945).
    """

    dataset_id: str
    title: dict[str, str]
    dimensions: list[Dimension]
    measure: Measure
    facts: list[dict[str, Any]]
    summary: dict[str, str] = field(default_factory=dict)
    first_published_at: str = "2025-11-18T09:30:00.000Z"
    publish_at: str | None = None
    archived_at: str | None = None
    replaced_by: dict[str, Any] | None = None
    start_date: str | None = None
    end_date: str | None = None
    revision_id: str = ""
    designation: str | None = "official"
    publisher: Publisher | None = None
    # node-postgres returns DOUBLE PRECISION as a JSON number but BIGINT/NUMERIC as a string.
    data_values_sql_type: str = "DOUBLE PRECISION"
    fact_table_order: list[str] | None = None

    def __post_init__(self) -> None:
        if not self.revision_id:
            self.revision_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"statswales-revision:{self.dataset_id}"))
        if self.publish_at is None:
            self.publish_at = self.first_published_at
        if self.fact_table_order is None:
            self.fact_table_order = [d.fact_table_column for d in self.dimensions]
            self.fact_table_order.append(self.measure.fact_table_column)
        self.validate()

    def dimension(self, fact_table_column: str) -> Dimension:
        """The dimension on `fact_table_column`."""
        for dim in self.dimensions:
            if dim.fact_table_column == fact_table_column:
                return dim
        raise KeyError(fact_table_column)

    def ordered_dimensions(self) -> list[Dimension]:
        """Dimensions in fact-table order (setupDimensions, cube-builder.ts L1938-1945)."""
        order = {col: i for i, col in enumerate(self.fact_table_order or [])}
        return sorted(self.dimensions, key=lambda d: order.get(d.fact_table_column, len(order)))

    def validate(self) -> None:
        """Refuse cubes the backend could not publish (unknown references, missing texts)."""
        needed = {d.fact_table_column for d in self.dimensions} | {self.measure.fact_table_column}
        if set(self.fact_table_order or []) != needed:
            raise ValueError(f"fact_table_order must list exactly {sorted(needed)}")
        for owner, values in [(d.fact_table_column, d.values) for d in self.dimensions] + [
            (self.measure.fact_table_column, self.measure.values)
        ]:
            refs = {v.reference for v in values}
            if len(refs) != len(values):
                raise ValueError(f"{owner}: duplicate references")
            for v in values:
                if any(not v.description.get(lang) for lang in LANGS):
                    raise ValueError(f"{owner}/{v.reference}: description needed in en and cy")
            for fact in self.facts:
                if str(fact[owner]) not in refs:
                    raise ValueError(f"{owner}: fact reference {fact[owner]!r} not in the lookup")
        for dim in self.dimensions:
            for lang in LANGS:
                if (dim.name.get(lang) or "") == COLUMN_HEADERS[lang]["notes"]:
                    raise ValueError("a dimension named like the Notes column breaks the cube build")
