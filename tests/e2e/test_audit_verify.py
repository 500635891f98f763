"""`datacymru audit verify` on a refreshed home: clean, then each kind of change named.

Each test changes its own copy of the shared refreshed home (`refreshed`), so the other end-to-end
tests see it as the refresh left it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest


@pytest.fixture
def copy(refreshed, tmp_path) -> Path:
    """A private copy of the refreshed home's data (verify needs no Dagster instance)."""
    home, _ = refreshed
    shutil.copytree(home / "data", tmp_path / "data", symlinks=True)
    return tmp_path


def sql(home: Path, statement: str) -> None:
    with duckdb.connect(str(home / "data" / "warehouse.duckdb")) as con:
        con.execute(statement)


def release_csv(home: Path, mart: str = "mart_performance_framework") -> Path:
    release = (home / "data" / "releases" / mart / "latest").read_text().strip()
    return home / "data" / "releases" / mart / release / f"{mart}.csv"


def test_a_refreshed_home_verifies_clean(copy, cli):
    done = cli(copy, "audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: every archived file, release file and audit row is as it was written" in done.stdout
    report = json.loads(cli(copy, "audit", "verify", "--format", "json").stdout)
    assert report["ok"] and report["problems"] == []
    assert report["checked"]["archive"]["files"] > 0
    assert report["checked"]["releases"]["releases"] == 3
    assert report["checked"]["audit"]["audit.check_results"]["hashed"] > 0
    assert report["checked"]["audit"]["audit.submissions"]["hashed"] > 0


def test_an_update_of_a_check_result_is_named(copy, cli):
    sql(copy, "UPDATE audit.check_results SET examined = examined + 1 WHERE seq = 7")
    done = cli(copy, "audit", "verify")
    assert done.returncode == 1
    problems = [line for line in done.stdout.splitlines() if line.startswith("audit:")]
    assert len(problems) == 1
    assert problems[0].startswith("audit: audit.check_results row seq 7 (check_id=")
    assert "its content no longer matches its row_hash" in problems[0]


def test_a_deleted_check_result_is_named(copy, cli):
    sql(copy, "DELETE FROM audit.check_results WHERE seq = 12")
    done = cli(copy, "audit", "verify", "--format", "json")
    assert done.returncode == 1
    (problem,) = json.loads(done.stdout)["problems"]
    assert (problem["where"], problem["row"], problem["check"]) == ("audit.check_results", 12, "seq")
    assert problem["message"] == ("audit: audit.check_results row seq 12 is missing (seq jumps "
                                  "from 11 to 13): rows were deleted")


def test_an_edited_release_csv_is_named(copy, cli):
    path = release_csv(copy)
    recorded = json.loads((path.parent / "metadata.json").read_text())["csv_sha256"]
    path.chmod(0o644)
    path.write_text(path.read_text(encoding="utf-8").replace("Cardiff", "Cardif", 1),
                    encoding="utf-8")
    done = cli(copy, "audit", "verify")
    assert done.returncode == 1
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("release:")]
    assert line.startswith(f"release: {path}: recorded sha256 {recorded} (metadata.json), "
                           "actual sha256 ")
    assert "changed after it was published" in line


def test_a_changed_archive_file_is_named(copy, cli):
    folder = copy / "data" / "archive" / "nomis" / "population_estimates"
    path = next(p for p in sorted(folder.glob("*.csv")))
    path.chmod(0o644)
    data = path.read_bytes()
    path.write_bytes(data[:-3] + (b"7" if data[-3:-2] != b"7" else b"8") + data[-2:])
    done = cli(copy, "audit", "verify")
    assert done.returncode == 1
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("archive:")]
    assert line.startswith(f"archive: {path}: recorded sha256 {path.stem}, actual sha256 ")
    assert "move it aside and fetch nomis__population_estimates again" in line
