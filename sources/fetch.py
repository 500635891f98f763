"""Fetch a catalogue dataset into the raw archive (live, or replayed from the snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from sources.archive import Archive, FetchSet
from sources.catalogue import Dataset
from sources.connectors import CONNECTORS, FetchContext
from sources.http import PoliteClient
from sources.settings import DEFAULT_URLS, Settings
from sources.snapshot import SAMPLE_NOTICE, SnapshotAdapter, session_with


def make_client(dataset: Dataset, settings: Settings, *, session: requests.Session | None = None,
                log: Callable[[str], None] = print, **options) -> PoliteClient:
    """The provider's client: real HTTP in live mode, the recorded snapshot otherwise."""
    archive = Archive(settings.archive, dataset.provider, dataset.name)
    # The bounds on one answer apply to replayed answers as much as to live ones.
    bounds = {"deadline": settings.deadlines.get(dataset.provider),
              "max_bytes": settings.max_bytes.get(dataset.provider)}
    options = {**{k: v for k, v in bounds.items() if v is not None}, **options}
    if settings.mode == "snapshot" and session is None:
        session = session_with(SnapshotAdapter(settings.snapshot_dir / dataset.key))
        base = DEFAULT_URLS[dataset.provider]
        # Replaying needs no politeness delays: nothing leaves the machine.
        options = {"rate_limit": (1_000_000, 1.0), **options}
    else:
        base = settings.base_urls[dataset.provider]
        if dataset.provider in settings.rate_limits:
            options = {"rate_limit": settings.rate_limits[dataset.provider], **options}
        # One window per provider for every dataset of a refresh, whichever process fetches it:
        # a limit per client would let five datasets send five times the published rate.
        options = {"rate_limit_dir": settings.rate_limit_dir, **options}
    return PoliteClient(dataset.provider, base, settings.contact, session=session, log=log,
                        tmp_dir=archive.tmp_dir, **options)


def fetch_dataset(dataset: Dataset, settings: Settings, *, client: PoliteClient | None = None,
                  log: Callable[[str], None] = print,
                  backfill: dict[str, Any] | None = None) -> FetchSet:
    """Archive every response of one dataset and return the completed fetch.

    Nothing is parsed here beyond checking that each body is complete; a failure leaves the
    previous complete fetch as the latest one. `backfill` (the period range a backfill asked
    for, with `dataset` carrying that request) is recorded with the fetch, which then never
    counts as the dataset's latest, and asks without the conditional headers of the last
    scheduled fetch (another request, another answer).
    """
    if settings.mode == "snapshot":
        log(f"{dataset.key}: snapshot mode. {SAMPLE_NOTICE}")
    archive = Archive(settings.archive, dataset.provider, dataset.name)
    client = client or make_client(dataset, settings, log=log)
    fetch = FetchSet(dataset=dataset.key, mode=settings.mode, backfill=backfill)
    previous = None if backfill else archive.latest_fetch()
    ctx = FetchContext(dataset, client, archive, fetch, previous, log)
    try:
        CONNECTORS[dataset.provider](ctx)
    finally:
        ctx.close()
    if not fetch.data_parts:
        raise RuntimeError(f"{dataset.key}: the fetch archived no data")
    return archive.complete(fetch)
