"""Run every gate of a published mart: its GX suite and the Python rules."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from sources.gates.gx_suites import EXPECTATIONS_DIR, load_suite, run_suite
from sources.gates.model import GateResult, GateSpec
from sources.gates.rules import RULES, SPECS


@cache
def mart_profiles(path: Path = EXPECTATIONS_DIR / "marts.yaml") -> dict[str, dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["marts"]


def gate_names(mart: str) -> list[tuple[str, str]]:
    """(gate name, severity) of every gate on a mart, without running anything."""
    names: dict[str, str] = {}
    for exp in load_suite(mart)["expectations"]:
        meta = exp["meta"]
        if names.get(meta["gate"]) != "blocking":
            names[meta["gate"]] = meta["severity"]
    for name in RULES:
        names[name] = SPECS[name].severity
    return sorted(names.items())


def _additive_series(con: duckdb.DuckDBPyConnection, profile: dict[str, Any]) -> list[str]:
    if not (profile.get("additive") or {}).get("from_dimension"):
        return []
    try:
        rows = con.execute("SELECT measure_id FROM seeds.dim_measure WHERE is_additive").fetchall()
    except duckdb.Error:
        return []
    return [r[0] for r in rows]


def run_mart_gates(con: duckdb.DuckDBPyConnection, mart: str, asset_key: str) -> list[GateResult]:
    """Every gate of `mart` over `marts.<mart>` (read through `con`, which may be read-only)."""
    profile = mart_profiles()[mart]
    table = f"marts.{mart}"
    results: list[GateResult] = []
    try:
        frame = con.execute(f"SELECT * FROM {table}").df()
        results += run_suite(mart, asset_key, frame)
    except Exception as exc:  # noqa: BLE001 - the check broke, not the data: report it as such
        spec = GateSpec("gx_suite", "Q3.3", "6", "blocking", f"Great Expectations suite {mart}", "gx")
        results.append(GateResult(spec, asset_key, passed=False, errored=True,
                                  observed={"error": f"{type(exc).__name__}: {exc}"}))
    for name, rule in RULES.items():
        try:
            if name == "councils_sum_to_wales":
                result = rule(con, table, profile, _additive_series(con, profile))
            else:
                result = rule(con, table, profile)
        except Exception as exc:  # noqa: BLE001
            result = GateResult(SPECS[name], table, passed=False, errored=True,
                                observed={"error": f"{type(exc).__name__}: {exc}"})
        result.asset_key = asset_key
        results.append(result)
    return results
