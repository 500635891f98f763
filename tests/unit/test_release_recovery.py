"""Release folders: sealed read-only, and put back in a state the audit trail vouches for after a
crash at each step of a publication."""

from __future__ import annotations

import stat
import subprocess
import sys
import textwrap

import duckdb
import pytest

from sources.gates.audit import append_release, ensure_audit, now
from sources.release import differs_from_release, recover_releases, write_release


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.m AS SELECT * FROM (VALUES ('a', 1.0), ('b', 2.0)) v(k, value)")
    ensure_audit(con)
    yield con
    con.close()


def _record(con):
    def record(release):
        append_release(con, {"release_id": release.release_id, "mart": "m", "created_at": now(),
                             "path": f"releases/m/{release.release_id}", "status_label": "x",
                             "gates_passed": 0, "gates_warned": 0, "gates_failed": 0, "rows": 2,
                             "revisions": 0, "run_id": "r", "code_version": "c",
                             "data_versions": {}})
    return record


def test_a_release_folder_is_sealed_read_only(con, tmp_path):
    release = write_release(con, root=tmp_path / "releases", mart="m", table="marts.m",
                            metadata={"mart": "m"}, revision_rows=[], report_html="",
                            record=_record(con))
    assert stat.S_IMODE(release.path.stat().st_mode) == 0o555
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in release.path.iterdir())
    assert not differs_from_release(con, tmp_path / "releases", "m")
    con.execute("UPDATE marts.m SET value = 3 WHERE k = 'a'")
    assert differs_from_release(con, tmp_path / "releases", "m")
    assert not list((tmp_path / "releases" / "m").glob(".compare-*"))


@pytest.mark.parametrize("point", ["publish:staged", "publish:written", "publish:audited"])
def test_recovery_after_a_kill_at_each_step(tmp_path, point):
    """A child process writes a release and is killed at `point`; recovery leaves only audited
    folders and a `latest` that names the newest audited release."""
    db, root = tmp_path / "w.duckdb", tmp_path / "releases"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.m AS SELECT 'a' AS k, 1.0 AS value")
        ensure_audit(con)
        write_release(con, root=root, mart="m", table="marts.m", metadata={"mart": "m"},
                      revision_rows=[], report_html="", record=_record(con))
        con.execute("UPDATE marts.m SET value = 2")
    first = (root / "m" / "latest").read_text().strip()
    script = textwrap.dedent(f"""
        import duckdb, tests_support_record as r
        from sources.release import write_release
        con = duckdb.connect({str(db)!r})
        write_release(con, root=__import__("pathlib").Path({str(root)!r}), mart="m",
                      table="marts.m", metadata={{"mart": "m"}}, revision_rows=[],
                      report_html="", record=r.record(con))
    """)
    (tmp_path / "tests_support_record.py").write_text(textwrap.dedent('''
        from sources.gates.audit import append_release, now
        def record(con):
            def inner(release):
                append_release(con, {"release_id": release.release_id, "mart": "m",
                    "created_at": now(), "path": "releases/m/" + release.release_id,
                    "status_label": "x", "gates_passed": 0, "gates_warned": 0,
                    "gates_failed": 0, "rows": 1, "revisions": 0, "run_id": "r",
                    "code_version": "c", "data_versions": {}})
            return inner
    '''))
    killed = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                            env={"DATA_CYMRU_KILL_AT": point, "PYTHONPATH": str(tmp_path) + ":"
                                 + ":".join(sys.path)})
    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    with duckdb.connect(str(db), read_only=True) as con:
        audited = {r[0] for r in con.execute("SELECT release_id FROM audit.releases").fetchall()}
        notes = recover_releases(con, root)
        assert recover_releases(con, root) == [], "recovery is idempotent"
    folders = {p.name for p in (root / "m").iterdir() if p.is_dir()}
    latest = (root / "m" / "latest").read_text().strip()
    assert folders <= audited and latest in audited
    assert latest == max(audited)
    if point == "publish:audited":
        assert latest != first and any("latest named" in n for n in notes)
    else:
        assert latest == first and any("moved to" in n for n in notes)
        assert list((root / ".quarantine" / "m").iterdir())
