"""The SAMPLE StatsWales v2 API: invented cubes answered by the public backend's own rules.

The rules come from statswales-backend (commit 25ea7888), not from this platform's catalogue,
so that the client is tested against the publisher's contract rather than against itself:

* column names (`src/services/cube-builder.ts`, `src/resources/locales/{en,cy}.json` →
  `column_headers`): each dimension `<Dim>` is the dataset's own metadata name in the request's
  language; views (`src/config/cube-view.json`) add `<Dim>_reference`, `<Dim>_sort` and
  `<Dim>_hierarchy` (`raw_extended`); the measure is `Data description`, the figure `Data values`;
  `Notes` holds the descriptions of the row's note codes joined by ", " (no column of codes);
  `with_note_codes` writes the codes into the value instead (`123 [p] [r]`) and has no Notes;
* `/filters` (`src/services/consumer-view-v2.ts` `sendFilters`, `src/utils/consumer.ts`
  `transformHierarchy`): `[{factTableColumn, columnName, values: [{reference, description,
  children}]}]`;
* the stored query (`src/dtos/query-store-dto.ts`, `src/repositories/query-store.ts`): `totalLines`
  and `columnMapping` (fact-table column → display name, per language);
* paging (`consumer-view-v2.ts` `buildDataQuery`, `src/routes/error-handler.ts`): past the last
  page a 400 `{"error": "Page number must be less than or equal to {{page_number}}"}` (Welsh when
  asked in Welsh); `page_size` at most 10,000, 100 by default; CSV without `page_size` is the
  whole dataset.

Every figure is invented and labelled SAMPLE; dimension and fact-table names follow the public
evidence where there is some (reference/wire-formats.md) and are invented where there is none.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Bi = tuple[str, str]  # (English, Welsh)
LANGS = ("en-gb", "cy-gb")

# `src/resources/locales/{en,cy}.json` → column_headers
WORDS = {
    "en-gb": {"data_values": "Data values", "measure": "Data description", "notes": "Notes",
              "reference": "reference", "sort": "sort", "hierarchy": "hierarchy"},
    "cy-gb": {"data_values": "Gwerthoedd data", "measure": "Disgrifiad o\u2019r data", "notes": "Nodiadau",
              "reference": "cyfeiriad", "sort": "didoli", "hierarchy": "hierarchiaeth"},
}
# `src/enums/note-code.ts` with `note_codes` of en.json / cy.json
NOTE_CODES: dict[str, Bi] = {
    "a": ("Average", "Cyfartaledd"),
    "b": ("Break in time series", "Cyfres toriad mewn amser"),
    "c": ("Confidential", "Cyfrinachol"),
    "e": ("Estimated", "Amcangyfrifedig"),
    "f": ("Forecast", "Rhagolwg"),
    "k": ("Low Figure", "Ffigwr Isel"),
    "ns": ("Not statistically significant", "Ddim yn arwyddocaol yn ystadegol"),
    "p": ("Provisional", "Amodol"),
    "r": ("Revised", "Diwygiedig"),
    "s": ("Statistically significant at 0.05 or 5% level",
          "Yn arwyddocaol yn ystadegol ar lefel 5% neu 0.05"),
    "ss": ("Statistically significant at 0.01 or 1% level",
           "Yn arwyddocaol yn ystadegol ar lefel 1% neu 0.01"),
    "sss": ("Statistically significant at 0.001 or 0.1% level",
            "Yn arwyddocaol yn ystadegol ar lefel 0.1% neu 0.001"),
    "t": ("Total", "Cyfanswm"),
    "u": ("Low Reliability", "Dibynadwyedd Isel"),
    "w": ("None recorded in survey", "Dim wedi eu cofnodi yn yr arolwg"),
    "x": ("Not available", "Ddim ar gael"),
    "z": ("Not Applicable", "Amherthnasol"),
}
# `src/resources/locales/{en,cy}.json` → errors: the error handler sends the translation, never the
# key (`src/routes/error-handler.ts`); a key without a translation comes back as the key itself.
ERRORS: dict[str, Bi] = {
    "no_dataset": ("Dataset could not be found", "Set ddata heb ei chanfod"),
    "output_format_required": ("Output format is required", "Mae angen darparu fformat allbwn"),
    "unknown_error": ("An unknown error occurred", "Mae gwall anhysbys wedi digwydd"),
}
PAGE_TOO_HIGH: Bi = (
    "Page number must be less than or equal to {{page_number}}",
    "Rhaid i rif y dudalen fod yn llai na {{page_number}} neu\u2019n {{page_number}} tudalen")
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 10_000, 100
VIEWS = ("raw", "raw_extended", "with_note_codes")
JSON_TYPE, CSV_TYPE = "application/json; charset=utf-8", "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Value:
    """One value of a dimension: its reference, its description per language, its parent."""

    reference: str
    label: Bi
    parent: str | None = None
    sort: int | None = None


@dataclass(frozen=True)
class Dim:
    """A dimension (or the measure) as the backend stores it: fact-table column, names, values."""

    fact: str
    name: Bi
    values: tuple[Value, ...]


@dataclass
class Cube:
    """A published dataset: its dimensions in fact-table order, the measure, and the facts.

    A fact is `(reference of each dimension..., measure reference, value or None, note codes)`,
    note codes comma-separated as the backend stores them (`'p,r'`), or None.
    """

    dataset_id: str
    title: Bi
    dims: tuple[Dim, ...]
    measure: Dim
    facts: list[tuple]
    summary: Bi = ("", "")
    _labels: dict[str, dict[str, Value]] = field(default_factory=dict, repr=False)

    def value(self, dim: Dim, reference: str) -> Value:
        if dim.fact not in self._labels:
            self._labels[dim.fact] = {v.reference: v for v in dim.values}
        return self._labels[dim.fact][reference]

    @property
    def all_dims(self) -> tuple[Dim, ...]:
        return (*self.dims, self.measure)


def _display_names(cube: Cube, lang: str) -> list[str]:
    """Display name of each dimension (then the measure) in a language; clashes get `_1`, `_2`."""
    i = LANGS.index(lang)
    seen: set[str] = set()
    names = []
    for dim in cube.dims:
        name, n = dim.name[i] or dim.fact, 0
        while name in seen:
            n += 1
            name = f"{dim.name[i] or dim.fact}_{n}"
        seen.add(name)
        names.append(name)
    return [*names, WORDS[lang]["measure"]]


def header(cube: Cube, lang: str, view: str) -> list[str]:
    """The columns of a view, in the order the backend builds them (`createFullCube`).

    The figure, the measure, the dimensions in fact-table order, then the notes.
    """
    words = WORDS[lang]
    extended = view == "raw_extended"
    cols = [words["data_values"]]
    if extended:
        cols.append(f"{words['data_values']}_{words['sort']}")
    *dims, measure = _display_names(cube, lang)
    for name in (measure, *dims):
        cols.append(name)
        if extended:
            cols += [f"{name}_{words['reference']}", f"{name}_{words['sort']}",
                     f"{name}_{words['hierarchy']}"]
    if view != "with_note_codes":
        cols.append(words["notes"])
    return cols


def _notes(codes: str | None, lang: str) -> str | None:
    """Descriptions of the codes, distinct, sorted and joined as string_agg(DISTINCT ...) does."""
    if not codes:
        return None
    i = LANGS.index(lang)
    return ", ".join(sorted({NOTE_CODES[c][i] for c in codes.split(",")}))


def _annotated(value: Any, codes: str | None) -> str | None:
    text = None if value is None else _number_text(value)
    if not codes:
        return text
    return (text or "") + " [" + "] [".join(codes.split(",")) + "]"


def _number_text(value: Any) -> str:
    return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))


def row(cube: Cube, fact: tuple, lang: str, view: str) -> list[Any]:
    """One fact as the values of `header(cube, lang, view)`."""
    i = LANGS.index(lang)
    *refs, measure, value, codes = fact
    out: list[Any] = [_annotated(value, codes) if view == "with_note_codes" else value]
    if view == "raw_extended":
        out.append(value)
    for dim, ref in ((cube.measure, measure), *zip(cube.dims, refs, strict=True)):
        item = cube.value(dim, ref)
        out.append(item.label[i])
        if view == "raw_extended":
            out += [item.reference, item.sort if item.sort is not None else item.reference, item.parent]
    return out if view == "with_note_codes" else [*out, _notes(codes, lang)]


def filters_doc(cube: Cube, lang: str) -> list[dict[str, Any]]:
    """`GET /{id}/filters`: each dimension's values as a hierarchy (roots: no one's child)."""
    i = LANGS.index(lang)
    out = []
    for dim, name in zip(cube.all_dims, _display_names(cube, lang), strict=True):
        index = list(cube.all_dims).index(dim)
        counts: dict[str, int] = {}
        for fact in cube.facts:
            counts[fact[index]] = counts.get(fact[index], 0) + 1
        # `count` is a BIGINT, which node-postgres sends as a string (transformHierarchy L31)
        nodes = {v.reference: {"reference": v.reference, "description": v.label[i],
                               "count": str(counts.get(v.reference, 0))} for v in dim.values}
        roots = []
        for v in dim.values:
            if v.parent is not None and v.parent in nodes:
                nodes[v.parent].setdefault("children", []).append(nodes[v.reference])
            else:
                roots.append(nodes[v.reference])
        out.append({"factTableColumn": dim.fact, "columnName": name, "values": roots})
    return out


def column_mapping(cube: Cube) -> list[dict[str, str]]:
    return [{"fact_table_column": dim.fact, "dimension_name": name, "language": lang}
            for lang in LANGS for dim, name in zip(cube.all_dims, _display_names(cube, lang), strict=True)]


def metadata_doc(cube: Cube, published: str, updated: str) -> dict[str, Any]:
    """`GET /{id}`: ConsumerDatasetDTO (`src/controllers/consumer-v2.ts` L84).

    Its revision metadata lists every language (`src/dtos/revision-metadata-dto.ts`).
    """
    revision = {"id": hashlib.sha256(cube.dataset_id.encode()).hexdigest()[:32], "revision_index": 1,
                "updated_at": updated, "publish_at": published,
                "metadata": [{"language": {"en-gb": "en-GB", "cy-gb": "cy-GB"}[lang], "title": cube.title[i],
                              "summary": cube.summary[i]} for i, lang in enumerate(LANGS)]}
    return {"id": cube.dataset_id, "first_published_at": published, "archived_at": None,
            "replaced_by": None, "published_revision": revision}


def _json(status: int, doc: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": JSON_TYPE}, json.dumps(doc, ensure_ascii=False).encode()


def _error(message: str, status: int = 400) -> tuple[int, dict[str, str], bytes]:
    return _json(status, {"error": message})


def _translated(key: str, lang: str, status: int) -> tuple[int, dict[str, str], bytes]:
    """An error as the error handler sends it: the message in the request's language."""
    return _error(ERRORS[key][LANGS.index(lang)] if key in ERRORS else f"errors.{key}", status)


class StatsWalesSample:
    """The v2 routes over a set of cubes, one request at a time (thread-safe: state is only added)."""

    def __init__(self, cubes: dict[str, Callable[[], Cube]], published: str, updated: str):
        self._builders, self._cubes = cubes, {}
        self.published, self.updated = published, updated
        self._queries: dict[str, tuple[str, dict[str, Any]]] = {}

    def cube(self, dataset_id: str) -> Cube | None:
        if dataset_id not in self._cubes and dataset_id in self._builders:
            self._cubes[dataset_id] = self._builders[dataset_id]()
        return self._cubes.get(dataset_id)

    def handle(self, method: str, seg: list[str], query: dict[str, str],
               body: bytes | None) -> tuple[int, dict[str, str], bytes] | None:
        cube = self.cube(seg[0]) if seg else None
        # the data language is Welsh unless the request's language contains `en`
        # (`src/services/consumer-view-v2.ts` L538)
        lang = "en-gb" if "en" in query.get("lang", "en-gb").lower() else "cy-gb"
        if cube is None:
            return _translated("no_dataset", lang, 404) if seg and len(seg[0]) == 36 else None
        match method, seg[1:]:
            case "GET", []:
                return _json(200, metadata_doc(cube, self.published, self.updated))
            case "GET", ["filters"]:
                return _json(200, filters_doc(cube, lang))
            case "POST", ["data"]:
                return self._store(cube, body)
            case "GET", ["query", filter_id] if filter_id in self._queries:
                return _json(200, self._query_doc(cube, filter_id))
            case "GET", ["data"]:
                return self._data(cube, self._options({}), query, lang)
            case "GET", ["data", filter_id] if filter_id in self._queries:
                return self._data(cube, self._queries[filter_id][1], query, lang)
            case "GET", ["query" | "data", _]:  # the stored query's lookup fails unwrapped
                return _translated("unknown_error", lang, 404)
        return None

    @staticmethod
    def _options(request: dict[str, Any]) -> dict[str, Any]:
        options = {"use_raw_column_names": True, "use_reference_values": True,
                   "data_value_type": "raw", **(request.get("options") or {})}
        return {"filters": request.get("filters") or [], "options": options}

    def _store(self, cube: Cube, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        try:
            request = self._options(json.loads(body or b"{}"))
        except (ValueError, AttributeError):
            return _error("errors.invalid_json")
        if request["options"]["data_value_type"] not in VIEWS:
            return _error("errors.invalid_data_value_type")
        if self._facts(cube, request) is None:  # an unknown filter column: the query cannot build
            return _translated("unknown_error", "en-gb", 500)
        canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
        filter_id = hashlib.sha256((cube.dataset_id + canonical).encode()).hexdigest()[:12]
        self._queries[filter_id] = (cube.dataset_id, request)
        return _json(200, {"filterId": filter_id})

    def _facts(self, cube: Cube, request: dict[str, Any]) -> list[tuple] | None:
        """The facts a stored request keeps (`src/utils/consumer.ts` createBaseQuery).

        None when a filter names a column the cube does not have (the backend throws).
        """
        options, facts = request["options"], cube.facts
        for item in request["filters"]:
            (column, wanted), = item.items()
            index = next((k for k, d in enumerate(cube.all_dims)
                          if column in ((d.fact,) if options["use_raw_column_names"] else d.name)), None)
            if index is None:
                return None
            dim = cube.all_dims[index]
            if not options["use_reference_values"]:
                wanted = [v.reference for v in dim.values if v.label[0] in wanted or v.label[1] in wanted]
            keep = {str(w) for w in wanted}
            facts = [f for f in facts if f[index] in keep]
        return facts

    def _query_doc(self, cube: Cube, filter_id: str) -> dict[str, Any]:
        request = self._queries[filter_id][1]
        return {"id": filter_id, "hash": filter_id, "datasetId": cube.dataset_id,
                "revisionId": hashlib.sha256(cube.dataset_id.encode()).hexdigest()[:32],
                "requestObject": request, "query": {},
                "totalLines": len(self._facts(cube, request)), "columnMapping": column_mapping(cube),
                "createdAt": self.updated, "updatedAt": self.updated}

    def _data(self, cube: Cube, request: dict[str, Any], query: dict[str, str],
              lang: str) -> tuple[int, dict[str, str], bytes]:
        fmt, view = query.get("format"), request["options"]["data_value_type"]
        if fmt not in ("json", "csv"):
            return _translated("output_format_required", lang, 400) if fmt is None else \
                _error("Invalid value for format")
        facts = self._facts(cube, request) or []
        size_text = query.get("page_size")
        if fmt == "csv" and size_text is None:
            page = facts
        else:
            try:  # `src/validators`: whole numbers from 1
                number, size = int(query.get("page_number", 1)), int(size_text or DEFAULT_PAGE_SIZE)
            except ValueError:
                number = size = 0
            if number < 1 or size < 1:
                return _error(f"Invalid value for {'page_number' if number < 1 else 'page_size'}")
            if fmt == "json" and size > MAX_PAGE_SIZE:  # the cap is for JSON only (parse-page-options.ts)
                return _translated("unknown_error", lang, 400)
            pages = math.ceil(len(facts) / size)
            if pages > 0 and number > pages:
                return _error(PAGE_TOO_HIGH[LANGS.index(lang)])
            page = facts[(number - 1) * size: number * size]
        cols = header(cube, lang, view)
        rows = [row(cube, fact, lang, view) for fact in page]
        if fmt == "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(cols)
            writer.writerows(["" if v is None else v for v in r] for r in rows)
            body = out.getvalue().removesuffix("\n")  # fast-csv ends without a line break
            return 200, {"Content-Type": CSV_TYPE,
                         "Content-Disposition": f"attachment;filename={cube.dataset_id}.csv"}, body.encode()
        text = "[" + ",\n".join(json.dumps(dict(zip(cols, r, strict=True)), ensure_ascii=False)
                                for r in rows) + "]"
        return 200, {"Content-Type": JSON_TYPE,
                     "Content-Disposition": f"attachment;filename={cube.dataset_id}.json"}, text.encode()
