"""dbt data tests as gate executions.

Each has its gate from the registry, a readable check name, what it examined and, when it did
not pass, the failing rows themselves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import duckdb

from sources.gates.model import GateResult
from sources.gates.registry import gate

EXAMPLES = 20


def meta_of_test(node: dict[str, Any]) -> dict[str, Any]:
    return {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}


def gate_of_test(node: dict[str, Any]):
    """The registered gate a dbt test implements (an unknown or foreign gate is an error)."""
    where = f"dbt test {node['unique_id']}"
    registered = gate(meta_of_test(node).get("gate"), where=where)
    if registered.engine != "dbt":
        raise ValueError(f"{where} implements gate {registered.name!r}, which the registry "
                         f"gives to {registered.engine}")
    return registered


def attached_node(node: dict[str, Any]) -> str | None:
    """The model, seed or source a test guards (the same rule dagster-dbt follows)."""
    upstream = node.get("depends_on", {}).get("nodes", [])
    return upstream[0] if len(upstream) == 1 else node.get("attached_node")


def dbt_tests(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {uid: n for uid, n in manifest.get("nodes", {}).items() if uid.startswith("test.")}


def check_names(manifest: dict[str, Any]) -> dict[str, str]:
    """A short check name per dbt test, unique on the asset it guards.

    The gate's name, then its column, then the test's kind, then a number: as far as needed to
    tell the tests on one asset apart.
    """
    by_target: dict[str | None, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for uid, node in sorted(dbt_tests(manifest).items()):
        by_target[attached_node(node)].append((uid, node))
    names: dict[str, str] = {}
    for tests in by_target.values():
        candidates = {uid: [gate_of_test(node).name] for uid, node in tests}
        for part in ("column_name", "kind"):
            counts = Counter("__".join(c) for c in candidates.values())
            for uid, node in tests:
                if counts["__".join(candidates[uid])] > 1:
                    value = (node.get("column_name") if part == "column_name"
                             else (node.get("test_metadata") or {}).get("name") or "singular")
                    if value:
                        candidates[uid].append(str(value).lower())
        seen: Counter = Counter()
        for uid, _node in tests:
            name = "__".join(candidates[uid])
            seen[name] += 1
            names[uid] = name if seen[name] == 1 else f"{name}_{seen[name]}"
    return names


def _relation(manifest: dict[str, Any], uid: str | None) -> str | None:
    target = manifest.get("nodes", {}).get(uid) or manifest.get("sources", {}).get(uid) or {}
    return target.get("relation_name")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [{k: (v if isinstance(v, int | float | bool) or v is None else str(v))
             for k, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def gate_results_from_dbt(run_results: dict[str, Any], manifest: dict[str, Any],
                          asset_of: Callable[[str], str],
                          con: duckdb.DuckDBPyConnection | None = None) -> list[GateResult]:
    """One `GateResult` per data test in `run_results.json` (unit tests are code tests: skipped).

    With a connection, each execution also records what it examined (the rows of the table it
    guards, or for a gate counted in groups the groups its SQL compared) and up to 20 failing rows,
    read by running the test's own compiled SQL again.
    """
    nodes = dbt_tests(manifest)
    names = check_names(manifest)
    counted: dict[tuple[str, str], int | None] = {}
    results = []
    for res in run_results.get("results", []):
        uid = res["unique_id"]
        if uid not in nodes:
            continue
        node = nodes[uid]
        registered = gate_of_test(node)
        status = res.get("status")
        compiled = res.get("compiled_code") or ""
        observed = {"test": node.get("name", uid), "kind": (node.get("test_metadata") or {}).get("name"),
                    "column": node.get("column_name"), "status": status,
                    "failures": res.get("failures"), "message": (res.get("message") or "")[:500]}
        examined, examples = None, []
        if con is not None and status in ("pass", "fail", "warn") and compiled:
            try:
                examined, examples = _examine(con, registered.population, compiled, status,
                                              _relation(manifest, attached_node(node)),
                                              (node.get("config") or {}).get("where"), counted)
            except duckdb.Error as exc:
                observed["examine_error"] = f"{type(exc).__name__}: {exc}"[:300]
        results.append(GateResult(
            registered, asset_of(uid), passed=status == "pass", check_name=names[uid],
            examined=examined, observed=observed, failing_examples=examples,
            errored=status not in ("pass", "fail", "warn")))
    return results


def _examine(con: duckdb.DuckDBPyConnection, population: str, compiled: str, status: str,
             relation: str | None, where: str | None,
             counted: dict[tuple[str, str], int | None]) -> tuple[int | None, list[dict[str, Any]]]:
    """(rows or groups examined, failing examples) of one test, from its own compiled SQL."""
    body = compiled.strip().rstrip(";")
    if population == "groups":
        examined = con.execute(f"SELECT count(*) FROM ({body})").fetchone()[0]
        failing = f"SELECT * FROM ({body}) WHERE gate_failed LIMIT {EXAMPLES}"
    else:
        key = (relation or "", where or "")
        if key not in counted:
            counted[key] = (con.execute(f"SELECT count(*) FROM {relation} WHERE {where or 'true'}")
                            .fetchone()[0] if relation else None)
        examined = counted[key]
        failing = f"SELECT * FROM ({body}) LIMIT {EXAMPLES}"
    return examined, (_rows(con, failing) if status != "pass" else [])
