"""What a check or a release records about the code and data it ran on."""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
FORCE_TAG = "datacymru/force"


@cache
def code_version() -> str:
    """The git commit of the code (with `+dirty` when the tree has local changes)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO, check=True,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def data_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The data version (hash of archived responses) now in each raw table."""
    try:
        rows = con.execute("""SELECT dataset, arg_max(data_version, loaded_at) FROM raw._loads
                              GROUP BY dataset ORDER BY dataset""").fetchall()
    except duckdb.Error:
        return {}
    return dict(rows)


def build_fingerprint(con: duckdb.DuckDBPyConnection, manifest: Path) -> str:
    """Hash of everything a dbt build reads: raw data versions and the parsed project."""
    digest = hashlib.sha256(json.dumps(data_versions(con), sort_keys=True).encode())
    digest.update(hashlib.sha256(manifest.read_bytes()).digest())
    return digest.hexdigest()


def last_build(con: duckdb.DuckDBPyConnection) -> str | None:
    """Fingerprint of the last successful full dbt build, if its marts still exist."""
    try:
        row = con.execute("SELECT fingerprint FROM audit.dbt_builds ORDER BY built_at DESC LIMIT 1"
                          ).fetchone()
        marts = con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_schema = 'marts'").fetchone()[0]
    except duckdb.Error:
        return None
    return row[0] if row and marts else None


def record_build(con: duckdb.DuckDBPyConnection, fingerprint: str, run_id: str) -> None:
    """Append a successful full build (append-only, like the rest of the audit schema)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    con.execute("CREATE TABLE IF NOT EXISTS audit.dbt_builds (fingerprint VARCHAR, run_id VARCHAR, "
                "built_at TIMESTAMPTZ DEFAULT now())")
    con.execute("INSERT INTO audit.dbt_builds (fingerprint, run_id) VALUES (?, ?)",
                [fingerprint, run_id])
