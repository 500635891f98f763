"""StatsWales v2 column names: learnt from the API per language, never guessed.

The backend names every output column after the dataset's own metadata in the request's language
(statswales-backend `src/services/cube-builder.ts`, `rawDimensionProcessor` and
`setupLookupTableDimension`): a dimension `<Dim>` comes with `<Dim>_reference`, `<Dim>_sort` and
`<Dim>_hierarchy` in the `raw_extended` view, the measure is `Data description`, the figure
`Data values` and the note descriptions `Notes`. Which display name belongs to which fact-table
column is in the stored query's `columnMapping` (`GET /{id}/query/{filterId}`), and the values of
each dimension (with their hierarchy) in `GET /{id}/filters`. This module turns those answers into
a map from the stable raw column names of the catalogue to each language's headers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from sources.catalogue import Dataset, Dimension

# The backend's fixed vocabulary: `src/resources/locales/{en,cy}.json` → `column_headers`.
# These are the API's own words for its fixed columns, the same for every dataset.
HEADERS: dict[str, dict[str, str]] = {
    "en-gb": {"data_values": "Data values", "measure": "Data description", "notes": "Notes",
              "reference": "reference", "hierarchy": "hierarchy"},
    "cy-gb": {"data_values": "Gwerthoedd data", "measure": "Disgrifiad o\u2019r data",
              "notes": "Nodiadau", "reference": "cyfeiriad", "hierarchy": "hierarchiaeth"},
}
# The view whose columns carry reference codes and hierarchies (`src/config/cube-view.json`).
VIEW = "raw_extended"

_GSS = re.compile(r"^[EWSNK]\d{8}$")
_PERIOD = re.compile(r"^(19|20)\d\d")


_VIEW_SUFFIX = re.compile(r"_(sort|didoli|hierarchy|hierarchiaeth|reference|cyfeiriad)$")


def base_name(header: str) -> str:
    """A header without the suffix a view adds to a column (`Area_sort` → `Area`)."""
    return _VIEW_SUFFIX.sub("", header)


class ColumnsError(ValueError):
    """The API does not offer a column the catalogue needs."""


def _walk(values: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for value in values:
        yield value
        yield from _walk(value.get("children") or [])


def filter_values(filters: list[dict[str, Any]], fact_column: str) -> list[dict[str, Any]]:
    """Every value of one dimension in a `/filters` answer, children included."""
    for entry in filters:
        if entry.get("factTableColumn") == fact_column:
            return list(_walk(entry.get("values") or []))
    return []


def names_by_language(column_mapping: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """`{lang: {fact_table_column: display name}}` from a stored query's `columnMapping`."""
    names: dict[str, dict[str, str]] = {}
    for row in column_mapping:
        names.setdefault(str(row["language"]).lower(), {})[row["fact_table_column"]] = row["dimension_name"]
    return names


def _offered(names: dict[str, str]) -> str:
    return ", ".join(f"{name!r} ({fact})" for fact, name in names.items()) or "nothing"


def measure_column(dataset: Dataset, names: dict[str, dict[str, str]]) -> str:
    """The fact-table column of the measure: the one the API calls `Data description`."""
    english = names.get("en-gb", {})
    found = [fact for fact, name in english.items() if name == HEADERS["en-gb"]["measure"]]
    if len(found) != 1:
        raise ColumnsError(f"{dataset.key}: the API's columnMapping has no single "
                           f"{HEADERS['en-gb']['measure']!r} column; it offers {_offered(english)}")
    return found[0]


def _matches(dim: Dimension, values: list[dict[str, Any]]) -> bool:
    pattern = _GSS if dim.match == "gss" else _PERIOD
    return bool(values) and all(pattern.match(str(v.get("reference", "")).strip()) for v in values)


def dimension_columns(dataset: Dataset, names: dict[str, dict[str, str]],
                      filters_en: list[dict[str, Any]]) -> dict[str, str]:
    """`{dimension name: fact-table column}` for every catalogue dimension of the dataset.

    A dimension the API does not offer (or offers twice) is a `ColumnsError` naming the dataset,
    the dimension and every dimension the API offers.
    """
    english = dict(names.get("en-gb", {}))
    english.pop(measure_column(dataset, names), None)
    found: dict[str, str] = {}
    for dim in dataset.dimensions:
        free = {fact: name for fact, name in english.items() if fact not in found.values()}
        if dim.en is not None:
            facts = [fact for fact, name in free.items() if name == dim.en]
        else:
            facts = [fact for fact in free if _matches(dim, filter_values(filters_en, fact))]
        if len(facts) != 1:
            raise ColumnsError(
                f"{dataset.key} ({dataset.dataset_id}): dimension {dim.describe()} "
                f"{'is offered more than once' if facts else 'is not offered'} by the API; "
                f"its English dimensions are {_offered(english)}. Update the catalogue entry.")
        found[dim.name] = facts[0]
    return found


def headers(dataset: Dataset, column_mapping: list[dict[str, Any]],
            filters_en: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """`{lang: {raw column: header in that language}}` for every language of the dataset."""
    names = names_by_language(column_mapping)
    measure = measure_column(dataset, names)
    dims = dimension_columns(dataset, names, filters_en)
    out: dict[str, dict[str, str]] = {}
    for lang in dataset.languages:
        words, local = HEADERS[lang], names.get(lang, {})
        missing = [fact for fact in [*dims.values(), measure] if fact not in local]
        if missing:
            raise ColumnsError(f"{dataset.key}: the API's columnMapping has no {lang} name for "
                               f"{', '.join(missing)}; it offers {_offered(local)}")
        mapping: dict[str, str] = {}
        for dim in dataset.dimensions:
            display = local[dims[dim.name]]
            code, name, parent = dim.columns
            mapping |= {code: f"{display}_{words['reference']}", name: display,
                        parent: f"{display}_{words['hierarchy']}"}
        display = local[measure]
        mapping |= {"measure_code": f"{display}_{words['reference']}", "measure_name": display,
                    "value": words["data_values"], "notes": words["notes"]}
        out[lang] = mapping
    return out


def request_filters(dataset: Dataset, filters_en: list[dict[str, Any]]) -> list[dict[str, list[str]]]:
    """The catalogue's `request.filter` as the API's filter list: fact-table column → references.

    The catalogue names the values to keep by their English descriptions; the references are the
    API's own and are read from `/filters`. A description the API does not offer is an error.
    """
    wanted = dataset.request.get("filter") or {}
    if not wanted:
        return []
    names = {"en-gb": {e["factTableColumn"]: e["columnName"] for e in filters_en}}
    facts = {"measure": measure_column(dataset, names)}
    facts |= dimension_columns(dataset, names, filters_en)
    out = []
    for role, descriptions in wanted.items():
        values = filter_values(filters_en, facts[role])
        refs = [str(v["reference"]) for v in values if v.get("description") in descriptions]
        missing = sorted(set(descriptions) - {v.get("description") for v in values})
        if missing:
            offered = sorted({str(v.get("description")) for v in values})
            raise ColumnsError(f"{dataset.key}: request.filter.{role} keeps {missing}, which the "
                               f"API does not offer; it offers {offered}")
        out.append({facts[role]: refs})
    return out
