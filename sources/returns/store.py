"""The warehouse side of the intake: `raw.council__returns` and the append-only audit trail.

`audit.submissions` gets one row per file received and is never updated: a submission's current
status (an accepted return later replaced becomes `superseded`) is derived in the view
`audit.submission_status`. Every problem fed back to a council is kept in
`audit.submission_problems` (a line summing up problems beyond the per-check cap counts them in
`omitted`), and every value a resubmission changed in `audit.submission_revisions`. The three
audit tables are hash-chained (`sources/gates/chain.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import duckdb

from sources.gates import chain
from sources.returns.problems import Problem
from sources.returns.rows import ReturnRow

RAW_TABLE = "raw.council__returns"
SUBMISSION_COLUMNS = ("submission_id", "council_code", "submitted_by", "collection", "file_name",
                      "file_format", "sheet", "archive_sha256", "bytes", "status", "errors",
                      "warnings", "rows_loaded", "received_at", "supersedes", "duplicate_of",
                      "feedback_path", "original_name")
_DDL = (
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS audit",
    f"""CREATE TABLE IF NOT EXISTS {RAW_TABLE} (
        council_code VARCHAR NOT NULL, measure_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
        value DOUBLE, numerator DOUBLE, denominator DOUBLE, marker VARCHAR, note VARCHAR,
        collection VARCHAR NOT NULL, submission_id VARCHAR NOT NULL, source_row INTEGER NOT NULL,
        _archive_sha256 VARCHAR NOT NULL, _source_url VARCHAR NOT NULL,
        _retrieved_at TIMESTAMPTZ NOT NULL, _loaded_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS audit.submissions (
        submission_id VARCHAR NOT NULL, council_code VARCHAR, submitted_by VARCHAR,
        collection VARCHAR, file_name VARCHAR NOT NULL, file_format VARCHAR, sheet VARCHAR,
        archive_sha256 VARCHAR, bytes BIGINT, status VARCHAR NOT NULL, errors INTEGER NOT NULL,
        warnings INTEGER NOT NULL, rows_loaded INTEGER NOT NULL, received_at TIMESTAMPTZ NOT NULL,
        supersedes VARCHAR, duplicate_of VARCHAR, feedback_path VARCHAR,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(), original_name VARCHAR,
        CHECK (status IN ('accepted', 'quarantined', 'duplicate')))""",
    # Added after the table first shipped: warehouses made before it gain the column here.
    "ALTER TABLE audit.submissions ADD COLUMN IF NOT EXISTS original_name VARCHAR",
    """CREATE TABLE IF NOT EXISTS audit.submission_problems (
        submission_id VARCHAR NOT NULL, severity VARCHAR NOT NULL, check_name VARCHAR NOT NULL,
        file_name VARCHAR, sheet VARCHAR, "row" INTEGER, "column" VARCHAR, cell VARCHAR,
        value VARCHAR, message_en VARCHAR NOT NULL, message_cy VARCHAR NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(), omitted INTEGER DEFAULT 0)""",
    # Added after the table first shipped: warehouses made before it gain the column here.
    "ALTER TABLE audit.submission_problems ADD COLUMN IF NOT EXISTS omitted INTEGER DEFAULT 0",
    """CREATE TABLE IF NOT EXISTS audit.submission_revisions (
        submission_id VARCHAR NOT NULL, supersedes VARCHAR NOT NULL, council_code VARCHAR NOT NULL,
        collection VARCHAR NOT NULL, measure_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
        change VARCHAR NOT NULL, old_value DOUBLE, new_value DOUBLE, old_marker VARCHAR,
        new_marker VARCHAR, recorded_at TIMESTAMPTZ NOT NULL DEFAULT now())""",
    """CREATE VIEW IF NOT EXISTS audit.submission_status AS
        SELECT s.* EXCLUDE (status, recorded_at),
               CASE WHEN s.status = 'accepted' AND n.submission_id IS NOT NULL THEN 'superseded'
                    ELSE s.status END AS status,
               s.status AS intake_status, n.submission_id AS superseded_by, s.recorded_at
        FROM audit.submissions s
        LEFT JOIN audit.submissions n ON n.supersedes = s.submission_id AND n.status = 'accepted'""",
)
AUDIT_TABLES = ("audit.submissions", "audit.submission_problems", "audit.submission_revisions")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw table, audit tables and status view if they do not exist yet."""
    for statement in _DDL:
        con.execute(statement)
    for table in AUDIT_TABLES:
        for statement in chain.add_columns(table):
            con.execute(statement)


def find_duplicate(con: duckdb.DuckDBPyConnection, sha256: str, submitted_by: str | None,
                   file_format: str, sheet: str | None = None) -> dict | None:
    """The live submission of the same bytes, read the same way, from the same submitter, if any.

    A re-sent copy of a superseded return is not a duplicate: it reverts the later one.
    """
    rows = _dicts(con.execute(
        "SELECT * FROM audit.submission_status WHERE archive_sha256 = ? AND file_format = ? "
        "AND submitted_by IS NOT DISTINCT FROM ? AND sheet IS NOT DISTINCT FROM ? "
        "AND status IN ('accepted', 'quarantined') ORDER BY received_at LIMIT 1",
        [sha256, file_format, submitted_by, sheet]))
    return rows[0] if rows else None


def ever_received(con: duckdb.DuckDBPyConnection, sha256: str, submitted_by: str | None,
                  file_format: str) -> bool:
    """Whether these bytes were ever received from this submitter, whatever became of them."""
    return con.execute(
        "SELECT count(*) FROM audit.submissions WHERE archive_sha256 = ? AND file_format = ? "
        "AND submitted_by IS NOT DISTINCT FROM ?", [sha256, file_format, submitted_by]).fetchone()[0] > 0


def returns_version(con: duckdb.DuckDBPyConnection) -> str:
    """One hash for the returns in force: which accepted, not superseded submission holds what.

    It changes exactly when `raw.council__returns` does, so it is the table's data version.
    """
    rows = con.execute("SELECT submission_id, archive_sha256 FROM audit.submission_status "
                       "WHERE status = 'accepted' ORDER BY submission_id").fetchall()
    return hashlib.sha256("\n".join(f"{sid}:{sha}" for sid, sha in rows).encode()).hexdigest()


def current_accepted(con: duckdb.DuckDBPyConnection, council: str, collection: str) -> str | None:
    """The accepted, not yet superseded submission for a council and collection."""
    row = con.execute("SELECT submission_id FROM audit.submission_status WHERE council_code = ? "
                      "AND collection = ? AND status = 'accepted' ORDER BY received_at DESC LIMIT 1",
                      [council, collection]).fetchone()
    return row[0] if row else None


def record(con: duckdb.DuckDBPyConnection, submission: dict[str, Any], problems: Sequence[Problem],
           rows: Sequence[ReturnRow] = (), provenance: dict[str, Any] | None = None
           ) -> tuple[str | None, list[dict]]:
    """Write one submission, its problems and revisions in a single transaction.

    For an accepted submission the current return it supersedes is looked up, the council and
    collection's rows in the raw table are replaced and every changed value is recorded as a
    revision; returns (superseded submission id, revisions). A failure anywhere, or the process
    dying, leaves the warehouse as it was.
    """
    submission = dict(submission)
    con.execute("BEGIN TRANSACTION")
    try:
        revisions: list[dict] = []
        if submission["status"] == "accepted":
            submission["supersedes"] = current_accepted(con, submission["council_code"],
                                                        submission["collection"])
            revisions = _replace_rows(con, submission, rows, provenance or {})
        _insert(con, "audit.submissions", SUBMISSION_COLUMNS, [[submission[c] for c in SUBMISSION_COLUMNS]])
        _insert_problems(con, submission["submission_id"], problems)
        _insert_revisions(con, revisions)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    chain.write_heads(con, AUDIT_TABLES)
    return submission["supersedes"], revisions


def _replace_rows(con: duckdb.DuckDBPyConnection, submission: dict[str, Any], rows: Sequence[ReturnRow],
                  provenance: dict[str, Any]) -> list[dict]:
    key = [submission["council_code"], submission["collection"]]
    old = {(r["measure_id"], r["period"]): r for r in _dicts(con.execute(
        f"SELECT measure_id, period, value, marker FROM {RAW_TABLE} "
        "WHERE council_code = ? AND collection = ?", key))}
    con.execute(f"DELETE FROM {RAW_TABLE} WHERE council_code = ? AND collection = ?", key)
    _insert(con, RAW_TABLE, ("council_code", "measure_id", "period", "value", "numerator",
                             "denominator", "marker", "note", "collection", "submission_id",
                             "source_row", "_archive_sha256", "_source_url", "_retrieved_at",
                             "_loaded_at"),
            [[r.council_code, r.measure_id, r.period, r.value, r.numerator, r.denominator,
              r.marker, r.note, submission["collection"], submission["submission_id"], r.row,
              provenance["sha256"], provenance["source_url"], submission["received_at"],
              provenance["loaded_at"]] for r in rows])
    return _revisions(submission, old, rows) if submission["supersedes"] else []


def _revisions(submission: dict[str, Any], old: dict[tuple[str, str], dict],
               rows: Sequence[ReturnRow]) -> list[dict]:
    base = {k: submission[k] for k in ("submission_id", "supersedes", "council_code", "collection")}
    new = {(r.measure_id, r.period): r for r in rows}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        before, after = old.get(key), new.get(key)
        if before and after and (before["value"], before["marker"]) == (after.value, after.marker):
            continue
        change = "added" if before is None else "removed" if after is None else "changed"
        changes.append({**base, "measure_id": key[0], "period": key[1], "change": change,
                        "old_value": before and before["value"], "new_value": after and after.value,
                        "old_marker": before and before["marker"], "new_marker": after and after.marker})
    return changes


def _insert_problems(con: duckdb.DuckDBPyConnection, submission_id: str,
                     problems: Sequence[Problem]) -> None:
    _insert(con, "audit.submission_problems",
            ("submission_id", "severity", "check_name", "file_name", "sheet", '"row"', '"column"',
             "cell", "value", "message_en", "message_cy", "omitted"),
            [[submission_id, p.severity, p.check, p.file, p.sheet, p.row, p.column, p.cell, p.value,
              p.message_en, p.message_cy, p.omitted] for p in problems])


def _insert_revisions(con: duckdb.DuckDBPyConnection, revisions: list[dict]) -> None:
    columns = ("submission_id", "supersedes", "council_code", "collection", "measure_id", "period",
               "change", "old_value", "new_value", "old_marker", "new_marker")
    _insert(con, "audit.submission_revisions", columns, [[r[c] for c in columns] for r in revisions])


def _insert(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str],
            rows: list[list[Any]]) -> None:
    if table in AUDIT_TABLES:
        chain.append(con, table, [dict(zip((c.strip('"') for c in columns), r, strict=True))
                                  for r in rows])
    elif rows:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _dicts(result: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def list_submissions(con: duckdb.DuckDBPyConnection, council: str | None = None) -> list[dict[str, Any]]:
    """Every submission with its current status, oldest first; JSON-ready (times as ISO text)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'audit' "
                         "AND table_name = 'submission_status'").fetchone()[0]
    if not exists:
        return []
    rows = _dicts(con.execute(
        "SELECT * FROM audit.submission_status WHERE ? IS NULL OR council_code = ? "
        "ORDER BY received_at, submission_id", [council, council]))
    return [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]
