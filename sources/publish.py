"""The publish step of a mart.

It gathers the executions of the mart's checks, runs the release gates, and writes either a
release or, when a blocking check did not pass, a report of the blocked attempt.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sources.catalogue import catalogue
from sources.faults import crash_point
from sources.gates import chain
from sources.gates.audit import (
    append_checks,
    append_release,
    append_release_checks,
    ensure_audit,
    now,
)
from sources.gates.marts import mart_profiles
from sources.gates.model import OUTCOMES, GateResult
from sources.gates.parity import parity_gates
from sources.gates.registry import gate, principles, welsh_status
from sources.i18n import N_, both, gettext
from sources.i18n import status as welsh_of
from sources.labels import column_dictionary, enum_values, labelled_view
from sources.release import (
    STATUS_LABELS,
    Release,
    check_metadata,
    latest_release,
    recover_releases,
    revisions,
    revisions_gate,
    write_blocked_report,
    write_release,
)
from sources.report import render_report
from sources.returns.store import RAW_TABLE as RETURNS_TABLE
from sources.returns.store import returns_version
from sources.settings import Settings

RETURNS_DATASET = "council__returns"
RETURNS_TITLE = N_("Performance returns submitted by the 22 councils")
RETURNS_LICENCE = N_("Open Government Licence v3.0")
CHECK_FIELDS = ("check_id", "asset_key", "check_name", "gate", "engine", "principle", "standard",
                "severity", "outcome", "examined", "checked_at", "run_id")


@dataclass
class PublishOutcome:
    release: Release | None
    reason: str = ""
    blockers: list[str] = field(default_factory=list)
    release_gates: list[GateResult] = field(default_factory=list)
    report: Path | None = None
    recovered: list[str] = field(default_factory=list)  # what crash recovery did first


def release_asset(mart: str) -> str:
    """The asset key of a mart's releases, as Dagster and the audit trail write it.

    Its last part is not the mart's own name: the UI's graph labels each node with the last part
    of its key only, so `release/mart_x` would read exactly like `marts/mart_x`.
    """
    return f"release/release__{mart}"


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def latest_executions(con: duckdb.DuckDBPyConnection, checks: list[tuple[str, str]],
                      run_id: str) -> list[dict[str, Any]]:
    """Per (asset key, check name), the execution a publication relies on.

    This run's execution if it ran the check; otherwise (its asset was not rebuilt) the newest
    earlier one. Rows dated in the future never count.
    """
    ensure_audit(con)
    if not checks:
        return []
    con.execute("CREATE OR REPLACE TEMP TABLE wanted (asset_key VARCHAR, check_name VARCHAR)")
    con.executemany("INSERT INTO wanted VALUES (?, ?)", checks)
    rows = _dicts(con.execute("""
        SELECT c.* FROM audit.check_results c JOIN wanted USING (asset_key, check_name)
        WHERE c.checked_at <= now()
        QUALIFY row_number() OVER (PARTITION BY c.asset_key, c.check_name
                                   ORDER BY c.run_id IS NOT DISTINCT FROM ? DESC,
                                            c.checked_at DESC) = 1
        ORDER BY c.asset_key, c.check_name""", [run_id]))
    con.execute("DROP TABLE wanted")
    return rows


def _check_row(row: dict[str, Any]) -> dict[str, Any]:
    """An execution as a release lists it, with its gate's sentences from the registry."""
    registered = gate(row.get("gate") or row["check_name"], where=f"audit row {row.get('check_id')}")
    return {**{k: row.get(k) for k in CHECK_FIELDS}, "gate": registered.name,
            "checked_at": str(row["checked_at"]), "principle_group": registered.principle_group,
            "must_hold_en": registered.must_hold_en, "must_hold_cy": registered.must_hold_cy,
            "rationale_en": registered.rationale_en, "rationale_cy": registered.rationale_cy,
            "guidance": registered.guidance,
            "observed": json.loads(row.get("observed") or "{}"),
            "failing_examples": json.loads(row.get("failing_examples") or "[]")}


def summarise(checks: list[dict[str, Any]]) -> dict[str, Any]:
    """One count: every execution once, under its outcome and under its principle."""
    by_outcome = Counter(c["outcome"] for c in checks)
    by_principle: dict[str, Counter] = {}
    for c in checks:
        by_principle.setdefault(c["principle_group"], Counter())[c["outcome"]] += 1
    return {"total": len(checks), "by_outcome": {o: by_outcome[o] for o in OUTCOMES},
            "by_principle": {p: {o: n[o] for o in OUTCOMES if n[o]}
                             for p, n in sorted(by_principle.items())}}


def _submissions(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    return _dicts(con.execute(f"""
        SELECT s.council_code AS area_code, coalesce(a.area_name_en, s.council_code) AS council,
               s.collection, s.archive_sha256 AS sha256,
               CAST(s.received_at AS VARCHAR) AS received_at, s.file_name
        FROM (SELECT DISTINCT submission_id FROM {RETURNS_TABLE}) r
        JOIN audit.submissions s USING (submission_id)
        LEFT JOIN seeds.dim_local_authority a ON a.area_code = s.council_code
        ORDER BY s.council_code, s.collection, s.received_at"""))


def _licence(licence: str | None) -> dict[str, Any]:
    """A licence's name in both languages (the catalogue's words), and whether the Welsh is reviewed."""
    if not licence:
        return {"licence_en": None, "licence_cy": None, "licence_cy_status": "missing"}
    state = welsh_of(licence)
    return {"licence_en": licence, "licence_cy": gettext(licence, "cy") if state != "missing" else None,
            "licence_cy_status": state}


def _sources(con: duckdb.DuckDBPyConnection, datasets: list[str],
             previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The datasets a mart is built from (its lineage), each with the archive behind it."""
    known = catalogue()
    before = {s["dataset"]: s.get("data_version") for s in (previous or {}).get("sources", [])}
    out = []
    for key in datasets:
        ds = known.get(key)
        if key == RETURNS_DATASET:
            submissions = _submissions(con)
            if not submissions:  # no council has sent a return: the mart holds none of it
                continue
            row = (None, sorted({s["sha256"] for s in submissions}),
                   max((s["received_at"] for s in submissions), default=None))
            version = returns_version(con)
            title_en, title_cy = both(RETURNS_TITLE)
            entry = {"dataset": key, "provider": "councils", "dataset_id": RETURNS_DATASET,
                     "title_en": title_en, "title_cy": title_cy, **_licence(RETURNS_LICENCE),
                     "submissions": submissions}
            row = (version, row[1], row[2])
        else:
            found = con.execute("""SELECT data_version, archive_sha256, loaded_at FROM raw._loads
                                   WHERE dataset = ? ORDER BY loaded_at DESC LIMIT 1""",
                                [key]).fetchone()
            row = (found[0], list(found[1]), str(found[2])) if found else (None, [], None)
            entry = {"dataset": key, "provider": ds.provider if ds else None,
                     "dataset_id": ds.dataset_id if ds else key,
                     "title_en": ds.title_en if ds else key, "title_cy": ds.title_cy if ds else key,
                     **_licence(ds.licence if ds else None), "submissions": []}
        out.append({**entry, "data_version": row[0], "archive_sha256": row[1],
                    "retrieved_at": row[2],
                    "changed_since_previous": (None if key not in before
                                               else before[key] != row[0])})
    return out


def _history(con: duckdb.DuckDBPyConnection, checks: list[dict[str, Any]]) -> dict[str, list]:
    """Per check (asset key and check name), its last 12 executions with the release they fed."""
    if not checks:
        return {}
    con.execute("CREATE OR REPLACE TEMP TABLE wanted (asset_key VARCHAR, check_name VARCHAR)")
    con.executemany("INSERT INTO wanted VALUES (?, ?)",
                    [(c["asset_key"], c["check_name"]) for c in checks])
    rows = _dicts(con.execute("""
        WITH recent AS (
            SELECT c.asset_key, c.check_name, c.check_id, c.run_id, c.checked_at, c.outcome
            FROM audit.check_results c JOIN wanted USING (asset_key, check_name)
            QUALIFY row_number() OVER (PARTITION BY c.asset_key, c.check_name
                                       ORDER BY c.checked_at DESC) <= 12)
        SELECT asset_key, check_name, run_id, CAST(checked_at AS VARCHAR) AS checked_at, outcome,
               (SELECT min(r.release_id) FROM audit.release_checks r
                WHERE r.check_id = recent.check_id) AS release_id
        FROM recent ORDER BY asset_key, check_name, checked_at DESC"""))
    con.execute("DROP TABLE wanted")
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(f"{r.pop('asset_key')}::{r.pop('check_name')}", []).append(r)
    return out


def _principle_history(con: duckdb.DuckDBPyConnection, mart: str,
                       current: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Outcomes by principle for the mart's last releases (oldest first), then this attempt."""
    rows = con.execute("""
        SELECT r.release_id, split_part(c.principle, '.', 1) AS principle, c.outcome, count(*)
        FROM audit.release_checks r JOIN audit.check_results c USING (check_id)
        JOIN audit.releases a USING (release_id) WHERE a.mart = ?
        GROUP BY ALL ORDER BY r.release_id""", [mart]).fetchall()
    by_release: dict[str, dict[str, dict[str, int]]] = {}
    for release_id, principle, outcome, n in rows:
        by_release.setdefault(release_id, {}).setdefault(principle, {})[outcome] = n
    history = [{"label": rid[:5], "by_principle": v} for rid, v in sorted(by_release.items())][-11:]
    return [*history, {"label": current[0], "by_principle": current[1]["by_principle"]}]


def _measure_charts(con: duckdb.DuckDBPyConnection, mart: str) -> list[dict[str, Any]]:
    """Per series, the 22 councils' values and the Wales figure in the series' latest period."""
    chart = mart_profiles()[mart].get("chart")
    if not chart:
        return []
    cols = {k: f'"{v}"' for k, v in chart.items()}
    marker = cols.get("marker", "NULL")
    unit = cols.get("unit", "NULL")
    rows = _dicts(con.execute(f"""
        WITH latest AS (SELECT {cols['series']} AS series, max({cols['period']}) AS period
                        FROM marts.{mart} GROUP BY ALL)
        SELECT CAST(m.{cols['series']} AS VARCHAR) AS series, m.{cols['title_en']} AS title_en,
               m.{cols['title_cy']} AS title_cy, CAST(m.{cols['period']} AS VARCHAR) AS period,
               {unit} AS unit, m.area_code, m.area_name_en, m.area_name_cy,
               CAST(m.{cols['value']} AS DOUBLE) AS value, {marker} AS marker
        FROM marts.{mart} m JOIN latest l
          ON m.{cols['series']} = l.series AND m.{cols['period']} = l.period
        ORDER BY series, m.area_code"""))
    charts: dict[str, dict[str, Any]] = {}
    for r in rows:
        c = charts.setdefault(r["series"], {k: r[k] for k in ("series", "title_en", "title_cy",
                                                              "period", "unit")}
                              | {"wales_value": None, "values": []})
        if r["area_code"] == "W92000004":
            c["wales_value"] = r["value"]
        else:
            c["values"].append({k: r[k] for k in ("area_code", "area_name_en", "area_name_cy",
                                                  "value", "marker")})
    return list(charts.values())


def publish_mart(con: duckdb.DuckDBPyConnection, settings: Settings, mart: str, *, run_id: str,
                 code_version: str, data_versions: dict[str, str],
                 checks: list[tuple[str, str]], datasets: list[str],
                 report_only: bool = False, manifest: dict[str, Any] | None = None) -> PublishOutcome:
    """Write a new release of `mart` if, and only if, every blocking check on it passed.

    `checks` are the (asset key, check name) of every check defined on the mart and `datasets`
    the sources in its lineage; both come from the definitions (and `manifest`, the dbt manifest,
    gives the column dictionary its English and Welsh descriptions), so a check that never ran is
    a reason to block, not an omission. With `report_only`, nothing is published: a report is
    written only if a blocking check did not pass (a step whose checks failed calls it so, as
    Dagster will not run the publish step after a failed blocking check).
    """
    profile = mart_profiles()[mart]
    table, release_of = f"marts.{mart}", release_asset(mart)
    recovered = recover_releases(con, settings.releases)
    executions = latest_executions(con, checks, run_id)
    ran = {(r["asset_key"], r["check_name"]) for r in executions}
    never_ran = [f"{a}:{c}" for a, c in checks if (a, c) not in ran]
    mart_checks = [_check_row(r) for r in executions]
    blockers = never_ran + [f"{c['engine']}:{c['check_name']}" for c in mart_checks
                            if c["severity"] == "blocking" and c["outcome"] in ("failed", "error")]
    if report_only and not blockers:
        return PublishOutcome(None, f"{mart}: no blocking check failed", recovered=recovered)
    previous = latest_release(settings.releases, mart)
    previous_meta = (json.loads((previous / "metadata.json").read_text(encoding="utf-8"))
                     if previous else None)
    changed = revisions(con, table, previous, mart, profile["key"], profile.get("value"))
    label_en, label_cy = both(STATUS_LABELS[settings.mode])
    metadata: dict[str, Any] = {
        "mart": mart, "title_en": profile["title_en"], "title_cy": profile["title_cy"],
        "description_en": profile["description_en"], "description_cy": profile["description_cy"],
        "status_label_en": label_en, "status_label_cy": label_cy, "mode": settings.mode,
        "created_at": now().isoformat(timespec="seconds"), "run_id": run_id,
        "code_version": code_version, "data_versions": data_versions,
        "sources": _sources(con, datasets, previous_meta),
        "previous_release": previous.name if previous else None,
        "revisions": [{k: str(v) for k, v in r.items()} for r in changed],
        "columns": column_dictionary(con, labelled_view(con, table), mart, manifest),
    }
    release_gates: list[GateResult] = []
    if not blockers:
        metadata["gates"] = summarise(mart_checks)
        release_gates = [check_metadata(metadata, release_of),
                         revisions_gate(changed, previous, release_of)]
        release_gates += parity_gates(metadata, enum_values(con, table), release_of,
                                      [c["gate"] for c in mart_checks] + [g.gate.name for g in release_gates])
        # What the release says of its own Welsh: the parity gate's count, in its metadata.
        metadata["translation"] = {k: v for k, v in release_gates[2].observed.items()}
        ids = append_checks(con, release_gates, run_id=run_id, code_version=code_version,
                            data_versions=data_versions)
        stamp = now()
        for result, check_id in zip(release_gates, ids, strict=True):
            mart_checks.append(_check_row({
                "check_id": check_id, "asset_key": result.asset_key,
                "check_name": result.check_name, "gate": result.gate.name,
                "engine": result.gate.engine, "principle": result.gate.principle,
                "standard": result.gate.standard, "severity": result.gate.severity,
                "outcome": result.outcome, "examined": result.examined, "checked_at": stamp,
                "run_id": run_id, "observed": json.dumps(result.observed, default=str),
                "failing_examples": json.dumps(result.failing_examples, default=str)}))
        blockers = [f"python:{r.check_name}" for r in release_gates if r.blocks]
    summary = summarise(mart_checks)
    metadata["gates"] = {**summary, "checks": [{k: c[k] for k in (*CHECK_FIELDS, "principle_group")}
                                               for c in mart_checks]}
    report = {
        "release": {**{k: metadata[k] for k in (
            "mart", "title_en", "title_cy", "description_en", "description_cy", "status_label_en",
            "status_label_cy", "mode", "code_version", "run_id", "previous_release",
            "created_at")}, "release_id": None, "status": "blocked" if blockers else "published",
            "blocked_reason_en": "", "blocked_reason_cy": ""},
        "checks": mart_checks, "principles": principles(), "summary": summary,
        "sources": metadata["sources"], "revisions": metadata["revisions"],
        "history": _history(con, mart_checks),
        "principle_history": _principle_history(con, mart, ("now / nawr", summary)),
        "measure_charts": _measure_charts(con, mart), "welsh_status": welsh_status(),
    }
    if blockers:
        reason = (f"{mart}: blocking check(s) did not pass: {', '.join(blockers)}; "
                  "the previous release stays in place")
        report["release"] |= {
            "blocked_reason_en": f"Blocking checks did not pass: {', '.join(blockers)}.",
            "blocked_reason_cy": f"Ni phasiodd gwiriadau sy'n atal: {', '.join(blockers)}."}
        path = write_blocked_report(settings.releases, mart, render_report(report),
                                    {**metadata, "status": "blocked", "blockers": blockers})
        return PublishOutcome(None, reason, blockers, release_gates, path, recovered)
    report["release"]["release_id"] = "{{RELEASE_ID}}"

    def record(release: Release) -> None:
        """The release's audit rows, in one transaction: all of them or none."""
        con.execute("BEGIN TRANSACTION")
        append_release_checks(con, release.release_id, mart_checks)
        append_release(con, {
            "release_id": release.release_id, "mart": mart, "created_at": now(),
            "path": release.path.relative_to(settings.home).as_posix(), "folder": release.path,
            "status_label": label_en,
            "gates_passed": summary["by_outcome"]["passed"],
            "gates_warned": summary["by_outcome"]["warned"],
            "gates_failed": summary["by_outcome"]["failed"] + summary["by_outcome"]["error"],
            "rows": release.rows, "revisions": len(changed),
            "run_id": run_id, "code_version": code_version, "data_versions": data_versions})
        con.execute("COMMIT")
        chain.write_heads(con, ["audit.releases", "audit.release_checks"])

    release = write_release(con, root=settings.releases, mart=mart, table=table, metadata=metadata,
                            revision_rows=changed, report_html=render_report(report), record=record)
    crash_point("released")
    return PublishOutcome(release, release_gates=release_gates, report=release.path / "report.html",
                          recovered=recovered)


def blocked_reports(root: Path, mart: str) -> list[Path]:
    """Reports of blocked attempts, newest first."""
    return sorted((root / mart / "blocked").glob("*/report.html"), reverse=True)
