"""Each Python gate passes on a clean table and fails, with examples, on the fault it guards."""

from __future__ import annotations

import duckdb
import pytest

from sources.gates.rules import (
    COUNCILS,
    WALES,
    councils_complete,
    councils_sum_to_wales,
    labels_bilingual,
    markers_canonical,
    year_on_year_outliers,
)

PROFILE = {"key": ["measure_id", "area_code", "period"], "series": ["measure_id"], "period": "period",
           "value": "value", "marker": "marker", "unit": "unit", "previous_value": "previous_value",
           "labels": [["area_name_en", "area_name_cy"]],
           "additive": {"from_dimension": "measure_id", "columns": ["value"]}}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("""CREATE TABLE t (measure_id VARCHAR, area_code VARCHAR, period VARCHAR, value DOUBLE,
                   marker VARCHAR, unit VARCHAR, previous_value DOUBLE, area_name_en VARCHAR,
                   area_name_cy VARCHAR)""")
    rows = [("COUNT", code, "2024-25", 10.0, None, "households", 9.0, f"Area {code}", f"Ardal {code}")
            for code in COUNCILS]
    rows.append(("COUNT", WALES, "2024-25", 220.0, None, "households", 198.0, "Wales", "Cymru"))
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    yield con
    con.close()


def test_clean_table_passes_every_gate(con):
    assert councils_complete(con, "t", PROFILE).passed
    assert markers_canonical(con, "t", PROFILE).passed
    assert councils_sum_to_wales(con, "t", PROFILE, ["COUNT"]).passed
    assert labels_bilingual(con, "t", PROFILE).passed
    assert year_on_year_outliers(con, "t", PROFILE).passed


def test_missing_council_is_named(con):
    con.execute("DELETE FROM t WHERE area_code = 'W06000015'")
    result = councils_complete(con, "t", PROFILE)
    assert not result.passed and result.spec.severity == "blocking"
    assert result.failing_examples == [{"measure_id": "COUNT", "period": "2024-25", "area_code": "W06000015"}]


def test_unknown_marker_and_value_with_marker_fail(con):
    con.execute("UPDATE t SET value = NULL, marker = '[q]' WHERE area_code = 'W06000001'")
    con.execute("UPDATE t SET marker = '[x]' WHERE area_code = 'W06000002'")
    con.execute("UPDATE t SET value = NULL WHERE area_code = 'W06000003'")
    result = markers_canonical(con, "t", PROFILE)
    problems = {e["area_code"]: e["problem"] for e in result.failing_examples}
    assert problems == {"W06000001": "unknown marker", "W06000002": "value and marker",
                        "W06000003": "no value and no marker"}


def test_councils_must_add_up_to_wales(con):
    con.execute(f"UPDATE t SET value = 250 WHERE area_code = '{WALES}'")
    result = councils_sum_to_wales(con, "t", PROFILE, ["COUNT"])
    assert not result.passed and result.observed["mismatches"] == 1
    assert councils_sum_to_wales(con, "t", PROFILE, []).passed, "non-additive measures are not summed"


def test_missing_or_unnormalised_welsh_label_fails(con):
    con.execute("UPDATE t SET area_name_cy = ' ' WHERE area_code = 'W06000001'")
    con.execute("UPDATE t SET area_name_cy = 'Ynys Mo' || chr(770) || 'n' WHERE area_code = 'W06000002'")
    problems = {e["problem"] for e in labels_bilingual(con, "t", PROFILE).failing_examples}
    assert problems == {"Welsh label missing", "Welsh label not NFC"}


def test_year_on_year_outlier_is_a_warning(con):
    con.execute("UPDATE t SET value = 30 WHERE area_code = 'W06000001'")
    result = year_on_year_outliers(con, "t", PROFILE)
    assert not result.passed and result.spec.severity == "warn" and result.outcome == "warned"
