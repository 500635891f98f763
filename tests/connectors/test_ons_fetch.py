"""ONS CMD: dataset → latest version → CSV download."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from sources.archive import Archive
from sources.catalogue import catalogue
from sources.connectors.base import InvalidBody
from sources.fetch import fetch_dataset
from sources.http import FetchError
from sources.load import load_dataset

CSV = (b"v4_0,calendar-years,Time,administrative-geography,Geography\r\n"
       b"69000,2024,2024,W06000001,Isle of Anglesey\r\n"
       b"117000,2024,2024,W06000002,Gwynedd\r\n"
       b"3160000,2024,2024,W92000004,Wales\r\n")


# The real v4 layout of mid-year-pop-est (reference/wire-formats.md): code/label pairs, with `sex`
# and `Sex` differing only in case, text sex codes and age codes such as `90+` and `total`.
REAL_CSV = (b"v4_0,calendar-years,Time,administrative-geography,Geography,sex,Sex,single-year-of-age,Age\r\n"
            b"3131640,2023,2023,W92000004,Wales,all,All,total,Total\r\n"
            b"1540000,2023,2023,W92000004,Wales,male,Male,total,Total\r\n"
            b"1591640,2023,2023,W92000004,Wales,female,Female,total,Total\r\n"
            b"9000,2023,2023,W92000004,Wales,female,Female,90+,90+\r\n")


@pytest.fixture
def dataset(datasets):
    return datasets.ons()


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


def test_latest_version_is_resolved_and_its_csv_archived(dataset, live_settings, client_for, ons_api,
                                                         archive, warehouse, logs):
    api = ons_api(dataset, CSV)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=logs.append)
    assert [r.path for r in api.requests] == [
        f"/ons/v1/datasets/{dataset.dataset_id}",
        f"/ons/v1/datasets/{dataset.dataset_id}/editions/mid-2022-england-wales/versions/3",
        f"/ons-download/datasets/{dataset.dataset_id}/editions/mid-2022-england-wales/versions/3.csv"]
    metadata, data = fetch.parts
    assert (metadata.role, metadata.ext) == ("metadata", "json")
    assert json.loads(archive.path_of(metadata).read_bytes())["version"] == 3
    assert (data.role, data.ext, data.url) == ("data", "csv", api.csv_url)
    assert archive.path_of(data).read_bytes() == CSV
    assert any("version 3" in line and "3 rows" in line for line in logs)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 3


def test_a_new_version_changes_the_data_version(dataset, live_settings, client_for, ons_api):
    api = ons_api(dataset, CSV)
    first = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    again = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert again.data_version == first.data_version
    api.body = CSV.replace(b"69000", b"69100")
    api.version_doc["version"] = 4
    revised = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert revised.data_version != first.data_version


def test_a_dataset_without_latest_version_fails(dataset, live_settings, client_for, ons_api):
    api = ons_api(dataset, CSV)
    api.dataset_doc["links"] = {}
    with pytest.raises(FetchError, match="no links.latest_version.href"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)


def test_a_version_without_csv_download_fails(dataset, live_settings, client_for, ons_api, archive):
    api = ons_api(dataset, CSV)
    api.version_doc["downloads"] = {"xls": {"href": "http://x.test/a.xlsx"}}
    with pytest.raises(FetchError, match="the latest version has no downloads.csv.href"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert archive.latest_fetch() is None


def test_429_with_retry_after_on_the_download_is_honoured(dataset, live_settings, client_for, ons_api,
                                                          sleeps):
    api = ons_api(dataset, CSV)
    api.interject("csv", Response("Too Many Requests", status=429, headers={"Retry-After": "25"}))
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert sleeps.calls == [25.0]
    assert len(fetch.data_parts) == 1


def test_a_truncated_download_is_never_archived(dataset, live_settings, client_for, ons_api, answers,
                                                archive):
    api = ons_api(dataset, CSV)
    api.interject("csv", *[answers.truncated(CSV[:60], "text/csv") for _ in range(4)])
    with pytest.raises(FetchError, match="body cut short"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    assert not any(p.suffix == ".csv" for p in archive.dir.iterdir())
    assert list(archive.tmp_dir.iterdir()) == []


def test_an_invalid_version_document_is_rejected_and_kept_aside(dataset, live_settings, client_for, ons_api,
                                                               archive):
    api = ons_api(dataset, CSV)
    broken = Response(b'{"version": 3, "downloads": {', content_type="application/json")
    api.interject("version", *[broken] * 4)  # every attempt of the client (max_attempts=4)
    with pytest.raises(InvalidBody, match="invalid JSON"):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    (kept,) = (archive.dir / "rejected").iterdir()  # the same bytes are kept once
    assert len((archive.dir / "rejected.jsonl").read_text().splitlines()) == 4
    assert kept.read_bytes() == b'{"version": 3, "downloads": {'
    assert not any(p.suffix == ".json" for p in archive.dir.iterdir())
    assert archive.latest_fetch() is None


@pytest.mark.parametrize(("document", "message"), [
    (b"null", "not a JSON object"), (b'{"links": ', "invalid JSON")])
def test_a_bad_dataset_document_is_an_error(dataset, live_settings, client_for, httpserver, document,
                                            message):
    httpserver.expect_request(f"/ons/v1/datasets/{dataset.dataset_id}").respond_with_data(
        document, content_type="application/json")
    with pytest.raises(FetchError, match=message):
        fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)


def test_the_real_csv_layout_loads_with_text_sex_codes(live_settings, client_for, ons_api, warehouse):
    dataset = catalogue()["ons__mid_year_pop_est"]
    ons_api(dataset, REAL_CSV)
    fetch = fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)
    archive = Archive(live_settings.archive, dataset.provider, dataset.name)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 4
    rows = warehouse.execute(f"SELECT sex_code, sex, age_code, value FROM {dataset.raw_table} "
                             "ORDER BY CAST(value AS BIGINT) DESC").fetchall()
    assert rows == [("all", "All", "total", "3131640"), ("female", "Female", "total", "1591640"),
                    ("male", "Male", "total", "1540000"), ("female", "Female", "90+", "9000")]
