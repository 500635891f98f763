"""How a registered gate appears in Dagster.

Its sentence is the check's description, its Code of Practice references are metadata, and each
execution is an `AssetCheckResult`.
"""

from __future__ import annotations

from typing import Any

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue

from sources.gates.model import Gate, GateResult


def gate_description(gate: Gate) -> str:
    return (f"{gate.must_hold_en}\n\n{gate.must_hold_cy}\n\n"
            f"Code of Practice {gate.principle} · standard {gate.standard} · {gate.severity} · "
            f"gate `{gate.name}` ({gate.engine})")


def gate_metadata(gate: Gate) -> dict[str, Any]:
    return {"gate": gate.name, "engine": gate.engine, "principle": gate.principle,
            "standard": gate.standard, "severity": gate.severity,
            "guidance": MetadataValue.url(gate.guidance)}


def check_result(result: GateResult, key: AssetKey, extra: dict[str, Any] | None = None,
                 description: str | None = None) -> AssetCheckResult:
    """One execution as Dagster shows it: warn gates as warnings, not-applicable said so."""
    outcome = result.outcome
    return AssetCheckResult(
        check_name=result.check_name, asset_key=key,
        passed=outcome in ("passed", "not_applicable"),
        severity=AssetCheckSeverity.ERROR if result.gate.severity == "blocking"
        else AssetCheckSeverity.WARN,
        description=("Not applicable: nothing to examine" if outcome == "not_applicable"
                     else description),
        metadata={**(extra or {}), **gate_metadata(result.gate), "outcome": outcome,
                  "examined": -1 if result.examined is None else result.examined,
                  "observed": MetadataValue.json(result.observed),
                  "failing_examples": MetadataValue.json(result.failing_examples[:20])})
