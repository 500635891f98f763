"""End to end: gates block bad marts, releases stay put, the audit trail only grows."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest

PERF = "mart_performance_framework"


def _tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def home(home_copy) -> Path:
    """A private copy of the refreshed home, so each test may break it."""
    return home_copy


def _releases(home: Path, mart: str) -> list[Path]:
    return sorted(p for p in (home / "data" / "releases" / mart).glob("R*") if p.is_dir())


def test_clean_snapshot_writes_first_release_of_every_mart(refreshed):
    home, done = refreshed
    # Marts of measures by council also carry their benchmarking pages; the deprivation profile
    # (no measure column) does not.
    with_site = {PERF: True, "mart_wellbeing_indicators": True, "mart_deprivation_profile": False}
    for mart, has_site in with_site.items():
        releases = _releases(home, mart)
        assert len(releases) == 1, mart
        release = releases[0]
        assert {p.name for p in release.iterdir()} == {f"{mart}.csv", f"{mart}.parquet",
                                                       "metadata.json", "report.html",
                                                       *(["site"] if has_site else [])}
        assert (home / "data" / "releases" / mart / "latest").read_text().strip() == release.name
        meta = json.loads((release / "metadata.json").read_text())
        assert meta["status_label_en"].startswith("Sample data")
        assert meta["title_cy"] and meta["description_cy"]
        assert all(s["archive_sha256"] for s in meta["sources"])
        assert meta["gates"]["by_outcome"]["failed"] == meta["gates"]["by_outcome"]["error"] == 0
        assert release.name in done.stdout


def test_release_csv_keeps_numbers_plain(refreshed):
    home, _ = refreshed
    release = _releases(home, PERF)[0]
    with (release / f"{PERF}.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    values = [r["value"] for r in rows if r["value"]]
    assert values and all(float(v) == float(v) for v in values)
    assert not any(v.startswith("'") for v in values)


CORRUPTIONS = {
    "councils_complete": """DELETE FROM marts.mart_performance_framework
        WHERE area_code = 'W06000015' AND (measure_id, period) IN
              (SELECT (measure_id, period) FROM marts.mart_performance_framework LIMIT 1)""",
    "unique_natural_key": """INSERT INTO marts.mart_performance_framework
        SELECT * FROM marts.mart_performance_framework LIMIT 1""",
    "percentages_in_range": """UPDATE marts.mart_performance_framework SET value = 140
        WHERE rowid = (SELECT min(rowid) FROM marts.mart_performance_framework
                       WHERE unit = 'percent' AND value IS NOT NULL)""",
    "labels_bilingual": """UPDATE marts.mart_performance_framework SET area_name_cy = ''
        WHERE area_code = 'W06000001'""",
    "canonical_markers": """UPDATE marts.mart_performance_framework SET value = NULL, marker = '[q]'
        WHERE rowid = (SELECT min(rowid) FROM marts.mart_performance_framework
                       WHERE value IS NOT NULL)""",
}


@pytest.mark.parametrize("gate", sorted(CORRUPTIONS))
def test_blocking_gate_stops_the_release_and_reports_why(home, gate, cli, warehouse):
    first = _releases(home, PERF)[0]
    before = _tree_digest(first)
    with warehouse(home, read_only=False) as con:
        con.execute(CORRUPTIONS[gate])
        audit_before = con.execute("SELECT count(*) FROM audit.check_results").fetchone()[0]
    done = cli(home, "publish", "--mart", PERF)
    assert done.returncode != 0, done.stdout
    assert _releases(home, PERF) == [first]
    assert _tree_digest(first) == before
    assert (home / "data" / "releases" / PERF / "latest").read_text().strip() == first.name
    with warehouse(home) as con:
        failing = con.execute("""SELECT check_name, observed, failing_examples FROM audit.check_results
            WHERE gate = ? AND outcome = 'failed' AND severity = 'blocking'
              AND asset_key = 'marts/mart_performance_framework'""", [gate]).fetchall()
        after = con.execute("SELECT count(*) FROM audit.check_results").fetchone()[0]
    assert failing, f"{gate} not recorded as failed"
    check_name, observed, examples = failing[0]
    assert json.loads(observed), "observed values recorded"
    assert json.loads(examples), "the failing rows themselves are recorded"
    assert after > audit_before
    # The blocked attempt leaves its report, marked as blocked, beside the releases.
    reports = sorted((home / "data" / "releases" / PERF / "blocked").glob("*/report.html"))
    assert len(reports) == 1
    page = reports[0].read_text(encoding="utf-8")
    assert "BLOCKED" in page and check_name in page
    meta = json.loads((reports[0].parent / "metadata.json").read_text())
    assert meta["status"] == "blocked" and any(check_name in b for b in meta["blockers"])


def test_warning_is_recorded_and_does_not_block(home, cli, warehouse):
    with warehouse(home, read_only=False) as con:
        con.execute("""UPDATE marts.mart_performance_framework SET value = previous_value * 3
            WHERE rowid = (SELECT min(rowid) FROM marts.mart_performance_framework
                           WHERE unit <> 'percent' AND previous_value > 0)""")
    done = cli(home, "publish", "--mart", PERF)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(_releases(home, PERF)) == 2
    with warehouse(home) as con:
        warned = con.execute("""SELECT count(*) FROM audit.check_results
            WHERE check_name = 'year_on_year_outliers' AND outcome = 'warned'""").fetchone()[0]
    assert warned >= 1


def test_changed_value_is_listed_as_a_revision(home, cli, warehouse):
    with warehouse(home, read_only=False) as con:
        key = con.execute("""SELECT measure_id, area_code, period, value FROM marts.mart_performance_framework
            WHERE unit = 'percent' AND value BETWEEN 10 AND 90 AND area_code <> 'W92000004'
            ORDER BY ALL LIMIT 1""").fetchone()
        con.execute("""UPDATE marts.mart_performance_framework SET value = value + 0.5
            WHERE measure_id = ? AND area_code = ? AND period = ?""", list(key[:3]))
    done = cli(home, "publish", "--mart", PERF)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    newest = _releases(home, PERF)[-1]
    meta = json.loads((newest / "metadata.json").read_text())
    revised = [r for r in meta["revisions"] if (r["measure_id"], r["area_code"], r["period"]) == key[:3]]
    assert revised and revised[0]["flag"] == "[r]"
    assert float(revised[0]["previous_value"]) == pytest.approx(key[3])


def test_second_refresh_only_appends_to_the_audit_trail(home, cli, warehouse):
    with warehouse(home) as con:
        before = con.execute("SELECT * FROM audit.check_results ORDER BY ALL").fetchall()
    done = cli(home, "refresh", "--force")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with warehouse(home) as con:
        after = con.execute("SELECT * FROM audit.check_results ORDER BY ALL").fetchall()
        releases = con.execute("SELECT count(*) FROM audit.releases").fetchone()[0]
    assert len(after) > len(before)
    remaining = set(after)
    assert all(row in remaining for row in before), "an earlier audit row changed or vanished"
    assert releases == 6


def test_audit_cli_answers_in_json(refreshed, cli):
    home, done = refreshed
    out = cli(home, "audit", "checks", "--principle", "Q3", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and all(r["principle"].startswith("Q3") for r in rows)
    release_id = _releases(home, PERF)[0].name
    rel = cli(home, "audit", "release", release_id, "--format", "json")
    assert rel.returncode == 0, rel.stderr
    assert json.loads(rel.stdout)["release"]["release_id"] == release_id


def test_refresh_with_nothing_changed_skips_the_build_and_writes_no_release(home, cli):
    before = {m: _releases(home, m) for m in ("mart_performance_framework", "mart_deprivation_profile")}
    done = cli(home, "refresh")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "dbt: nothing to rebuild" in done.stdout and "RELEASED" not in done.stdout
    assert {m: _releases(home, m) for m in before} == before
