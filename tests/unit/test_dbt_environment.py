"""dbt runs from its own environment; the process that loads the Dagster definitions never imports it."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from orchestration.dbt_executable import DBT_ENV_DBT, dbt_executable, installed_dbt_version

REPO = Path(__file__).resolve().parents[2]


def _locked(lock: Path, package: str) -> str:
    doc = tomllib.loads(lock.read_text(encoding="utf-8"))
    return next(p["version"] for p in doc["package"] if p["name"] == package)


def test_dbt_and_the_loaders_write_the_warehouse_with_the_same_duckdb():
    assert _locked(REPO / "dbt_env" / "uv.lock", "duckdb") == _locked(REPO / "uv.lock", "duckdb")


def test_loading_the_definitions_imports_no_dbt_core():
    probe = ("import sys, orchestration.definitions; "
             "print(sorted(m for m in sys.modules if m == 'dbt' or m.startswith(('dbt.', 'dbt_common'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_dbt_environment_has_dbt_duckdb():
    done = subprocess.run([str(dbt_executable()), "--version"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "duckdb" in done.stdout, done.stdout + done.stderr
    assert dbt_executable() == DBT_ENV_DBT


def test_a_missing_dbt_names_where_it_looked_and_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_DBT_EXECUTABLE", str(tmp_path / "dbt"))
    with pytest.raises(FileNotFoundError, match=r"dbt is not installed at .*/dbt: run `make install`"):
        dbt_executable()


def test_the_version_read_from_the_environment_is_the_one_dbt_reports():
    """dagster-dbt is told dbt's version (orchestration/assets/dbt.py) instead of asking each build."""
    reported = subprocess.run([str(dbt_executable()), "--version"], capture_output=True, text=True,
                              timeout=300).stdout
    installed = installed_dbt_version(dbt_executable())
    assert installed and f"installed: {installed}" in reported, reported


def test_a_dbt_laid_out_otherwise_has_no_version_read_and_dagster_dbt_asks_it(tmp_path):
    assert installed_dbt_version(tmp_path / "bin" / "dbt") is None


def test_the_dbt_resource_starts_no_dbt_to_learn_its_version(monkeypatch):
    import dagster_dbt.core.resource as dagster_dbt_resource

    from orchestration.definitions import defs

    def refuse(*args, **kwargs):
        raise AssertionError(f"dbt was started: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", refuse)
    resource = defs.resources["dbt"]
    assert str(resource._cli_version) == installed_dbt_version(dbt_executable())
