"""What a check or a release records about the code and data it ran on."""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]


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
