"""StatsWales v2 (`https://api.stats.gov.wales/v2`), in English and in Welsh.

Route: POST a filter (with the options that add reference codes) to get a deterministic
`filterId`, read its `totalLines`, then either stream the whole dataset as CSV or page through
JSON (`page_number` / `page_size`) until the pages add up to `totalLines`.
"""

from __future__ import annotations

import math

from sources.connectors.base import FetchContext, InvalidBody, count_json_rows, csv_stats
from sources.http import Download, FetchError

MAX_PAGE_SIZE = 10_000


def _is_page_too_high(status: int, body: bytes) -> bool:
    return status == 400 and b"page_number_too_high" in body


def _expect_json(ctx: FetchContext, download: Download) -> int:
    if download.content_type != "application/json":
        raise InvalidBody("statswales", download.url,
                          f"expected JSON, got Content-Type {download.content_type!r}")
    return count_json_rows("statswales", download, ctx.scratch)


def fetch(ctx: FetchContext) -> None:
    """Archive every page of the dataset in each language."""
    ds, client = ctx.dataset, ctx.client
    meta = client.get_json(ds.dataset_id, params={"lang": "en-gb"})
    if meta.get("archived_at") or meta.get("replaced_by"):
        replaced = (meta.get("replaced_by") or {}).get("dataset_id")
        ctx.log(f"WARNING {ds.key}: StatsWales marks dataset {ds.dataset_id} as archived"
                + (f"; it is replaced by {replaced}: update the catalogue" if replaced else ""))
    options = {"use_raw_column_names": True, "use_reference_values": True,
               "data_value_type": ds.request.get("data_value_type", "raw")}
    created = client.get_json(f"{ds.dataset_id}/data", method="POST",
                              json_body={"filters": [], "options": options})
    filter_id = created.get("filterId") if isinstance(created, dict) else None
    if not filter_id:
        raise FetchError("statswales", client.url(f"{ds.dataset_id}/data"),
                         f"no filterId in answer: {created!r}")
    total = client.get_json(f"{ds.dataset_id}/query/{filter_id}").get("totalLines")
    if not isinstance(total, int):
        raise FetchError("statswales", client.url(f"{ds.dataset_id}/query/{filter_id}"),
                         "no integer totalLines in the stored query")
    for lang in ds.languages:
        if ds.request.get("format") == "csv":
            _fetch_csv(ctx, filter_id, lang, total)
        else:
            _fetch_pages(ctx, filter_id, lang, total)


def _fetch_csv(ctx: FetchContext, filter_id: str, lang: str, total: int) -> None:
    path = f"{ctx.dataset.dataset_id}/data/{filter_id}"
    _, (rows, _), download = ctx.get(
        path, params={"format": "csv", "lang": lang}, lang=lang, page=1,
        validate=lambda d: csv_stats("statswales", d, con=ctx.scratch))
    if rows != total:
        raise FetchError("statswales", download.url,
                         f"CSV has {rows} rows but the query reports totalLines={total}")
    ctx.log(f"{ctx.dataset.key} [{lang}]: {rows} rows (CSV)")


def _fetch_pages(ctx: FetchContext, filter_id: str, lang: str, total: int) -> None:
    size = min(int(ctx.dataset.request.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
    pages = max(1, math.ceil(total / size))
    path = f"{ctx.dataset.dataset_id}/data/{filter_id}"
    seen, page = 0, 1
    while True:
        part, rows, download = ctx.get(
            path, params={"format": "json", "lang": lang, "page_number": page, "page_size": size},
            lang=lang, page=page, validate=lambda d: _expect_json(ctx, d),
            accept_status=_is_page_too_high)
        if part is None:
            if download.path:
                download.path.unlink(missing_ok=True)
            if page == 1 or seen != total:
                raise FetchError("statswales", download.url,
                                 f"page_number_too_high at page {page} after {seen} of "
                                 f"{total} rows")
            break
        seen += rows
        ctx.log(f"{ctx.dataset.key} [{lang}]: page {page}/{pages}, {seen}/{total} rows")
        if rows < size or seen >= total:
            break
        page += 1
    if seen != total:
        raise FetchError("statswales", download.url,
                         f"pages add up to {seen} rows but the query reports totalLines={total}")
