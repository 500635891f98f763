"""Writers wait for readers (and readers briefly for writers) instead of failing on DuckDB's lock.

Another process holds the warehouse, as `datacymru audit checks` or a second refresh would: a
write through the `DataCymru` resource waits for it, saying once who holds it, and with a short
bound gives up with one sentence naming the holder's PID.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from orchestration.resources import DataCymru
from sources.settings import WarehouseLocked

REPO = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


@contextmanager
def held(warehouse: Path, seconds: float, how: str = "write") -> Iterator[subprocess.Popen]:
    """Another process holding the warehouse open (`how`: write or read) for `seconds`."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(warehouse), how, str(seconds)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        yield child
    finally:
        child.kill()
        child.wait()


@pytest.fixture
def warehouse_home(tmp_path: Path) -> Path:
    """A home (`<tmp>/data`, as `run_datacymru` names it) with a small warehouse."""
    home = tmp_path / "data"
    home.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    return home


@pytest.mark.parametrize("how", ["write", "read"])
def test_a_writer_waits_for_the_lock_and_says_once_who_holds_it(warehouse_home, how, capsys,
                                                                   monkeypatch):
    monkeypatch.delenv("DATA_CYMRU_LOCK_WAIT", raising=False)
    with held(warehouse_home / "warehouse.duckdb", 3, how) as holder:
        started = time.monotonic()
        with DataCymru(home=str(warehouse_home)).connect() as con:
            con.execute("INSERT INTO t VALUES (2)")
            waited = time.monotonic() - started
        assert holder.poll() is not None, "the write went through while the lock was held"
    assert waited >= 1.5
    said = [line for line in capsys.readouterr().out.splitlines() if "waiting" in line]
    assert len(said) == 1, said
    assert f"PID {holder.pid}" in said[0] and "up to 60 s" in said[0]
    with duckdb.connect(str(warehouse_home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)


def test_a_writer_gives_up_after_the_lock_wait_naming_the_holder(warehouse_home, monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_LOCK_WAIT", "0.5")
    with held(warehouse_home / "warehouse.duckdb", 10) as holder:
        started = time.monotonic()
        with pytest.raises(WarehouseLocked) as failed:
            DataCymru(home=str(warehouse_home)).connect()
        assert time.monotonic() - started < 5
    message = str(failed.value)
    assert f"PID {holder.pid}" in message and "DATA_CYMRU_LOCK_WAIT" in message
    assert "\n" not in message


def test_an_audit_reader_waits_briefly_for_a_writer(warehouse_home, cli):
    """`datacymru audit checks` while a refresh holds the warehouse: it waits, then answers."""
    with held(warehouse_home / "warehouse.duckdb", 6):
        done = cli(warehouse_home.parent, "audit", "checks")
    assert done.returncode == 0, done.stderr
    assert "waiting" in done.stderr and "holds its lock" in done.stderr
    with held(warehouse_home / "warehouse.duckdb", 10) as holder:
        done = cli(warehouse_home.parent, "audit", "checks",
                   extra_env={"DATA_CYMRU_LOCK_WAIT": "0.5"})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert f"is locked by PID {holder.pid}" in last


def test_two_refreshes_started_at_once_both_finish_and_agree(refreshed, tmp_path, cli):
    """A forced rebuild and a plain refresh of one home at once: both succeed, nothing torn.

    They share the `duckdb_writer` pool (Dagster's records in the one DAGSTER_HOME) and wait for
    DuckDB's lock where a reader of the other holds it. Afterwards every mart is what its current
    release holds, the archive, releases and audit chains verify, no run is left in progress and
    no pool slot is held.
    """
    from dagster import DagsterInstance, DagsterRunStatus

    from orchestration.assets.gates import MARTS
    from sources.release import differs_from_release

    home = tmp_path / "home"
    shutil.copytree(refreshed[0], home, symlinks=True)
    env = {**os.environ, "DATA_CYMRU_HOME": str(home / "data"), "DAGSTER_HOME": str(home / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}
    started = [subprocess.Popen([sys.executable, "-m", "orchestration.cli", "refresh", *extra],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for extra in (["--force"], [])]
    outputs = [child.communicate(timeout=900)[0] for child in started]
    for child, output in zip(started, outputs, strict=True):
        assert child.returncode == 0, output[-3000:]
    assert "rebuilt" in outputs[0] or "mart_performance_framework" in outputs[0]

    verified = cli(home, "audit", "verify")
    assert verified.returncode == 0, verified.stdout[-3000:] + verified.stderr[-3000:]
    with duckdb.connect(str(home / "data" / "warehouse.duckdb"), read_only=True) as con:
        for mart in MARTS:
            assert not differs_from_release(con, home / "data" / "releases", mart), mart
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        runs = instance.get_runs()
        assert {r.status for r in runs} == {DagsterRunStatus.SUCCESS}
        storage = instance.event_log_storage
        for pool in storage.get_concurrency_keys():
            assert storage.get_concurrency_info(pool).active_slot_count == 0, pool
