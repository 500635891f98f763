"""The Dagster retry policy on fetch assets: a whole fetch again after a transient fault, never after another.

The client retries each request (5 attempts); a publisher that keeps answering 503 beyond that
makes the fetch give up, and the asset's `RetryPolicy` starts the whole fetch again after a pause.
A 404 fails at once: it would fail the same way again. Real Dagster runs on an instance made from
the project's `dagster.yaml` (with its pools), real HTTP against a loopback server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, materialize
from werkzeug import Response

from orchestration.assets.sources import FETCH_RETRY, build_archive_asset, publisher_pool
from orchestration.resources import DataCymru
from sources.archive import Archive
from sources.http import FetchError, RetryableError, is_transient

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def instance(tmp_path: Path):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def nomis_dataset(datasets, httpserver, wire, monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_NOMIS_URL", httpserver.url_for(wire.prefixes["nomis"]))
    monkeypatch.setenv("DATA_CYMRU_NOMIS_RATE_LIMIT", "1000/1")
    return datasets.nomis()


def fetch_run(dataset, home: Path, instance: DagsterInstance):
    return materialize([build_archive_asset(dataset)], instance=instance, raise_on_error=False,
                       resources={"datacymru": DataCymru(home=str(home), mode="live")})


def events(result, kind: DagsterEventType) -> list:
    return [e for e in result.all_events if e.event_type == kind]


def test_a_fetch_that_gives_up_on_503s_is_started_again_and_succeeds(nomis_dataset, nomis_api, wire,
                                                                      home, instance):
    api = nomis_api(nomis_dataset, wire.nomis_rows(4), page_size=3)
    unavailable = Response("Service Unavailable", status=503, headers={"Retry-After": "0"})
    api.interject(0, *[unavailable] * 5)  # every attempt of the client's first fetch
    result = fetch_run(nomis_dataset, home, instance)
    assert result.success
    assert len(events(result, DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    assert len(api.requests) == 5 + 2  # five refused, then both pages
    archive = Archive(home / "archive", nomis_dataset.provider, nomis_dataset.name)
    assert len(archive.latest_fetch().data_parts) == 2


def test_a_404_fails_the_fetch_at_once_without_a_retry(nomis_dataset, nomis_api, wire, home,
                                                       instance):
    api = nomis_api(nomis_dataset, wire.nomis_rows(4), page_size=3)
    api.interject(0, Response("Not Found", status=404))
    result = fetch_run(nomis_dataset, home, instance)
    assert not result.success
    assert events(result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert len(api.requests) == 1
    failure = events(result, DagsterEventType.STEP_FAILURE)[0].step_failure_data.error
    assert "404" in failure.message and nomis_dataset.dataset_id in failure.message


def test_only_a_fetch_that_gave_up_on_a_retryable_fault_is_transient():
    gave_up = FetchError("nomis", "http://x", "gave up after 5 attempts: 503")
    gave_up.__cause__ = RetryableError("nomis", "http://x", "HTTP 503")
    assert is_transient(gave_up)
    assert not is_transient(FetchError("nomis", "http://x", "HTTP 404"))
    assert not is_transient(ValueError("a bad catalogue entry"))


def test_fetch_assets_carry_the_retry_policy_and_their_publishers_pool(nomis_dataset):
    fetch = build_archive_asset(nomis_dataset)
    assert fetch.op.retry_policy == FETCH_RETRY
    assert fetch.op.pool == publisher_pool(nomis_dataset) == "publisher_nomis"
