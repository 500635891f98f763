"""The audit tables are hash chains: a row changed, deleted or slipped in with plain SQL is named.

Every test uses a real DuckDB file in a temporary home and `sources.gates.verify.verify`, which
is what `datacymru audit verify` runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from sources.gates import chain
from sources.gates.audit import append_checks, append_release, append_release_checks
from sources.gates.model import GateResult
from sources.gates.registry import gate
from sources.gates.verify import Problem, Verification, verify
from sources.release import write_release
from sources.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "returns"
OLD_CHECK_RESULTS = """CREATE TABLE audit.check_results (
    check_name VARCHAR NOT NULL, asset_key VARCHAR NOT NULL, engine VARCHAR NOT NULL,
    principle VARCHAR, standard VARCHAR, severity VARCHAR NOT NULL, passed BOOLEAN NOT NULL,
    outcome VARCHAR NOT NULL, observed JSON, failing_examples JSON, rationale VARCHAR,
    run_id VARCHAR, code_version VARCHAR, data_versions JSON, checked_at TIMESTAMPTZ NOT NULL)"""


@pytest.fixture
def settings(home: Path) -> Settings:
    return Settings(home=home)


@pytest.fixture
def connect(settings: Settings) -> Callable[[], duckdb.DuckDBPyConnection]:
    """A read-write connection to the home's warehouse (closed before `verify` opens it)."""
    return lambda: duckdb.connect(str(settings.warehouse))


def results(*outcomes: bool, asset: str = "marts/mart_test") -> list[GateResult]:
    names = ["unique_natural_key", "councils_complete", "valid_periods", "known_measures"]
    return [GateResult(gate(names[i % len(names)]), asset, passed=ok, examined=10)
            for i, ok in enumerate(outcomes)]


def append(con: duckdb.DuckDBPyConnection, *outcomes: bool) -> list[str]:
    return append_checks(con, results(*outcomes), run_id="run-1", code_version="abc123",
                         data_versions={"nomis__x": "v1"})


def audit_problems(found: Verification) -> list[Problem]:
    return [p for p in found.problems if p.area == "audit"]


def test_appended_rows_form_a_chain_and_a_clean_home_verifies(settings, connect):
    with connect() as con:
        ids = append(con, True, True) + append(con, False)
        con.execute("CREATE TABLE m AS SELECT 1 AS a")
        release = write_release(con, root=settings.releases, mart="m", table="m",
                                metadata={"mart": "m"}, revision_rows=[], report_html="<p/>")
        append_release_checks(con, release.release_id, [
            {"check_id": i, "asset_key": "marts/mart_test", "check_name": "x"} for i in ids])
        append_release(con, {"release_id": release.release_id, "mart": "m",
                             "created_at": datetime.now(UTC), "path": str(release.path),
                             "status_label": "test", "gates_passed": 2, "gates_warned": 0,
                             "gates_failed": 1, "rows": 1, "revisions": 0, "run_id": "run-1",
                             "code_version": "abc123", "data_versions": {}})
        rows = con.execute("SELECT seq, prev_hash, row_hash FROM audit.check_results "
                           "ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == [1, 2, 3]
    assert rows[0][1] == chain.start_hash("audit.check_results", 0)
    assert [r[1] for r in rows[1:]] == [r[2] for r in rows[:-1]]
    heads = chain.read_heads(settings.home / chain.HEADS_FILE)
    assert heads["audit.check_results"]["seq"] == 3
    assert set(heads) == {"audit.check_results", "audit.release_checks", "audit.releases"}

    found = verify(settings)
    assert found.ok, [p.message for p in found.problems]
    assert found.checked["audit"]["audit.check_results"] == {"rows": 3, "hashed": 3, "legacy": 0}
    assert found.checked["releases"] == {"releases": 1, "files": 4}


def test_an_update_with_plain_sql_is_named_by_table_and_row(settings, connect):
    with connect() as con:
        append(con, True, False, True)
        con.execute("UPDATE audit.check_results SET passed = true, outcome = 'passed' "
                    "WHERE seq = 2")
        check_id = con.execute("SELECT check_id FROM audit.check_results WHERE seq = 2").fetchone()[0]
    found = verify(settings)
    assert not found.ok
    (problem,) = found.problems
    assert (problem.area, problem.where, problem.row, problem.check) == (
        "audit", "audit.check_results", 2, "row_hash")
    assert problem.message.startswith(f"audit: audit.check_results row seq 2 (check_id={check_id}")
    assert "changed after it was written" in problem.message


def test_a_row_rewritten_with_its_hash_recomputed_breaks_the_next_link(settings, connect):
    with connect() as con:
        append(con, True, False, True)
        cursor = con.execute("SELECT * FROM audit.check_results WHERE seq = 2")
        row = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
        row.update(passed=True, outcome="passed")
        con.execute("UPDATE audit.check_results SET passed = true, outcome = 'passed', "
                    "row_hash = ? WHERE seq = 2", [chain.row_hash(row["prev_hash"], row)])
    (problem,) = verify(settings).problems
    assert (problem.where, problem.row, problem.check) == ("audit.check_results", 3, "prev_hash")
    assert "row seq 2 was rewritten" in problem.message


def test_a_row_deleted_from_the_middle_is_named(settings, connect):
    with connect() as con:
        append(con, True, False, True, True)
        con.execute("DELETE FROM audit.check_results WHERE seq = 2")
    (problem,) = verify(settings).problems
    assert (problem.where, problem.row, problem.check) == ("audit.check_results", 2, "seq")
    assert problem.message == ("audit: audit.check_results row seq 2 is missing (seq jumps from "
                               "1 to 3): rows were deleted")


def test_rows_deleted_from_the_end_are_named_from_the_recorded_head(settings, connect):
    with connect() as con:
        append(con, True, False)
        append(con, True, True)
        con.execute("DELETE FROM audit.check_results WHERE seq >= 3")
    (problem,) = verify(settings).problems
    assert (problem.where, problem.row, problem.check) == ("audit.check_results", 4, "head")
    assert "rows seq 3 to 4 are missing" in problem.message
    assert "deleted from the end" in problem.message


def test_legacy_rows_precede_the_chain_and_an_unhashed_row_added_later_is_named(settings, connect):
    with connect() as con:
        con.execute("CREATE SCHEMA audit")
        con.execute(OLD_CHECK_RESULTS)
        for _ in range(2):
            con.execute("INSERT INTO audit.check_results VALUES ('old', 'marts/m', 'dbt', 'Q3.3', "
                        "'6', 'blocking', true, 'passed', '{}', '[]', NULL, 'run-0', 'abc', '{}', "
                        "TIMESTAMPTZ '2025-01-01 00:00:00+00')")
        append(con, True, True)
        assert con.execute("SELECT count(*) FROM audit.check_results WHERE seq IS NULL"
                           ).fetchone()[0] == 2
    found = verify(settings)
    assert found.ok, [p.message for p in found.problems]
    assert found.checked["audit"]["audit.check_results"] == {"rows": 4, "hashed": 2, "legacy": 2}
    assert any("chain starts after 2 older row(s)" in n for n in found.notes)

    with connect() as con:
        con.execute("INSERT INTO audit.check_results (check_name, asset_key, engine, severity, "
                    "passed, outcome, checked_at) VALUES ('councils_complete', 'marts/m', 'dbt', "
                    "'blocking', false, 'failed', TIMESTAMPTZ '2026-01-01 00:00:00+00')")
    (problem,) = audit_problems(verify(settings))
    assert (problem.where, problem.check) == ("audit.check_results", "unhashed")
    assert "began after 2 unhashed row(s), there are now 3" in problem.message
    assert "1 row(s) without hashes were added: rowid 4" in problem.message


def test_a_row_dated_in_the_future_is_a_problem(settings, connect):
    """Row 7 of the sweep: one future-dated failed row made every later publish block."""
    with connect() as con:
        append(con, True)
        con.execute("INSERT INTO audit.check_results (check_name, asset_key, engine, severity, "
                    "passed, outcome, checked_at, check_id) VALUES ('councils_complete', "
                    "'marts/m', 'dbt', 'blocking', false, 'failed', "
                    "TIMESTAMPTZ '2099-01-01 00:00:00+00', 'planted')")
    problems = {p.check: p for p in verify(settings).problems}
    assert set(problems) == {"future", "unhashed"}
    assert "checked_at 2099-01-01" in problems["future"].message
    assert "check_id=planted" in problems["future"].message
    assert "is in the future" in problems["future"].message


def test_a_future_row_appended_through_the_chain_is_still_flagged(settings, connect):
    with connect() as con:
        append(con, True)
        row = {c: None for c in ("principle", "standard")} | {
            "check_name": "councils_complete", "asset_key": "marts/m", "engine": "dbt",
            "severity": "blocking", "passed": False, "outcome": "failed", "check_id": "x",
            "checked_at": datetime(2099, 1, 1, tzinfo=UTC)}
        chain.append(con, "audit.check_results", [row])
    (problem,) = verify(settings).problems
    assert (problem.check, problem.row) == ("future", 2)


def test_an_append_inside_a_callers_transaction_leaves_no_head_until_committed(settings, connect):
    with connect() as con:
        append(con, True)
        con.execute("BEGIN TRANSACTION")
        append(con, False)
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        append(con, False, True)
        con.execute("COMMIT")
        assert [r[0] for r in con.execute("SELECT seq FROM audit.check_results ORDER BY seq"
                                          ).fetchall()] == [1, 2, 3]
    assert chain.read_heads(settings.home / chain.HEADS_FILE)["audit.check_results"]["seq"] == 1
    assert verify(settings).ok


def test_a_release_file_or_its_metadata_changed_after_publishing_is_named(settings, connect):
    with connect() as con:
        con.execute("CREATE TABLE m AS SELECT 1 AS a, 'x' AS b")
        release = write_release(con, root=settings.releases, mart="m", table="m",
                                metadata={"mart": "m"}, revision_rows=[], report_html="<p/>")
        append_release(con, {"release_id": release.release_id, "mart": "m",
                             "created_at": datetime.now(UTC), "path": str(release.path),
                             "status_label": "test", "gates_passed": 0, "gates_warned": 0,
                             "gates_failed": 0, "rows": 1, "revisions": 0, "run_id": "r",
                             "code_version": "c", "data_versions": {}})
    meta = json.loads((release.path / "metadata.json").read_text())
    assert set(meta["files_sha256"]) == {"m.csv", "m.parquet", "report.html"}
    assert meta["files_sha256"]["m.csv"] == meta["csv_sha256"]
    csv_file, meta_file = release.path / "m.csv", release.path / "metadata.json"
    for path in (csv_file, meta_file):
        path.chmod(0o644)
    csv_file.write_text(csv_file.read_text().replace("x", "y"))
    meta_file.write_text(meta_file.read_text().replace('"mart": "m"', '"mart":  "m"'))

    problems = {p.where: p for p in verify(settings).problems}
    assert set(problems) == {str(csv_file), str(meta_file)}
    assert problems[str(csv_file)].expected == meta["csv_sha256"]
    assert f"recorded sha256 {meta['csv_sha256']} (metadata.json), actual sha256" in \
        problems[str(csv_file)].message
    assert "(audit.releases)" in problems[str(meta_file)].message


def test_submissions_are_chained(settings, connect):
    from sources.returns import process_file
    from sources.returns.config import ReturnsConfig

    with connect() as con:
        done = process_file(FIXTURES / "pass" / "good.csv", settings, "W06000015", con,
                            config=ReturnsConfig(settle_seconds=0))
        assert con.execute("SELECT seq FROM audit.submissions").fetchall() == [(1,)]
    assert verify(settings).ok
    with connect() as con:
        con.execute("UPDATE audit.submissions SET rows_loaded = rows_loaded + 1")
    (problem,) = verify(settings).problems
    assert (problem.where, problem.row, problem.check) == ("audit.submissions", 1, "row_hash")
    assert f"submission_id={done.submission_id}" in problem.message
