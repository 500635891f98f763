"""`datacymru backfill` end to end: older ASHE years from the sample Nomis over loopback HTTP.

A copy of the shared refreshed home; the sample mirror answers `date=` by Nomis' rules and serves
the six ASHE years before the catalogue's window. The backfilled years reach staging and the
well-being mart, a scheduled refresh afterwards keeps them (and its row guard holds), `trace`
follows a backfilled figure to its archived file, and a StatsWales backfill is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ASHE, YEARS = "nomis__ashe_pay", ["2016", "2017", "2018"]
ROWS_PER_YEAR = 23 * 3 * 2  # Wales and 22 councils x three sexes x value and confidence


@pytest.fixture
def home(refreshed, tmp_path) -> Path:
    source, _ = refreshed
    shutil.copytree(source, tmp_path / "h", symlinks=True)
    return tmp_path / "h"


def _years(con, relation: str, where: str = "") -> list[str]:
    query = f"SELECT DISTINCT period FROM {relation} {where} ORDER BY 1"
    return [r[0] for r in con.execute(query).fetchall()]


def test_backfill_reaches_the_mart_survives_a_refresh_and_traces(home, cli, warehouse, live_env):
    env = live_env
    refused = cli(home, "backfill", "--dataset", "statswales__council_tax_bands", "--from", "2016",
                  "--to", "2018", extra_env=env)
    assert refused.returncode == 2, refused.stderr
    assert "only the current revision" in refused.stderr and "StatsCymru" in refused.stderr
    assert "refresh --dataset statswales__council_tax_bands" in refused.stderr

    with warehouse(home) as con:
        raw_rows = con.execute(f"SELECT count(*) FROM raw.{ASHE}").fetchone()[0]
    done = cli(home, "backfill", "--dataset", ASHE, "--from", YEARS[0], "--to", YEARS[-1],
               "--format", "json", extra_env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["periods"] == [{"period": y, "rows": ROWS_PER_YEAR} for y in YEARS]
    assert summary["table"] == f"raw_backfill.{ASHE}" and summary["ok"]
    assert "staging/stg_nomis__ashe_pay" in summary["rebuilt"]
    assert summary["releases"]["mart_wellbeing_indicators"], summary
    assert f"backfilled raw_backfill.{ASHE}: 2017, {ROWS_PER_YEAR} rows" in done.stderr

    with warehouse(home) as con:
        assert con.execute(f"SELECT count(*) FROM raw.{ASHE}").fetchone()[0] == raw_rows
        assert _years(con, f"staging.stg_{ASHE}")[:4] == [*YEARS, "2019"]
        assert _years(con, "marts.mart_wellbeing_indicators", "WHERE indicator_id = 'NI 17'")[:3] == YEARS

    # The next scheduled refresh brings the catalogue's window again: the raw table keeps its
    # rows (no row guard to trip) and the backfilled years stay in staging and the mart.
    again = cli(home, "refresh", "--dataset", ASHE, extra_env=env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    with warehouse(home) as con:
        assert con.execute(f"SELECT count(*) FROM raw.{ASHE}").fetchone()[0] == raw_rows
        assert _years(con, f"staging.stg_{ASHE}")[:3] == YEARS
        assert _years(con, "marts.mart_wellbeing_indicators", "WHERE indicator_id = 'NI 17'")[:3] == YEARS

    traced = cli(home, "trace", "--measure", "NI 17", "--area", "W06000015", "--period", "2017",
                 "--format", "json")
    assert traced.returncode == 0, traced.stdout[-2000:] + traced.stderr[-2000:]
    doc = json.loads(traced.stdout)
    links = [r for r in doc["raw"] if r["table"] == ASHE]
    assert links and all(r["schema"] == "raw_backfill" and r["proved"] for r in links), links
    assert all(Path(r["archive_file"]).exists() and r["raw_row"]["date_name"] == "2017" for r in links)
    assert all("date=2016-2018" in r["source_url"] for r in links)
