"""Failures that need a refreshed home: a moved home, and a disk that fills up during dbt.

Each is one sentence on stderr with the right exit code and no traceback; a full disk is named as
such in the refresh summary too, never blamed on the data checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MART = "mart_deprivation_profile"

# dbt's artifacts cannot be written: the disk is full as the dbt step streams dbt's events.
FULL_DISK_DURING_DBT = """
import errno, os
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

def full_disk(self, *args, **kwargs):
    path = os.path.join(str(self.target_path), "run_results.json")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
    yield

DbtCliInvocation.stream = full_disk
"""


def one_sentence(done: subprocess.CompletedProcess) -> str:
    """The single line a failed command wrote to stderr."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def _copy_home(source: Path, target: Path) -> Path:
    for part in ("data", "dagster"):
        shutil.copytree(source / part, target / part, symlinks=True)
    return target


def test_a_moved_home_finds_its_releases_or_says_where_they_were(home_copy, cli):
    home = home_copy
    release_id = (home / "data" / "releases" / MART / "latest").read_text().strip()
    moved = home.with_name(home.name + "-moved")
    home.rename(moved)  # audit.releases names folders relative to the home; older rows, absolutely
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
        assert f"release {release_id} is recorded at {folder}, which is missing" in line
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


def test_disk_full_during_dbt_is_named_and_not_blamed_on_the_checks(refreshed, tmp_path):
    home, _ = refreshed
    copy = _copy_home(home, tmp_path / "copy")
    env = {**os.environ, "DATA_CYMRU_HOME": str(copy / "data"), "DAGSTER_HOME": str(copy / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}
    program = (FULL_DISK_DURING_DBT + "import sys\nfrom orchestration.cli import main\n"
               "sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", program, "refresh", "--force", "--dataset",
                           "ons__mid_year_pop_est"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:]
    line = one_sentence(done)
    assert line.startswith(f"datacymru: disk full writing {copy / 'data' / 'dbt'}")
    assert line.endswith("run_results.json: free space on that disk (or set DATA_CYMRU_HOME to a "
                         "disk with room) and run again")
    summary = done.stdout[done.stdout.index("== mart_"):]
    assert "blocking check failed" not in summary
    assert summary.count("no new release (the run stopped on a full disk, not on a data check: "
                         "see the steps that failed below)") == 3
    steps = summary[summary.index("Steps that failed:"):].splitlines()
    assert any(s.split()[0] == "dbt_models" and "disk full writing" in s for s in steps[1:])
