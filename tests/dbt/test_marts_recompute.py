"""Recompute the performance-framework benchmarks in Python and compare them with the mart.

A snapshot refresh in a temporary home loads the raw tables (and, when the refresh runs dbt, the
marts); if the marts are absent, `dbt build` is run on that warehouse. Then, for every row of
`marts.mart_performance_framework`, the rank, quartile, Wales value, councils reporting, previous
value, change and direction are recomputed from the staging tables and the seed CSVs alone, with
the rules written out here independently of the SQL:

* rank: among councils with a value, 1 + the number of councils with a strictly better value
  (higher first, lower first for lower-is-better, higher first for neutral), so ties share a rank;
* quartile: ceil(4 x rank / councils reporting);
* previous period: the period of the same measure and area ending the day before this one starts;
* direction: improved / declined respecting polarity, unchanged, or not comparable (a value
  missing, no previous period, or a neutral measure).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt_executable import dbt_executable

REPO = Path(__file__).resolve().parents[2]
DBT_DIR = REPO / "dbt_project"
MART = "marts.mart_performance_framework"

# Which staging cells make which published measure (the mart's definition, restated).
MEASURE_SOURCES = {
    "PAM/030": ("staging.stg_statswales__municipal_waste", "measure = 'reused_recycled_composted_pct'"),
    "FIN/NRE_PER_HEAD": ("staging.stg_statswales__revenue_outturn",
                         "is_all_services AND measure = 'gbp_per_head'"),
    "FIN/CTAX_BAND_D": ("staging.stg_statswales__council_tax_bands", "band_code = 'D'"),
}


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "DATA_CYMRU_HOME": str(home / "data"), "DAGSTER_HOME": str(home / "dagster"),
            "DATA_CYMRU_MODE": "snapshot"}


def _table_exists(warehouse: Path, schema: str, table: str) -> bool:
    if not warehouse.exists():
        return False
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("SELECT count(*) FROM information_schema.tables "
                           "WHERE table_schema = ? AND table_name = ?", [schema, table]).fetchone()[0] > 0


@pytest.fixture(scope="module")
def warehouse(refreshed) -> Path:
    """The warehouse of the session's snapshot refresh (tests/conftest.py), marts built."""
    home, refresh = refreshed
    path = home / "data" / "warehouse.duckdb"
    for key in ("statswales__municipal_waste", "statswales__homelessness_prevention",
                "statswales__revenue_outturn", "statswales__council_tax_bands"):
        assert _table_exists(path, "raw", key), (
            f"raw.{key} was not loaded by the refresh:\n{refresh.stdout[-3000:]}\n{refresh.stderr[-3000:]}")
    if not _table_exists(path, "marts", "mart_performance_framework"):
        dbt = dbt_executable()
        build = subprocess.run([str(dbt), "build", "--project-dir", str(DBT_DIR),
                                "--profiles-dir", str(DBT_DIR)],
                               cwd=REPO, env=_env(home), capture_output=True, text=True, timeout=1200)
        assert _table_exists(path, "marts", "mart_performance_framework"), build.stdout[-5000:]
    return path


def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _better_than(polarity: str, a: float, b: float) -> bool:
    return a < b if polarity == "lower_is_better" else a > b


def _direction(polarity: str, value: float | None, previous: float | None) -> tuple[float | None, str]:
    if value is None or previous is None:
        return None, "not comparable"
    change = round(value - previous, 6)
    if change == 0:
        return change, "unchanged"
    if polarity == "neutral":
        return change, "not comparable"
    return change, "improved" if _better_than(polarity, value, previous) else "declined"


def council_return_figures(con: duckdb.DuckDBPyConnection, wales: str) -> dict[tuple[str, str, str], dict]:
    """Council-submitted measures, with Wales = sum of numerators / sum of denominators (x100 for
    percentages) when all 22 councils reported both, rounded to one decimal place."""
    unit = {row["measure_id"]: row["unit"] for row in _seed("dim_measure")}
    rows = con.execute("SELECT measure_id, area_code, period, period_start_date, period_end_date, value, "
                       "numerator, denominator FROM staging.stg_council__returns").fetchall()
    figures: dict[tuple[str, str, str], dict] = {}
    groups: dict[tuple[str, str], list] = {}
    for measure, area, period, start, end, value, num, den in rows:
        figures[(measure, area, period)] = {"start": start, "end": end, "value": value}
        groups.setdefault((measure, period), []).append((area, start, end, num, den))
    for (measure, period), members in groups.items():
        complete = (len({m[0] for m in members}) == 22 and all(m[3] is not None and m[4] is not None
                                                              for m in members))
        value = None
        if complete and sum(m[4] for m in members) > 0:
            ratio = sum(m[3] for m in members) / sum(m[4] for m in members)
            value = round(ratio * (100 if unit[measure] == "percent" else 1), 1)
        figures[(measure, wales, period)] = {"start": members[0][1], "end": members[0][2], "value": value}
    return figures


def recompute(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], dict]:
    """Expected benchmark columns per (measure_id, area_code, period), from staging and seeds."""
    polarity = {row["measure_id"]: row["polarity"] for row in _seed("dim_measure")}
    councils = {row["area_code"] for row in _seed("dim_local_authority") if row["area_type"] == "council"}
    wales = next(row["area_code"] for row in _seed("dim_local_authority") if row["area_type"] == "country")

    figures: dict[tuple[str, str, str], dict] = {}
    for measure, (table, condition) in MEASURE_SOURCES.items():
        rows = con.execute(f"SELECT area_code, period, period_start_date, period_end_date, value "
                           f"FROM {table} WHERE {condition}").fetchall()
        for area, period, start, end, value in rows:
            figures[(measure, area, period)] = {"start": start, "end": end, "value": value}
    figures.update(council_return_figures(con, wales))

    by_end = {(m, a, f["end"]): (p, f["value"]) for (m, a, p), f in figures.items()}
    expected = {}
    for (measure, area, period), figure in figures.items():
        pol = polarity[measure]
        peers = [f["value"] for (m, a, p), f in figures.items()
                 if m == measure and p == period and a in councils and f["value"] is not None]
        value = figure["value"]
        rank = quartile = None
        if area in councils and value is not None:
            rank = 1 + sum(_better_than("higher_is_better" if pol == "neutral" else pol, v, value)
                           for v in peers)
            quartile = -(-4 * rank // len(peers))
        previous_period, previous_value = by_end.get(
            (measure, area, figure["start"] - dt.timedelta(days=1)), (None, None))
        change, direction = _direction(pol, value, previous_value)
        wales_figure = figures.get((measure, wales, period))
        expected[(measure, area, period)] = {
            "rank": rank, "quartile": quartile, "councils_reporting": len(peers),
            "wales_value": wales_figure["value"] if wales_figure else None,
            "previous_period": previous_period, "previous_value": previous_value,
            "change": change, "direction": direction, "value": value,
        }
    return expected


def test_benchmarks_match_independent_recomputation(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = recompute(con)
        columns = ["measure_id", "area_code", "period", "value", "rank", "quartile", "councils_reporting",
                   "wales_value", "previous_period", "previous_value", "change", "direction"]
        mart = {(r[0], r[1], r[2]): dict(zip(columns[3:], r[3:], strict=True))
                for r in con.execute(f"SELECT {', '.join(columns)} FROM {MART}").fetchall()}

    assert set(mart) == set(expected), (
        f"rows only in the mart: {sorted(set(mart) - set(expected))[:5]}; "
        f"rows only recomputed: {sorted(set(expected) - set(mart))[:5]}")
    mismatches = []
    for key, want in expected.items():
        got = mart[key]
        for column, value in want.items():
            actual = got[column]
            same = (actual is None and value is None) or (
                actual is not None and value is not None and abs(actual - value) < 1e-9
                if isinstance(value, float) else actual == value)
            if not same:
                mismatches.append(f"{key} {column}: mart {actual!r}, recomputed {value!r}")
    assert not mismatches, f"{len(mismatches)} mismatches, e.g.:\n" + "\n".join(mismatches[:20])


def test_every_measure_and_period_is_ranked(warehouse: Path) -> None:
    """The comparison above is not vacuous: each measure has ranked councils in every period, and
    the directions seen cover improvements, declines and non-comparable rows."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"SELECT measure_id, count(DISTINCT period), count(rank) "
                           f"FROM {MART} GROUP BY 1").fetchall()
        directions = {r[0] for r in con.execute(f"SELECT DISTINCT direction FROM {MART}").fetchall()}
    council_measures = {"PAM/001", "PAM/010", "PAM/018", "PAM/023", "PAM/043"}
    assert {r[0] for r in rows} == set(MEASURE_SOURCES) | council_measures
    for measure, periods, ranked in rows:
        assert periods >= 2 and ranked >= 20 * periods, (measure, periods, ranked)
    assert {"improved", "declined", "not comparable"} <= directions, directions
