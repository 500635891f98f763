"""How the backend turns a published cube into views, filters and query results.

Each function names the backend code it imitates; paths are relative to the backend's ``src``
(Marvell-Consulting/statswales-backend commit 25ea7888).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import COLUMN_HEADERS, LANGS, LOCALE, NOTE_CODES, Cube, Value
from .wire import quote_ident, quote_literal, to_char

# config/cube-view.json, keyed by view name; `data_value_type` picks one through checkAvailableViews
# (utils/consumer.ts L210-216: with_note_codes -> frontend, unknown -> raw).
VIEW_CONFIG: dict[str, dict[str, Any]] = {
    "default": {"data": "formatted", "refcodes": False, "sort": False, "hier": False, "notes": True},
    "frontend": {"data": "annotated", "refcodes": False, "sort": False, "hier": False, "notes": False},
    "formatted": {"data": "formatted", "refcodes": False, "sort": False, "hier": False, "notes": True},
    "formatted_extended": {"data": "formatted", "refcodes": True, "sort": True, "hier": True, "notes": True},
    "raw": {"data": "raw", "refcodes": False, "sort": False, "hier": False, "notes": True},
    "raw_extended": {"data": "raw", "refcodes": True, "sort": True, "hier": True, "notes": True},
}
DATA_VALUE_TYPES = ("raw", "raw_extended", "formatted", "formatted_extended", "with_note_codes")


class BackendError(Exception):
    """A plain JS Error inside a controller: answered as 500 `errors.unknown_error`."""


class SqlError(BackendError):
    """Postgres rejected the generated SQL (e.g. a column the view does not have)."""


def collation_key(text: str) -> tuple[str, str]:
    """Approximates Postgres/ICU collation for ASCII-ish labels: letters first, case and spaces second."""
    return (re.sub(r"[\W_]+", "", text).casefold(), text)


def view_for(data_value_type: str | None) -> str:
    """checkAvailableViews (utils/consumer.ts L210-216)."""
    if not data_value_type:
        return "raw"
    view = "frontend" if data_value_type == "with_note_codes" else data_value_type
    return view if view in VIEW_CONFIG else "raw"


# ------------------------------------------------------------------------------ core view --------


@dataclass
class Column:
    """One column of the core view: how to read it off a fact and its Postgres type."""

    get: Callable[[dict[str, Any]], Any]
    kind: str  # "text" | "bigint" | "value"


@dataclass
class Layout:
    """The core view of one language and the column lists of the six cube views."""

    lang: str
    columns: dict[str, Column] = field(default_factory=dict)
    views: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: {v: [] for v in VIEW_CONFIG})

    def add_to_views(self, source: str, alias: str | None = None, when: str | None = None) -> None:
        for name, cfg in VIEW_CONFIG.items():
            if when is None or cfg[when]:
                self.views[name].append((source, alias or source))


def notes_description(notes: str | None, lang: str) -> str | None:
    """all_notes (cube-builder.ts L2268-2281): string_agg(DISTINCT description, ', ') of the codes in
    the row's note string, matched exactly after splitting on ','; NULL when none match."""
    if not notes:
        return None
    found = {NOTE_CODES[c][lang] for c in notes.split(",") if c in NOTE_CODES}
    return ", ".join(sorted(found, key=collation_key)) or None


def _formatted(cube: Cube, measure: dict[str, Value]) -> Callable[[dict[str, Any]], Any]:
    """`Data values_formatted`: the measure-format CASE (cube-builder.ts L1428-1444). Postgres
    format('%s', NULL) is '', so a missing figure formats as an empty string."""
    col = cube.measure.fact_table_column

    def get(fact: dict[str, Any]) -> str:
        if fact.get("value") is None:
            return ""
        value = measure[str(fact[col])]
        return to_char(fact["value"], value.fmt.lower(), value.decimals, cube.data_values_sql_type)

    return get


def _annotated(formatted: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    """`Data values_annotated` (cube-builder.ts L1462-1478): formatted value, then ' [code]' per
    lower-cased code of the row's note string."""

    def get(fact: dict[str, Any]) -> str:
        text, notes = formatted(fact), fact.get("notes")
        if not notes:
            return text
        return text + " [" + "] [".join(notes.lower().split(",")) + "]"

    return get


def _add_lookup(
    layout: Layout, name: str, col: str, lut: dict[str, Value], cfg_names: dict[str, str]
) -> None:
    """The four columns of a lookup (setupLookupTableDimension L1671-1688, measure L1503-1514)."""
    lang = layout.lang
    ref, srt, hier = (f"{name}_{cfg_names[k]}" for k in ("reference", "sort", "hierarchy"))
    layout.columns[name] = Column(lambda f: lut[str(f[col])].description[lang], "text")
    layout.columns[ref] = Column(lambda f: lut[str(f[col])].reference, "text")
    layout.columns[srt] = Column(lambda f: lut[str(f[col])].sort_order, "bigint")
    layout.columns[hier] = Column(lambda f: lut[str(f[col])].parent, "text")
    layout.add_to_views(name)
    layout.add_to_views(ref, when="refcodes")
    layout.add_to_views(srt, when="sort")
    layout.add_to_views(hier, when="hier")


def unique_name(taken: set[str], proposed: str) -> str:
    """updateColumnName (cube-builder.ts L1625-1633): `name`, `name_1`, `name_2`, …"""
    name, count = proposed, 1
    while name in taken:
        name, count = f"{proposed}_{count}", count + 1
    return name


def proposed_name(cube: Cube, fact_table_column: str, lang: str) -> str:
    """Metadata name in the language, else the fact-table column (cube-builder.ts L1658-1659)."""
    return cube.dimension(fact_table_column).name.get(lang) or fact_table_column


def build_layout(cube: Cube, lang: str) -> Layout:
    """The core view of one language in build order (createFullCube, cube-builder.ts L2410-2475):
    data values and measure first (setupMeasureAndDataValuesWithLookup L1411-1548), then the
    dimensions in fact-table order (setupDimensions L1938-1945), then Notes (createNotesTable
    L2283-2291). Views pick from it per config/cube-view.json (createViewsFromConfig L2314-2347)."""
    h = COLUMN_HEADERS[lang]
    layout = Layout(lang)
    measure = {v.reference: v for v in cube.measure.values}
    dv = h["data_values"]
    fmt, ann, srt = (f"{dv}_{h[k]}" for k in ("formatted", "annotated", "sort"))
    formatted = _formatted(cube, measure)
    layout.columns[dv] = Column(lambda f: f.get("value"), "value")
    layout.columns[fmt] = Column(formatted, "text")
    layout.columns[ann] = Column(_annotated(formatted), "text")
    layout.columns[srt] = Column(lambda f: f.get("value"), "value")
    for name, cfg in VIEW_CONFIG.items():  # setupDataValueViews L1136-1156
        layout.views[name].append(({"raw": dv, "formatted": fmt, "annotated": ann}[cfg["data"]], dv))
    layout.add_to_views(srt, when="sort")
    _add_lookup(layout, h["measure"], cube.measure.fact_table_column, measure, h)
    for dim in cube.ordered_dimensions():
        name = unique_name(set(layout.columns), proposed_name(cube, dim.fact_table_column, lang))
        _add_lookup(layout, name, dim.fact_table_column, {v.reference: v for v in dim.values}, h)
    layout.columns[h["notes"]] = Column(lambda f: notes_description(f.get("notes"), lang), "text")
    layout.add_to_views(h["notes"], when="notes")
    return layout


def core_order(cube: Cube) -> list[int]:
    """The core view's ORDER BY: measure.sort_order, measure.reference (L1527), then each lookup's
    sort_order in fact-table order, DESC for dates (L1706-1712). NULLs last (first when DESC);
    ties keep fact-table order. A materialised view keeps this order for plain SELECTs."""
    measure = {v.reference: v for v in cube.measure.values}
    dims = [
        (d.fact_table_column, {v.reference: v for v in d.values}, d.is_date)
        for d in cube.ordered_dimensions()
    ]
    mcol = cube.measure.fact_table_column

    def key(i: int) -> tuple[Any, ...]:
        fact = cube.facts[i]
        m = measure[str(fact[mcol])]
        parts: list[Any] = [_asc(m.sort_order), m.reference]
        for col, lut, desc in dims:
            s = lut[str(fact[col])].sort_order
            parts.append(_desc(s) if desc else _asc(s))
        return tuple(parts)

    return sorted(range(len(cube.facts)), key=key)


def _asc(v: int | None) -> tuple[int, int]:
    return (1, 0) if v is None else (0, v)


def _desc(v: int | None) -> tuple[int, int]:
    return (0, 0) if v is None else (1, -v)


# ------------------------------------------------------------------------------ filter table -----


@dataclass
class FilterRow:
    """One row of the cube's filter_table (cube-builder.ts L567-580)."""

    reference: str
    language: str
    fact_table_column: str
    dimension_name: str
    description: str
    sort_order: int | None
    hierarchy: str | None
    reference_count: int


def filter_table(cube: Cube) -> list[FilterRow]:
    """filter_table rows for both languages, grouped by fact-table column in fact-table order.

    Measure rows: cube-builder.ts L1529-1543 (dimension_name = column_headers.measure). Lookup rows:
    L1713-1737, every lookup row of the language, named by the *un-deduplicated* metadata name.
    reference_count = facts per reference (updateFilterTableCounts L2042-2064). The SQL reading it
    has no ORDER BY; rows come back in physical order, which after the count UPDATEs (one per
    fact-table column, in column order) is taken to be fact-table column order.
    """
    columns: dict[str, tuple[list[Value], Callable[[str], str]]] = {
        cube.measure.fact_table_column: (cube.measure.values, lambda lang: COLUMN_HEADERS[lang]["measure"])
    }
    for dim in cube.dimensions:
        col = dim.fact_table_column
        columns[col] = (dim.values, lambda lang, col=col: proposed_name(cube, col, lang))
    rows: list[FilterRow] = []
    for col in cube.fact_table_order or []:
        values, name_of = columns[col]
        counts: dict[str, int] = {}
        for fact in cube.facts:
            counts[str(fact[col])] = counts.get(str(fact[col]), 0) + 1
        for lang in LANGS:
            rows.extend(
                FilterRow(
                    v.reference,
                    LOCALE[lang].lower(),
                    col,
                    name_of(lang),
                    v.description[lang],
                    v.sort_order,
                    v.parent,
                    counts.get(v.reference, 0),
                )
                for v in values
            )
    return rows


def sort_filter_rows(rows: list[FilterRow], is_date: bool) -> list[FilterRow]:
    """sortFilterRows (utils/consumer.ts L110-129): sort_order, then description, then reference;
    values without a sort order after those with one; reversed for date dimensions."""
    ordered = sorted(
        rows, key=lambda r: (_asc(r.sort_order), collation_key(r.description), collation_key(r.reference))
    )
    return ordered[::-1] if is_date else ordered


def transform_hierarchy(rows: list[FilterRow]) -> dict[str, Any]:
    """transformHierarchy (utils/consumer.ts L21-71): roots are values that are no one's child;
    a child whose parent is missing is dropped, and then sendFilters falls back to a flat list."""
    nodes = {
        r.reference: {"reference": r.reference, "description": r.description, "count": str(r.reference_count)}
        for r in rows
    }
    children: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r.hierarchy is not None:
            children.setdefault(r.hierarchy, []).append(nodes[r.reference])
    for parent, kids in children.items():
        if parent in nodes:
            nodes[parent].setdefault("children", []).extend(kids)
    child_refs = {k["reference"] for kids in children.values() for k in kids}
    roots = [node for ref, node in nodes.items() if ref not in child_refs]
    return {
        "factTableColumn": rows[0].fact_table_column,
        "columnName": rows[0].dimension_name,
        "values": roots,
    }


def _flatten(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [x for n in nodes for x in [n, *_flatten(n.get("children", []))]]


def filters_answer(cube: Cube, language: str) -> list[dict[str, Any]]:
    """GET /{id}/filters (controllers/consumer-v2.ts L411-450, sendFilters consumer-view-v2.ts
    L261-307). Rows are picked with `language LIKE '<lang>%'` (utils/consumer.ts L287-293), so an
    unknown language gets `[]`. `count` is a BIGINT, which node-postgres sends as a string."""
    prefix = language.lower().split("-")[0]
    rows = [r for r in filter_table(cube) if r.language.startswith(prefix)]
    dates = {d.fact_table_column for d in cube.dimensions if d.is_date}
    answer = []
    for col in dict.fromkeys(r.fact_table_column for r in rows):
        data = sort_filter_rows([r for r in rows if r.fact_table_column == col], col in dates)
        tree = transform_hierarchy(data)
        if len(_flatten(tree["values"])) != len(data):
            tree["values"] = [{"reference": r.reference, "description": r.description} for r in data]
        answer.append(tree)
    return answer


def column_mapping(cube: Cube) -> list[dict[str, str]]:
    """`SELECT DISTINCT fact_table_column, dimension_name, language FROM filter_table`
    (repositories/query-store.ts L86-94). Postgres gives no order; a sort-based DISTINCT is assumed."""
    seen = {(r.fact_table_column, r.dimension_name, r.language) for r in filter_table(cube)}
    return [{"fact_table_column": c, "dimension_name": n, "language": lang} for c, n, lang in sorted(seen)]


# ------------------------------------------------------------------------------ queries ----------


@dataclass
class Plan:
    """A base query (createBaseQuery, utils/consumer.ts L296-347) for one locale."""

    lang: str
    select: list[tuple[str, str]]
    where: list[tuple[str, list[str]]]
    sql: str


def _resolve_fact_column(name: Any, locale: str, table: list[FilterRow]) -> str:
    """resolveFactColumnToDimension (utils/consumer.ts L152-173)."""
    if not isinstance(name, str):
        raise BackendError("columnName.toLowerCase is not a function")
    if name.lower().strip() in ("data_values", "data", COLUMN_HEADERS["en"]["data_values"].lower()):
        return COLUMN_HEADERS[locale[:2]]["data_values"]
    for row in table:
        if row.fact_table_column.lower() == name.lower().strip() and locale.lower() in row.language.lower():
            return row.dimension_name
    raise BackendError(f"Column not found: {name}")


def _resolve_display_name(name: Any, table: list[FilterRow]) -> str:
    """resolveDimensionToFactTableColumn (utils/consumer.ts L131-150): any language's name."""
    if not isinstance(name, str):
        raise BackendError("columnName.toLowerCase is not a function")
    specials = ("data_values", "data", *(COLUMN_HEADERS[lang]["data_values"].lower() for lang in LANGS))
    if name.lower() in specials:
        return "data_values"
    for row in table:
        if name.lower().strip() == row.dimension_name.lower().strip():
            return row.fact_table_column
    raise BackendError("Column not found")


def _resolve_descriptions(values: list[str], rows: list[FilterRow]) -> list[str]:
    """resolveFactDescriptionToReference (utils/consumer.ts L175-183), across both languages."""
    out = []
    for val in values:
        match = next((r for r in rows if r.description.lower() == val.lower()), None)
        if match is None:
            raise BackendError("Value not found")
        out.append(match.reference)
    return out


def build_plan(cube: Cube, layout: Layout, options: dict[str, Any], table: list[FilterRow]) -> Plan:
    """createBaseQuery for `layout.lang` (utils/consumer.ts L296-347).

    With use_raw_column_names (default true) a filter key is a fact-table column, turned into the
    display name of this language; otherwise it is a display name (any language) turned into the
    *fact-table column*. Either way `_reference` (translated) is appended and the result is used as
    a column of the core view, so the second path only works when a dimension has no metadata name.
    With use_reference_values=false values are descriptions, looked up among filter rows whose
    fact_table_column equals the name resolved above (again: only the fact-table column works).
    """
    locale = LOCALE[layout.lang]
    opts = options.get("options") or {}
    use_raw = opts.get("use_raw_column_names")
    use_refs = opts.get("use_reference_values")
    use_raw = True if use_raw is None else use_raw
    use_refs = True if use_refs is None else use_refs
    postfix = "_" + COLUMN_HEADERS[layout.lang]["reference"]
    where: list[tuple[str, list[str]]] = []
    for flt in options.get("filters") or []:
        if not isinstance(flt, dict) or not flt:
            raise BackendError("Cannot read properties of undefined")
        name, values = next(iter(flt.items()))
        values = [str(v) for v in values] if isinstance(values, list) else [str(values)]
        column = _resolve_fact_column(name, locale, table) if use_raw else _resolve_display_name(name, table)
        if not use_refs:
            values = _resolve_descriptions(
                values, [r for r in table if r.fact_table_column.lower() == column.lower()]
            )
        if not values:
            raise SqlError("syntax error at or near ')'")  # `in ()`
        where.append((column + postfix, values))
    select = layout.views[view_for(opts.get("data_value_type"))]
    return Plan(layout.lang, list(select), where, _plan_sql(cube, layout.lang, select, where))


def _plan_sql(
    cube: Cube, lang: str, select: list[tuple[str, str]], where: list[tuple[str, list[str]]]
) -> str:
    cols = ", ".join(quote_ident(s) if s == a else f"{quote_ident(s)} AS {quote_ident(a)}" for s, a in select)
    clause = (
        f"WHERE {' AND '.join(f'{quote_ident(c)} in ({quote_literal(v)})' for c, v in where)}"
        if where
        else ""
    )
    return f"SELECT {cols} FROM {quote_ident(cube.revision_id)}.core_view_mat_{lang} {clause}"


def matching_rows(cube: Cube, layout: Layout, plan: Plan, order: list[int]) -> list[int]:
    """Fact indices the plan's WHERE keeps, in core-view order."""
    for column, _ in plan.where:
        if column not in layout.columns:
            raise SqlError(f'column "{column}" does not exist')
    tests = [(layout.columns[c].get, set(v)) for c, v in plan.where]
    return [i for i in order if all(_text(get(cube.facts[i])) in allowed for get, allowed in tests)]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def default_sort(cube: Cube, mapping: list[dict[str, str]], locale: str) -> list[str]:
    """resolveDefaultSort (services/default-sort-resolver.ts L29-75): the first Dimension column of
    the fact table, then every Dimension/Measure column in fact-table order, by display name from
    the stored columnMapping of the locale. (No column of these cubes has type Time.)"""
    names = {m["fact_table_column"]: m["dimension_name"] for m in mapping if m["language"] == locale.lower()}
    dims = {d.fact_table_column for d in cube.dimensions}
    pk = [c for c in cube.fact_table_order or [] if c in dims or c == cube.measure.fact_table_column]
    primary = next((c for c in pk if c in dims and c in names), None)
    if primary is None:
        return []
    result: list[str] = []
    for col in [primary, *pk]:
        if col in names and names[col] not in result:
            result.append(names[col])
    return result


def sort_rows(cube: Cube, layout: Layout, rows: list[int], sort_idents: list[str]) -> list[int]:
    """`ORDER BY "<name>_sort" ASC, …` of the offset path (services/consumer-view-v2.ts L585-593);
    Postgres puts NULLs last; ties keep the core view's order."""
    for ident in sort_idents:
        if ident not in layout.columns:
            raise SqlError(f'column "{ident}" does not exist')
    getters = [layout.columns[i].get for i in sort_idents]
    return sorted(rows, key=lambda i: tuple(_asc_any(g(cube.facts[i])) for g in getters))


def page_slice(rows: list[int], size: int, number: int) -> list[int]:
    """`LIMIT size OFFSET (number-1)*size` (consumer-view-v2.ts L576, L594)."""
    offset = (number - 1) * size
    if offset < 0:
        raise SqlError("OFFSET must not be negative")
    return rows[offset : offset + size]


def _asc_any(v: Any) -> tuple[int, Any]:
    return (1, 0) if v is None else (0, v)


def total_pages(total_lines: int, size: int) -> int:
    """`Math.ceil(totalLines / pageSize)` (consumer-view-v2.ts L577)."""
    return 0 if size <= 0 else math.ceil(total_lines / size)
