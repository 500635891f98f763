"""A load that dies part-way leaves no partial rows: not on an error, not on SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from returns_support import CARDIFF, FIXTURES, audit_count, raw_rows, variant

from sources.returns import process_file, store

REPO = Path(__file__).resolve().parents[2]
# Runs process_file in a child that stalls inside the load transaction, after the raw rows and the
# audit row were written but before COMMIT, so the parent can kill it there.
CHILD = """
import sys, time
from pathlib import Path
import duckdb
from sources.returns import store
from sources.returns.config import ReturnsConfig
from sources.returns.intake import process_file
from sources.settings import Settings

home, file, signal_file = map(Path, sys.argv[1:4])
def stall(*args, **kwargs):
    signal_file.write_text("inside the transaction")
    time.sleep(120)
store._insert_revisions = stall
con = duckdb.connect(str(home / "warehouse.duckdb"))
process_file(file, Settings(home=home), "W06000015", con, config=ReturnsConfig(settle_seconds=0))
"""


def _revised(tmp_path: Path) -> Path:
    return variant(tmp_path, "revised.csv",
                   {"PAM/001,2024-25,10.7,45000,4200": "PAM/001,2024-25,10.9,45780,4200"})


def test_sigkill_mid_transaction_leaves_no_partial_rows(tmp_path, settings, config):
    con = duckdb.connect(str(settings.warehouse))
    first = process_file(FIXTURES / "pass" / "good.csv", settings, CARDIFF, con, config=config)
    before = raw_rows(con)
    con.close()

    signal_file = tmp_path / "stalled"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(settings.home), str(_revised(tmp_path)),
                              str(signal_file)], cwd=REPO, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not signal_file.exists():
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "the child never reached the transaction"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    con = duckdb.connect(str(settings.warehouse))
    try:
        assert raw_rows(con) == before
        assert [r[0] for r in con.execute("SELECT submission_id FROM audit.submissions").fetchall()] == [
            first.submission_id]
        assert audit_count(con, "audit.submission_revisions") == 0
        retry = process_file(_revised(tmp_path), settings, CARDIFF, con, config=config)
        assert (retry.status, retry.supersedes) == ("accepted", first.submission_id)
    finally:
        con.close()


def test_error_inside_the_transaction_rolls_everything_back(tmp_path, settings, con, config, monkeypatch):
    process_file(FIXTURES / "pass" / "good.csv", settings, CARDIFF, con, config=config)
    before = raw_rows(con)

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store, "_insert_revisions", fail)
    with pytest.raises(OSError, match="disk full"):
        process_file(_revised(tmp_path), settings, CARDIFF, con, config=config)
    assert raw_rows(con) == before
    assert audit_count(con) == 1
    monkeypatch.undo()
    assert process_file(_revised(tmp_path), settings, CARDIFF, con, config=config).status == "accepted"
