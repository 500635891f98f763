"""GX suites as data, GX internal errors as check errors, and spreadsheet-safe releases."""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd
import pytest

from sources.gates.gx_suites import EXPECTATIONS_DIR, load_suite, run_suite
from sources.release import latest_release, write_release


@pytest.mark.parametrize("path", sorted(EXPECTATIONS_DIR.glob("mart_*.json")), ids=lambda p: p.stem)
def test_every_expectation_carries_its_code_of_practice_tags(path):
    suite = load_suite(path.stem)
    assert suite["expectations"]
    for exp in suite["expectations"]:
        assert exp["meta"]["severity"] in ("blocking", "warn")
        assert exp["meta"]["principle"][0] in "TQV"


def test_gx_internal_error_is_an_error_of_the_check_not_bad_data():
    frame = pd.DataFrame({"unrelated": [1, 2]})  # every expected column is missing
    results = run_suite("mart_deprivation_profile", "marts/mart_deprivation_profile", frame)
    assert results and all(r.errored and not r.passed and r.outcome == "error" for r in results)
    assert all("error" in r.observed for r in results)


def test_gx_failure_reports_examples():
    frame = pd.DataFrame({"area_code": ["W06000001", "X99"], "wimd_edition": ["2025", "2025"],
                          "domain": ["WIMD", "WIMD"], "source_archive_sha256": ["a", "b"],
                          "lsoa_count": [10, 10], "share_most_deprived_10pct": [0.1, 1.4],
                          "share_most_deprived_20pct": [0.2, 0.2], "share_most_deprived_50pct": [0.5, 0.5]})
    results = {(r.spec.name, r.observed["kwargs"].get("column")): r
               for r in run_suite("mart_deprivation_profile", "m", frame)}
    assert results[("valid_gss_codes", "area_code")].failing_examples == ["X99"]
    assert results[("shares_in_range", "share_most_deprived_10pct")].failing_examples == [1.4]
    assert results[("unique_natural_key", None)].passed


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
