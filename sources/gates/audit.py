"""The append-only audit trail: every check execution and every release.

Only `CREATE TABLE IF NOT EXISTS`, `ALTER TABLE ... ADD COLUMN IF NOT EXISTS` and `INSERT` are
issued here; no code path updates or deletes audit rows. Every row is appended to its table's
hash chain (`sources/gates/chain.py`), so a row changed or deleted afterwards is found by
`datacymru audit verify`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import sha256_file
from sources.gates import chain
from sources.gates.model import GateResult

DDL = (
    "CREATE SCHEMA IF NOT EXISTS audit",
    """CREATE TABLE IF NOT EXISTS audit.check_results (
        check_name VARCHAR NOT NULL, asset_key VARCHAR NOT NULL, engine VARCHAR NOT NULL,
        principle VARCHAR, standard VARCHAR, severity VARCHAR NOT NULL, passed BOOLEAN NOT NULL,
        outcome VARCHAR NOT NULL, observed JSON, failing_examples JSON, rationale VARCHAR,
        run_id VARCHAR, code_version VARCHAR, data_versions JSON,
        checked_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit.releases (
        release_id VARCHAR NOT NULL, mart VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL,
        path VARCHAR NOT NULL, status_label VARCHAR NOT NULL, gates_passed INTEGER,
        gates_warned INTEGER, gates_failed INTEGER, rows BIGINT, revisions INTEGER,
        run_id VARCHAR, code_version VARCHAR, data_versions JSON)""",
    # Added later: tables made before them gain the columns, and old rows keep NULL there.
    "ALTER TABLE audit.check_results ADD COLUMN IF NOT EXISTS gate VARCHAR",
    "ALTER TABLE audit.check_results ADD COLUMN IF NOT EXISTS examined BIGINT",
    "ALTER TABLE audit.check_results ADD COLUMN IF NOT EXISTS check_id VARCHAR",
    # The exact executions a release relied on, so every view of a release lists the same checks.
    """CREATE TABLE IF NOT EXISTS audit.release_checks (
        release_id VARCHAR NOT NULL, check_id VARCHAR NOT NULL, asset_key VARCHAR NOT NULL,
        check_name VARCHAR NOT NULL)""",
    # The hash of a release's metadata.json, which holds the hashes of its other files.
    "ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS metadata_sha256 VARCHAR",
    *chain.add_columns("audit.check_results"),
    *chain.add_columns("audit.releases"),
    *chain.add_columns("audit.release_checks"),
)
COLUMNS = ("check_name", "asset_key", "engine", "principle", "standard", "severity", "passed",
           "outcome", "observed", "failing_examples", "rationale", "run_id", "code_version",
           "data_versions", "checked_at", "gate", "examined", "check_id")


def ensure_audit(con: duckdb.DuckDBPyConnection) -> None:
    for statement in DDL:
        con.execute(statement)


def now() -> datetime:
    return datetime.now(UTC)


def append_checks(con: duckdb.DuckDBPyConnection, results: Iterable[GateResult], *, run_id: str,
                  code_version: str, data_versions: dict[str, Any]) -> list[str]:
    """Append one row per gate execution; the ids of the rows, in order."""
    ensure_audit(con)
    stamp = now()
    ids, rows = [], []
    for r in results:
        ids.append(str(uuid.uuid4()))
        rows.append(dict(zip(COLUMNS, (
            r.check_name, r.asset_key, r.gate.engine, r.gate.principle, r.gate.standard,
            r.gate.severity, r.outcome in ("passed", "not_applicable"), r.outcome,
            json.dumps(r.observed, default=str),
            json.dumps(r.failing_examples, default=str, ensure_ascii=False),
            r.gate.rationale_en, run_id, code_version, json.dumps(data_versions), stamp,
            r.gate.name, r.examined, ids[-1]), strict=True)))
    chain.append(con, "audit.check_results", rows)
    return ids


def append_release_checks(con: duckdb.DuckDBPyConnection, release_id: str,
                          checks: Iterable[dict[str, Any]]) -> None:
    ensure_audit(con)
    chain.append(con, "audit.release_checks", [
        {"release_id": release_id, "check_id": c["check_id"], "asset_key": c["asset_key"],
         "check_name": c["check_name"]} for c in checks])


def release_checks(con: duckdb.DuckDBPyConnection, release_id: str) -> list[dict[str, Any]]:
    """The executions a release relied on, as recorded when it was written (works read-only)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                         "'audit' AND table_name = 'release_checks'").fetchone()[0]
    if not exists:
        return []
    cursor = con.execute("""SELECT c.* FROM audit.release_checks r
                            JOIN audit.check_results c USING (check_id)
                            WHERE r.release_id = ? ORDER BY c.asset_key, c.check_name""",
                         [release_id])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


RELEASE_COLUMNS = ("release_id", "mart", "created_at", "path", "status_label", "gates_passed",
                   "gates_warned", "gates_failed", "rows", "revisions", "run_id", "code_version")


def append_release(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    """One row per release, with the sha256 of the metadata.json it wrote."""
    ensure_audit(con)
    # `path` is stored relative to the home; `folder` (where it is now) finds its metadata.json.
    metadata = Path(row.get("folder") or row["path"]) / "metadata.json"
    chain.append(con, "audit.releases", [{
        **{k: row[k] for k in RELEASE_COLUMNS}, "data_versions": json.dumps(row["data_versions"]),
        "metadata_sha256": sha256_file(metadata) if metadata.exists() else None}])


def query_checks(con: duckdb.DuckDBPyConnection, *, asset: str | None = None,
                 principle: str | None = None, since: str | None = None,
                 run_id: str | None = None, failed_only: bool = False) -> list[dict[str, Any]]:
    """Check history, newest first, filtered as an auditor asks (works read-only)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                         "'audit' AND table_name = 'check_results'").fetchone()[0]
    if not exists:
        return []
    where, params = ["true"], []
    if asset:
        where.append("asset_key = ?")
        params.append(asset)
    if principle:
        where.append("(principle = ? OR principle LIKE ?)")
        params += [principle, principle + ".%"]
    if since:
        where.append("checked_at >= CAST(? AS TIMESTAMPTZ)")
        params.append(since)
    if run_id:
        where.append("run_id = ?")
        params.append(run_id)
    if failed_only:
        where.append("outcome NOT IN ('passed', 'not_applicable')")
    cursor = con.execute(f"SELECT * FROM audit.check_results WHERE {' AND '.join(where)} "
                         "ORDER BY checked_at DESC, asset_key, check_name", params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
