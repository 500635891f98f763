"""The backfill load: period by period into `raw_backfill.<dataset>`, all or nothing.

Real archived files, a real DuckDB file and the raw loader's own readers; no HTTP (the request for
a period range is tested in `tests/connectors/test_nomis_backfill.py`).
"""

from __future__ import annotations

import duckdb
import pytest

from sources.load import LoadError, load_dataset
from sources.load_backfill import load_backfill, table_version
from sources.raw_records import raw_links


def _rows(periods: list[str], value: int) -> list[dict[str, str]]:
    return [{"DATE_NAME": period, "GEOGRAPHY_CODE": gss, "GEOGRAPHY_NAME": gss, "MEASURES_NAME": "Value",
             "OBS_VALUE": str(value + i), "OBS_STATUS": "A"}
            for period in periods for i, gss in enumerate(("W92000004", "W06000001", "W06000002"))]


def _backfill(archive_fetch, wire, dataset, periods: list[str], value: int, first: str, last: str):
    fetch, archive = archive_fetch(dataset, [(wire.nomis_csv(_rows(periods, value)), None)])
    fetch.backfill = {"from": first, "to": last, "date": f"{first}-{last}"}
    return fetch, archive


def _table(con: duckdb.DuckDBPyConnection, key: str) -> list[tuple]:
    return con.execute(f"SELECT date_name, geography_code, obs_value, _archive_sha256, _load_row "
                       f"FROM raw_backfill.{key} ORDER BY date_name, geography_code").fetchall()


def test_an_overlapping_backfill_replaces_only_its_own_periods(archive_fetch, wire, datasets, warehouse):
    dataset = datasets.nomis()
    first, archive = _backfill(archive_fetch, wire, dataset, ["2015", "2016", "2017"], 100, "2015", "2017")
    done = load_backfill(dataset, first, archive, warehouse)
    assert done.periods == [("2015", 3), ("2016", 3), ("2017", 3)] and done.replaced == []
    second, _ = _backfill(archive_fetch, wire, dataset, ["2017", "2018"], 500, "2017", "2018")
    again = load_backfill(dataset, second, archive, warehouse)
    assert again.periods == [("2017", 3), ("2018", 3)] and again.replaced == ["2017"]
    table = _table(warehouse, dataset.key)
    assert again.rows == len(table) == 12
    by_period = {}
    for period, _gss, value, sha, _n in table:
        by_period.setdefault(period, set()).add((sha, value >= 500))
    sha_a, sha_b = first.data_parts[0].sha256, second.data_parts[0].sha256
    assert by_period == {"2015": {(sha_a, False)}, "2016": {(sha_a, False)},
                         "2017": {(sha_b, True)}, "2018": {(sha_b, True)}}
    # The version names which file each period came from: a reload of the same files keeps it.
    assert again.data_version == table_version(warehouse, dataset) != done.data_version
    # Every row still points at its own record of its archived file, after the partial delete.
    row = warehouse.execute(f"SELECT _archive_sha256, _load_row FROM raw_backfill.{dataset.key} "
                            "WHERE date_name = '2016' AND geography_code = 'W06000002'").fetchone()
    (link,) = raw_links(warehouse, dataset.key, {"_archive_sha256": row[0], "_load_row": row[1]},
                        archive.dir.parents[1], schema="raw_backfill")
    assert link.proved, link.problems
    assert link.position == "record 6" and link.record["OBS_VALUE"] == "102"


def test_a_failed_backfill_leaves_the_table_as_it_was(archive_fetch, wire, datasets, warehouse):
    dataset = datasets.nomis()
    good, archive = _backfill(archive_fetch, wire, dataset, ["2015", "2016"], 100, "2015", "2016")
    load_backfill(dataset, good, archive, warehouse)
    before = _table(warehouse, dataset.key)
    rows = _rows(["2016", "2017"], 900)
    rows[-1]["OBS_VALUE"] = "12,5"  # not a DOUBLE
    bad, _ = archive_fetch(dataset, [(wire.nomis_csv(rows), None)])
    bad.backfill = {"from": "2016", "to": "2017", "date": "2016-2017"}
    with pytest.raises(LoadError, match=r"row 6 column 'OBS_VALUE'.* raw_backfill\.nomis__test_pop is"):
        load_backfill(dataset, bad, archive, warehouse)
    assert _table(warehouse, dataset.key) == before
    # A file changed after it was archived is found only once the rows were deleted and inserted:
    # the transaction is rolled back then.
    changed, _ = _backfill(archive_fetch, wire, dataset, ["2016", "2017"], 700, "2016", "2017")
    path = archive.path_of(changed.data_parts[0])
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b'"700"', b'"701"'))
    with pytest.raises(LoadError, match="changed after it was archived"):
        load_backfill(dataset, changed, archive, warehouse)
    assert _table(warehouse, dataset.key) == before
    assert warehouse.execute("SELECT count(*) FROM raw_backfill._loads").fetchone()[0] == 1


def test_backfill_never_touches_the_raw_table(archive_fetch, wire, datasets, warehouse):
    dataset = datasets.nomis()
    current, archive = archive_fetch(dataset, [(wire.nomis_csv(_rows(["2019", "2020"], 1)), None)])
    load_dataset(dataset, current, archive, warehouse)
    raw_before = warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall()
    fetch, _ = _backfill(archive_fetch, wire, dataset, ["2015"], 100, "2015", "2015")
    load_backfill(dataset, fetch, archive, warehouse)
    assert warehouse.execute(f"SELECT * FROM {dataset.raw_table} ORDER BY ALL").fetchall() == raw_before
    with pytest.raises(LoadError, match="not a backfill fetch"):
        load_backfill(dataset, current, archive, warehouse)
