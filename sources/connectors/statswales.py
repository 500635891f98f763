"""StatsWales v2 (`https://api.stats.gov.wales/v2`), in English and in Welsh.

Route, every answer archived so a fetch can be re-checked from the archive alone:
1. `GET /{id}?lang=` the dataset's metadata (titles, `archived_at`, `replaced_by`), per language;
2. `GET /{id}/filters?lang=` each dimension's display name, values and hierarchy, per language;
3. `POST /{id}/data` the filter (the catalogue's `request.filter`, as references read from step 2)
   with the `raw_extended` view → a deterministic `filterId`;
4. `GET /{id}/query/{filterId}` the stored query: `totalLines` and `columnMapping`, from which the
   columns the catalogue needs are found in every language before any data is fetched;
5. the data of each language: one CSV stream, or JSON pages of up to 10,000 rows (the API's
   maximum) until they add up to `totalLines`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sources.connectors.base import FetchContext, InvalidBody, count_json_rows, csv_stats, json_document
from sources.http import Download, FetchError
from sources.statswales_columns import VIEW, ColumnsError, headers, request_filters

MAX_PAGE_SIZE = 10_000  # statswales-backend `src/validators` page_size maximum


def _json_doc(download: Download) -> Any:
    """A small JSON answer (metadata, filters, stored query), parsed; invalid is `InvalidBody`."""
    if download.content_type not in ("application/json", ""):  # a 304 may carry no type
        raise InvalidBody("statswales", download.url,
                          f"expected JSON, got Content-Type {download.content_type!r}")
    return json_document("statswales", download)


def _is_past_last_page(status: int, body: bytes) -> bool:
    """The API's answer to a page past the end: a 400 whose `error` is a translated sentence.

    `src/routes/error-handler.ts` sends `{"error": <en.json/cy.json errors.page_number_too_high>}`,
    e.g. "Page number must be less than or equal to {{page_number}}"; the key itself never appears.
    """
    if status != 400:
        return False
    try:
        return isinstance(json.loads(body).get("error"), str)
    except (ValueError, AttributeError):
        return False


def _expect_json_rows(ctx: FetchContext, download: Download, expected: int) -> int:
    """The rows of a JSON page, which must be the `expected` share of totalLines.

    Checked before the page is archived, so a page the stored query disagrees with is kept in
    `rejected/` and asked for again, never archived as data.
    """
    if download.content_type not in ("application/json", ""):  # a 304 may carry no type
        raise InvalidBody("statswales", download.url,
                          f"expected JSON, got Content-Type {download.content_type!r}")
    rows = count_json_rows("statswales", download, ctx.scratch)
    if rows != expected:
        raise InvalidBody("statswales", download.url,
                          f"the page has {rows} rows where totalLines calls for {expected}")
    return rows


def _expect_csv_rows(ctx: FetchContext, download: Download, total: int) -> int:
    """The rows of the CSV stream, which must be totalLines (checked before archiving it)."""
    if download.content_type not in ("text/csv", ""):  # a 304 may carry no type
        raise InvalidBody("statswales", download.url,
                          f"expected CSV, got Content-Type {download.content_type!r}")
    rows, _ = csv_stats("statswales", download, con=ctx.scratch)
    if rows != total:
        raise InvalidBody("statswales", download.url,
                          f"CSV has {rows} rows but the query reports totalLines={total}")
    return rows


def _describe(ctx: FetchContext, meta: dict[str, Any]) -> None:
    ds = ctx.dataset
    if meta.get("archived_at") or meta.get("replaced_by"):
        replaced = (meta.get("replaced_by") or {}).get("dataset_id")
        ctx.log(f"WARNING {ds.key}: StatsWales marks dataset {ds.dataset_id} as archived"
                + (f"; it is replaced by {replaced}: update the catalogue" if replaced else ""))


def fetch(ctx: FetchContext) -> None:
    """Archive metadata, filters, stored query and every page of the dataset in each language."""
    ds = ctx.dataset
    filters: dict[str, Any] = {}
    for lang in ds.languages:
        _, meta, _ = ctx.get(ds.dataset_id, params={"lang": lang}, role="metadata", lang=lang,
                             validate=_json_doc)
        if lang == ds.languages[0]:
            _describe(ctx, meta or {})
        _, filters[lang], _ = ctx.get(f"{ds.dataset_id}/filters", params={"lang": lang},
                                      role="filters", lang=lang, validate=_json_doc)
    english = filters[ds.languages[0]] or []
    try:
        body = {"filters": request_filters(ds, english),
                "options": {"use_raw_column_names": True, "use_reference_values": True,
                            "data_value_type": VIEW}}
    except ColumnsError as exc:
        raise FetchError("statswales", ctx.client.url(f"{ds.dataset_id}/filters"), str(exc)) from exc
    _, created, _ = ctx.get(f"{ds.dataset_id}/data", method="POST", json_body=body, role="filter",
                            validate=_json_doc)
    filter_id = created.get("filterId") if isinstance(created, dict) else None
    if not filter_id:
        raise FetchError("statswales", ctx.client.url(f"{ds.dataset_id}/data"),
                         f"no filterId in answer: {created!r}")
    query_path = f"{ds.dataset_id}/query/{filter_id}"
    _, query, _ = ctx.get(query_path, role="query", validate=_json_doc)
    total = (query or {}).get("totalLines")
    if not isinstance(total, int):
        raise FetchError("statswales", ctx.client.url(query_path),
                         "no integer totalLines in the stored query")
    try:  # every column the catalogue needs, in every language, before any data is fetched
        headers(ds, query.get("columnMapping") or [], english)
    except ColumnsError as exc:
        raise FetchError("statswales", ctx.client.url(query_path), str(exc)) from exc
    for lang in ds.languages:
        if ds.request.get("format") == "csv":
            _fetch_csv(ctx, filter_id, lang, total)
        else:
            _fetch_pages(ctx, filter_id, lang, total)


def _fetch_csv(ctx: FetchContext, filter_id: str, lang: str, total: int) -> None:
    path = f"{ctx.dataset.dataset_id}/data/{filter_id}"
    _, rows, _ = ctx.get(path, params={"format": "csv", "lang": lang}, lang=lang, page=1,
                         validate=lambda d: _expect_csv_rows(ctx, d, total))
    ctx.log(f"{ctx.dataset.key} [{lang}]: {rows} rows (CSV)")


def _fetch_pages(ctx: FetchContext, filter_id: str, lang: str, total: int) -> None:
    size = min(int(ctx.dataset.request.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
    pages = max(1, math.ceil(total / size))
    path = f"{ctx.dataset.dataset_id}/data/{filter_id}"
    seen = 0
    for page in range(1, pages + 1):
        expected = min(size, total - (page - 1) * size) if total else 0
        part, rows, download = ctx.get(
            path, params={"format": "json", "lang": lang, "page_number": page, "page_size": size},
            lang=lang, page=page, validate=lambda d, n=expected: _expect_json_rows(ctx, d, n),
            accept_status=_is_past_last_page)
        if part is None:  # the API says this page is past the end: it disagrees with totalLines
            if download.path:
                download.path.unlink(missing_ok=True)
            raise FetchError("statswales", download.url,
                             f"the API has no page {page} after {seen} of totalLines={total} rows")
        seen += rows
        ctx.log(f"{ctx.dataset.key} [{lang}]: page {page}/{pages}, {seen}/{total} rows")
    if seen != total:
        raise FetchError("statswales", ctx.client.url(path),
                         f"pages add up to {seen} rows but the query reports totalLines={total}")
