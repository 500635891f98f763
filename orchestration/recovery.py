"""Recovery after a crash, run at the start of every command that launches runs.

A run executes in the process of the command that started it (`execute_in_process`). When that
process is killed, Dagster never hears the end of the run: it stays STARTED and keeps its slot in
the `duckdb_writer` pool, so every later run would wait for a slot that is never freed. Runs
record the process that executes them (host, PID and the PID's start time, so a reused PID is
not mistaken for the run); a run whose process is gone is marked failed and its slots freed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

HOST_TAG, PID_TAG, STARTED_TAG = "datacymru/host", "datacymru/pid", "datacymru/pid_started"
UNFINISHED = [DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING,
              DagsterRunStatus.NOT_STARTED]


def _started(pid: int) -> str:
    """The kernel's start time of a process (clock ticks since boot), or '' if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def process_tags() -> dict[str, str]:
    """Tags naming the process that executes a run (this one)."""
    pid = os.getpid()
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(pid), STARTED_TAG: _started(pid)}


def _alive(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not started or _started(pid) in ("", started)


def reap_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose process is gone, and free the slots it held.

    Only runs started on this host by `datacymru` carry the tags; runs launched by the Dagster
    daemon are watched by Dagster's own run monitoring (`dagster.yaml`).
    """
    reaped = []
    host = socket.gethostname()
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED)):
        pid, started = run.tags.get(PID_TAG), run.tags.get(STARTED_TAG, "")
        if run.tags.get(HOST_TAG) != host or not pid or _alive(int(pid), started):
            continue
        instance.report_run_failed(
            run, f"the process that executed this run (PID {pid} on {host}) is gone: it was "
                 "killed or crashed; marked failed so its pool slots are freed")
        reaped.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        for run_id in storage.get_concurrency_run_ids():
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
    return reaped
