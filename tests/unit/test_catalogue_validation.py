"""A bad catalogue entry fails when read, with a message naming the entry and the field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sources.catalogue import CatalogueError, catalogue, load_catalogue, parse_entry

GOOD = {
    "provider": "nomis",
    "dataset_id": "NM_2002_1",
    "title_en": "Population",
    "title_cy": "Poblogaeth",
    "cadence": "0 7 * * 2",
    "max_age_days": 400,
    "licence": "Open Government Licence v3.0",
    "marts": ["mart_performance_framework"],
    "request": {"geography": "W92000004"},
    "columns": [{"name": "obs_value", "en": "OBS_VALUE", "type": "double"},
                {"name": "geography_code", "en": "GEOGRAPHY_CODE", "key": True}],
}


def entry(**changes):
    doc = copy.deepcopy(GOOD)
    for field, value in changes.items():
        if value is None:
            doc.pop(field)
        else:
            doc[field] = value
    return doc


def test_a_good_entry_is_typed():
    ds = parse_entry("nomis__population", entry())
    assert ds.name == "population"
    assert ds.raw_table == "raw.nomis__population"
    assert ds.columns[0].type == "DOUBLE"
    assert ds.columns[1].key is True
    assert ds.languages == ("en-gb",)
    assert ds.request == {"geography": "W92000004"}


@pytest.mark.parametrize("field", ["provider", "dataset_id", "title_en", "title_cy", "cadence",
                                   "max_age_days", "licence", "marts", "columns"])
def test_a_missing_field_is_named(field):
    with pytest.raises(CatalogueError, match=rf"'nomis__population'.*missing field '{field}'"):
        parse_entry("nomis__population", entry(**{field: None}))


@pytest.mark.parametrize(("field", "value", "kind"), [
    ("title_en", 42, "str"), ("marts", "mart_x", "list"), ("columns", {"a": 1}, "list"),
    ("dataset_id", ["NM_1"], "str"),
])
def test_a_field_of_the_wrong_type_is_named(field, value, kind):
    with pytest.raises(CatalogueError) as info:
        parse_entry("nomis__population", entry(**{field: value}))
    message = str(info.value)
    assert "'nomis__population'" in message
    assert f"field '{field}' must be {kind}" in message


@pytest.mark.parametrize("key", ["population", "nomis_population", "Nomis__Population",
                                 "eurostat__population", "nomis__pop-est"])
def test_a_malformed_id_is_named(key):
    with pytest.raises(CatalogueError, match=rf"catalogue entry '{key}': id must look like"):
        parse_entry(key, entry())


def test_a_provider_that_contradicts_the_id_is_named():
    with pytest.raises(CatalogueError, match=r"'ons__population'.*provider 'nomis' does not match id"):
        parse_entry("ons__population", entry())


def test_a_cadence_that_is_not_cron_is_named():
    with pytest.raises(CatalogueError, match=r"'nomis__population'.*cadence 'weekly' is not a cron"):
        parse_entry("nomis__population", entry(cadence="weekly"))


def test_a_column_without_a_header_names_its_position():
    columns = [*GOOD["columns"], {"name": "obs_status"}]
    with pytest.raises(CatalogueError, match=r"'nomis__population': columns\[2\] needs at least"):
        parse_entry("nomis__population", entry(columns=columns))


def test_an_unknown_column_type_names_the_column():
    columns = [{"name": "obs_value", "en": "OBS_VALUE", "type": "float64"}]
    with pytest.raises(CatalogueError,
                       match=r"'nomis__population': columns\[0\] \(obs_value\): unknown type 'FLOAT64'"):
        parse_entry("nomis__population", entry(columns=columns))


def statswales(**changes):
    doc = entry(provider="statswales", columns=None, request={"format": "json"},
                dimensions=[{"name": "area", "en": "Authority"}, {"name": "period", "match": "period"}])
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


def test_statswales_entries_name_dimensions_and_derive_their_raw_columns():
    ds = parse_entry("statswales__waste", statswales())
    assert ds.languages == ("en-gb", "cy-gb")
    assert [c.name for c in ds.columns] == [
        "area_code", "area_name", "area_parent_code", "period_code", "period_name", "period_parent_code",
        "measure_code", "measure_name", "value", "notes"]
    assert [c.name for c in ds.columns if c.key] == ["area_code", "period_code", "measure_code"]
    with pytest.raises(KeyError, match="read from the API"):
        ds.columns[0].header("cy-gb")  # no Welsh name is typed into the catalogue


def test_statswales_columns_are_refused_in_favour_of_dimensions():
    doc = statswales(columns=[{"name": "year", "en": "Year", "cy": "Blwyddyn"}])
    with pytest.raises(CatalogueError, match=r"'statswales__waste'.*columns are read from the API"):
        parse_entry("statswales__waste", doc)


@pytest.mark.parametrize(("dimension", "message"), [
    ({"name": "area"}, "exactly one of 'en'"),
    ({"name": "area", "en": "Area", "match": "gss"}, "exactly one of 'en'"),
    ({"name": "area", "match": "postcode"}, "match 'postcode' is not one of"),
    ({"name": "Area", "en": "Area"}, "must be lower_snake_case"),
    ({"name": "measure", "en": "Data description"}, "not 'measure'"),
])
def test_a_bad_statswales_dimension_is_named(dimension, message):
    with pytest.raises(CatalogueError, match=rf"'statswales__waste': dimensions\[0\].*{message}"):
        parse_entry("statswales__waste", statswales(dimensions=[dimension]))


def test_a_statswales_filter_must_name_a_dimension_or_the_measure():
    with pytest.raises(CatalogueError, match=r"request.filter.band must name a dimension"):
        parse_entry("statswales__waste", statswales(request={"filter": {"band": ["Band D"]}}))
    ds = parse_entry("statswales__waste", statswales(request={"filter": {"measure": ["Rank"]}}))
    assert ds.request["filter"] == {"measure": ["Rank"]}


def test_a_catalogue_file_without_datasets_is_named(tmp_path: Path):
    path = tmp_path / "catalogue.yaml"
    path.write_text("licences: {}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"catalogue.yaml: expected a non-empty 'datasets'"):
        load_catalogue(path)


def test_a_bad_entry_in_a_file_fails_the_whole_read(tmp_path: Path):
    path = tmp_path / "catalogue.yaml"
    path.write_text("datasets:\n  nomis__population:\n    provider: nomis\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"'nomis__population': missing field"):
        load_catalogue(path)


def test_the_bundled_catalogue_is_valid_and_covers_every_provider():
    datasets = catalogue()
    assert {ds.provider for ds in datasets.values()} == {"statswales", "nomis", "ons"}
    for key, ds in datasets.items():
        assert ds.key == key
        assert ds.columns, key
    nomis = [ds for ds in datasets.values() if ds.provider == "nomis"]
    assert all({"RECORD_OFFSET", "RECORD_COUNT"} <= {c.header("en") for c in ds.columns} for ds in nomis)


@pytest.mark.parametrize("value", [0, -3, True])
def test_a_max_age_that_is_not_a_positive_number_of_days_is_named(value):
    with pytest.raises(CatalogueError, match=r"'nomis__population'.*max_age_days"):
        parse_entry("nomis__population", entry(max_age_days=value))


def test_a_schedule_name_must_say_it_refreshes():
    with pytest.raises(CatalogueError, match=r"'nomis__population'.*schedule 'weekly'.*_refresh"):
        parse_entry("nomis__population", entry(schedule="weekly"))
    assert parse_entry("nomis__population", entry()).schedule == "nomis__population_refresh"


def test_datasets_sharing_a_schedule_share_its_cadence(tmp_path):
    import yaml

    doc = {"datasets": {"nomis__a": entry(schedule="nomis_weekly_refresh"),
                        "nomis__b": entry(schedule="nomis_weekly_refresh", cadence="0 8 * * 3")}}
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"'nomis__a' and 'nomis__b' share schedule "
                                             r"'nomis_weekly_refresh' but not its cadence"):
        load_catalogue(path)
