"""ONS API (`https://api.beta.ons.gov.uk/v1`): dataset → latest version → CSV download."""


from __future__ import annotations

import json

from sources.connectors.base import FetchContext, csv_stats
from sources.http import FetchError


def fetch(ctx: FetchContext) -> None:
    """Resolve the latest version of the dataset and archive its CSV download."""
    ds, client = ctx.dataset, ctx.client
    dataset = client.get_json(f"datasets/{ds.dataset_id}")
    href = ((dataset.get("links") or {}).get("latest_version") or {}).get("href")
    if not href:
        raise FetchError("ons", client.url(f"datasets/{ds.dataset_id}"),
                         "no links.latest_version.href in dataset document")
    version_part, _, _ = ctx.get(href, role="metadata")
    version = json.loads(ctx.archive.path_of(version_part).read_text(encoding="utf-8"))
    csv_href = ((version.get("downloads") or {}).get("csv") or {}).get("href")
    if not csv_href:
        raise FetchError("ons", href, "the latest version has no downloads.csv.href")
    _, (rows, _), _ = ctx.get(csv_href, page=1, validate=lambda d: csv_stats("ons", d))
    ctx.log(f"{ds.key}: version {version.get('version')} released {version.get('release_date')}, "
            f"{rows} rows")
