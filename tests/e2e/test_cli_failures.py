"""Failures that need a refreshed home: a moved home, and Dagster records of another home.

Each is one sentence on stderr with the right exit code and no traceback.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MART = "mart_deprivation_profile"


def one_sentence(done: subprocess.CompletedProcess) -> str:
    """The single line a failed command wrote to stderr."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_moved_home_finds_its_releases_or_says_where_they_were(refreshed, cli):
    home, _ = refreshed
    release_id = (home / "data" / "releases" / MART / "latest").read_text().strip()
    moved = home.with_name(home.name + "-moved")
    home.rename(moved)  # audit.releases still names the folders under the old home
    try:
        found = cli(moved, "audit", "release", release_id)
        assert found.returncode == 0, found.stderr
        assert str(moved / "data" / "releases" / MART / release_id) in found.stdout
        folder = moved / "data" / "releases" / MART / release_id
        folder.rename(folder.with_name("aside"))
        try:
            lost = cli(moved, "audit", "release", release_id)
        finally:
            folder.with_name("aside").rename(folder)
        assert lost.returncode == 1
        line = one_sentence(lost)
        assert f"release {release_id} is recorded at {home / 'data' / 'releases' / MART}" in line
        assert "restore its folder from backup" in line
    finally:
        moved.rename(home)


def test_dagster_records_of_another_home_are_named_before_a_refresh(refreshed, cli, tmp_path):
    """A fresh DATA_CYMRU_HOME beside the old DAGSTER_HOME: nothing would have been rebuilt."""
    home, _ = refreshed
    shutil.copytree(home / "dagster", tmp_path / "dagster")
    done = cli(tmp_path, "refresh")
    assert done.returncode == 2
    line = one_sentence(done)
    assert f"records builds the warehouse {tmp_path / 'data' / 'warehouse.duckdb'} does not have" in line
    assert "`datacymru refresh --force`" in line

