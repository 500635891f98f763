"""A backfill's period range, asked of the sample Nomis over loopback HTTP and archived as such.

The sample server answers `date=` by Nomis' rules (`sources/sample_api.nomis_periods`), so the
request the connector sends decides which periods come back.
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from sources.archive import Archive
from sources.backfill import BackfillRefused, backfill_datasets, check_periods, fetch_backfill
from sources.catalogue import catalogue
from sources.sample_api import nomis_periods
from sources.settings import Settings

ASHE = "nomis__ashe_pay"


def _settings(home, sample_mirror) -> Settings:
    return Settings(home=home, mode="live", base_urls=sample_mirror, contact="tests@datacymru.example",
                    rate_limits={})


def _years(archive: Archive, fetch) -> list[str]:
    rows = csv.DictReader(io.StringIO(archive.path_of(fetch.data_parts[0]).read_text(encoding="utf-8")))
    return sorted({r["DATE_NAME"] for r in rows})


@pytest.mark.parametrize(("first", "last"), [("2016", "2018"), ("latestMINUS8", "latestMINUS6")])
def test_a_period_range_is_asked_for_archived_and_kept_apart(home, sample_mirror, first, last):
    dataset = catalogue()[ASHE]
    fetch, archive = fetch_backfill(dataset, _settings(home, sample_mirror), first, last, log=lambda _m: None)
    query = parse_qs(urlsplit(fetch.data_parts[0].url).query)
    assert query["date"] == [f"{first}-{last}"]
    assert _years(archive, fetch) == ["2016", "2017", "2018"]  # the window is 2019-2024
    record = json.loads((archive.dir / "fetches.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert record["backfill"] == {"from": first, "to": last, "date": f"{first}-{last}"}
    assert archive.latest_fetch() is None  # never loaded into raw.<dataset> by a refresh


def test_a_period_the_publisher_lacks_fails_the_fetch_naming_it(home, sample_mirror):
    with pytest.raises(Exception, match="2001 is not a period of this dataset"):
        fetch_backfill(catalogue()[ASHE], _settings(home, sample_mirror), "2001", "2002", log=lambda _m: None)


def test_periods_are_checked_in_the_publishers_notation():
    dataset = catalogue()[ASHE]
    assert check_periods(dataset, " 2016", "2018 ") == ("2016", "2018")
    assert check_periods(dataset, "latestMINUS3", "latest") == ("latestMINUS3", "latest")
    with pytest.raises(ValueError, match=r"--from '2016-17' is not a Nomis date: latest, latestMINUSn"):
        check_periods(dataset, "2016-17", "2018")
    with pytest.raises(ValueError, match="--from 2018 comes after --to 2016"):
        check_periods(dataset, "2018", "2016")
    with pytest.raises(ValueError, match="comes after"):
        check_periods(dataset, "latest", "latestMINUS2")


def test_publishers_without_past_periods_are_refused_in_both_languages(home, sample_mirror):
    statswales = catalogue()["statswales__council_tax_bands"]
    with pytest.raises(BackfillRefused) as refused:
        fetch_backfill(statswales, _settings(home, sample_mirror), "2016", "2018")
    assert "only the current revision" in refused.value.english
    assert "refresh --dataset statswales__council_tax_bands" in refused.value.welsh
    assert refused.value.welsh != refused.value.english
    with pytest.raises(BackfillRefused, match="earlier revisions of the whole table"):
        fetch_backfill(catalogue()["ons__mid_year_pop_est"], _settings(home, sample_mirror), "2016", "2018")
    snapshot = Settings(home=home, mode="snapshot")
    with pytest.raises(BackfillRefused, match="DATA_CYMRU_MODE=live"):
        fetch_backfill(catalogue()[ASHE], snapshot, "2016", "2018")
    assert {d.provider for d in backfill_datasets(catalogue())} == {"nomis"}


def test_the_sample_nomis_reads_dates_by_nomis_rules():
    codes = ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert nomis_periods("latest", codes) == [3]
    assert nomis_periods("latestMINUS2-latest", codes) == [1, 2, 3]
    assert nomis_periods("2023-12-2024-01,latest", codes) == [1, 2, 3]
    assert nomis_periods("first,2024-01", codes) == [0, 2]
    for bad in ("latestMINUS4", "2022-01", "last"):
        with pytest.raises(ValueError):
            nomis_periods(bad, codes)
