"""StatsWales v2 against a loopback server built from the backend's own rules (tests/statswales_server).

The server knows nothing of the client or the catalogue: it names columns as the backend does, per
language, so these tests fail if the client guesses a name instead of reading it from the API.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from statswales_server.backend import StatsWalesServer, serve
from statswales_server.wimd import WIMD_DATASET_ID, build_wimd_cube

from sources.archive import Archive
from sources.catalogue import Dataset, catalogue
from sources.connectors.statswales import _is_past_last_page
from sources.fetch import fetch_dataset, make_client
from sources.http import FetchError
from sources.load import LoadError, load_dataset
from sources.settings import Settings

LSOAS = 44  # two per council: small, but every council and domain is there
DOMAINS = 9


@pytest.fixture
def server() -> Iterator[StatsWalesServer]:
    with serve(build_wimd_cube(n_lsoas=LSOAS)) as api:
        yield api


@pytest.fixture
def settings(home: Path, server: StatsWalesServer) -> Settings:
    return Settings(home=home, mode="live", base_urls={"statswales": server.base_url},
                    contact="tests@datacymru.example")


def wimd(**request) -> Dataset:
    """The catalogue's WIMD entry, with its request changed (format, page size)."""
    dataset = catalogue()["statswales__wimd_2025"]
    return dataclasses.replace(dataset, request={**dataset.request, **request})


@pytest.fixture
def fetch(settings, sleeps, logs):
    def run(dataset: Dataset, **options):
        options = {"sleep": sleeps, "backoff_base": 0.01, "timeout": (2.0, 2.0), "max_attempts": 4,
                   "rate_limit": (10_000, 1.0), **options}
        client = make_client(dataset, settings, log=logs.append, **options)
        return fetch_dataset(dataset, settings, client=client, log=logs.append)
    return run


def archive_of(settings: Settings, dataset: Dataset) -> Archive:
    return Archive(settings.archive, dataset.provider, dataset.name)


def data_requests(server: StatsWalesServer) -> list:
    return [r for r in server.requests if "/data/" in r.path and r.method == "GET"]


def test_csv_in_both_languages_loads_with_names_read_from_the_api(fetch, settings, server, warehouse):
    dataset = wimd()
    done = fetch(dataset)
    assert [(p.lang, p.ext) for p in done.data_parts] == [("en-gb", "csv"), ("cy-gb", "csv")]
    result = load_dataset(dataset, done, archive_of(settings, dataset), warehouse)
    assert result.rows == 2 * LSOAS * DOMAINS  # only the Rank measure was asked for
    rows = warehouse.execute(
        f"SELECT _lang, count(*), count(DISTINCT measure_name), min(area_parent_code), "
        f"count(DISTINCT domain_code), any_value(_dataset_title) FROM {dataset.raw_table} "
        "GROUP BY _lang ORDER BY _lang").fetchall()
    (cy, en) = rows
    assert en[:5] == ("en-gb", LSOAS * DOMAINS, 1, "W06000001", DOMAINS)
    assert cy[:5] == ("cy-gb", LSOAS * DOMAINS, 1, "W06000001", DOMAINS)
    assert en[5].startswith("WIMD 2025") and "MALlC 2025" in cy[5]
    same = warehouse.execute(
        f"SELECT count(*) FROM {dataset.raw_table} AS e JOIN {dataset.raw_table} AS c "
        "USING (area_code, domain_code, measure_code) WHERE e._lang = 'en-gb' AND c._lang = 'cy-gb' "
        "AND e.value IS NOT DISTINCT FROM c.value").fetchone()[0]
    assert same == LSOAS * DOMAINS


def test_the_measure_filter_is_sent_as_the_apis_own_reference(fetch, server):
    fetch(wimd())
    (post,) = [r for r in server.requests if r.method == "POST"]
    body = post.body if isinstance(post.body, dict) else json.loads(post.body)
    assert body["filters"] == [{"Measure": ["501"]}]  # 'Rank', read from /filters
    assert body["options"] == {"use_raw_column_names": True, "use_reference_values": True,
                               "data_value_type": "raw_extended"}


def test_every_answer_is_archived_so_a_fetch_can_be_rechecked(fetch, settings):
    dataset = wimd()
    done = fetch(dataset)
    roles = [(p.role, p.lang) for p in done.parts]
    assert roles == [("metadata", "en-gb"), ("filters", "en-gb"), ("metadata", "cy-gb"),
                     ("filters", "cy-gb"), ("filter", None), ("query", None),
                     ("data", "en-gb"), ("data", "cy-gb")]
    archive = archive_of(settings, dataset)
    query = json.loads(archive.path_of(done.parts[5]).read_bytes())
    assert query["totalLines"] == LSOAS * DOMAINS
    manifest = [json.loads(line) for line in (archive.dir / "manifest.jsonl").read_text().splitlines()]
    assert [m["role"] for m in manifest] == [role for role, _ in roles]
    assert all(archive.path_of(p).exists() for p in done.parts)


def test_json_pages_of_up_to_10000_rows_add_up_to_total_lines(fetch, settings, server, warehouse):
    dataset = wimd(format="json", page_size=150)
    done = fetch(dataset)
    pages = [int(r.query["page_number"][0]) for r in data_requests(server)]
    assert pages == [1, 2, 3, 1, 2, 3]  # 396 rows in pages of 150, then in Welsh
    assert load_dataset(dataset, done, archive_of(settings, dataset), warehouse).rows == 2 * LSOAS * DOMAINS
    fetch(wimd(format="json"))
    assert {r.query["page_size"][0] for r in data_requests(server)[6:]} == {"10000"}


@pytest.mark.parametrize("kind", ["429", "500", "503", "slow", "truncate", "drop"])
def test_transient_faults_on_a_page_are_retried(fetch, settings, server, sleeps, kind, warehouse):
    dataset = wimd(format="json", page_size=150)
    server.fail(f"/{WIMD_DATASET_ID}/data/*", kind, times=2, delay=3.0, retry_after=2)
    done = fetch(dataset)
    assert len(sleeps.calls) == 2
    if kind == "429":
        assert sleeps.calls == [2.0, 2.0]  # Retry-After honoured
    assert load_dataset(dataset, done, archive_of(settings, dataset), warehouse).rows == 2 * LSOAS * DOMAINS


def test_a_complete_but_cut_json_body_is_kept_aside_and_retried(fetch, settings, server, sleeps):
    dataset = wimd(format="json", page_size=150)
    server.fail(f"/{WIMD_DATASET_ID}/data/*", "cut_json", times=1)
    done = fetch(dataset)
    archive = archive_of(settings, dataset)
    (kept,) = (archive.dir / "rejected").iterdir()
    assert all(archive.path_of(p).read_bytes() != kept.read_bytes() for p in done.data_parts)
    assert len(sleeps.calls) == 1 and len(done.data_parts) == 6


def test_a_fault_on_every_attempt_fails_loudly_and_keeps_the_last_good_fetch(fetch, settings, server):
    dataset = wimd()
    good = fetch(dataset)
    server.fail(f"/{WIMD_DATASET_ID}/data/*", "500", times=10)
    with pytest.raises(FetchError, match="gave up after 4 attempts"):
        fetch(dataset)
    assert archive_of(settings, dataset).latest_fetch().fetch_id == good.fetch_id


def test_a_renamed_column_stops_the_load_and_keeps_the_previous_table(fetch, settings, server, warehouse):
    dataset = wimd()
    load_dataset(dataset, fetch(dataset), archive_of(settings, dataset), warehouse)
    server.rename_column(WIMD_DATASET_ID, "cy", "Enw ardal", "Enw'r ardal")
    drifted = fetch(dataset)
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, drifted, archive_of(settings, dataset), warehouse)
    message = str(info.value)
    assert f"file {drifted.data_parts[1].sha256}.csv" in message
    assert "'Enw ardal'" in message and "Enw'r ardal" in message and "is unchanged" in message
    assert warehouse.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0] == 2 * LSOAS * DOMAINS


def test_a_dimension_the_api_does_not_offer_is_named_with_what_it_offers(fetch, server):
    server.set_dimension_name(WIMD_DATASET_ID, "AreaName", "en", "LSOA name")
    with pytest.raises(FetchError) as info:
        fetch(wimd())
    message = str(info.value)
    assert "dimension 'area_label' (English name 'Area name') is not offered" in message
    assert "'LSOA name' (AreaName)" in message and "'Domain' (Domain)" in message
    assert not data_requests(server)


def test_a_filter_value_the_api_does_not_offer_is_named(fetch):
    with pytest.raises(FetchError, match=r"request.filter.measure keeps \['Ranks'\].*offers \['Decile'"):
        fetch(wimd(filter={"measure": ["Ranks"]}))


def test_the_welsh_names_are_never_typed_in(fetch, settings, server, warehouse):
    """A Welsh dimension name the catalogue has never seen loads, because it is read from the API."""
    server.set_dimension_name(WIMD_DATASET_ID, "Domain", "cy", "Parthau amddifadedd")
    dataset = wimd()
    done = fetch(dataset)
    assert load_dataset(dataset, done, archive_of(settings, dataset), warehouse).rows == 2 * LSOAS * DOMAINS


def test_past_the_last_page_is_the_apis_translated_400():
    english = json.dumps({"error": "Page number must be less than or equal to {{page_number}}"}).encode()
    welsh = json.dumps({"error": "Rhaid i rif y dudalen fod yn llai na {{page_number}} neu\u2019n "
                                 "{{page_number}} tudalen"}, ensure_ascii=False).encode()
    assert _is_past_last_page(400, english) and _is_past_last_page(400, welsh)
    assert not _is_past_last_page(500, english)
    assert not _is_past_last_page(400, b"<html>Bad request</html>")


def test_an_archived_dataset_is_reported(fetch, server, logs):
    cube = server.cube(WIMD_DATASET_ID)
    cube.archived_at = "2026-01-01T00:00:00.000Z"
    cube.replaced_by = {"dataset_id": "0f0e0d0c-0000-4000-8000-000000000001", "auto_redirect": False}
    fetch(wimd())
    assert any(line.startswith("WARNING") and "0f0e0d0c" in line for line in logs)
