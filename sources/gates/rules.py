"""Python gates, written as SQL over a read-only DuckDB connection (no data pulled into Python).

Each returns a `GateResult` with what it observed and a few failing examples; a gate never
raises on bad data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from sources.gates.model import GateResult, GateSpec

COUNCILS = (
    "W06000001", "W06000002", "W06000003", "W06000004", "W06000005", "W06000006", "W06000008",
    "W06000009", "W06000010", "W06000011", "W06000012", "W06000013", "W06000014", "W06000015",
    "W06000016", "W06000018", "W06000019", "W06000020", "W06000021", "W06000022", "W06000023",
    "W06000024")
WALES = "W92000004"
# Shorthand that may stand in a published cell instead of a value (GSS / StatsWales).
CANONICAL_MARKERS = ("[x]", "[c]", "[z]", "[u]", "[low]", "[w]")
EXAMPLES = 20

SPECS = {
    "councils_complete": GateSpec(
        "councils_complete", "Q1.4", "6", "blocking",
        "Every measure and period has all 22 councils and Wales, so comparisons are never silently "
        "partial."),
    "markers_canonical": GateSpec(
        "markers_canonical", "Q2.2", "6, 9", "blocking",
        "Only canonical shorthand is published, and a value is empty exactly when a marker says why."),
    "councils_sum_to_wales": GateSpec(
        "councils_sum_to_wales", "Q3.3", "6", "blocking",
        "For additive measures the 22 councils add up to the Wales figure (within rounding)."),
    "labels_bilingual": GateSpec(
        "labels_bilingual", "V3.1", "9, 10", "blocking",
        "Every label a person reads exists in English and in Welsh, in Unicode NFC."),
    "year_on_year_outliers": GateSpec(
        "year_on_year_outliers", "Q3.3", "6, 7", "warn",
        "Large year-on-year changes are flagged for an analyst to confirm before release."),
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def councils_complete(con, table: str, profile: dict[str, Any]) -> GateResult:
    series = [*profile["series"], profile["period"]]
    cols = ", ".join(_q(c) for c in series)
    areas = ", ".join(f"('{c}')" for c in (*COUNCILS, WALES))
    missing = _rows(con, f"""
        WITH groups AS (SELECT DISTINCT {cols} FROM {table}),
             areas(area_code) AS (VALUES {areas}),
             expected AS (SELECT * FROM groups CROSS JOIN areas)
        SELECT e.* FROM expected e ANTI JOIN {table} t USING ({cols}, area_code)
        ORDER BY ALL""")
    groups = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM {table})").fetchone()[0]
    return GateResult(SPECS["councils_complete"], table, passed=not missing,
                      observed={"groups": groups, "missing_rows": len(missing)},
                      failing_examples=missing[:EXAMPLES])


def markers_canonical(con, table: str, profile: dict[str, Any]) -> GateResult:
    if "marker" not in profile:
        return GateResult(SPECS["markers_canonical"], table, True, {"applicable": False})
    value, marker = _q(profile["value"]), _q(profile["marker"])
    allowed = ", ".join(f"'{m}'" for m in CANONICAL_MARKERS)
    key = ", ".join(_q(c) for c in profile["key"])
    bad = _rows(con, f"""
        SELECT {key}, {value} AS value, {marker} AS marker,
               CASE WHEN {marker} IS NOT NULL AND {marker} NOT IN ({allowed})
                      THEN 'unknown marker'
                    WHEN {value} IS NULL AND {marker} IS NULL THEN 'no value and no marker'
                    WHEN {value} IS NOT NULL AND {marker} IS NOT NULL THEN 'value and marker'
               END AS problem
        FROM {table} WHERE problem IS NOT NULL ORDER BY ALL""")
    return GateResult(SPECS["markers_canonical"], table, passed=not bad,
                      observed={"bad_cells": len(bad), "allowed": list(CANONICAL_MARKERS)},
                      failing_examples=[{k: str(v) for k, v in r.items()} for r in bad[:EXAMPLES]])


def councils_sum_to_wales(con, table: str, profile: dict[str, Any],
                          additive_series: list[str] | None = None) -> GateResult:
    additive = profile.get("additive") or {}
    series = [*profile["series"], profile["period"]]
    cols = ", ".join(_q(c) for c in series)
    problems: list[dict] = []
    checked = 0
    where = ""
    if additive.get("from_dimension"):
        if not additive_series:
            return GateResult(SPECS["councils_sum_to_wales"], table, True,
                              {"additive_series": 0, "applicable": False})
        ids = ", ".join("'" + s.replace("'", "''") + "'" for s in additive_series)
        where = f"AND {_q(additive['from_dimension'])} IN ({ids})"
    councils = ", ".join(f"'{c}'" for c in COUNCILS)
    for column in additive.get("columns", []):
        col = _q(column)
        rows = _rows(con, f"""
            WITH c AS (SELECT {cols}, sum({col}) AS councils, count({col}) AS n FROM {table}
                       WHERE area_code IN ({councils}) {where} GROUP BY ALL),
                 w AS (SELECT {cols}, {col} AS wales FROM {table} WHERE area_code = '{WALES}' {where})
            SELECT '{column}' AS column_name, c.*, w.wales FROM c JOIN w USING ({cols})
            WHERE c.n = {len(COUNCILS)}""")
        checked += len(rows)
        problems += [r for r in rows if r["wales"] is None
                     or abs(r["councils"] - r["wales"]) > max(1.0, 0.005 * abs(r["wales"]))]
    return GateResult(SPECS["councils_sum_to_wales"], table, passed=not problems,
                      observed={"groups_checked": checked, "mismatches": len(problems)},
                      failing_examples=[{k: str(v) for k, v in r.items()} for r in problems[:EXAMPLES]])


def labels_bilingual(con, table: str, profile: dict[str, Any]) -> GateResult:
    problems: list[dict] = []
    for en, cy in profile.get("labels", []):
        problems += _rows(con, f"""
            SELECT '{en}/{cy}' AS labels, {_q(en)} AS en, {_q(cy)} AS cy,
                   CASE WHEN nullif(trim({_q(en)}), '') IS NULL THEN 'English label missing'
                        WHEN nullif(trim({_q(cy)}), '') IS NULL THEN 'Welsh label missing'
                        WHEN nfc_normalize({_q(cy)}) <> {_q(cy)} THEN 'Welsh label not NFC'
                   END AS problem
            FROM (SELECT DISTINCT {_q(en)}, {_q(cy)} FROM {table}) WHERE problem IS NOT NULL""")
    return GateResult(SPECS["labels_bilingual"], table, passed=not problems,
                      observed={"bad_labels": len(problems)},
                      failing_examples=[{k: str(v) for k, v in r.items()} for r in problems[:EXAMPLES]])


def year_on_year_outliers(con, table: str, profile: dict[str, Any]) -> GateResult:
    if "previous_value" not in profile:
        return GateResult(SPECS["year_on_year_outliers"], table, True, {"applicable": False})
    key = ", ".join(_q(c) for c in profile["key"])
    value, prev, unit = _q(profile["value"]), _q(profile["previous_value"]), _q(profile["unit"])
    rows = _rows(con, f"""
        SELECT {key}, {value} AS value, {prev} AS previous_value, {unit} AS unit FROM {table}
        WHERE {value} IS NOT NULL AND {prev} IS NOT NULL AND (
              (lower({unit}) IN ('percent', '%', 'percentage') AND abs({value} - {prev}) > 15)
           OR (lower({unit}) NOT IN ('percent', '%', 'percentage') AND {prev} <> 0
               AND abs({value} - {prev}) / abs({prev}) > 0.5))
        ORDER BY ALL""")
    return GateResult(SPECS["year_on_year_outliers"], table, passed=not rows,
                      observed={"outliers": len(rows),
                                "rule": "over 15 points for percentages, over 50% otherwise"},
                      failing_examples=[{k: str(v) for k, v in r.items()} for r in rows[:EXAMPLES]])


RULES: dict[str, Callable[..., GateResult]] = {
    "councils_complete": councils_complete,
    "markers_canonical": markers_canonical,
    "councils_sum_to_wales": councils_sum_to_wales,
    "labels_bilingual": labels_bilingual,
    "year_on_year_outliers": year_on_year_outliers,
}
