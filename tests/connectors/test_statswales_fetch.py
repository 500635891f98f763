"""StatsWales v2: JSON pages in English and Welsh, page_number_too_high, invalid JSON, CSV stream."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from sources.archive import Archive
from sources.connectors.base import InvalidBody
from sources.fetch import fetch_dataset
from sources.http import FetchError
from sources.load import load_dataset


def data_files(archive: Archive) -> list:
    return sorted(p for p in archive.dir.iterdir() if p.is_file() and p.suffix in (".json", ".csv"))


@pytest.fixture
def dataset(datasets):
    return datasets.statswales(page_size=2)


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


def test_json_pages_in_english_and_welsh(dataset, live_settings, client_for, statswales_api, archive,
                                         warehouse, logs):
    api = statswales_api(dataset, count=5)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=logs.append)
    assert api.pages("en-gb") == [1, 2, 3] and api.pages("cy-gb") == [1, 2, 3]
    assert [(p.lang, p.page) for p in fetch.data_parts] == [
        ("en-gb", 1), ("en-gb", 2), ("en-gb", 3), ("cy-gb", 1), ("cy-gb", 2), ("cy-gb", 3)]
    assert api.posted == [{"filters": [], "options": {
        "use_raw_column_names": True, "use_reference_values": True, "data_value_type": "raw"}}]
    welsh = json.loads(archive.path_of(fetch.data_parts[3]).read_bytes())
    assert set(welsh[0]) == {"Blwyddyn", "Cod ardal", "Ardal", "Gwerthoedd data", "Codau nodiadau"}
    assert len(data_files(archive)) == 6

    result = load_dataset(dataset, fetch, archive, warehouse)
    assert result.rows == 10
    by_lang = dict(warehouse.execute(
        f"SELECT _lang, list(area_name ORDER BY area_code) FROM {dataset.raw_table} GROUP BY _lang"
    ).fetchall())
    assert "Wrecsam" in by_lang["cy-gb"] and "Wrexham" in by_lang["en-gb"]


def test_requests_carry_page_size_and_language(dataset, live_settings, client_for, statswales_api):
    api = statswales_api(dataset, count=3)
    fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    data = [r for r in api.requests if "/data/" in r.path]
    assert {r.args["page_size"] for r in data} == {"2"}
    assert {r.args["format"] for r in data} == {"json"}
    meta = api.requests[0]
    assert meta.path.endswith(dataset.dataset_id) and meta.args["lang"] == "en-gb"


def test_page_number_too_high_before_total_lines_fails_and_archives_nothing_of_it(
        dataset, live_settings, client_for, statswales_api, archive):
    api = statswales_api(dataset, count=4)
    api.total = 6  # the stored query promises more rows than the pages hold
    with pytest.raises(FetchError, match="page_number_too_high at page 3 after 4 of 6 rows"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None
    for path in archive.dir.rglob("*"):
        if path.is_file():
            assert b"page_number_too_high" not in path.read_bytes()


def test_page_number_too_high_on_the_first_page_fails(dataset, live_settings, client_for, statswales_api,
                                                      answers, archive):
    api = statswales_api(dataset, count=4)
    api.interject(("en-gb", 1), answers.json({"errors": [{"message": "errors.page_number_too_high"}]}, 400))
    with pytest.raises(FetchError, match="page_number_too_high at page 1"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None


def test_another_400_is_an_error_not_the_end_of_the_pages(dataset, live_settings, client_for, statswales_api,
                                                          answers):
    api = statswales_api(dataset, count=4)
    api.interject(("en-gb", 2), answers.json({"errors": [{"message": "errors.page_size_out_of_range"}]}, 400))
    with pytest.raises(FetchError, match="HTTP 400.*page_size_out_of_range"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)


def test_invalid_json_is_rejected_and_kept_aside(dataset, live_settings, client_for, statswales_api,
                                                 archive):
    api = statswales_api(dataset, count=5)
    broken = b'[{"Year": "2023-24", "Area code": "W06000001"}, {"Year": '
    api.interject(("cy-gb", 2), Response(broken, content_type="application/json"))
    with pytest.raises(InvalidBody, match="not a complete JSON array") as info:
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert "rejected" in str(info.value)
    (kept,) = (archive.dir / "rejected").iterdir()
    assert kept.read_bytes() == broken
    (row,) = [json.loads(x) for x in (archive.dir / "rejected.jsonl").read_text().splitlines()]
    assert "page_number=2" in row["url"] and "lang=cy-gb" in row["url"]
    assert all(p.read_bytes() != broken for p in data_files(archive))
    assert archive.latest_fetch() is None


def test_a_json_page_served_as_html_is_rejected(dataset, live_settings, client_for, statswales_api, archive):
    api = statswales_api(dataset, count=3)
    api.interject(("en-gb", 1), Response("<html>maintenance</html>", content_type="text/html"))
    with pytest.raises(InvalidBody, match="expected JSON, got Content-Type 'text/html'"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert not data_files(archive)


def test_a_truncated_json_page_is_retried(dataset, live_settings, client_for, statswales_api, answers,
                                          archive):
    api = statswales_api(dataset, count=3)
    api.interject(("en-gb", 2), answers.truncated(b'[{"Year": "2023-24"', "application/json"))
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert api.pages("en-gb") == [1, 2, 2]
    assert not (archive.dir / "rejected").exists()
    for part in fetch.data_parts:
        json.loads(archive.path_of(part).read_bytes())


def test_429_and_500_on_pages_are_retried(dataset, live_settings, client_for, statswales_api, sleeps):
    api = statswales_api(dataset, count=3)
    api.interject(("en-gb", 1), Response("busy", status=429, headers={"Retry-After": "3"}))
    api.interject(("cy-gb", 2), Response("oops", status=500))
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert sleeps.calls[0] == 3.0 and len(sleeps.calls) == 2
    assert len(fetch.data_parts) == 4


def test_an_archived_dataset_is_reported(dataset, live_settings, client_for, statswales_api, logs):
    api = statswales_api(dataset, count=2)
    api.meta.update(archived_at="2026-01-01T00:00:00Z", replaced_by={"dataset_id": "new-uuid"})
    fetch_dataset(dataset, live_settings, client=client_for(dataset), log=logs.append)
    assert any(line.startswith("WARNING") and "new-uuid" in line for line in logs)


def test_the_csv_stream_in_both_languages(datasets, live_settings, client_for, statswales_api, warehouse):
    dataset = datasets.statswales(key="statswales__test_wimd", fmt="csv")
    api = statswales_api(dataset, count=5)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert [(p.lang, p.ext) for p in fetch.data_parts] == [("en-gb", "csv"), ("cy-gb", "csv")]
    assert {r.args.get("format") for r in api.requests if "/data/" in r.path} == {"csv"}
    archive = Archive(live_settings.archive, dataset.provider, dataset.name)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 10


def test_a_csv_stream_shorter_than_total_lines_fails(datasets, live_settings, client_for, statswales_api):
    dataset = datasets.statswales(key="statswales__test_wimd", fmt="csv")
    api = statswales_api(dataset, count=5)
    api.total = 7
    with pytest.raises(FetchError, match="CSV has 5 rows but the query reports totalLines=7"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
