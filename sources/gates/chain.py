"""Hash chains over the append-only audit tables, so that a changed or removed row shows.

Every row appended to a chained table carries three columns:

- `seq`: its position in the table, 1, 2, 3, … in the order rows were appended;
- `prev_hash`: the `row_hash` of the row before it (for the first hashed row, a start value
  that records how many older, unhashed rows precede it);
- `row_hash`: sha256 of `prev_hash`, a newline and the row's canonical content: every other
  column that is not NULL, as JSON with sorted keys (times in UTC).

A row changed with plain SQL no longer matches its `row_hash`; a row recomputed to match breaks
the next row's `prev_hash`; a row deleted from the middle leaves a gap in `seq`. Rows removed from
the end leave no gap, so after each append the new last row (its `seq` and `row_hash`) is written
to `audit-heads.jsonl` beside the warehouse, and a verify finds that row again.

Columns added to a table later are NULL in older rows and so leave their hashes unchanged.
Appends are made by the single writer of the warehouse: the previous row is read and the new rows
inserted in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb

CHAIN_COLUMNS = ("seq", "prev_hash", "row_hash")
HEADS_FILE = "audit-heads.jsonl"


@dataclass(frozen=True)
class Chained:
    """How a chained table's rows are named in a report, and which columns are times."""

    key: tuple[str, ...]
    times: tuple[str, ...] = ()


TABLES: dict[str, Chained] = {
    "audit.check_results": Chained(("check_id", "asset_key", "check_name"), ("checked_at",)),
    "audit.releases": Chained(("release_id",), ("created_at",)),
    "audit.release_checks": Chained(("release_id", "check_id")),
    "audit.submissions": Chained(("submission_id", "file_name"), ("received_at", "recorded_at")),
    "audit.submission_problems": Chained(("submission_id", "check_name"), ("recorded_at",)),
    "audit.submission_revisions": Chained(("submission_id", "measure_id", "period"),
                                          ("recorded_at",)),
}


def add_columns(table: str) -> tuple[str, ...]:
    """The statements that give an existing table its chain columns (NULL in older rows)."""
    return (f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS seq BIGINT",
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS prev_hash VARCHAR",
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS row_hash VARCHAR")


def start_hash(table: str, legacy_rows: int) -> str:
    """The `prev_hash` of a table's first hashed row, after `legacy_rows` unhashed rows."""
    return hashlib.sha256(f"datacymru audit chain {table} after {legacy_rows} unhashed rows"
                          .encode()).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def canonical(row: dict[str, Any]) -> str:
    """A row's content as hashed: its non-NULL columns, except the hashes, as sorted JSON."""
    content = {k: _plain(v) for k, v in row.items()
               if v is not None and k not in ("prev_hash", "row_hash")}
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(row)}".encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_transaction(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection is inside an explicit transaction.

    Outside one, every statement is its own transaction with a new id; inside, the id stays.
    (Trying `BEGIN` to find out would abort the caller's transaction.)
    """
    first = con.execute("SELECT txid_current()").fetchone()[0]
    return con.execute("SELECT txid_current()").fetchone()[0] == first


def head(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str] | None:
    """(seq, row_hash) of the table's last hashed row, if any."""
    return con.execute(f"SELECT seq, row_hash FROM {table} WHERE seq IS NOT NULL "
                       "ORDER BY seq DESC LIMIT 1").fetchone()


def heads_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """`audit-heads.jsonl` beside the warehouse file (None for an in-memory database)."""
    found = con.execute("SELECT path FROM duckdb_databases() "
                        "WHERE database_name = current_database()").fetchone()
    return Path(found[0]).parent / HEADS_FILE if found and found[0] else None


def write_heads(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] | list[str]) -> None:
    """Record the committed last row of each table, so that rows removed from the end show."""
    path = heads_path(con)
    if path is None:
        return
    lines = []
    for table in tables:
        last = head(con, table)
        if last is not None:
            lines.append(json.dumps({"table": table, "seq": last[0], "row_hash": last[1],
                                     "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}))
    if lines:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def read_heads(path: Path) -> dict[str, dict[str, Any]]:
    """The last recorded head of each table."""
    heads: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                doc = json.loads(line)
                heads[doc["table"]] = doc
    return heads


def append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Append rows (column -> value; columns left out take their defaults) with their hashes.

    The values go through a staging table with the target's types and defaults first, so the
    hash is taken over exactly what is stored. Outside a caller's transaction, the append is one
    transaction and the new head is recorded after it commits; inside one, the caller records it
    (`write_heads`) after its commit.
    """
    if not rows:
        return
    own = not _in_transaction(con)
    if own:
        con.execute("BEGIN TRANSACTION")
    try:
        _append(con, table, rows)
        if own:
            con.execute("COMMIT")
    except BaseException:
        if own:
            con.execute("ROLLBACK")
        raise
    if own:
        write_heads(con, [table])


def _append(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    schema, name = table.split(".")
    columns = con.execute(
        "SELECT column_name, data_type, column_default FROM duckdb_columns() WHERE "
        "database_name = current_database() AND schema_name = ? AND table_name = ? "
        "ORDER BY column_index", [schema, name]).fetchall()
    definition = ", ".join(f"{_quote(c)} {t}" + (f" DEFAULT {d}" if d is not None else "")
                           for c, t, d in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _audit_stage ({definition}, _ord BIGINT)")
    given = list(rows[0])
    con.executemany(f"INSERT INTO _audit_stage ({', '.join(map(_quote, given))}, _ord) "
                    f"VALUES ({', '.join('?' * (len(given) + 1))})",
                    [[r[c] for c in given] + [i] for i, r in enumerate(rows)])
    cursor = con.execute("SELECT * EXCLUDE (_ord) FROM _audit_stage ORDER BY _ord")
    names = [d[0] for d in cursor.description]
    staged = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    con.execute("DROP TABLE _audit_stage")
    last = head(con, table)
    if last is None:
        legacy = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        seq, prev = 0, start_hash(table, legacy)
    else:
        seq, prev = last
    for row in staged:
        seq += 1
        row.update(seq=seq, prev_hash=prev, row_hash=None)
        row["row_hash"] = prev = row_hash(prev, row)
    con.executemany(f"INSERT INTO {table} ({', '.join(map(_quote, names))}) "
                    f"VALUES ({', '.join('?' * len(names))})",
                    [[r[c] for c in names] for r in staged])
