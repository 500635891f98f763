"""dbt test results as gate results, with the Code of Practice tags from each test's `meta`."""

from __future__ import annotations

from typing import Any

from sources.gates.model import GateResult, GateSpec


def _test_meta(node: dict[str, Any]) -> dict[str, Any]:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def gate_results_from_dbt(run_results: dict[str, Any], manifest: dict[str, Any],
                          translator: Any) -> list[GateResult]:
    """One `GateResult` per data test in `run_results.json` (unit tests are code tests: skipped)."""
    nodes = manifest.get("nodes", {})
    results = []
    for res in run_results.get("results", []):
        uid = res["unique_id"]
        if not uid.startswith("test."):
            continue
        node = nodes.get(uid, {})
        meta = _test_meta(node)
        severity = (node.get("config") or {}).get("severity", "error").lower()
        attached = node.get("attached_node") or next(iter(node.get("depends_on", {}).get("nodes", [])), None)
        target = nodes.get(attached) or manifest.get("sources", {}).get(attached) or {}
        asset = translator.get_asset_key(target).to_user_string() if target else "unknown"
        spec = GateSpec(meta.get("gate") or node.get("name", uid), str(meta.get("principle", "Q3.3")),
                        str(meta.get("standard", "6")),
                        "blocking" if severity == "error" else "warn",
                        meta.get("rationale") or node.get("description") or "dbt data test",
                        engine="dbt")
        status = res.get("status")
        results.append(GateResult(
            spec, asset, passed=status == "pass", errored=status == "error",
            observed={"test": node.get("name", uid), "status": status,
                      "failures": res.get("failures"),
                      "message": (res.get("message") or "")[:500]}))
    return results
