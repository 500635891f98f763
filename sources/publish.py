"""The publish step of a mart: re-check its gates, build the metadata, write the release."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import duckdb

from sources.catalogue import catalogue
from sources.gates.audit import append_checks, append_release, ensure_audit, now
from sources.gates.marts import mart_profiles
from sources.gates.model import GateResult, GateSpec
from sources.release import (
    REVISIONS_GATE,
    STATUS_LABELS,
    Release,
    check_metadata,
    latest_release,
    revisions,
    write_release,
)
from sources.report import render_report
from sources.settings import Settings


@dataclass
class PublishOutcome:
    release: Release | None
    reason: str = ""
    blockers: list[str] = field(default_factory=list)
    release_gates: list[GateResult] = field(default_factory=list)


def latest_gate_rows(con: duckdb.DuckDBPyConnection, asset_key: str) -> list[dict[str, Any]]:
    """The most recent execution of every gate on an asset, per engine."""
    ensure_audit(con)
    cursor = con.execute("""
        WITH latest AS (SELECT engine, max(checked_at) AS at FROM audit.check_results
                        WHERE asset_key = ? GROUP BY engine)
        SELECT c.* FROM audit.check_results c JOIN latest l
          ON c.engine = l.engine AND c.checked_at = l.at WHERE c.asset_key = ?
        ORDER BY c.principle, c.check_name""", [asset_key, asset_key])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _sources(con: duckdb.DuckDBPyConnection, mart: str) -> list[dict[str, Any]]:
    out = []
    for ds in catalogue().values():
        if mart not in ds.marts:
            continue
        row = con.execute("""SELECT data_version, archive_sha256, fetch_id, loaded_at FROM raw._loads
                             WHERE dataset = ? ORDER BY loaded_at DESC LIMIT 1""", [ds.key]).fetchone()
        out.append({"dataset": ds.key, "provider": ds.provider, "dataset_id": ds.dataset_id,
                    "title_en": ds.title_en, "title_cy": ds.title_cy, "licence": ds.licence,
                    "data_version": row[0] if row else None,
                    "archive_sha256": list(row[1]) if row else [],
                    "loaded_at": str(row[3]) if row else None})
    return out


def principles_of(reference: str | None) -> list[str]:
    """'Q1.4, Q3.3' -> ['Q1', 'Q3']: the 2.x principles a gate's reference names."""
    found = re.findall(r"\b([TQV][1-9])(?:\.\d+)?", reference or "")
    return sorted(set(found)) or ["unassigned"]


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    outcome = Counter(r["outcome"] for r in rows)
    by_principle: dict[str, Counter] = {}
    for r in rows:
        for principle in principles_of(r["principle"]):
            by_principle.setdefault(principle, Counter())[r["outcome"]] += 1
    return {"passed": outcome["passed"], "warned": outcome["warned"],
            "failed": outcome["failed"] + outcome["error"],
            "by_principle": {k: dict(v) for k, v in sorted(by_principle.items())},
            "checks": [{k: r[k] for k in ("check_name", "engine", "principle", "standard",
                                          "severity", "outcome")} for r in rows]}


def _as_results(rows: list[dict[str, Any]]) -> list[GateResult]:
    return [GateResult(GateSpec(r["check_name"], r["principle"] or "", r["standard"] or "",
                                r["severity"], r["rationale"] or "", r["engine"]),
                       r["asset_key"], r["passed"], json.loads(r["observed"] or "{}"),
                       json.loads(r["failing_examples"] or "[]"), r["outcome"] == "error")
            for r in rows]


def publish_mart(con: duckdb.DuckDBPyConnection, settings: Settings, mart: str, *, run_id: str,
                 code_version: str, data_versions: dict[str, str]) -> PublishOutcome:
    """Write a new release of `mart` if, and only if, every blocking gate on it passed."""
    asset_key, release_asset = f"marts/{mart}", f"release/{mart}"
    gates = latest_gate_rows(con, asset_key)
    if not gates:
        return PublishOutcome(None, f"{mart}: no gate has run on {asset_key}; nothing is published")
    blockers = [f"{r['engine']}:{r['check_name']}" for r in gates
                if r["severity"] == "blocking" and not r["passed"]]
    if blockers:
        return PublishOutcome(None, f"{mart}: blocking gate(s) failed: {', '.join(blockers)}; "
                              "the previous release stays in place", blockers)
    profile = mart_profiles()[mart]
    table = f"marts.{mart}"
    previous = latest_release(settings.releases, mart)
    changed = revisions(con, table, previous, mart, profile["key"], profile.get("value"))
    label_en, label_cy = STATUS_LABELS[settings.mode]
    metadata = {
        "mart": mart, "title_en": profile["title_en"], "title_cy": profile["title_cy"],
        "description_en": profile["description_en"], "description_cy": profile["description_cy"],
        "status_label_en": label_en, "status_label_cy": label_cy, "mode": settings.mode,
        "created_at": now().isoformat(timespec="seconds"), "run_id": run_id,
        "code_version": code_version, "data_versions": data_versions,
        "sources": _sources(con, mart), "gates": _summary(gates),
        "previous_release": previous.name if previous else None,
        "revisions": [{**{k: str(v) for k, v in r.items()}} for r in changed],
    }
    meta_gate = check_metadata(metadata, release_asset)
    rev_gate = GateResult(REVISIONS_GATE, release_asset, passed=not changed,
                          observed={"revised_values": len(changed),
                                    "previous_release": metadata["previous_release"]},
                          failing_examples=metadata["revisions"][:20])
    release_gates = [meta_gate, rev_gate]
    append_checks(con, release_gates, run_id=run_id, code_version=code_version,
                  data_versions=data_versions)
    if not meta_gate.passed:
        return PublishOutcome(None, f"{mart}: release metadata incomplete: {meta_gate.observed}",
                              ["python:release_metadata_complete"], release_gates)
    history = con.execute("""SELECT check_name, engine, outcome, checked_at FROM audit.check_results
                             WHERE asset_key IN (?, ?) ORDER BY checked_at DESC LIMIT 2000""",
                          [asset_key, release_asset]).fetchall()
    report = render_report(
        mart=mart, metadata=metadata, results=_as_results(gates) + release_gates,
        history=[dict(zip(("check_name", "engine", "outcome", "checked_at"), h, strict=True))
                 for h in history])
    release = write_release(con, root=settings.releases, mart=mart, table=table, metadata=metadata,
                            revision_rows=changed, report_html=report)
    summary = metadata["gates"]
    append_release(con, {
        "release_id": release.release_id, "mart": mart, "created_at": now(),
        "path": str(release.path), "status_label": label_en,
        "gates_passed": summary["passed"], "gates_warned": summary["warned"],
        "gates_failed": summary["failed"], "rows": release.rows, "revisions": len(changed),
        "run_id": run_id, "code_version": code_version, "data_versions": data_versions})
    return PublishOutcome(release, release_gates=release_gates)
