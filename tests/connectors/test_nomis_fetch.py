"""Nomis: recordOffset pages, throttling pages, conditional requests, truncated bodies."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from werkzeug import Response

from sources.archive import Archive
from sources.catalogue import catalogue
from sources.fetch import fetch_dataset, make_client
from sources.http import FetchError
from sources.load import LoadError, load_dataset
from sources.settings import Settings


def archived_files(archive: Archive) -> list[Path]:
    return sorted(p for p in archive.dir.iterdir() if p.is_file() and not p.name.endswith(".jsonl"))


def manifest(archive: Archive) -> list[dict]:
    path = archive.dir / "manifest.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def dataset(datasets):
    return datasets.nomis()


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


def test_pages_follow_record_offset_until_record_count(dataset, live_settings, client_for, nomis_api,
                                                       wire, archive, logs):
    rows = wire.nomis_rows(7)
    api = nomis_api(dataset, rows, page_size=3)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=logs.append)
    assert [int(r.args["recordOffset"]) for r in api.requests] == [0, 3, 6]
    assert {r.args["select"] for r in api.requests} == {",".join(wire.nomis_headers)}
    assert {r.args["geography"] for r in api.requests} == {"W92000004"}
    assert [p.page for p in fetch.data_parts] == [1, 2, 3]
    assert len(archived_files(archive)) == 3
    for part, offset in zip(fetch.data_parts, [0, 3, 6], strict=True):
        assert archive.path_of(part).read_bytes() == api.body(offset)
        assert f"recordOffset={offset}" in part.url
    assert [m["page"] for m in manifest(archive)] == [1, 2, 3]
    assert archive.latest_fetch().fetch_id == fetch.fetch_id
    assert any("7/7 rows" in line for line in logs)


def test_a_dataset_that_fits_one_page_needs_one_request(dataset, live_settings, client_for, nomis_api,
                                                        wire):
    api = nomis_api(dataset, wire.nomis_rows(3), page_size=25_000)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert len(api.requests) == 1 and len(fetch.data_parts) == 1


def test_html_throttling_page_is_retried_and_never_archived(dataset, live_settings, client_for, nomis_api,
                                                            wire, answers, archive, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    api.interject(3, answers.throttled_page(), answers.throttled_page())
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert [int(r.args["recordOffset"]) for r in api.requests] == [0, 3, 3, 3]
    assert len(sleeps.calls) == 2  # two backoffs, one per throttled answer
    assert len(fetch.data_parts) == 2
    for path in archived_files(archive):
        assert b"<html" not in path.read_bytes()
        assert path.suffix == ".csv"
    assert all(m["headers"]["Content-Type"] == "text/csv" for m in manifest(archive))


def test_persistent_throttling_fails_without_completing_the_fetch(dataset, live_settings, client_for,
                                                                  nomis_api, wire, answers, archive):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    api.interject(3, *[answers.throttled_page() for _ in range(10)])
    with pytest.raises(FetchError, match="expected text/csv, got text/html"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None
    assert not any(p.suffix == ".html" for p in archive.dir.rglob("*"))


def test_429_with_retry_after_is_honoured_between_pages(dataset, live_settings, client_for, nomis_api,
                                                        wire, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    api.interject(3, Response("Too Many Requests", status=429, headers={"Retry-After": "12"}))
    client = client_for(dataset)
    fetch = fetch_dataset(dataset, live_settings, client=client, log=print)
    assert sleeps.calls == [12.0]
    assert client.requests_sent == 3
    assert len(fetch.data_parts) == 2


def test_500_then_success(dataset, live_settings, client_for, nomis_api, wire, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(4), page_size=3)
    api.interject(0, Response("Internal Server Error", status=500))
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert len(api.requests) == 3
    assert len(sleeps.calls) == 1 and sleeps.calls[0] < 0.1
    assert len(fetch.data_parts) == 2


def test_a_truncated_page_is_retried_and_never_archived(dataset, live_settings, client_for, nomis_api,
                                                        wire, answers, archive):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    whole = api.body(3)
    cut = whole[: len(whole) // 2]
    api.interject(3, answers.truncated(cut, "text/csv", missing=len(whole) - len(cut)))
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.path_of(fetch.data_parts[1]).read_bytes() == whole
    assert all(p.read_bytes() != cut for p in archived_files(archive))
    assert len(manifest(archive)) == 2
    assert list(archive.tmp_dir.iterdir()) == []


def test_a_page_that_is_always_truncated_fails_the_fetch(dataset, live_settings, client_for, nomis_api,
                                                         wire, answers, archive):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3)
    whole = api.body(3)
    api.interject(3, *[answers.truncated(whole[:40], "text/csv") for _ in range(4)])
    with pytest.raises(FetchError, match="body cut short"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None
    assert len(archived_files(archive)) == 1  # page 1 only; it belongs to no complete fetch
    assert list(archive.tmp_dir.iterdir()) == []


def test_record_count_changing_between_pages_fails_the_fetch(dataset, live_settings, client_for, nomis_api,
                                                             wire, archive):
    api = nomis_api(dataset, wire.nomis_rows(6), page_size=3)
    api.interject(3, lambda: Response(wire.nomis_csv(wire.nomis_rows(3), 3, 9), content_type="text/csv"))
    with pytest.raises(FetchError, match=r"RECORD_COUNT changed between pages \(6 then 9\)"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None


def test_pages_that_fall_short_of_record_count_fail_the_fetch(dataset, live_settings, client_for, nomis_api,
                                                              wire, archive):
    api = nomis_api(dataset, wire.nomis_rows(4), page_size=3)
    api.total = 10  # the server claims more rows than it serves
    with pytest.raises(FetchError, match="pages add up to 4 rows, RECORD_COUNT is 10"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None


def test_etag_makes_the_second_fetch_conditional(dataset, live_settings, client_for, nomis_api, wire,
                                                 archive, warehouse):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3, etag=True)
    first = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert all(r.headers.get("If-None-Match") is None for r in api.requests)
    assert all(p.etag for p in first.data_parts)
    files = archived_files(archive)
    loaded = load_dataset(dataset, first, archive, warehouse)
    assert not loaded.skipped and loaded.rows == 5

    api.requests.clear()
    second = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    sent = [r.headers.get("If-None-Match") for r in api.requests]
    assert sent == [p.etag for p in first.data_parts]
    assert second.data_parts == first.data_parts
    assert second.data_version == first.data_version
    assert second.fetch_id != first.fetch_id
    assert archived_files(archive) == files
    assert [m["status"] for m in manifest(archive)] == [200, 200, 304, 304]
    assert load_dataset(dataset, second, archive, warehouse).skipped


def test_changed_content_after_an_etag_is_archived_as_a_new_version(dataset, live_settings, client_for,
                                                                    nomis_api, wire, archive):
    api = nomis_api(dataset, wire.nomis_rows(2), page_size=3, etag=True)
    first = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    api.rows = [{**row, "OBS_VALUE": "5"} for row in api.rows]
    second = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert second.data_version != first.data_version
    assert len(archived_files(archive)) == 2


def test_renamed_column_fails_the_load_and_keeps_the_previous_table(dataset, live_settings, client_for,
                                                                    nomis_api, wire, archive, warehouse):
    api = nomis_api(dataset, wire.nomis_rows(4), page_size=3)
    first = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    load_dataset(dataset, first, archive, warehouse)
    before = warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall()

    api.headers = ["OBS_VALUE_NEW" if h == "OBS_VALUE" else h for h in wire.nomis_headers]
    api.rows = [{**r, "OBS_VALUE_NEW": r["OBS_VALUE"]} for r in api.rows]
    drifted = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, drifted, archive, warehouse)
    message = str(info.value)
    assert dataset.key in message
    assert archive.path_of(drifted.data_parts[0]).name in message
    assert "'OBS_VALUE'" in message and "'OBS_VALUE_NEW'" in message
    assert warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall() == before


def test_a_mirror_gets_the_same_requests_as_the_publisher(dataset, live_settings, client_for, nomis_api,
                                                          wire):
    api = nomis_api(dataset, wire.nomis_rows(2), page_size=3)
    fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    (request,) = api.requests
    assert request.path == f"{wire.prefixes['nomis']}/dataset/{dataset.dataset_id}.data.csv"
    assert dict(request.args) == {"geography": "W92000004", "measures": "20100",
                                  "select": ",".join(wire.nomis_headers), "recordOffset": "0"}
    assert live_settings.contact in request.headers["User-Agent"]


def test_a_page_that_times_out_is_retried(dataset, home, threaded_httpserver, nomis_api, wire, sleeps):
    api = nomis_api(dataset, wire.nomis_rows(5), page_size=3, server=threaded_httpserver)

    def stall() -> Response:
        time.sleep(1.0)  # longer than the client's read timeout below
        return Response(api.body(3), content_type="text/csv")

    api.interject(3, stall)
    settings = Settings(home=home, mode="live",
                        base_urls={"nomis": threaded_httpserver.url_for(wire.prefixes["nomis"])})
    client = make_client(dataset, settings, log=print, sleep=sleeps, backoff_base=0.01, timeout=(2.0, 0.3))
    fetch = fetch_dataset(dataset, settings, client=client, log=print)
    assert [int(r.args["recordOffset"]) for r in api.requests] == [0, 3, 3]
    assert len(sleeps.calls) == 1
    assert len(fetch.data_parts) == 2


def test_ashe_asks_for_full_time_pay_by_sex_and_keeps_the_sex_code(live_settings, client_for, nomis_api,
                                                                   warehouse):
    # reference/wire-formats.md: NM_30_1 full-time median gross weekly pay by sex is
    # sex=8,1,3&item=2&pay=1 (8 full-time workers, 1 male full-time, 3 female full-time; 9 would be
    # part-time and there is no 10). SEX, the code, is selected so that staging keys on it.
    dataset = catalogue()["nomis__ashe_pay"]
    headers = [c.header("en") for c in dataset.columns]
    rows = [{"DATE_NAME": "2024", "GEOGRAPHY_CODE": "W92000004", "GEOGRAPHY_NAME": "Wales", "SEX": code,
             "SEX_NAME": label, "ITEM_NAME": "Median", "PAY_NAME": "Weekly pay - gross",
             "MEASURES_NAME": "Value", "OBS_VALUE": value, "OBS_STATUS": "P", "OBS_CONF": "F"}
            for code, label, value in (("8", "Full Time Workers", "650.1"),
                                       ("1", "Male Full Time Workers", "680.4"),
                                       ("3", "Female Full Time Workers", "611.9"))]
    api = nomis_api(dataset, rows, page_size=25_000, headers=headers)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    (request,) = api.requests
    assert (request.args["sex"], request.args["item"], request.args["pay"]) == ("8,1,3", "2", "1")
    assert {"SEX", "SEX_NAME"} <= set(request.args["select"].split(","))
    archive = Archive(live_settings.archive, dataset.provider, dataset.name)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 3
    loaded = warehouse.execute(f"SELECT sex_code, sex_name FROM {dataset.raw_table} ORDER BY sex_code")
    assert loaded.fetchall() == [("1", "Male Full Time Workers"), ("3", "Female Full Time Workers"),
                                 ("8", "Full Time Workers")]


def test_pages_are_counted_by_line_and_the_load_agrees(dataset, live_settings, client_for, nomis_api, wire,
                                                       archive, warehouse):
    nomis_api(dataset, wire.nomis_rows(7), page_size=3)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert [p.rows for p in fetch.data_parts] == [3, 3, 1]
    assert [p.rows for p in archive.latest_fetch().data_parts] == [3, 3, 1]
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 7


def test_a_value_spanning_lines_is_refused_by_the_load_naming_the_file(dataset, live_settings, client_for,
                                                                       nomis_api, wire, archive, warehouse):
    # Counted by line, page 1 (3 records, one value holding a line break) looks like 4 records, so
    # page 2 is asked for from offset 4 and record 4 is never fetched: only the load's parse sees it.
    api = nomis_api(dataset, wire.nomis_rows(4), page_size=3)
    load_dataset(dataset, fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print),
                 archive, warehouse)
    before = warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall()

    rows = wire.nomis_rows(5)
    rows[1]["GEOGRAPHY_NAME"] = "Area\nwith a line break"
    api.rows = rows
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert [p.rows for p in fetch.data_parts] == [4, 1]
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, fetch, archive, warehouse)
    message = str(info.value)
    assert archive.path_of(fetch.data_parts[0]).name in message
    assert "holds 3 records but its fetch counted 4 lines" in message
    assert warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall() == before
