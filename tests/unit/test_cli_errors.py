"""Every mistake in arguments or settings, and every failure at run time, is one sentence.

Each case runs the real `datacymru` in a subprocess (as `run_datacymru` does): exit code 2 for
usage (arguments, settings, the home), 1 for a failure at run time, one line on stderr naming
what is wrong and what to do, and never a traceback unless `--debug` asks for it.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import explain
from sources.gates.audit import ensure_audit
from sources.gates.marts import mart_names
from sources.settings import machine_failure

REPO_ROOT = Path(__file__).resolve().parents[2]


def one_sentence(done: subprocess.CompletedProcess) -> str:
    """The single line a failed command wrote to stderr."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def injected(base: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    """`datacymru ARGS` after `code` has run in the same process (to inject a failure)."""
    env = {**os.environ, "DATA_CYMRU_HOME": str(base / "data"), "DAGSTER_HOME": str(base / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}
    program = f"{code}\nimport sys\nfrom orchestration.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", program, *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def audited(tmp_path: Path) -> Path:
    """A home whose warehouse has the (empty) audit trail."""
    (tmp_path / "data").mkdir()
    with duckdb.connect(str(tmp_path / "data" / "warehouse.duckdb")) as con:
        ensure_audit(con)
    return tmp_path


# --- arguments ---------------------------------------------------------------------------------

def test_an_unknown_mart_is_a_usage_error_listing_the_marts(tmp_path, cli):
    done = cli(tmp_path, "publish", "--mart", "no_such_mart")
    assert done.returncode == 2
    line = one_sentence(done)
    assert "'no_such_mart'" in line and all(m in line for m in mart_names())
    assert "datacymru publish --help" in line


def test_since_that_is_not_an_iso_date_is_a_usage_error_giving_the_forms(audited, cli):
    done = cli(audited, "audit", "checks", "--since", "yesterday")
    assert done.returncode == 2
    line = one_sentence(done)
    assert "'yesterday' is not an ISO date or time" in line and "YYYY-MM-DD" in line


@pytest.mark.parametrize("since", ["2026-01-01", "2026-01-01T09:30", "2026-01-01T09:30:00+01:00",
                                   "2026-01-01T08:30Z"])
def test_since_accepts_iso_dates_and_times(audited, cli, since):
    done = cli(audited, "audit", "checks", "--since", since, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_an_unexpected_failure_is_one_line_and_debug_gives_the_full_trace(audited):
    code = ("import sources.gates.audit as audit\n"
            "def broken(*a, **k):\n    raise ValueError('the audit trail broke')\n"
            "audit.query_checks = broken")
    quiet = injected(audited, code, "audit", "checks")
    assert quiet.returncode == 1
    line = one_sentence(quiet)
    assert "ValueError: the audit trail broke" in line and "--debug" in line
    loud = injected(audited, code, "audit", "checks", "--debug")
    assert loud.returncode == 1
    assert "Traceback" in loud.stderr and loud.stderr.strip().splitlines()[-1] == line


# --- the home ----------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["refresh"], ["publish"], ["audit", "checks"]])
def test_a_home_that_is_a_file_is_named(tmp_path, cli, command):
    (tmp_path / "data").write_text("not a folder\n")
    done = cli(tmp_path, *command)
    assert done.returncode == 2
    line = one_sentence(done)
    assert f"DATA_CYMRU_HOME {tmp_path / 'data'} is a file, not a directory" in line


def test_a_read_only_home_is_named_before_anything_is_written(audited):
    """Refresh refuses a home it cannot write to; reading from it still works."""
    home = audited / "data"
    (home / "warehouse.duckdb").chmod(0o444)
    home.chmod(0o555)
    # root writes anywhere: drop the capabilities that let it, so the modes above hold.
    prefix = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
              if os.geteuid() == 0 else [])
    env = {**os.environ, "DATA_CYMRU_HOME": str(home), "DAGSTER_HOME": str(audited / "dagster"),
           "DATA_CYMRU_MODE": "snapshot"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*prefix, sys.executable, "-m", "orchestration.cli", *args],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)

    try:
        done = run("refresh")
        assert done.returncode == 2
        assert f"DATA_CYMRU_HOME {home} is read-only" in one_sentence(done)
        assert sorted(p.name for p in home.iterdir()) == ["warehouse.duckdb"]
        assert run("audit", "checks").returncode == 0
    finally:
        home.chmod(0o755)


# --- the warehouse -----------------------------------------------------------------------------

def _damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "not a database":
        path.write_bytes(b"this is not a DuckDB database\n" * 100)
    elif how == "truncated":
        os.truncate(path, size // 2)
    else:  # checksums: scribble inside every block, past the file's headers
        with path.open("r+b") as f:
            for block in range(12288, size, 262144):
                f.seek(block + 64)
                f.write(os.urandom(4096))


@pytest.mark.parametrize("command", [["audit", "checks"], ["refresh"]])
@pytest.mark.parametrize("how", ["not a database", "truncated", "checksums"])
def test_a_damaged_warehouse_is_named_as_such(tmp_path, cli, how, command):
    (tmp_path / "data").mkdir()
    warehouse = tmp_path / "data" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_audit(con)
        con.execute("CREATE TABLE audit.filler AS SELECT range AS i, 'x' || range AS s "
                    "FROM range(200000)")
    _damage(warehouse, how)
    done = cli(tmp_path, *command)
    assert done.returncode == 1
    assert one_sentence(done) == (
        f"datacymru: the warehouse {warehouse} is not a DuckDB database or is damaged; restore it "
        "from backup or move it aside to rebuild")


# --- a full disk ---------------------------------------------------------------------------------

def test_disk_full_anywhere_is_named_with_its_path(tmp_path):
    """`submit` meets ENOSPC copying the return into the intake."""
    target = tmp_path / "data" / "intake" / "W06000015" / "return.csv"
    source = tmp_path / "return.csv"
    source.write_text("council_code\n")
    code = ("import errno, os\nimport sources.returns.commands as commands\n"
            "def full(*a, **k):\n"
            f"    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), {str(target)!r})\n"
            "commands.submit = full")
    done = injected(tmp_path, code, "submit", str(source), "--council", "W06000015")
    assert done.returncode == 1
    assert one_sentence(done).startswith(f"datacymru: disk full writing {target}: free space")


def test_a_full_disk_duckdb_reports_is_named_too(audited):
    """DuckDB spilling a query to disk says 'No space left on device' in its own words."""
    spill = audited / "data" / ".tmp" / "duckdb_temp_storage-0.tmp"
    code = ("import duckdb\nimport sources.gates.audit as audit\n"
            "def full(*a, **k):\n"
            f"    raise duckdb.IOException('IO Error: Could not write file \"{spill}\": '\n"
            "                             'No space left on device')\n"
            "audit.query_checks = full")
    done = injected(audited, code, "audit", "checks")
    assert done.returncode == 1
    assert one_sentence(done).startswith(f"datacymru: disk full writing {spill}: free space")


def test_machine_failures_are_told_from_data_failures():
    dbt = ('dbt build failed: model.datacymru.stg_x: IO Error: Could not write file '
           '"/h/data/warehouse.duckdb.wal": No space left on device')
    assert machine_failure("RuntimeError", dbt) == (
        "disk_full", "disk full writing /h/data/warehouse.duckdb.wal: free space on that disk (or "
        "set DATA_CYMRU_HOME to a disk with room) and run again")
    kind, sentence = machine_failure("OSError", "OSError: [Errno 28] No space left on device: '/h/a'")
    assert kind == "disk_full" and "writing /h/a:" in sentence
    kind, sentence = machine_failure("PermissionError",
                                     "PermissionError: [Errno 13] Permission denied: '/h/b'")
    assert kind == "os_error" and sentence.startswith("Permission denied: /h/b")
    assert machine_failure("RuntimeError", "councils_complete: 3 councils missing") is None
    wrapped = RuntimeError("the step broke")
    wrapped.__cause__ = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/h/c")
    assert explain(wrapped) == (1, "disk full writing /h/c: free space on that disk (or set "
                                   "DATA_CYMRU_HOME to a disk with room) and run again")
