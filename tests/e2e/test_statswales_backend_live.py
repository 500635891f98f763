"""Live mode against a StatsWales v2 server that follows the public backend's rules.

The server (tests/statswales_server) names columns, notes, hierarchies and errors as the backend
builds them, in English and Welsh, and knows nothing of this platform. WIMD is fetched from it with
faults on the way, loaded, built into the deprivation mart and released; a renamed column then stops
the next refresh with nothing new loaded or released.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from statswales_server.backend import StatsWalesServer, serve
from statswales_server.wimd import DOMAINS, WIMD_DATASET_ID, build_wimd_cube

DATASET = "statswales__wimd_2025"
LSOAS = 1917


@pytest.fixture
def server() -> Iterator[StatsWalesServer]:
    with serve(build_wimd_cube(n_lsoas=LSOAS)) as api:
        yield api


@pytest.fixture
def live_home(home_copy: Path) -> Path:
    """A copy of the snapshot-refreshed home (seeds, other marts), refreshed from here on live."""
    return home_copy


def live_refresh(cli, home: Path, server: StatsWalesServer):
    env = {"DATA_CYMRU_MODE": "live", "DATA_CYMRU_STATSWALES_URL": server.base_url}
    return cli(home, "refresh", "--dataset", DATASET, extra_env=env)


def latest_release(home: Path) -> str:
    return (home / "data" / "releases" / "mart_deprivation_profile" / "latest").read_text().strip()


def test_wimd_from_the_backend_rules_builds_the_deprivation_mart_in_both_languages(
        cli, live_home, server, warehouse):
    server.fail(f"/{WIMD_DATASET_ID}/data/*", "429", times=1, retry_after=1)
    server.fail(f"/{WIMD_DATASET_ID}/data/*", "500", times=1)
    server.fail(f"/{WIMD_DATASET_ID}/filters", "truncate", times=1)
    done = live_refresh(cli, live_home, server)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    assert "mart_deprivation_profile" in done.stdout and "RELEASED" in done.stdout
    with warehouse(live_home) as con:
        raw = dict(con.execute(f"SELECT _lang, count(*) FROM raw.{DATASET} GROUP BY 1").fetchall())
        assert raw == {"en-gb": LSOAS * len(DOMAINS), "cy-gb": LSOAS * len(DOMAINS)}
        assert con.execute(f"SELECT count(*) FROM raw.{DATASET} WHERE _source_url NOT LIKE "
                           f"'{server.base_url}%'").fetchone()[0] == 0
        rows = con.execute(
            "SELECT domain, domain_name_en, domain_name_cy, lsoa_count, wimd_edition "
            "FROM marts.mart_deprivation_profile WHERE area_code = 'W92000004' ORDER BY domain").fetchall()
        assert [(r[0], r[1], r[2]) for r in rows] == [(ref, en, cy) for ref, en, cy in DOMAINS]
        assert {r[3] for r in rows} == {LSOAS} and {r[4] for r in rows} == {"2025"}
        councils = con.execute("SELECT count(DISTINCT area_code), sum(lsoa_count) FROM "
                               "marts.mart_deprivation_profile WHERE area_code <> 'W92000004'").fetchone()
        assert councils == (22, LSOAS * len(DOMAINS))


def test_a_renamed_column_stops_the_refresh_with_nothing_new_loaded_or_released(
        cli, live_home, server, warehouse):
    first = live_refresh(cli, live_home, server)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-3000:]
    release = latest_release(live_home)
    with warehouse(live_home) as con:
        before = con.execute(f"SELECT count(*), min(_archive_sha256) FROM raw.{DATASET}").fetchone()
    server.rename_column(WIMD_DATASET_ID, "en", "Area name", "LSOA name")
    drifted = live_refresh(cli, live_home, server)
    assert drifted.returncode != 0
    output = drifted.stdout + drifted.stderr
    assert "'Area name'" in output and "LSOA name" in output and "is unchanged" in output
    assert latest_release(live_home) == release
    with warehouse(live_home) as con:
        assert con.execute(f"SELECT count(*), min(_archive_sha256) FROM raw.{DATASET}").fetchone() == before
