"""The state of the platform in one answer, read without writing anything.

Per dataset: its last complete fetch (the archive), its last load (`raw._loads`) with their
data versions, and its freshness: the time since its raw table was last brought up to date
(Dagster's record, the same one its freshness check reads) against the catalogue's
`max_age_days`. Per mart: the outcome of the newest execution of each of its checks and its
current release. Then the council returns still in quarantine (no later return accepted from
that council for that collection) and the stale datasets.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import Archive
from sources.catalogue import Dataset
from sources.publish import release_asset
from sources.settings import Settings


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                       "AND table_name = ?", [schema, table]).fetchone()[0] > 0


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def dataset_status(con: duckdb.DuckDBPyConnection, settings: Settings, dataset: Dataset,
                   updated: datetime | None, now: datetime) -> dict[str, Any]:
    """One dataset: last fetch, last load, and whether it is fresh (`updated`: Dagster's record)."""
    fetch = Archive(settings.archive, dataset.provider, dataset.name).latest_fetch()
    load = (_rows(con, "SELECT data_version, rows, loaded_at FROM raw._loads WHERE dataset = ? "
                       "ORDER BY loaded_at DESC LIMIT 1", [dataset.key])
            if _has_table(con, "raw", "_loads") else [])
    age = (now - updated).total_seconds() / 86400 if updated else None
    return {
        "dataset": dataset.key, "provider": dataset.provider, "schedule": dataset.schedule,
        "last_fetch_at": fetch.finished_at if fetch else None,
        "fetch_mode": fetch.mode if fetch else None,
        "fetch_data_version": fetch.data_version if fetch else None,
        "last_load_at": load[0]["loaded_at"] if load else None,
        "loaded_data_version": load[0]["data_version"] if load else None,
        "rows": load[0]["rows"] if load else None,
        "up_to_date_at": updated, "age_days": None if age is None else round(age, 1),
        "max_age_days": dataset.max_age_days,
        # never brought up to date counts as stale, as Dagster's freshness check says
        "stale": age is None or age > dataset.max_age_days,
    }


def mart_status(con: duckdb.DuckDBPyConnection, settings: Settings, mart: str) -> dict[str, Any]:
    """One mart: the newest outcome of each of its checks, and its current release."""
    checks = (_rows(con, """
        SELECT check_name, outcome, severity, checked_at, run_id FROM audit.check_results
        WHERE asset_key IN (?, ?)
        QUALIFY row_number() OVER (PARTITION BY asset_key, check_name ORDER BY checked_at DESC) = 1
        ORDER BY check_name""", [f"marts/{mart}", release_asset(mart)])
        if _has_table(con, "audit", "check_results") else [])
    by_outcome: dict[str, int] = {}
    for check in checks:
        by_outcome[check["outcome"]] = by_outcome.get(check["outcome"], 0) + 1
    latest = settings.releases / mart / "latest"
    release_id = latest.read_text(encoding="utf-8").strip() if latest.exists() else None
    release = (_rows(con, "SELECT release_id, created_at, status_label, rows, gates_passed, "
                          "gates_warned, gates_failed FROM audit.releases WHERE release_id = ?",
                     [release_id]) if release_id and _has_table(con, "audit", "releases") else [])
    return {
        "mart": mart, "checks": len(checks), "checks_by_outcome": by_outcome,
        "last_checked_at": max((c["checked_at"] for c in checks), default=None),
        "not_passed": [{"check": c["check_name"], "outcome": c["outcome"], "severity": c["severity"]}
                       for c in checks if c["outcome"] not in ("passed", "not_applicable")],
        "latest_release": ({**release[0], "path": str(settings.releases / mart / release_id)}
                           if release else None),
    }


def open_quarantines(con: duckdb.DuckDBPyConnection, home: Path) -> list[dict[str, Any]]:
    """Quarantined returns with no later return accepted from that council for that collection."""
    if not _has_table(con, "audit", "submissions"):
        return []
    rows = _rows(con, """
        SELECT q.submission_id, q.council_code, q.collection, q.original_name, q.file_name,
               q.received_at, q.errors, q.feedback_path
        FROM audit.submission_status q
        WHERE q.status = 'quarantined' AND NOT EXISTS (
            SELECT 1 FROM audit.submission_status a
            WHERE a.council_code IS NOT DISTINCT FROM q.council_code
              AND a.collection IS NOT DISTINCT FROM q.collection
              AND a.status IN ('accepted', 'superseded') AND a.received_at > q.received_at)
        ORDER BY q.received_at""")
    for row in rows:
        if row["feedback_path"]:
            row["feedback_path"] = str(home / row["feedback_path"] / "feedback.html")
    return rows
