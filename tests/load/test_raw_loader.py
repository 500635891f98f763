"""Loading archived files into `raw.<provider>__<dataset>` in a real DuckDB file."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest

from sources.load import LOADS_TABLE, LoadError, load_dataset

RETRIEVED = "2026-01-15T10:00:00+00:00"


def snapshot_of(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list, list]:
    """Everything observable about a table: its schema and all its rows, in a stable order."""
    schema = con.execute(f"DESCRIBE {table}").fetchall()
    rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
    return schema, rows


@pytest.fixture
def dataset(datasets):
    return datasets.nomis()


@pytest.fixture
def pages(wire):
    """A 5-row Nomis dataset in two CSV pages."""
    rows = wire.nomis_rows(5)
    return [(wire.nomis_csv(rows[:3], 0, 5), None), (wire.nomis_csv(rows[3:], 3, 5), None)]


@pytest.fixture
def loaded(dataset, pages, archive_fetch, warehouse):
    fetch, archive = archive_fetch(dataset, pages)
    result = load_dataset(dataset, fetch, archive, warehouse)
    return fetch, archive, result


def test_rows_land_in_the_raw_table_with_catalogue_types(dataset, loaded, warehouse):
    _, _, result = loaded
    assert not result.skipped and result.rows == 5
    types = dict(warehouse.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ?", [dataset.key]).fetchall())
    assert types["obs_value"] == "DOUBLE"
    assert types["record_offset"] == types["record_count"] == "BIGINT"
    assert types["date_name"] == types["obs_status"] == "VARCHAR"
    values = warehouse.execute(f"SELECT record_offset, obs_value, date_name FROM {dataset.raw_table} "
                               "ORDER BY record_offset").fetchall()
    assert values == [(i, 1000.0 + i, str(2019 + i)) for i in range(5)]


def test_provenance_columns_name_the_archived_response(dataset, loaded, warehouse):
    fetch, _, _ = loaded
    started = datetime.now(UTC)
    rows = warehouse.execute(
        f"SELECT record_offset, _archive_sha256, _source_url, _retrieved_at, _loaded_at, _lang "
        f"FROM {dataset.raw_table} ORDER BY record_offset").fetchall()
    first, second = fetch.data_parts
    for offset, sha, url, retrieved, loaded_at, lang in rows:
        part = first if offset < 3 else second
        assert (sha, url) == (part.sha256, part.url)
        assert retrieved == datetime.fromisoformat(RETRIEVED)
        assert abs((started - loaded_at).total_seconds()) < 60
        assert lang == "en-gb"
    assert len({r[4] for r in rows}) == 1  # one load, one timestamp


def test_the_load_is_recorded(dataset, loaded, warehouse):
    fetch, _, result = loaded
    dataset_key, version, fetch_id, rows, hashes = warehouse.execute(
        f"SELECT dataset, data_version, fetch_id, rows, archive_sha256 FROM {LOADS_TABLE}").fetchone()
    assert (dataset_key, version, fetch_id, rows) == (dataset.key, fetch.data_version, fetch.fetch_id, 5)
    assert hashes == [p.sha256 for p in fetch.data_parts]
    assert result.data_version == fetch.data_version


def test_loading_the_same_fetch_again_is_skipped(dataset, loaded, warehouse):
    fetch, archive, _ = loaded
    before = snapshot_of(warehouse, dataset.raw_table)
    again = load_dataset(dataset, fetch, archive, warehouse)
    assert again.skipped and again.rows == 5
    assert snapshot_of(warehouse, dataset.raw_table) == before
    assert warehouse.execute(f"SELECT count(*) FROM {LOADS_TABLE}").fetchone()[0] == 1


def test_a_new_fetch_of_identical_content_is_skipped_too(dataset, pages, loaded, archive_fetch, warehouse):
    refetched, archive = archive_fetch(dataset, pages, retrieved_at="2026-02-01T00:00:00+00:00")
    assert load_dataset(dataset, refetched, archive, warehouse).skipped


def test_force_reloads_and_new_content_replaces_the_table(dataset, loaded, archive_fetch, warehouse, wire):
    fetch, archive, _ = loaded
    assert not load_dataset(dataset, fetch, archive, warehouse, force=True).skipped
    assert warehouse.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0] == 5
    # 3 of 5 rows: within the row-count guard (tests/connectors/test_row_count_guard.py)
    newer, archive = archive_fetch(dataset, [(wire.nomis_csv(wire.nomis_rows(3)), None)])
    result = load_dataset(dataset, newer, archive, warehouse)
    assert not result.skipped and result.rows == 3
    assert warehouse.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0] == 3
    assert warehouse.execute(f"SELECT count(*) FROM {LOADS_TABLE}").fetchone()[0] == 3


def test_a_dropped_table_is_reloaded(dataset, loaded, warehouse):
    fetch, archive, _ = loaded
    warehouse.execute(f"DROP TABLE {dataset.raw_table}")
    assert not load_dataset(dataset, fetch, archive, warehouse).skipped


def test_the_table_survives_reopening_the_warehouse(dataset, loaded, home, warehouse):
    warehouse.close()
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0] == 5


@pytest.mark.parametrize(("change", "named"), [
    (lambda h: [x for x in h if x != "OBS_VALUE"], "lacks column(s) 'OBS_VALUE'"),
    (lambda h: ["VALUE" if x == "OBS_VALUE" else x for x in h],
     "lacks column(s) 'OBS_VALUE'; it has unexpected column(s) 'VALUE' (renamed?)"),
    (lambda h: ["Date_Name" if x == "DATE_NAME" else x for x in h], "lacks column(s) 'DATE_NAME'"),
])
def test_schema_drift_names_dataset_file_and_column_and_keeps_the_table(
        change, named, dataset, loaded, archive_fetch, warehouse, wire):
    before = snapshot_of(warehouse, dataset.raw_table)
    loads_before = warehouse.execute(f"SELECT * FROM {LOADS_TABLE}").fetchall()
    rows = [{**r, "VALUE": r["OBS_VALUE"], "Date_Name": r["DATE_NAME"]} for r in wire.nomis_rows(4)]
    good = wire.nomis_csv(rows[:2], 0, 4)
    drifted = wire.nomis_csv(rows[2:], 2, 4, headers=change(wire.nomis_headers))
    fetch, archive = archive_fetch(dataset, [(good, None), (drifted, None)])
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, fetch, archive, warehouse)
    message = str(info.value)
    assert message.startswith(f"{dataset.key}: file {fetch.data_parts[1].sha256}.csv")
    assert fetch.data_parts[1].url in message
    assert named in message
    assert f"previous {dataset.raw_table} is unchanged" in message
    assert snapshot_of(warehouse, dataset.raw_table) == before
    assert warehouse.execute(f"SELECT * FROM {LOADS_TABLE}").fetchall() == loads_before


def test_drift_on_the_first_load_creates_no_table(dataset, archive_fetch, warehouse, wire):
    headers = [h for h in wire.nomis_headers if h != "GEOGRAPHY_CODE"]
    fetch, archive = archive_fetch(dataset, [(wire.nomis_csv(wire.nomis_rows(2), headers=headers), None)])
    with pytest.raises(LoadError, match="'GEOGRAPHY_CODE'"):
        load_dataset(dataset, fetch, archive, warehouse)
    assert warehouse.execute("SELECT count(*) FROM information_schema.tables "
                             "WHERE table_name = ?", [dataset.key]).fetchone()[0] == 0


def test_an_extra_column_is_a_warning_not_an_error(dataset, archive_fetch, warehouse, wire):
    headers = [*wire.nomis_headers, "URN"]
    fetch, archive = archive_fetch(dataset, [(wire.nomis_csv(wire.nomis_rows(2), headers=headers), None)])
    result = load_dataset(dataset, fetch, archive, warehouse)
    assert result.rows == 2
    (warning,) = result.warnings
    assert "URN" in warning and dataset.key in warning
    columns = [r[0] for r in warehouse.execute(f"DESCRIBE {dataset.raw_table}").fetchall()]
    assert "URN" not in columns and "urn" not in columns


@pytest.mark.parametrize(("bad", "column", "type_"), [
    ("12,5", "OBS_VALUE", "DOUBLE"), ("n/a", "OBS_VALUE", "DOUBLE"), ("3x", "RECORD_OFFSET", "BIGINT")])
def test_a_bad_typed_value_names_file_row_and_column_and_keeps_the_table(
        bad, column, type_, dataset, loaded, archive_fetch, warehouse, wire):
    before = snapshot_of(warehouse, dataset.raw_table)
    good = wire.nomis_csv(wire.nomis_rows(4), 0, 4)
    lines = good.decode().split("\r\n")
    cells = lines[3].split('","')  # data row 3 of the file
    index = wire.nomis_headers.index(column)
    cells[index] = bad
    lines[3] = '","'.join(cells)
    fetch, archive = archive_fetch(dataset, [(good, None), ("\r\n".join(lines).encode(), None)])
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, fetch, archive, warehouse)
    message = str(info.value)
    assert f"file {fetch.data_parts[1].sha256}.csv row 3 column '{column}'" in message
    assert f"{bad!r} is not a valid {type_}" in message
    assert message.startswith(dataset.key)
    assert snapshot_of(warehouse, dataset.raw_table) == before


def test_blank_typed_values_load_as_null(dataset, archive_fetch, warehouse, wire):
    rows = wire.nomis_rows(2)
    rows[1]["OBS_VALUE"] = " "
    fetch, archive = archive_fetch(dataset, [(wire.nomis_csv(rows), None)])
    load_dataset(dataset, fetch, archive, warehouse)
    assert warehouse.execute(f"SELECT obs_value FROM {dataset.raw_table} ORDER BY record_offset"
                             ).fetchall() == [(1000.0,), (None,)]


def test_a_missing_archived_file_is_an_error(dataset, archive_fetch, warehouse, pages):
    fetch, archive = archive_fetch(dataset, pages)
    path = archive.path_of(fetch.data_parts[1])
    path.chmod(0o644)
    path.unlink()
    with pytest.raises(LoadError, match=f"{dataset.key}: archived file .*{path.name} is missing"):
        load_dataset(dataset, fetch, archive, warehouse)


def test_bilingual_json_pages_load_by_language(datasets, archive_fetch, warehouse, wire):
    dataset = datasets.statswales()
    bodies = [(json.dumps(wire.statswales_rows(3, lang)).encode(), lang) for lang in ("en-gb", "cy-gb")]
    fetch, archive = archive_fetch(dataset, bodies, ext="json")
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 6
    rows = warehouse.execute(
        f"SELECT _lang, area_code, area_name, area_parent_code, measure_name, value, notes, _dataset_title "
        f"FROM {dataset.raw_table} ORDER BY _lang DESC, area_code").fetchall()
    assert rows[0][:7] == ("en-gb", "W06000001", "Wrexham", "W92000004", "Percentage", "60.5", None)
    assert rows[1][6] == "Provisional" and rows[4][6] == "Amodol"
    assert rows[3][:6] == ("cy-gb", "W06000001", "Wrecsam", "W92000004", "Canran", "60.5")
    assert rows[3][7].endswith("cy-gb")  # the dataset title of the file's language


def test_statswales_columns_are_named_from_the_archived_stored_query(datasets, archive_fetch, warehouse,
                                                                     wire):
    """The Welsh display names are learnt from the API's columnMapping, never typed in: a dataset
    whose Welsh name for `Area` is something else still loads, by that name."""
    dataset = datasets.statswales()
    answers = wire.statswales_answers(dataset)
    for row in answers["query", None]["columnMapping"]:
        if row["language"] == "cy-gb" and row["fact_table_column"] == "AreaCode":
            row["dimension_name"] = "Awdurdod"
    welsh = [{k.replace("Ardal", "Awdurdod"): v for k, v in r.items()}
             for r in wire.statswales_rows(2, "cy-gb")]
    bodies = [(json.dumps(wire.statswales_rows(2, "en-gb")).encode(), "en-gb"),
              (json.dumps(welsh).encode(), "cy-gb")]
    fetch, archive = archive_fetch(dataset, bodies, ext="json", answers=answers)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 4
    assert warehouse.execute(f"SELECT count(*) FROM {dataset.raw_table} WHERE _lang = 'cy-gb' "
                             "AND area_name = 'Wrecsam'").fetchone()[0] == 1


def test_a_dimension_the_api_does_not_offer_names_what_it_offers(datasets, archive_fetch, warehouse, wire):
    dataset = datasets.statswales()
    answers = wire.statswales_answers(dataset)
    for row in answers["query", None]["columnMapping"]:
        if row["fact_table_column"] == "AreaCode" and row["language"] == "en-gb":
            row["dimension_name"] = "Local authority"
    bodies = [(json.dumps(wire.statswales_rows(1, lang)).encode(), lang) for lang in ("en-gb", "cy-gb")]
    fetch, archive = archive_fetch(dataset, bodies, ext="json", answers=answers)
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, fetch, archive, warehouse)
    message = str(info.value)
    assert "dimension 'area' (English name 'Area') is not offered" in message
    assert "'Local authority' (AreaCode)" in message and "'Year' (YearCode)" in message


def test_a_welsh_page_with_english_headers_is_drift(datasets, archive_fetch, warehouse, wire):
    dataset = datasets.statswales()
    bodies = [(json.dumps(wire.statswales_rows(2, "en-gb")).encode(), lang) for lang in ("en-gb", "cy-gb")]
    fetch, archive = archive_fetch(dataset, bodies, ext="json")
    with pytest.raises(LoadError) as info:
        load_dataset(dataset, fetch, archive, warehouse)
    assert f"file {fetch.data_parts[1].sha256}.json" in str(info.value)
    assert "'Blwyddyn_cyfeiriad'" in str(info.value) and "'Year_reference'" in str(info.value)


def test_pages_with_columns_in_another_order_load_by_name(dataset, archive_fetch, warehouse, wire):
    rows = wire.nomis_rows(4)
    shuffled = list(reversed(wire.nomis_headers))
    bodies = [(wire.nomis_csv(rows[:2], 0, 4), None),
              (wire.nomis_csv(rows[2:], 2, 4, headers=shuffled), None),
              (wire.nomis_csv([], 4, 4), None)]
    fetch, archive = archive_fetch(dataset, bodies)
    assert load_dataset(dataset, fetch, archive, warehouse).rows == 4
    got = warehouse.execute(f"SELECT record_offset, obs_value, geography_code, _archive_sha256 "
                            f"FROM {dataset.raw_table}").fetchall()
    first, second, _ = fetch.data_parts
    assert got == [(i, 1000.0 + i, rows[i]["GEOGRAPHY_CODE"], (first if i < 2 else second).sha256)
                   for i in range(4)]


def test_a_byte_order_mark_and_quoted_line_breaks_are_read(dataset, archive_fetch, warehouse, wire):
    rows = wire.nomis_rows(2)
    rows[0]["GEOGRAPHY_NAME"] = "Ynys Môn\r\n(Isle of Anglesey)"
    body = "\ufeff".encode() + wire.nomis_csv(rows)
    fetch, archive = archive_fetch(dataset, [(body, None), (wire.nomis_csv(rows, 2, 2), None)])
    load_dataset(dataset, fetch, archive, warehouse)
    names = warehouse.execute(f"SELECT geography_name FROM {dataset.raw_table}").fetchall()
    assert names[0] == ("Ynys Môn\r\n(Isle of Anglesey)",) and len(names) == 4


def test_rows_keep_the_order_of_the_pages(dataset, archive_fetch, warehouse, wire):
    rows = wire.nomis_rows(600)
    bodies = [(wire.nomis_csv(rows[i:i + 50], i, 600), None) for i in range(0, 600, 50)]
    fetch, archive = archive_fetch(dataset, bodies)
    load_dataset(dataset, fetch, archive, warehouse)
    offsets = [r[0] for r in warehouse.execute(f"SELECT record_offset FROM {dataset.raw_table}").fetchall()]
    assert offsets == list(range(600))


def test_load_row_gives_each_record_its_place_in_its_file(dataset, archive_fetch, warehouse, wire):
    """`_load_row` less its file's first is the record's place in the file (what trace re-reads)."""
    rows = wire.nomis_rows(600)
    bodies = [(wire.nomis_csv(rows[i:i + 50], i, 600), None) for i in range(0, 600, 50)]
    fetch, archive = archive_fetch(dataset, bodies)
    load_dataset(dataset, fetch, archive, warehouse)
    places = warehouse.execute(f"""
        SELECT record_offset, CAST(_archive_sha256 AS VARCHAR),
               _load_row - min(_load_row) OVER (PARTITION BY _archive_sha256) + 1
        FROM {dataset.raw_table}""").fetchall()
    files = {part.sha256: i * 50 for i, part in enumerate(fetch.data_parts)}
    assert len(places) == 600
    assert all(place == offset - files[sha] + 1 for offset, sha, place in places)
