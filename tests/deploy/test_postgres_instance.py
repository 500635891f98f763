"""The shared deployment's instance (deploy/dagster.yaml) on a real PostgreSQL server.

A refresh is put on Dagster's run queue (`dagster job launch`), the daemon takes it off and
runs it, and the run, its events and the history of every check come back from Postgres: what
several webservers and daemons sharing one history would each read.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, DagsterRunStatus

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
IN_PROCESS = json.dumps({"execution": {"config": {"in_process": {}}}})
MART_CHECK = AssetCheckKey(AssetKey(["marts", "mart_performance_framework"]), "councils_complete")


@pytest.fixture(scope="module")
def queued_refresh(postgres, tmp_path_factory):
    """(environment, run id) after one refresh launched onto the queue and run by the daemon."""
    home = tmp_path_factory.mktemp("deploy")
    dagster_home = home / "dagster"
    dagster_home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {**os.environ, **postgres.env(), "DAGSTER_HOME": str(dagster_home),
           "DATA_CYMRU_HOME": str(home / "data"), "DATA_CYMRU_MODE": "snapshot"}
    launched = subprocess.run(
        [str(BIN / "dagster"), "job", "launch", "-w", "workspace.yaml", "-j", "refresh_all",
         "--config-json", IN_PROCESS, "--tags", json.dumps({"datacymru/command": "deploy-test"})],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert launched.returncode == 0, launched.stdout[-3000:] + launched.stderr[-3000:]
    with postgres.connect() as con, con.cursor() as cur:
        cur.execute("SELECT run_id, status FROM runs")
        [(run_id, status)] = cur.fetchall()
    assert status == "QUEUED", status  # nothing runs it but the daemon

    # Into a file, never a pipe: the daemon's runs inherit it, and a pipe nobody reads until the
    # end fills up and blocks the run as it writes its log.
    log = home / "daemon.log"
    with log.open("w") as out:
        daemon = subprocess.Popen([str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
                                  cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        # A full refresh takes minutes; the bound leaves room for a busy machine.
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline:
            with postgres.connect() as con, con.cursor() as cur:
                cur.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,))
                status = cur.fetchone()[0]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                break
            time.sleep(2)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
    said = log.read_text(encoding="utf-8", errors="replace")
    assert status == "SUCCESS", f"run {run_id} ended {status}; daemon said:\n{said[-3000:]}"
    return env, run_id


def test_the_daemon_ran_the_queued_refresh_and_postgres_holds_the_run(postgres, queued_refresh):
    _, run_id = queued_refresh
    with postgres.connect() as con, con.cursor() as cur:
        cur.execute("SELECT pipeline_name, status FROM runs WHERE run_id = %s", (run_id,))
        assert cur.fetchone() == ("refresh_all", "SUCCESS")
        cur.execute("SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
                    (run_id, "ASSET_MATERIALIZATION"))
        assert cur.fetchone()[0] >= 20  # sources, raw tables, dbt models, releases


def test_check_history_comes_back_from_postgres_and_matches_the_audit_trail(postgres, queued_refresh,
                                                                            monkeypatch):
    env, run_id = queued_refresh
    for name, value in postgres.env().items():  # what deploy/dagster.yaml reads its connection from
        monkeypatch.setenv(name, value)
    with postgres.connect() as con, con.cursor() as cur:
        cur.execute("SELECT DISTINCT check_name FROM asset_check_executions WHERE run_id = %s",
                    (run_id,))
        in_postgres = {row[0] for row in cur.fetchall()}
    assert MART_CHECK.name in in_postgres and len(in_postgres) >= 10

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_run_by_id(run_id).status == DagsterRunStatus.SUCCESS
        [record] = instance.event_log_storage.get_asset_check_execution_history(MART_CHECK, limit=5)
        assert record.run_id == run_id and record.status.value == "SUCCEEDED"

    warehouse = Path(env["DATA_CYMRU_HOME"]) / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        audited = {r[0] for r in con.execute(
            "SELECT DISTINCT run_id FROM audit.check_results").fetchall()}
    assert run_id in audited
    assert (Path(env["DATA_CYMRU_HOME"]) / "releases" / "mart_performance_framework" / "latest").exists()
