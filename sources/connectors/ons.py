"""ONS API (`https://api.beta.ons.gov.uk/v1`): dataset → latest version → CSV download."""


from __future__ import annotations

from sources.connectors.base import FetchContext, InvalidBody, csv_stats, json_document
from sources.http import Download, FetchError


def _json_object(download: Download) -> dict:
    doc = json_document("ons", download)
    if not isinstance(doc, dict):
        raise InvalidBody("ons", download.url, f"expected a JSON object, got {type(doc).__name__}")
    return doc


def fetch(ctx: FetchContext) -> None:
    """Resolve the latest version of the dataset and archive its CSV download."""
    ds, client = ctx.dataset, ctx.client
    dataset = client.get_json(f"datasets/{ds.dataset_id}")
    if not isinstance(dataset, dict):
        raise FetchError("ons", client.url(f"datasets/{ds.dataset_id}"), "the dataset document is not "
                         "a JSON object")
    href = ((dataset.get("links") or {}).get("latest_version") or {}).get("href")
    if not href:
        raise FetchError("ons", client.url(f"datasets/{ds.dataset_id}"),
                         "no links.latest_version.href in dataset document")
    _, version, _ = ctx.get(href, role="metadata", validate=_json_object)
    csv_href = ((version.get("downloads") or {}).get("csv") or {}).get("href")
    if not csv_href:
        raise FetchError("ons", href, "the latest version has no downloads.csv.href")
    _, (rows, _), _ = ctx.get(csv_href, page=1, validate=lambda d: csv_stats("ons", d, con=ctx.scratch))
    ctx.log(f"{ds.key}: version {version.get('version')} released {version.get('release_date')}, "
            f"{rows} rows")
