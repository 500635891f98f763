"""GX suites as data, GX internal errors as check errors, and spreadsheet-safe releases."""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd
import pytest

from sources.gates.gx_suites import EXPECTATIONS_DIR, load_suite, run_suite
from sources.gates.registry import gate
from sources.release import latest_release, write_release


@pytest.mark.parametrize("path", sorted(EXPECTATIONS_DIR.glob("mart_*.json")), ids=lambda p: p.stem)
def test_every_suite_loads_with_registered_gx_gates(path):
    suite = load_suite(path.stem)
    assert suite["expectations"]
    assert all(gate(e["meta"]["gate"]).engine == "gx" for e in suite["expectations"])


def test_gx_internal_error_is_an_error_of_the_check_not_bad_data():
    frame = pd.DataFrame({"unrelated": [1, 2]})  # every expected column is missing
    results = run_suite("mart_deprivation_profile", "marts/mart_deprivation_profile", frame)
    assert results and all(r.errored and not r.passed and r.outcome == "error" for r in results)
    assert all("error" in r.observed for r in results)


def test_gx_failure_reports_examples_and_thresholds_come_from_the_registry():
    frame = pd.DataFrame({"area_code": ["W06000001", "X99"], "share_most_deprived_10pct": [0.1, 1.4],
                          "share_most_deprived_20pct": [0.2, 0.2], "share_most_deprived_50pct": [0.5, 0.5]})
    results = {r.check_name: r for r in run_suite("mart_deprivation_profile", "m", frame)}
    assert set(results) == {f"shares_in_range__share_most_deprived_{p}pct" for p in (10, 20, 50)}
    failed = results["shares_in_range__share_most_deprived_10pct"]
    assert failed.outcome == "failed" and failed.failing_examples == [{"value": 1.4}]
    assert failed.examined == 2
    assert failed.observed["kwargs"]["max_value"] == gate("shares_in_range").thresholds["max_value"]
    assert results["shares_in_range__share_most_deprived_20pct"].outcome == "passed"


def test_gx_over_nothing_is_not_a_pass():
    """No percentages to judge is not applicable; no values at all fails the values_reported gate."""
    frame = pd.DataFrame({"value": pd.Series([None, None], dtype="float64"),
                          "unit": ["count", "count"]})
    results = {r.check_name: r for r in run_suite("mart_performance_framework", "m", frame)}
    assert results["percentages_in_range"].outcome == "not_applicable"
    assert results["values_reported"].outcome == "warned"
    assert not results["values_reported"].passed


def test_release_csv_neutralises_formulas_but_keeps_numbers(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE TABLE m AS SELECT * FROM (VALUES ('=HYPERLINK(1)', -3.5), ('+1', 2.0), "
                "('@SUM', 0.0), ('-x', -1.0), ('plain', 4.25)) v(label, value)")
    release = write_release(con, root=tmp_path, mart="m", table="m", metadata={"mart": "m"},
                            revision_rows=[], report_html="<p>{{RELEASE_ID}}</p>")
    with (release.path / "m.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    labels = {r["label"] for r in rows}
    assert labels == {"'=HYPERLINK(1)", "'+1", "'@SUM", "'-x", "plain"}
    assert sorted(float(r["value"]) for r in rows) == [-3.5, -1.0, 0.0, 2.0, 4.25]
    assert json.loads((release.path / "metadata.json").read_text())["release_id"] == release.release_id
    assert latest_release(tmp_path, "m") == release.path
    second = write_release(con, root=tmp_path, mart="m", table="m", metadata={"mart": "m"},
                           revision_rows=[], report_html="")
    assert second.release_id != release.release_id and latest_release(tmp_path, "m") == second.path
    assert (release.path / "m.csv").exists(), "an earlier release is never removed"
