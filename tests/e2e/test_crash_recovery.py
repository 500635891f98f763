"""Crashes at named points (`DATA_CYMRU_KILL_AT`, a SIGKILL where the test wants it), then the
next command recovers with no manual step: no hang, no stale or unaudited release."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

PERF = "mart_performance_framework"
WELLBEING = "mart_wellbeing_indicators"


@pytest.fixture
def home(home_copy) -> Path:
    return home_copy


def _audited(warehouse, home: Path) -> dict[str, str]:
    with warehouse(home) as con:
        return dict(con.execute("SELECT release_id, path FROM audit.releases").fetchall())


def _latest(home: Path, mart: str) -> str:
    return (home / "data" / "releases" / mart / "latest").read_text().strip()


def _processes_using(home: Path) -> list[str]:
    """Command lines of live processes that name this home or run in it (as dbt does)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                cwd = (proc / "cwd").readlink()
            except OSError:
                continue
            if str(home) in cmd or cwd.is_relative_to(home):
                found.append(cmd)
    return found


def _change_a_value(warehouse, home: Path, mart: str = PERF) -> None:
    with warehouse(home, read_only=False) as con:
        con.execute(f"""UPDATE marts.{mart} SET value = value + 0.5 WHERE rowid = (
            SELECT min(rowid) FROM marts.{mart} WHERE value BETWEEN 10 AND 90)""")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_refresh_killed_while_dbt_runs_leaves_no_orphan_and_no_hang(home, cli, monkeypatch):
    killed = cli(home, "refresh", "--force", extra_env={"DATA_CYMRU_KILL_AT": "dbt"})
    assert killed.returncode == -9, killed.stdout[-2000:] + killed.stderr[-2000:]
    deadline = time.monotonic() + 20
    while _processes_using(home) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _processes_using(home), "dbt went on alone after its parent was killed"

    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    instance = DagsterInstance.get()
    stuck = instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))
    assert stuck, "the killed run is left STARTED, holding its pool slot"

    done = cli(home, "refresh", "--force")  # before the fix: waited forever for the pool slot
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "marked failed" in done.stdout
    instance = DagsterInstance.get()
    assert instance.get_run_by_id(stuck[0].run_id).status == DagsterRunStatus.FAILURE
    assert not instance.get_runs(filters=RunsFilter(statuses=[DagsterRunStatus.STARTED]))


@pytest.mark.parametrize("point", ["publish:written", "publish:audited"])
def test_a_publication_killed_halfway_is_finished_by_the_next_refresh(home, cli, warehouse, point):
    before = _latest(home, PERF)
    _change_a_value(warehouse, home)
    killed = cli(home, "publish", "--mart", PERF, extra_env={"DATA_CYMRU_KILL_AT": point})
    assert killed.returncode == -9
    folders = sorted(p.name for p in (home / "data" / "releases" / PERF).glob("R*"))
    assert len(folders) == 2 and _latest(home, PERF) == before  # written, latest not moved

    done = cli(home, "refresh")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    audited = _audited(warehouse, home)
    latest = _latest(home, PERF)
    assert latest != before and latest in audited, "latest names an unaudited release"
    for folder in (home / "data" / "releases" / PERF).glob("R*"):
        assert folder.name in audited, f"{folder.name} has no audit row"
    if point == "publish:written":  # the unaudited folder is kept aside, not published
        assert "recovered:" in done.stdout
        assert list((home / "data" / "releases" / ".quarantine" / PERF).iterdir())
    else:  # audited but latest not moved: latest is moved to it, nothing republished
        assert f"latest named {before}" in done.stdout
    meta = json.loads((home / "data" / "releases" / PERF / latest / "metadata.json").read_text())
    assert not Path(audited[latest]).is_absolute()
    assert meta["csv_sha256"]


def test_a_refresh_killed_after_one_mart_was_released_releases_the_rest_next_time(
        home, cli, warehouse):
    before = {m: _latest(home, m) for m in (PERF, WELLBEING)}
    _change_a_value(warehouse, home, PERF)
    _change_a_value(warehouse, home, WELLBEING)
    killed = cli(home, "publish", "--mart", PERF, "--mart", WELLBEING,
                 extra_env={"DATA_CYMRU_KILL_AT": "released"})
    assert killed.returncode == -9
    released = [m for m in before if _latest(home, m) != before[m]]
    assert len(released) == 1, "the kill came right after the first mart was released"
    stale = next(m for m in before if m not in released)

    done = cli(home, "refresh")  # before the fix: "nothing changed upstream", stale release kept
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{stale}: its current release does not hold" in done.stdout
    assert _latest(home, stale) != before[stale]
    assert _latest(home, stale) in _audited(warehouse, home)
