"""Nomis (`https://www.nomisweb.co.uk/api/v01`): CSV pages by `recordOffset`.

`select=` fixes the columns (so the CSV layout cannot drift silently); every row carries
`RECORD_COUNT`, which plans the pages. Guests get at most 25,000 rows per call. A reply that is
not CSV is Nomis throttling (it answers with an HTML page), not data: it is retried with backoff
by the client and never archived.
"""

from __future__ import annotations

import dataclasses

from sources.connectors.base import FetchContext, csv_page_stats
from sources.http import FetchError


def fetch(ctx: FetchContext) -> None:
    """Archive every page of the dataset."""
    ds = ctx.dataset
    params = {k: str(v) for k, v in ds.request.items()}
    params["select"] = ",".join(c.header("en") for c in ds.columns)
    offset, page, total = 0, 1, None
    while True:
        part, (rows, count), download = ctx.get(
            f"dataset/{ds.dataset_id}.data.csv", params={**params, "recordOffset": offset},
            page=page, expect_type="text/csv",
            validate=lambda d: csv_page_stats("nomis", d, count_column="RECORD_COUNT", con=ctx.scratch))
        # The load checks its own count of each file against this one (see `csv_page_stats`).
        ctx.fetch.parts[-1] = dataclasses.replace(part, rows=rows)
        if total is None:
            total = count or 0
        elif count is not None and count != total:
            raise FetchError("nomis", download.url,
                             f"RECORD_COUNT changed between pages ({total} then {count}): "
                             "the dataset was updated while paging; fetch again")
        offset += rows
        ctx.log(f"{ds.key}: page {page}, {offset}/{total} rows")
        if rows == 0 or offset >= total:
            break
        page += 1
    if offset != total:
        raise FetchError("nomis", download.url,
                         f"pages add up to {offset} rows, RECORD_COUNT is {total}")
