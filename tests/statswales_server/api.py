"""The v2 routes, answered the way the backend's controllers answer them.

Paths are relative to the backend's ``src`` (statswales-backend commit 25ea7888): routes in
routes/consumer/v2/api.ts, controllers in controllers/consumer-v2.ts, error bodies in
routes/error-handler.ts. HTTP plumbing, faults and the rate limit live in backend.py.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from . import rules
from .dto import DEFAULT_DATA_OPTIONS, StoredQuery, dataset_dto, filter_id_for, iso_now, request_hash
from .model import COLUMN_HEADERS, LANGS, LOCALE, Cube, translate
from .wire import csv_body, js_number, json_row, res_json

JSON_UTF8 = "application/json; charset=utf-8"  # Express res.json
_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_INT = re.compile(r"^[-+]?[0-9]+$")  # express-validator isInt
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 10_000, 100  # utils/page-defaults.ts
OUTPUT_FORMATS = ("csv", "json", "xlsx", "frontend", "html")  # enums/output-formats.ts


@dataclass
class Reply:
    """What the server writes. `stream` = chunked transfer; `abort` = stop after the first chunk."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    stream: bool = False
    abort: bool = False


@dataclass
class Request:
    """One request as the app sees it (path relative to the base path)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def json_reply(status: int, obj: Any) -> Reply:
    return Reply(status, res_json(obj), [("Content-Type", JSON_UTF8)])


def error_reply(status: int, key: str, req_language: str, reason: Any = None) -> Reply:
    """errorHandler (routes/error-handler.ts L7-60): `{"error": t(message)}`; a 400 also carries
    `reason` (the validation errors), which JSON.stringify drops when undefined."""
    body: dict[str, Any] = {"error": translate(key, text_language(req_language))}
    if status == 400 and reason is not None:
        body["reason"] = reason
    return json_reply(status, body)


def request_language(req: Request) -> str:
    """i18next-http-middleware detection (middleware/translation.ts L26-32): `lang` query, then
    Accept-Language, else 'en'; codes with a dash are formatted like 'cy-GB'."""
    code = req.arg("lang")
    if not code:
        header = req.headers.get("accept-language", "")
        weighted = []
        for i, part in enumerate(p.strip() for p in header.split(",") if p.strip()):
            lang, _, q = part.partition(";q=")
            weighted.append((-float(q or 1), i, lang.strip()))
        code = min(weighted)[2] if weighted else "en"
    if "-" in code:
        head, _, tail = code.partition("-")
        code = f"{head.lower()}-{tail.upper()}"
    return code


def text_language(req_language: str) -> str:
    """The locale file i18next resolves for t(): 'cy' or 'cy-*' -> Welsh, anything else English."""
    return "cy" if req_language == "cy" or req_language.startswith("cy-") else "en"


def data_language(req_language: str) -> str:
    """buildDataQuery (consumer-view-v2.ts L538): `locale.includes('en') ? 'en-GB' : 'cy-GB'`."""
    return "en" if "en" in req_language else "cy"


class Datasets:
    """The published cubes, what is derived from them (cached until a cube changes) and the query store."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.cubes: dict[str, Cube] = {}
        self.renames: dict[tuple[str, str], dict[str, str]] = {}
        self.queries: dict[str, StoredQuery] = {}
        self._cache: dict[tuple[str, Any], Any] = {}

    def add(self, cube: Cube) -> None:
        """Publish or replace a cube; stored queries of the dataset are rebuilt."""
        with self.lock:
            self.cubes[cube.dataset_id] = cube
            self._rebuild(cube)

    def cached(self, cube: Cube, what: str) -> Any:
        """The layout of a language ('en'/'cy'), the core 'order' or the 'filters' table."""
        if what in LANGS:
            return self.memo(cube, what, lambda: rules.build_layout(cube, what))
        builders = {"order": rules.core_order, "filters": rules.filter_table}
        return self.memo(cube, what, lambda: builders[what](cube))

    def memo(self, cube: Cube, what: Any, build: Any) -> Any:
        """Cache `build()` until the cube changes."""
        key = (cube.dataset_id, what)
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def set_dimension_name(self, dataset_id: str, fact_table_column: str, lang: str, name: str) -> None:
        """Change a dimension's metadata name and rebuild, as republishing the cube would."""
        with self.lock:
            cube = self.cubes[dataset_id]
            cube.dimension(fact_table_column).name[lang[:2].lower()] = name
            cube.validate()
            self._rebuild(cube)

    def _rebuild(self, cube: Cube) -> None:
        """Drop cached views and regenerate the dataset's stored queries (rebuildQueriesForDataset,
        repositories/query-store.ts L269-279: an entry that no longer builds is removed)."""
        for key in [k for k in self._cache if k[0] == cube.dataset_id]:
            del self._cache[key]
        for qid, old in list(self.queries.items()):
            if old.dataset_id != cube.dataset_id:
                continue
            try:
                fresh = self.generate(cube, old.request_object, old.hash)
            except rules.BackendError:
                del self.queries[qid]
                continue
            fresh.id, fresh.created_at = old.id, old.created_at
            self.queries[qid] = fresh

    def generate(self, cube: Cube, options: dict[str, Any], full_hash: str) -> StoredQuery:
        """QueryStoreRepository.generate + generateQuery (repositories/query-store.ts L58-101,
        L199-235): a base query per locale, the row count of the en-GB one, the column mapping."""
        table = self.cached(cube, "filters")
        plans = {lang: rules.build_plan(cube, self.cached(cube, lang), options, table) for lang in LANGS}
        total = len(
            rules.matching_rows(cube, self.cached(cube, "en"), plans["en"], self.cached(cube, "order"))
        )
        now = iso_now()
        return StoredQuery(
            filter_id_for(full_hash),
            full_hash,
            cube.dataset_id,
            cube.revision_id,
            options,
            plans,
            total,
            rules.column_mapping(cube),
            now,
            now,
        )

    def by_request(self, cube: Cube, options: dict[str, Any]) -> StoredQuery:
        """getByRequest (repositories/query-store.ts L187-197): same body, same entry."""
        with self.lock:
            full_hash = request_hash(cube, options)
            for stored in self.queries.values():
                if stored.hash == full_hash:
                    return stored
            stored = self.generate(cube, options, full_hash)
            self.queries[stored.id] = stored
            return stored


class App:
    """Routing and controllers of /v2 (routes/consumer/v2/api.ts)."""

    def __init__(self, datasets: Datasets) -> None:
        self.data = datasets

    def handle(self, req: Request) -> Reply:
        parts = req.path.strip("/").split("/") if req.path.strip("/") else []
        if not parts or parts[0] in ("search", "topic") or "pivot" in parts:
            return Reply(501, b"not imitated by the test double", [("Content-Type", "text/plain")])
        route = (req.method, len(parts), parts[1] if len(parts) > 1 else None)
        handler = {
            ("GET", 1, None): self.metadata,
            ("GET", 2, "filters"): self.filters,
            ("POST", 2, "data"): self.create_filter,
            ("GET", 2, "data"): self.data_rows,
            ("GET", 3, "data"): self.data_rows,
            ("GET", 2, "query"): self.query_details,
            ("GET", 3, "query"): self.query_details,
        }.get(route)
        if handler is None:
            return express_404(req)
        cube_or_reply = self.published(parts[0], request_language(req))
        if isinstance(cube_or_reply, Reply):
            return cube_or_reply
        return handler(req, cube_or_reply, parts[2] if len(parts) > 2 else None)

    def published(self, dataset_id: str, req_language: str) -> Cube | Reply:
        """ensurePublishedDataset (api.ts L29-62): not a v4 UUID -> 404 dataset_id_invalid,
        unknown -> 404 no_dataset."""
        if not _UUID4.match(dataset_id.strip()):
            return error_reply(404, "errors.dataset_id_invalid", req_language)
        cube = self.data.cubes.get(dataset_id)
        return cube if cube else error_reply(404, "errors.no_dataset", req_language)

    def metadata(self, req: Request, cube: Cube, _: str | None) -> Reply:
        return json_reply(200, dataset_dto(cube, request_language(req)))

    def filters(self, req: Request, cube: Cube, _: str | None) -> Reply:
        with self.data.lock:
            return json_reply(200, rules.filters_answer(cube, request_language(req)))

    def create_filter(self, req: Request, cube: Cube, _: str | None) -> Reply:
        """generateFilterId (controllers/consumer-v2.ts L389-409) after express.json()."""
        lang = request_language(req)
        body = parse_json_body(req)
        if body is None:
            return error_reply(400, "body-parser: invalid JSON", lang)
        problems = validate_options(body)
        if problems is not None:
            return error_reply(400, "errors.invalid_dto", lang, problems)
        try:
            stored = self.data.by_request(cube, body)
        except rules.BackendError:
            return error_reply(500, "Server Error", lang)
        return json_reply(200, {"filterId": stored.id})

    def stored(self, cube: Cube, filter_id: str | None) -> StoredQuery | None:
        if filter_id:
            return self.data.queries.get(filter_id)
        return self.data.by_request(cube, json.loads(json.dumps(DEFAULT_DATA_OPTIONS)))

    def query_details(self, req: Request, cube: Cube, filter_id: str | None) -> Reply:
        """getFilterIdDetails (controllers/consumer-v2.ts L219-243). Looked up by id alone."""
        try:
            stored = self.stored(cube, filter_id)
        except rules.BackendError:
            return error_reply(500, "Server Error", request_language(req))
        if stored is None:
            return error_reply(404, "errors.filter_id_not_found", request_language(req))
        return json_reply(200, stored.dto())

    def data_rows(self, req: Request, cube: Cube, filter_id: str | None) -> Reply:
        """getPublishedDatasetData (controllers/consumer-v2.ts L145-185) -> buildDataQuery ->
        sendJson / sendCsv (services/consumer-view-v2.ts)."""
        lang = request_language(req)
        options = page_options(req)
        if isinstance(options, Reply):
            return options
        fmt, number, size = options
        try:
            stored = self.stored(cube, filter_id)
        except rules.BackendError:
            return error_reply(500, "Server Error", lang)
        if stored is None:
            return error_reply(404, "errors.filter_id_not_found", lang)
        cube = self.data.cubes.get(stored.dataset_id, cube)  # the stored SQL names its own revision
        if size is not None and 0 < rules.total_pages(stored.total_lines, size) < number:
            return error_reply(400, "errors.page_number_too_high", lang)
        with self.data.lock:
            try:
                columns, rows = self.select(cube, stored, lang, number, size)
            except rules.SqlError:
                return sql_failure(fmt, cube)
        return render(fmt, cube, columns, rows)

    def select(
        self, cube: Cube, stored: StoredQuery, req_language: str, number: int, size: int | None
    ) -> tuple[list[str], list[list[Any]]]:
        """Run the stored base query of the request's language, offset-paged when page_size is set
        (buildDataQuery, consumer-view-v2.ts L531-597). Paging orders by the default sort plan and
        appends its `_sort` columns to the SELECT when missing (L585-591); sendJson/sendCsv send
        them as they are (only the frontend view strips them, L403-413)."""
        lang = data_language(req_language)
        layout = self.data.cached(cube, lang)
        plan = stored.plans.get(lang) or stored.plans["en"]
        rows = self.data.memo(
            cube,
            ("rows", stored.id, lang),
            lambda: rules.matching_rows(cube, layout, plan, self.data.cached(cube, "order")),
        )
        select = list(plan.select)
        if size is not None:
            postfix = "_" + COLUMN_HEADERS[text_language(req_language)]["sort"]
            idents = [n + postfix for n in rules.default_sort(cube, stored.column_mapping, LOCALE[lang])]
            ordered = self.data.memo(
                cube,
                ("sorted", stored.id, lang, tuple(idents)),
                lambda: rules.sort_rows(cube, layout, rows, idents),
            )
            rows = rules.page_slice(ordered, size, number)
            select_sql = plan.sql.split(" FROM ")[0]
            select += [(i, i) for i in idents if f'"{i}"' not in select_sql]
        for source, _ in select:
            if source not in layout.columns:
                raise rules.SqlError(f'column "{source}" does not exist')
        renames = self.data.renames.get((cube.dataset_id, lang), {})
        names = [rename(alias, renames, lang) for _, alias in select]
        out_rows = []
        for i in rows:
            record: dict[str, Any] = {}
            for (source, _), name in zip(select, names, strict=True):
                column = layout.columns[source]
                record[name] = pg_value(column.kind, column.get(cube.facts[i]), cube.data_values_sql_type)
            out_rows.append(record)
        columns = list(dict.fromkeys(names))
        return columns, [[r[c] for c in columns] for r in out_rows]


def express_404(req: Request) -> Reply:
    """Express's default answer when no route matches."""
    text = f"Cannot {req.method} {req.path}"
    html = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
    html += f"</head>\n<body>\n<pre>{text}</pre>\n</body>\n</html>\n"
    return Reply(404, html.encode(), [("Content-Type", "text/html; charset=utf-8")])


def parse_json_body(req: Request) -> Any:
    """express.json(): only for a JSON content type (else `{}`); strict, so the top level must be an
    object or array; a parse failure is a 400 whose message is no locale key."""
    if "json" not in req.headers.get("content-type", "").lower():
        return {}
    text = req.body.decode("utf-8", "replace").strip()
    if not text:
        return {}
    if text[0] not in "{[":
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def validate_options(body: Any) -> list[dict[str, Any]] | None:
    """class-validator on DataOptionsDTO (dtos/data-options-dto.ts L27-55); None when valid.
    The shape of `reason` approximates class-validator's ValidationError."""
    if not isinstance(body, dict):
        return []
    problems = []
    if body.get("filters") is not None and not isinstance(body["filters"], list):
        problems.append(_violation(body, "filters", {"isArray": "filters must be an array"}))
    options = body.get("options")
    if options is not None:
        if not isinstance(options, dict):
            problems.append(
                _violation(
                    body,
                    "options",
                    {"nestedValidation": "nested property options must be either object or array"},
                )
            )
        else:
            children = [
                _violation(options, key, {"isBoolean": f"{key} must be a boolean value"})
                for key in ("use_raw_column_names", "use_reference_values")
                if options.get(key) is not None and not isinstance(options[key], bool)
            ]
            kind = options.get("data_value_type")
            if kind is not None and kind not in rules.DATA_VALUE_TYPES:
                message = "data_value_type must be one of the following values: " + ", ".join(
                    rules.DATA_VALUE_TYPES
                )
                children.append(_violation(options, "data_value_type", {"isEnum": message}))
            if children:
                problems.append(
                    {"target": body, "value": options, "property": "options", "children": children}
                )
    return problems or None


def _violation(target: dict[str, Any], prop: str, constraints: dict[str, str]) -> dict[str, Any]:
    return {
        "target": target,
        "value": target.get(prop),
        "property": prop,
        "children": [],
        "constraints": constraints,
    }


def page_options(req: Request) -> tuple[str, int, int | None] | Reply:
    """parsePageOptions with requireFormat (utils/parse-page-options.ts L21-59). Failed validators
    answer 400 with `"<msg> for <param>"`, which is no locale key, hence the generic text."""
    lang = request_language(req)
    fmt = (req.arg("format") or "").strip().lower()
    raw_number, raw_size = req.arg("page_number"), req.arg("page_size")
    if req.arg("format") is not None and fmt not in OUTPUT_FORMATS:
        return error_reply(400, "Invalid value for format", lang)
    if raw_number is not None and not _INT.match(raw_number.strip()):
        return error_reply(400, "Invalid value for page_number", lang)
    if raw_size is not None and (not _INT.match(raw_size.strip()) or int(raw_size) < 1):
        return error_reply(400, "Invalid value for page_size", lang)
    if not fmt:
        return error_reply(400, "errors.output_format_required", lang)
    if fmt not in ("csv", "json") or req.arg("cursor") or req.arg("sort_by"):
        return Reply(501, b"not imitated by the test double", [("Content-Type", "text/plain")])
    size = int(raw_size) if raw_size is not None else (None if fmt == "csv" else DEFAULT_PAGE_SIZE)
    if fmt == "json" and size is not None and size > MAX_PAGE_SIZE:
        return error_reply(400, f"page_size must not exceed {MAX_PAGE_SIZE}", lang)
    return fmt, int(raw_number) if raw_number is not None else 1, size


def pg_value(kind: str, value: Any, sql_type: str) -> Any:
    """What node-postgres hands to JSON.stringify: BIGINT and NUMERIC arrive as strings."""
    if value is None:
        return None
    if kind == "bigint":
        return str(value)
    if kind == "value" and sql_type.upper().split("(")[0].strip() in ("BIGINT", "NUMERIC", "DECIMAL"):
        return js_number(value)
    return value


def rename(name: str, renames: dict[str, str], lang: str) -> str:
    """Schema drift injected by a test: a display name (and its suffixed columns) renamed."""
    if name in renames:
        return renames[name]
    h = COLUMN_HEADERS[lang]
    for old, new in renames.items():
        for suffix in (h["reference"], h["sort"], h["hierarchy"]):
            if name == f"{old}_{suffix}":
                return f"{new}_{suffix}"
    return name


def render(fmt: str, cube: Cube, columns: list[str], rows: list[list[Any]]) -> Reply:
    """sendJson (consumer-view-v2.ts L153-191) or sendCsv (L52-86), both streamed."""
    if fmt == "json":
        body = "[" + ",\n".join(json_row(dict(zip(columns, r, strict=True))) for r in rows) + "]"
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Disposition", f"attachment;filename={cube.dataset_id}.json"),
        ]
    else:
        body = csv_body(columns, rows)
        headers = [
            ("Content-Type", "text/csv"),
            ("Content-Disposition", f"attachment;filename={cube.dataset_id}.csv"),
        ]
    return Reply(200, body.encode(), headers, stream=True)


def sql_failure(fmt: str, cube: Cube) -> Reply:
    """A query error while streaming. sendJson has already written `[` (headers sent), so the
    controller only logs and the response never ends (consumer-view-v2.ts L165-189,
    consumer-v2.ts L171-175): imitated as `[` then a dropped connection. sendCsv has written
    nothing yet and answers an empty 500 (L75-81)."""
    if fmt == "json":
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Disposition", f"attachment;filename={cube.dataset_id}.json"),
        ]
        return Reply(200, b"[", headers, stream=True, abort=True)
    return Reply(500, b"", [("Content-Type", "text/csv")])


def parse_query(raw: str) -> dict[str, list[str]]:
    return parse_qs(raw, keep_blank_values=True)
