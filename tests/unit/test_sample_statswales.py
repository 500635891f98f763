"""The SAMPLE StatsWales v2 API against the rules of the real one.

Every expectation here is written from `reference/wire-formats.md` (cited as "wf") or from the public
statswales-backend source (commit 25ea7888, cited by file), never from the sample's own constants:
a sample checked against itself could never catch a wrong column name. Where the evidence names a
dataset's dimensions, the names are written out literally; where there is none (municipal waste, and
every Welsh dimension name) they are read from the API, as a client has to.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from sources.sample_api import Response, SampleApi

URLS = {"statswales": "https://api.stats.gov.wales/v2", "nomis": "https://www.nomisweb.co.uk/api/v01",
        "ons": "https://api.beta.ons.gov.uk/v1", "ons_download": "https://download.ons.gov.uk"}
SW = URLS["statswales"]
EN, CY = "en-gb", "cy-gb"

WASTE = "de018732-b5dc-4c91-8e05-ae35bbff1e3e"
HOMELESSNESS = "9178f117-b84d-4494-ada6-8ebffab4778d"
COUNCIL_TAX = "1988b6af-2a9c-43b6-8939-83e6cceb3903"
REVENUE = "213aeb99-18eb-42c9-b00e-e4b716e82cdf"
WIMD = "9706edd9-73ad-4902-bb12-7ccd7038626e"
DATASETS = (WASTE, HOMELESSNESS, COUNCIL_TAX, REVENUE, WIMD)
NAMES = {WASTE: "waste", HOMELESSNESS: "homelessness", COUNCIL_TAX: "council_tax", REVENUE: "revenue",
         WIMD: "wimd"}

# wf "Real dimension names of the catalogue's datasets": English dimension names seen in the
# publisher's output, in fact-table order. Municipal waste: "no evidence found of dimension names".
EVIDENCE_DIMS = {
    COUNCIL_TAX: ["Authority", "Year", "Band"],
    REVENUE: ["Year", "Service", "Authority"],
    HOMELESSNESS: ["Period", "Area", "Successful cases"],
    WIMD: ["Area code", "Area name", "Domain"],
}
# wf "Column names are display names"; en.json / cy.json → column_headers.
WORDS = {
    EN: {"values": "Data values", "measure": "Data description", "notes": "Notes",
         "reference": "reference", "sort": "sort", "hierarchy": "hierarchy"},
    CY: {"values": "Gwerthoedd data", "measure": "Disgrifiad o\u2019r data", "notes": "Nodiadau",
         "reference": "cyfeiriad", "sort": "didoli", "hierarchy": "hierarchiaeth"},
}
SUFFIX = re.compile(r"_(reference|sort|hierarchy|cyfeiriad|didoli|hierarchiaeth)$")
# wf note-code table (src/enums/note-code.ts, en.json → note_codes) and cy.json → note_codes.
NOTES = {
    EN: {"a": "Average", "b": "Break in time series", "c": "Confidential", "e": "Estimated",
         "f": "Forecast", "k": "Low Figure", "ns": "Not statistically significant", "p": "Provisional",
         "r": "Revised", "s": "Statistically significant at 0.05 or 5% level",
         "ss": "Statistically significant at 0.01 or 1% level",
         "sss": "Statistically significant at 0.001 or 0.1% level", "t": "Total",
         "u": "Low Reliability", "w": "None recorded in survey", "x": "Not available",
         "z": "Not Applicable"},
    CY: {"a": "Cyfartaledd", "b": "Cyfres toriad mewn amser", "c": "Cyfrinachol", "e": "Amcangyfrifedig",
         "f": "Rhagolwg", "k": "Ffigwr Isel", "ns": "Ddim yn arwyddocaol yn ystadegol", "p": "Amodol",
         "r": "Diwygiedig", "s": "Yn arwyddocaol yn ystadegol ar lefel 5% neu 0.05",
         "ss": "Yn arwyddocaol yn ystadegol ar lefel 1% neu 0.01",
         "sss": "Yn arwyddocaol yn ystadegol ar lefel 0.1% neu 0.001", "t": "Cyfanswm",
         "u": "Dibynadwyedd Isel", "w": "Dim wedi eu cofnodi yn yr arolwg", "x": "Ddim ar gael",
         "z": "Amherthnasol"},
}
# wf "Paging, errors, limits"; en.json / cy.json → errors.page_number_too_high.
PAGE_TOO_HIGH = {
    EN: "Page number must be less than or equal to {{page_number}}",
    CY: "Rhaid i rif y dudalen fod yn llai na {{page_number}} neu\u2019n {{page_number}} tudalen",
}
WALES = "W92000004"
VIEWS = ("raw", "raw_extended", "with_note_codes")


# ---------------------------------------------------------------- a thin client of the routes


class StatsWales:
    """Calls the sample as a consumer of the v2 API would; whole tables are cached per test module."""

    def __init__(self, api: SampleApi):
        self.api = api
        self._tables: dict[tuple, list[dict[str, Any]]] = {}

    def get(self, path: str, **params: Any) -> Response:
        query = urlencode(params)
        return self.api.handle("GET", f"{SW}/{path}" + (f"?{query}" if query else ""))

    def doc(self, path: str, **params: Any) -> Any:
        answer = self.get(path, **params)
        assert answer.status == 200, (path, params, answer.status, answer.body[:300])
        assert answer.headers["Content-Type"].startswith("application/json")
        return json.loads(answer.body)

    def filter_id(self, dataset_id: str, view: str = "raw_extended", filters: list | None = None) -> str:
        body = {"filters": filters or [], "options": {"use_raw_column_names": True,
                                                      "use_reference_values": True, "data_value_type": view}}
        answer = self.api.handle("POST", f"{SW}/{dataset_id}/data", json.dumps(body).encode())
        assert answer.status == 200, answer.body[:300]
        return json.loads(answer.body)["filterId"]

    def query(self, dataset_id: str, filter_id: str) -> dict[str, Any]:
        return self.doc(f"{dataset_id}/query/{filter_id}")

    def filters(self, dataset_id: str, lang: str) -> list[dict[str, Any]]:
        return self.doc(f"{dataset_id}/filters", lang=lang)

    def entry(self, dataset_id: str, lang: str, column_name: str) -> dict[str, Any]:
        """The /filters entry of one display name."""
        found = [e for e in self.filters(dataset_id, lang) if e["columnName"] == column_name]
        assert len(found) == 1, (dataset_id, lang, column_name)
        return found[0]

    def dims(self, dataset_id: str, lang: str) -> list[str]:
        """Display names of the dimensions (not the measure), as /filters gives them."""
        measure = WORDS[lang]["measure"]
        return [e["columnName"] for e in self.filters(dataset_id, lang) if e["columnName"] != measure]

    def header(self, dataset_id: str, lang: str, view: str) -> list[str]:
        """The columns of a view, from the first JSON row; the CSV header must say the same."""
        filter_id = self.filter_id(dataset_id, view)
        first = self.doc(f"{dataset_id}/data/{filter_id}", format="json", lang=lang, page_size=1)
        answer = self.get(f"{dataset_id}/data/{filter_id}", format="csv", lang=lang, page_size=1)
        assert next(csv.reader(io.StringIO(answer.body.decode("utf-8"), newline=""))) == list(first[0])
        return list(first[0])

    def table(self, dataset_id: str, lang: str, view: str = "raw_extended",
              filters: list | None = None) -> list[dict[str, Any]]:
        """The whole dataset as JSON rows, read in pages of 10,000 (the API's largest)."""
        key = (dataset_id, lang, view, json.dumps(filters))
        if key not in self._tables:
            filter_id = self.filter_id(dataset_id, view, filters)
            total = self.query(dataset_id, filter_id)["totalLines"]
            rows: list[dict[str, Any]] = []
            for page in range(1, math.ceil(total / 10_000) + 1):
                rows += self.doc(f"{dataset_id}/data/{filter_id}", format="json", lang=lang,
                                 page_size=10_000, page_number=page)
            assert len(rows) == total
            self._tables[key] = rows
        return self._tables[key]

    def csv_rows(self, dataset_id: str, filter_id: str, lang: str) -> list[dict[str, str]]:
        answer = self.get(f"{dataset_id}/data/{filter_id}", format="csv", lang=lang)
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/csv")
        # services/consumer-view-v2.ts sendCsv
        assert answer.headers["Content-Disposition"] == f"attachment;filename={dataset_id}.csv"
        return list(csv.DictReader(io.StringIO(answer.body.decode("utf-8"), newline="")))

    def measure_filter(self, dataset_id: str, *descriptions: str) -> list[dict[str, list[str]]]:
        """`{<measure fact-table column>: [references]}` for measure descriptions read from /filters."""
        entry = self.entry(dataset_id, EN, WORDS[EN]["measure"])
        refs = [v["reference"] for v in walk(entry["values"]) if v["description"] in descriptions]
        assert len(refs) == len(descriptions), (dataset_id, descriptions)
        return [{entry["factTableColumn"]: refs}]


def walk(values: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every node of a /filters hierarchy, parents before their children."""
    for value in values:
        yield value
        yield from walk(value.get("children", []))


def expected_columns(dims: list[str], lang: str, view: str) -> list[str]:
    """The columns of a view by the table in wf "Column names are display names"."""
    words, extended = WORDS[lang], view == "raw_extended"
    suffixes = [words["reference"], words["sort"], words["hierarchy"]]
    cols: list[str] = []
    for name in [*dims, words["measure"]]:
        cols += [name, *(f"{name}_{s}" for s in suffixes if extended)]
    cols += [words["values"], *([f"{words['values']}_{words['sort']}"] if extended else [])]
    return cols + ([words["notes"]] if view != "with_note_codes" else [])


def note_codes(notes: str | None, lang: str) -> list[str]:
    """The codes behind a `Notes` cell; fails on anything that is not a description of that language."""
    if not notes:
        return []
    code_of = {description: code for code, description in NOTES[lang].items()}
    parts = notes.split(", ")
    assert all(part in code_of for part in parts), (lang, notes)
    assert len(set(parts)) == len(parts), notes  # distinct, as string_agg(DISTINCT ...) gives them
    return [code_of[part] for part in parts]


def rank_only(sw: StatsWales) -> list[dict[str, list[str]]]:
    return sw.measure_filter(WIMD, "Rank")


@pytest.fixture(scope="module")
def sw() -> StatsWales:
    return StatsWales(SampleApi(URLS))


# ---------------------------------------------------------------- column names


@pytest.mark.parametrize("lang", [EN, CY])
@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_every_view_has_exactly_the_columns_the_backend_builds(sw, dataset_id, lang):
    """wf "Column names are display names" (cube-builder.ts rawDimensionProcessor,
    setupLookupTableDimension, setupMeasureViews, setupDataValueViews, createNotesTable;
    config/cube-view.json): per dimension `<Dim>` (+ `_reference`, `_sort`, `_hierarchy` in
    raw_extended, Welsh `_cyfeiriad`, `_didoli`, `_hierarchiaeth`), the measure `Data description`
    likewise, `Data values` (+ `_sort`), `Notes` except in with_note_codes. Dimension blocks come in
    fact-table order, each block as name, reference, sort, hierarchy.

    English names are the evidence's, literally; Welsh names (none found in public) and waste's (no
    evidence) are the API's own /filters names. The order of the fixed blocks is pinned separately.
    """
    dims = sw.dims(dataset_id, lang)
    if lang == EN and dataset_id in EVIDENCE_DIMS:
        assert dims == EVIDENCE_DIMS[dataset_id]  # /filters agrees with the evidence
        dims = EVIDENCE_DIMS[dataset_id]
    for view in VIEWS:
        header, expected = sw.header(dataset_id, lang, view), expected_columns(dims, lang, view)
        assert sorted(header) == sorted(expected), (view, header)
        blocks = [h for h in header if SUFFIX.sub("", h) in dims]
        assert blocks == [h for h in expected if SUFFIX.sub("", h) in dims], (view, header)


@pytest.mark.parametrize("lang", [EN, CY])
@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_no_view_invents_note_code_or_code_columns(sw, dataset_id, lang):
    """wf: "There is no `Note codes` / `Codau nodiadau` column" (the locale string exists, no view
    emits it) and "no `Area code` / `Measure code` style column unless the dataset itself names a
    dimension so": codes live in `<Dim>_reference`, parents in `<Dim>_hierarchy`.
    """
    own = {*sw.dims(dataset_id, lang), WORDS[lang]["measure"], WORDS[lang]["values"], WORDS[lang]["notes"]}
    for view in VIEWS:
        header = sw.header(dataset_id, lang, view)
        assert not {"Note codes", "Codau nodiadau", "Notes code", "Note code"} & set(header), view
        assert {SUFFIX.sub("", h) for h in header} <= own, (view, header)
        bases = {SUFFIX.sub("", h) for h in header}
        codes = {b for b in bases if re.search(r"\bcode?\b", b, re.IGNORECASE)}
        assert codes <= set(sw.dims(dataset_id, lang)), (view, codes)  # WIMD's own "Area code" only


def test_council_tax_raw_extended_header_literally(sw):
    """wf table, raw_extended, for `Authority`, `Year`, `Band` (wf: council tax evidence): the whole
    English header written out, so that no helper of this file can hide a mistake.
    """
    assert sorted(sw.header(COUNCIL_TAX, EN, "raw_extended")) == sorted([
        "Authority", "Authority_reference", "Authority_sort", "Authority_hierarchy",
        "Year", "Year_reference", "Year_sort", "Year_hierarchy",
        "Band", "Band_reference", "Band_sort", "Band_hierarchy",
        "Data description", "Data description_reference", "Data description_sort",
        "Data description_hierarchy", "Data values", "Data values_sort", "Notes"])
    welsh = sw.header(COUNCIL_TAX, CY, "raw")
    assert {"Disgrifiad o\u2019r data", "Gwerthoedd data", "Nodiadau"} <= set(welsh) and len(welsh) == 6
    assert sorted(sw.header(COUNCIL_TAX, EN, "with_note_codes")) == sorted(
        ["Authority", "Year", "Band", "Data description", "Data values"])


def test_columns_come_in_the_backends_order(sw):
    """cube-builder.ts createFullCube: setupMeasuresAndDataValues (data values, then the measure), then
    setupDimensions in fact-table order, then createNotesTable; the views select the columns in that
    insertion order (createViewsFromConfig) and the output keeps it. wf's v1 evidence agrees: rows are
    `[value, measure, Area code, Area name, Domain]`.
    """
    assert sw.header(COUNCIL_TAX, EN, "raw") == ["Data values", "Data description", "Authority", "Year",
                                                 "Band", "Notes"]


# ---------------------------------------------------------------- /filters, metadata, stored query


def check_filter_nodes(values: list[dict[str, Any]]) -> None:
    for value in values:
        assert set(value) <= {"reference", "description", "children", "count"}, value
        assert isinstance(value["reference"], str) and isinstance(value["description"], str)
        if "children" in value:
            assert value["children"], value
            check_filter_nodes(value["children"])


@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_filters_name_every_dimension_and_the_measure_per_language(sw, dataset_id):
    """wf "Ask the API for the names": `GET /{id}/filters?lang=` is
    `[{factTableColumn, columnName, values: [{reference, description, children}]}]` (consumer-view-v2.ts
    sendFilters, utils/consumer.ts transformHierarchy); the measure is there too, named
    `Data description` / `Disgrifiad o’r data`. The fact-table column is stable across languages and
    references are the same; `columnName` is the display name in that language (wf).
    """
    en, cy = sw.filters(dataset_id, EN), sw.filters(dataset_id, CY)
    for doc in (en, cy):
        assert all(set(entry) == {"factTableColumn", "columnName", "values"} for entry in doc)
        for entry in doc:
            check_filter_nodes(entry["values"])
    assert [e["factTableColumn"] for e in en] == [e["factTableColumn"] for e in cy]
    assert Counter(e["columnName"] for e in en)[WORDS[EN]["measure"]] == 1
    assert Counter(e["columnName"] for e in cy)[WORDS[CY]["measure"]] == 1
    for e, c in zip(en, cy, strict=True):
        assert [v["reference"] for v in walk(e["values"])] == [v["reference"] for v in walk(c["values"])]


def test_wimd_area_code_hierarchy_has_the_councils_at_the_root_and_lsoas_below(sw):
    """wf: "`children` carry the hierarchy (for WIMD: the 22 councils at the root, their LSOAs
    below)"; the parent is also each row's `<Dim>_hierarchy` (wf: "the parent in a hierarchy (an
    LSOA's council) in `<Dim>_hierarchy`").
    """
    roots = sw.entry(WIMD, EN, "Area code")["values"]
    assert len(roots) == 22 and all(re.fullmatch(r"W06\d{6}", r["reference"]) for r in roots)
    parent = {child["reference"]: root["reference"] for root in roots for child in root.get("children", [])}
    assert len(parent) == 1917 and all(re.fullmatch(r"W01\d{6}", lsoa) for lsoa in parent)
    assert all(root.get("children") for root in roots)
    assert not any(child.get("children") for root in roots for child in root["children"])
    rows = sw.table(WIMD, EN, filters=rank_only(sw))
    assert {r["Area code_reference"]: r["Area code_hierarchy"] for r in rows} == parent


@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_stored_query_has_total_lines_and_a_column_mapping_per_language(sw, dataset_id):
    """wf: `GET /{id}/query/{filterId}` → the stored query with `totalLines` and `columnMapping`
    (dtos/query-store-dto.ts; repositories/query-store.ts reads `SELECT DISTINCT fact_table_column,
    dimension_name, language FROM filter_table`, languages lower-cased: `en-gb`, `cy-gb`). The same
    request gives the same filter id (the query store looks requests up by hash).
    """
    filter_id = sw.filter_id(dataset_id)
    assert sw.filter_id(dataset_id) == filter_id and sw.filter_id(dataset_id, "raw") != filter_id
    query = sw.query(dataset_id, filter_id)
    assert isinstance(query["totalLines"], int) and query["totalLines"] > 0
    mapping = query["columnMapping"]
    assert all(set(m) == {"fact_table_column", "dimension_name", "language"} for m in mapping)
    assert {m["language"] for m in mapping} == {EN, CY}
    for lang in (EN, CY):
        names = {m["fact_table_column"]: m["dimension_name"] for m in mapping if m["language"] == lang}
        assert names == {e["factTableColumn"]: e["columnName"] for e in sw.filters(dataset_id, lang)}
    if dataset_id != WIMD:  # WIMD's whole CSV is counted in the filter test, with and without a filter
        assert len(sw.csv_rows(dataset_id, filter_id, EN)) == query["totalLines"]


def test_a_filter_on_the_measure_keeps_only_its_rows(sw):
    """wf: `use_raw_column_names` / `use_reference_values` (true) make a filter
    `{<fact-table column>: [reference]}` (utils/consumer.ts createBaseQuery: `<Dim>_reference IN (...)`).
    WIMD mixes Rank, Decile and Quintile for 1,917 LSOAs in 9 domains (wf); Rank alone is 1917 x 9 rows.
    """
    everything = sw.query(WIMD, sw.filter_id(WIMD))["totalLines"]
    assert everything == 1917 * 9 * 3
    filters = rank_only(sw)
    filter_id = sw.filter_id(WIMD, filters=filters)
    assert sw.query(WIMD, filter_id)["totalLines"] == 1917 * 9
    rows = sw.csv_rows(WIMD, filter_id, EN)
    assert len(rows) == 1917 * 9 and {r["Data description"] for r in rows} == {"Rank"}
    (column, refs), = filters[0].items()
    assert {r["Data description_reference"] for r in rows} == set(refs)
    assert column == sw.entry(WIMD, CY, WORDS[CY]["measure"])["factTableColumn"]


@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_metadata_titles_are_labelled_sample_in_both_languages(sw, dataset_id):
    """wf: `GET /{id}?lang=` → dataset metadata: controllers/consumer-v2.ts getPublishedDatasetById sends
    dtos/consumer-dataset-dto.ts, whose `published_revision.metadata` lists every language's
    `{language, title, summary}` (dtos/consumer-revision-dto.ts). Invented figures must say so.
    """
    for lang in (EN, CY):
        meta = sw.doc(dataset_id, lang=lang)
        assert meta["id"] == dataset_id
        assert meta.get("archived_at") is None and meta.get("replaced_by") is None
        titles = {m["language"].lower(): m["title"] for m in meta["published_revision"]["metadata"]}
        assert set(titles) == {EN, CY}
        assert "SAMPLE" in titles[EN] and "SAMPL" in titles[CY] and titles[EN] != titles[CY]


# ---------------------------------------------------------------- values and notes


@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_notes_are_descriptions_in_the_request_language_and_missing_figures_are_null(sw, dataset_id):
    """wf: "`Notes` holds descriptions, not codes": the distinct descriptions of the row's note codes
    joined by ", ", in the request's language (cube-builder.ts createNotesTable, en.json / cy.json →
    note_codes); "in `raw` views a missing figure is a NULL `Data values` with its reason in `Notes`".
    Both languages carry the same codes, row by row.
    """
    filters = rank_only(sw) if dataset_id == WIMD else None
    en, cy = sw.table(dataset_id, EN, "raw", filters), sw.table(dataset_id, CY, "raw", filters)
    for e, c in zip(en, cy, strict=True):
        assert note_codes(e["Notes"], EN) == note_codes(c["Nodiadau"], CY)
        value = e["Data values"]
        assert value is None or isinstance(value, int | float) and not isinstance(value, bool), e
        if value is None:
            assert e["Notes"], e


def test_notes_seen_across_the_sample_cover_provisional_missing_and_joined(sw):
    """wf: e.g. `Provisional, Revised`: several notes on one row are joined by ", "; Welsh notes are the
    cy.json descriptions (`Amodol`, `Ddim ar gael`), never codes or English.
    """
    seen = {EN: Counter(), CY: Counter()}
    for dataset_id in (WASTE, HOMELESSNESS, REVENUE):
        for lang in (EN, CY):
            seen[lang].update(r[WORDS[lang]["notes"]] for r in sw.table(dataset_id, lang, "raw"))
    assert {"Provisional", "Revised", "Not available", "Not Applicable"} <= set(seen[EN])
    assert {"Amodol", "Diwygiedig", "Ddim ar gael", "Amherthnasol"} <= set(seen[CY])
    assert any(n and ", " in n for n in seen[EN]) and any(n and ", " in n for n in seen[CY])
    codes = set(NOTES[EN])
    assert not any(n in codes or (n and re.search(r"\[[a-z]+\]", n)) for lang in seen for n in seen[lang])


def test_a_household_kept_in_its_home_was_never_relieved(sw):
    """wf: homelessness `Data values` are whole counts with `Notes`; a figure that cannot exist is
    NULL with its reason in Notes (`z` → `Not Applicable` / `Amherthnasol`): a household able to
    remain in its existing home was never homeless, so it was never "Homelessness Relieved".
    """
    measure, outcome = (sw.entry(HOMELESSNESS, EN, name) for name in ("Data description", "Successful cases"))
    relieved = reference_of(measure, "Homelessness Relieved")
    remain = reference_of(outcome, "remain in existing home")
    for lang in (EN, CY):
        rows = sw.table(HOMELESSNESS, lang, "raw_extended")
        m_col, o_col = (reference_column(sw, HOMELESSNESS, lang, e["factTableColumn"])
                        for e in (measure, outcome))
        cells = [r for r in rows if r[m_col] == relieved and r[o_col] == remain]
        assert len(cells) == 6 * 23  # every period and area, Wales included
        assert all(r[WORDS[lang]["values"]] is None for r in cells)
        assert all("z" in note_codes(r[WORDS[lang]["notes"]], lang) for r in cells)
        others = [r for r in rows if (r[m_col], r[o_col]) != (relieved, remain)]
        assert all(isinstance(r[WORDS[lang]["values"]], int) for r in others)


def reference_of(entry: dict[str, Any], description: str) -> str:
    """The reference of the one value of a /filters entry whose description contains `description`."""
    found = [v["reference"] for v in walk(entry["values"]) if description in v["description"]]
    assert len(found) == 1, (entry["columnName"], description)
    return found[0]


def reference_column(sw: StatsWales, dataset_id: str, lang: str, fact_table_column: str) -> str:
    """`<Dim>_reference` (`_cyfeiriad`) of a fact-table column, named as /filters names it in `lang`."""
    names = {e["factTableColumn"]: e["columnName"] for e in sw.filters(dataset_id, lang)}
    return f"{names[fact_table_column]}_{WORDS[lang]['reference']}"


ANNOTATED = re.compile(r"(?P<number>[^\[]*?)(?P<codes>(?: \[[a-z]+\])*)")


@pytest.mark.parametrize("dataset_id", [WASTE, HOMELESSNESS, REVENUE], ids=NAMES.get)
def test_with_note_codes_writes_the_codes_after_the_value_and_has_no_notes(sw, dataset_id):
    """wf: `with_note_codes` → "value then its codes: `123 [p] [r]` (text)", no Notes column
    (utils/consumer.ts maps it to the `frontend` view: `dataValues: annotated`,
    `note_descriptions: false`; cube-builder.ts builds `value || ' [' || codes joined '] [' || ']'`).
    A figure may be formatted there (thousands separators, padding) when the measure has a format.
    """
    raw = sw.table(dataset_id, EN, "raw")
    annotated = sw.table(dataset_id, EN, "with_note_codes")
    key = [c for c in raw[0] if c not in ("Data values", "Notes")]
    assert sorted(annotated[0]) == sorted([*key, "Data values"])
    by_key = {tuple(r[c] for c in key): r["Data values"] for r in annotated}
    assert len(by_key) == len(raw) == len(annotated)
    for row in raw:
        text = by_key[tuple(row[c] for c in key)]
        codes = note_codes(row["Notes"], EN)
        if text is None:  # NULL || ' [z]' is NULL in Postgres when the measure has no format
            assert row["Data values"] is None
            continue
        parts = ANNOTATED.fullmatch(text)
        assert parts and sorted(re.findall(r"\[([a-z]+)\]", parts["codes"])) == sorted(codes), (row, text)
        number = parts["number"].replace(",", "").strip()
        if row["Data values"] is None:
            assert number == "", (row, text)
        else:
            assert float(number) == row["Data values"], (row, text)


# ---------------------------------------------------------------- paging and errors


def test_pages_default_to_100_rows_stop_at_10000_and_fail_past_the_end(sw):
    """consumer-v2 paging (wf "Paging, errors, limits"; utils/page-defaults.ts, utils/parse-page-options.ts,
    services/consumer-view-v2.ts buildDataQuery, routes/error-handler.ts): JSON pages are 100 rows
    unless `page_size` says otherwise, at most 10,000 (else 400); the last page runs short; past it, HTTP
    400 with `{"error": "Page number must be less than or equal to {{page_number}}"}` (the placeholder
    sent as is; Welsh when asked in Welsh), never the locale key `page_number_too_high`.
    """
    filter_id = sw.filter_id(HOMELESSNESS, "raw")
    total = sw.query(HOMELESSNESS, filter_id)["totalLines"]
    assert total == 6 * 23 * 3 * 3  # periods x areas x outcomes x measures
    path = f"{HOMELESSNESS}/data/{filter_id}"
    assert len(sw.doc(path, format="json", lang=EN)) == 100
    assert len(sw.doc(path, format="json", lang=EN, page_size=10_000)) == total
    assert sw.get(path, format="json", lang=EN, page_size=10_001).status == 400
    pages = [sw.doc(path, format="json", lang=EN, page_size=500, page_number=n) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [500, 500, total - 1000]
    assert [r for p in pages for r in p] == sw.table(HOMELESSNESS, EN, "raw")
    for lang in (EN, CY):
        past = sw.get(path, format="json", lang=lang, page_size=500, page_number=4)
        assert past.status == 400 and past.headers["Content-Type"].startswith("application/json")
        assert json.loads(past.body) == {"error": PAGE_TOO_HIGH[lang]}
        assert b"page_number_too_high" not in past.body and b"errors." not in past.body


def test_csv_without_page_size_is_the_whole_dataset(sw):
    """wf: "`format=csv` streams the whole dataset unless `page_size` is given"
    (utils/parse-page-options.ts: no default page size for download formats; consumer-view-v2.ts
    buildDataQuery's bulk path). With `page_size` the CSV is paged like JSON.
    """
    filter_id = sw.filter_id(REVENUE, "raw")
    total = sw.query(REVENUE, filter_id)["totalLines"]
    assert total > 100 and len(sw.csv_rows(REVENUE, filter_id, CY)) == total
    paged = sw.get(f"{REVENUE}/data/{filter_id}", format="csv", lang=EN, page_size=100, page_number=2)
    assert paged.status == 200 and len(paged.body.decode("utf-8").splitlines()) == 1 + 100


def test_unknown_filter_ids_and_missing_formats_are_refused(sw):
    """controllers/consumer-v2.ts: an unknown filter id is 404 (`filter_id_not_found`), on the data
    and on the stored query; `format` is required for data (`output_format_required`, 400).
    """
    filter_id = sw.filter_id(WASTE)
    assert sw.get(f"{WASTE}/data/{filter_id}", lang=EN).status == 400
    assert sw.get(f"{WASTE}/data/ffffffffffff", format="json").status == 404
    assert sw.get(f"{WASTE}/query/ffffffffffff").status == 404


# ---------------------------------------------------------------- consistency of the figures


@pytest.mark.parametrize("dataset_id", DATASETS, ids=NAMES.get)
def test_both_languages_have_the_same_rows_references_and_values(sw, dataset_id):
    """wf: "The fact-table column (`factTableColumn`, e.g. `AreaCode`) is stable across languages; the
    display name is not." One cube serves both languages: same rows, references, parents and values
    (cube-builder.ts builds one select per locale over the same fact table).
    """
    filters = rank_only(sw) if dataset_id == WIMD else None
    en, cy = sw.table(dataset_id, EN, filters=filters), sw.table(dataset_id, CY, filters=filters)
    names = {lang: [e["columnName"] for e in sw.filters(dataset_id, lang)] for lang in (EN, CY)}
    pairs = [("Data values", "Gwerthoedd data"), ("Data values_sort", "Gwerthoedd data_didoli")]
    for e_name, c_name in zip(names[EN], names[CY], strict=True):
        pairs += [(f"{e_name}_{s}", f"{c_name}_{WORDS[CY][s]}") for s in ("reference", "sort", "hierarchy")]
    assert len(en) == len(cy)
    for e_col, c_col in pairs:
        assert [r[e_col] for r in en] == [r[c_col] for r in cy], (e_col, c_col)


def area_column(sw: StatsWales, dataset_id: str) -> str:
    """The dimension whose values are Wales with the councils below it (found from /filters)."""
    found = [e["columnName"] for e in sw.filters(dataset_id, EN)
             if [v["reference"] for v in e["values"]] == [WALES]]
    assert len(found) == 1, dataset_id
    return found[0]


ADDITIVE = {  # dataset: which measures are counts that add up (by description)
    WASTE: lambda d: d.endswith("(tonnes)"),  # tonnages (waste has no evidence: its own labels)
    HOMELESSNESS: lambda d: True,  # wf: "Data values (whole counts)"
    REVENUE: lambda d: d == "\u00a3 thousand",  # wf: `£ thousand`, `£ per head`
}


@pytest.mark.parametrize("dataset_id", list(ADDITIVE), ids=NAMES.get)
def test_wales_is_the_sum_of_its_councils_for_counts(sw, dataset_id):
    """Published counts add up: Wales (W92000004, the root of the area hierarchy; wf `<Dim>_hierarchy`)
    equals the sum of its 22 councils for every other combination of references; a cell missing for
    every council is missing for Wales too.
    """
    area = area_column(sw, dataset_id)
    others = [c for c in sw.table(dataset_id, EN)[0] if c.endswith("_reference") and c != f"{area}_reference"]
    cells: dict[tuple, dict[str, Any]] = defaultdict(dict)
    for r in sw.table(dataset_id, EN):
        if ADDITIVE[dataset_id](r["Data description"]):
            assert r[f"{area}_reference"] == WALES or r[f"{area}_hierarchy"] == WALES
            cells[tuple(r[c] for c in others)][r[f"{area}_reference"]] = r["Data values"]
    assert len(cells) >= 6
    for key, by_area in cells.items():
        assert len(by_area) == 23, key
        councils = [v for a, v in by_area.items() if a != WALES and v is not None]
        assert by_area[WALES] == (pytest.approx(sum(councils)) if councils else None), key


def is_competition_ranking(ranks: list[int]) -> bool:
    """Standard competition ("1224") ranking: each rank is 1 + the number of LSOAs ranked before it."""
    ordered = sorted(ranks)
    first = {}
    for i, rank in enumerate(ordered):
        first.setdefault(rank, i)
    return all(rank == first[rank] + 1 for rank in ordered)


def test_wimd_ranks_every_lsoa_in_every_domain_and_ranks_can_tie(sw):
    """wf WIMD: ranks of 1,917 LSOAs per domain (9: the index and its 8 domains); "published ranks can
    tie (earlier editions have domains where two LSOAs share a rank)", the next rank then skipped; the
    domains' reference codes are the API's own (read from /filters, not hard-coded here).
    """
    rows = sw.table(WIMD, EN, filters=rank_only(sw))
    domains = {v["reference"] for v in sw.entry(WIMD, EN, "Domain")["values"]}
    ranks: dict[str, list[int]] = defaultdict(list)
    lsoas: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        ranks[r["Domain_reference"]].append(r["Data values"])
        lsoas[r["Domain_reference"]].add(r["Area code_reference"])
    assert set(ranks) == domains and len(domains) == 9
    assert all(len(codes) == 1917 and len(ranks[d]) == 1917 for d, codes in lsoas.items())
    assert all(is_competition_ranking(values) and min(values) == 1 for values in ranks.values())
    ties = [(d, rank) for d, values in ranks.items() for rank, n in Counter(values).items() if n > 1]
    assert ties
    assert all(rank + 1 not in ranks[d] for d, rank in ties)
    per_council = Counter(r["Area code_hierarchy"] for r in rows if r["Domain_reference"] == min(domains))
    assert len(per_council) == 22 and per_council.most_common(1)[0][0] == "W06000015"  # Cardiff
    welsh, area_cy = sw.table(WIMD, CY, filters=rank_only(sw)), f"{sw.dims(WIMD, CY)[0]}_cyfeiriad"
    assert [r["Area code_reference"] for r in rows] == [r[area_cy] for r in welsh]


def test_statswales_quirks_are_where_downstream_rules_expect_them(sw):
    """The sample's own choices (not API rules), which downstream rules and tests rely on: revenue
    figures missing only for councils in the earliest year; waste's latest year all provisional and
    some earlier figures revised; no missing figures in council tax and WIMD; Welsh letters with
    diacritics in Welsh output; area labels padded with spaces as StatsWales output can be.
    """
    revenue = sw.table(REVENUE, EN, "raw_extended")
    earliest = min(r["Year_reference"] for r in revenue)
    missing = [r for r in revenue if r["Data values"] is None]
    assert missing
    assert all(r["Year_reference"] == earliest and r["Authority_hierarchy"] == WALES for r in missing)
    assert {c for r in missing for c in note_codes(r["Notes"], EN)} == {"x", "z"}
    waste = sw.table(WASTE, EN, "raw_extended")
    period = next(c for c in waste[0] if c.endswith("_reference") and re.match(r"20\d\d", str(waste[0][c])))
    latest = max(r[period] for r in waste)
    assert {r["Notes"] for r in waste if r[period] == latest} == {"Provisional"}
    assert "Revised" in {r["Notes"] for r in waste}
    for dataset_id in (WASTE, COUNCIL_TAX):
        assert all(r["Data values"] is not None for r in sw.table(dataset_id, EN, "raw")), dataset_id
    assert all(r["Data values"] is not None for r in sw.table(WIMD, EN, filters=rank_only(sw)))
    welsh = "".join(str(v) for dataset_id in (REVENUE, COUNCIL_TAX)
                    for row in sw.table(dataset_id, CY, "raw") for v in row.values())
    assert {"ŵ", "ŷ", "ô"} <= set(welsh)
    labels = {r[area_column(sw, WASTE)] for r in waste}
    assert any(label != label.strip() for label in labels)
