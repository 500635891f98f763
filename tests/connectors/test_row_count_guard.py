"""A raw table is never replaced by an empty or sharply shrunk load without a clear failure.

The publishers' answers come from loopback servers: a Nomis CSV page with only its header, and a
StatsWales dataset whose every JSON page and CSV stream is empty. The fetch of such an answer is
complete and valid; it is the load that refuses it, names the dataset, both row counts and the
archived files, and leaves the previous table in place. In Dagster that is a failed step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import materialize
from statswales_server.backend import StatsWalesServer, serve
from statswales_server.wimd import WIMD_DATASET_ID, build_wimd_cube

from orchestration.assets.sources import build_raw_asset
from orchestration.resources import DataCymru
from sources.archive import Archive
from sources.catalogue import Dataset, catalogue
from sources.fetch import fetch_dataset, make_client
from sources.load import LOADS_TABLE, LoadError, RowCountDrop, load_dataset
from sources.settings import Settings


def table(con, dataset: Dataset) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (_loaded_at) FROM {dataset.raw_table} ORDER BY ALL").fetchall()


def loads(con, dataset: Dataset) -> list[int]:
    return [r[0] for r in con.execute(f"SELECT rows FROM {LOADS_TABLE} WHERE dataset = ? "
                                      "ORDER BY loaded_at", [dataset.key]).fetchall()]


# --- Nomis: a CSV page with only its header --------------------------------------------------

@pytest.fixture
def dataset(datasets):
    return datasets.nomis()


@pytest.fixture
def archive(dataset, live_settings) -> Archive:
    return Archive(live_settings.archive, dataset.provider, dataset.name)


@pytest.fixture
def refetch(dataset, live_settings, client_for):
    return lambda: fetch_dataset(dataset, live_settings, client=client_for(dataset), log=print)


def test_a_header_only_csv_answer_does_not_empty_the_raw_table(dataset, nomis_api, wire, refetch,
                                                              archive, warehouse):
    api = nomis_api(dataset, wire.nomis_rows(7), page_size=3)
    load_dataset(dataset, refetch(), archive, warehouse)
    before = table(warehouse, dataset)

    api.rows = []  # the publisher answers 200 with the header and no rows
    empty = refetch()
    assert archive.path_of(empty.data_parts[0]).read_bytes().decode().startswith('"DATE_NAME"')
    with pytest.raises(RowCountDrop) as info:
        load_dataset(dataset, empty, archive, warehouse)
    message = str(info.value)
    assert message.startswith(f"{dataset.key}: refused to load 0 rows into {dataset.raw_table}, "
                              "which has 7: no rows at all")
    assert str(archive.path_of(empty.data_parts[0])) in message
    assert f"The previous {dataset.raw_table} (7 rows) is unchanged" in message
    assert table(warehouse, dataset) == before
    assert loads(warehouse, dataset) == [7]


def test_a_load_below_the_share_is_refused_and_the_share_is_a_setting(dataset, nomis_api, wire, refetch,
                                                                     archive, warehouse):
    api = nomis_api(dataset, wire.nomis_rows(10), page_size=4)
    load_dataset(dataset, refetch(), archive, warehouse)
    api.rows = api.rows[:4]
    shrunk = refetch()
    refusal = (r"refused to load 4 rows into raw.nomis__test_pop, which has 10: "
               r"fewer than 50% of them \(DATA_CYMRU_RAW_MIN_ROW_RATIO=0.5\)")
    with pytest.raises(RowCountDrop, match=refusal):
        load_dataset(dataset, shrunk, archive, warehouse)
    assert loads(warehouse, dataset) == [10]
    assert load_dataset(dataset, shrunk, archive, warehouse, min_row_ratio=0.4).rows == 4
    assert loads(warehouse, dataset) == [10, 4]


def test_a_load_keeping_half_the_rows_or_more_replaces_the_table(dataset, nomis_api, wire, refetch,
                                                                 archive, warehouse):
    api = nomis_api(dataset, wire.nomis_rows(10), page_size=4)
    load_dataset(dataset, refetch(), archive, warehouse)
    api.rows = api.rows[:5]
    assert load_dataset(dataset, refetch(), archive, warehouse).rows == 5


def test_no_share_still_refuses_an_empty_load_over_rows(dataset, nomis_api, wire, refetch, archive,
                                                        warehouse):
    api = nomis_api(dataset, wire.nomis_rows(4), page_size=4)
    load_dataset(dataset, refetch(), archive, warehouse)
    api.rows = []
    with pytest.raises(RowCountDrop, match="no rows at all"):
        load_dataset(dataset, refetch(), archive, warehouse, min_row_ratio=0.0)
    assert loads(warehouse, dataset) == [4]


def test_a_first_load_has_nothing_to_protect(dataset, nomis_api, refetch, archive, warehouse):
    nomis_api(dataset, [], page_size=4)
    assert load_dataset(dataset, refetch(), archive, warehouse).rows == 0


def test_the_dagster_load_step_fails_and_keeps_the_table(dataset, nomis_api, wire, refetch, archive,
                                                         warehouse, home: Path, monkeypatch):
    api = nomis_api(dataset, wire.nomis_rows(6), page_size=3)
    load_dataset(dataset, refetch(), archive, warehouse)
    warehouse.close()  # the step opens the warehouse itself
    api.rows = []
    refetch()
    monkeypatch.delenv("DATA_CYMRU_RAW_MIN_ROW_RATIO", raising=False)
    result = materialize([build_raw_asset(dataset)], raise_on_error=False,
                         resources={"datacymru": DataCymru(home=str(home), mode="live")})
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    cause = failure.step_failure_data.error.cause
    assert cause.cls_name == "RowCountDrop"
    assert f"{dataset.key}: refused to load 0 rows into {dataset.raw_table}, which has 6" in cause.message
    assert result.get_asset_materialization_events() == []

    # The share is read from the environment when the step runs.
    api.rows = wire.nomis_rows(2)
    refetch()
    monkeypatch.setenv("DATA_CYMRU_RAW_MIN_ROW_RATIO", "0.4")
    assert materialize([build_raw_asset(dataset)], raise_on_error=False,
                       resources={"datacymru": DataCymru(home=str(home), mode="live")}).success is False
    monkeypatch.setenv("DATA_CYMRU_RAW_MIN_ROW_RATIO", "0.3")
    assert materialize([build_raw_asset(dataset)],
                       resources={"datacymru": DataCymru(home=str(home), mode="live")}).success


# --- StatsWales: a dataset whose every page is empty ------------------------------------------

LSOAS, DOMAINS = 44, 9


@pytest.fixture
def server() -> Iterator[StatsWalesServer]:
    with serve(build_wimd_cube(n_lsoas=LSOAS)) as api:
        yield api


@pytest.fixture
def sw_settings(home: Path, server: StatsWalesServer) -> Settings:
    return Settings(home=home, mode="live", base_urls={"statswales": server.base_url},
                    contact="tests@datacymru.example")


def wimd(**request) -> Dataset:
    dataset = catalogue()["statswales__wimd_2025"]
    return dataclasses.replace(dataset, request={**dataset.request, **request})


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_an_empty_statswales_answer_does_not_empty_the_raw_table(fmt, server, sw_settings, sleeps,
                                                                  warehouse):
    dataset = wimd(format=fmt, page_size=150)
    archive = Archive(sw_settings.archive, dataset.provider, dataset.name)

    def fetch():
        client = make_client(dataset, sw_settings, log=print, sleep=sleeps, rate_limit=(10_000, 1.0))
        return fetch_dataset(dataset, sw_settings, client=client, log=print)

    load_dataset(dataset, fetch(), archive, warehouse)
    before = table(warehouse, dataset)
    assert len(before) == 2 * LSOAS * DOMAINS

    server.add_cube(dataclasses.replace(server.cube(WIMD_DATASET_ID), facts=[]))
    empty = fetch()  # totalLines 0: `[]` pages, or a CSV stream without even a header
    assert [archive.path_of(p).read_bytes().strip() for p in empty.data_parts] == (
        [b"[]", b"[]"] if fmt == "json" else [b"", b""])
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, empty, archive, warehouse)
    assert isinstance(info.value, RowCountDrop)
    message = str(info.value)
    assert f"refused to load 0 rows into {dataset.raw_table}, which has {2 * LSOAS * DOMAINS}" in message
    assert all(str(archive.path_of(p)) in message for p in empty.data_parts)
    assert table(warehouse, dataset) == before
