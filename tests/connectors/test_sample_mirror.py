"""Every catalogue dataset, fetched in live mode from a loopback mirror of the three APIs.

The mirror serves the SAMPLE data of `sources.sample_api` over real HTTP. Fetching from it must
behave exactly as against the publishers, and give the same bytes as the bundled snapshot.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from sources.archive import Archive, FetchSet
from sources.catalogue import Dataset, catalogue
from sources.fetch import fetch_dataset, make_client
from sources.load import load_dataset
from sources.record_snapshot import record
from sources.sample_api import SampleApi, mirror_urls, serve
from sources.settings import Settings

CONTACT = "tests@datacymru.example"
DATASETS = sorted(catalogue())
PAGE = 400  # small enough that every Nomis dataset of the sample needs several pages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def mirrors() -> Iterator[Callable[[int], tuple[SampleApi, dict[str, str]]]]:
    """Sample-API mirrors by Nomis page size, started once per module."""
    running: dict[int, tuple] = {}

    def start(nomis_page_size: int) -> tuple[SampleApi, dict[str, str]]:
        if nomis_page_size not in running:
            port = free_port()
            urls = mirror_urls(f"http://127.0.0.1:{port}")
            api = SampleApi(urls, nomis_page_size=nomis_page_size)
            server, _ = serve(api, "127.0.0.1", port)
            running[nomis_page_size] = (api, urls, server)
        api, urls, _ = running[nomis_page_size]
        return api, urls

    yield start
    for _, _, server in running.values():
        server.shutdown()
        server.server_close()


def fetch(dataset: Dataset, settings: Settings):
    client = make_client(dataset, settings, log=lambda _m: None, rate_limit=(10_000, 1.0),
                         backoff_base=0.01, max_attempts=2)
    return fetch_dataset(dataset, settings, client=client, log=lambda _m: None)


def expected_rows(api: SampleApi, dataset: Dataset, fetched: FetchSet, archive: Archive) -> int:
    """Rows of the raw table: the sample's observations once per language (StatsWales: the rows its
    stored query counts, as archived with the fetch)."""
    if dataset.provider == "statswales":
        (query,) = [p for p in fetched.parts if p.role == "query"]
        return json.loads(archive.path_of(query).read_bytes())["totalLines"] * len(dataset.languages)
    return len(api.rows(dataset.key)) * len(dataset.languages)


@pytest.mark.parametrize("key", DATASETS)
def test_fetch_and_load_every_dataset_from_a_mirror(key, mirrors, tmp_path: Path):
    api, urls = mirrors(PAGE)
    dataset = catalogue()[key]
    settings = Settings(home=tmp_path, mode="live", base_urls=urls, contact=CONTACT)
    fetched = fetch(dataset, settings)
    archive = Archive(settings.archive, dataset.provider, dataset.name)
    with duckdb.connect(str(settings.warehouse)) as con:
        result = load_dataset(dataset, fetched, archive, con)
        assert result.rows == expected_rows(api, dataset, fetched, archive)
        assert not result.warnings
        langs, sources, hashes, missing = con.execute(
            f"SELECT list(DISTINCT _lang ORDER BY _lang), list(DISTINCT _source_url), "
            f"list(DISTINCT _archive_sha256), count(*) FILTER (_loaded_at IS NULL OR _retrieved_at IS NULL) "
            f"FROM {dataset.raw_table}").fetchone()
    assert set(langs) == set(dataset.languages)
    assert all(url.startswith("http://127.0.0.1:") for url in sources)
    assert sorted(hashes) == sorted({p.sha256 for p in fetched.data_parts})
    assert missing == 0
    if dataset.provider == "nomis":
        assert len(fetched.data_parts) == -(-len(api.rows(key)) // PAGE)
    if dataset.provider == "statswales" and dataset.request.get("format") == "json":
        assert len(fetched.data_parts) == 2 * -(-expected_rows(api, dataset, fetched, archive) // 2 // 10_000)


@pytest.mark.parametrize("key", ["nomis__claimant_count", "statswales__municipal_waste"])
def test_a_second_fetch_of_unchanged_data_skips_the_load(key, mirrors, tmp_path: Path):
    api, urls = mirrors(PAGE)
    dataset = catalogue()[key]
    settings = Settings(home=tmp_path, mode="live", base_urls=urls, contact=CONTACT)
    archive = Archive(settings.archive, dataset.provider, dataset.name)
    first = fetch(dataset, settings)
    files = sorted(archive.dir.iterdir())
    second = fetch(dataset, settings)
    assert second.data_version == first.data_version
    assert sorted(archive.dir.iterdir()) == files
    with duckdb.connect(str(settings.warehouse)) as con:
        assert not load_dataset(dataset, first, archive, con).skipped
        again = load_dataset(dataset, second, archive, con)
        assert again.skipped and again.rows == expected_rows(api, dataset, second, archive)


@pytest.mark.parametrize("key", DATASETS)
def test_live_from_the_mirror_matches_a_recorded_replay(key, mirrors, tmp_path: Path):
    _, urls = mirrors(25_000)  # the publishers' guest page size, as snapshots are recorded
    dataset = catalogue()[key]
    live = fetch(dataset, Settings(home=tmp_path / "live", mode="live", base_urls=urls, contact=CONTACT))
    record(out=tmp_path / "recorded", keys=[key])
    replayed = fetch(dataset, Settings(home=tmp_path / "replay", mode="snapshot",
                                       snapshot_dir=tmp_path / "recorded"))
    assert [(p.lang, p.page, p.sha256) for p in live.data_parts] == \
        [(p.lang, p.page, p.sha256) for p in replayed.data_parts]
    assert live.data_version == replayed.data_version
