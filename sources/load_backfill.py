"""Merge a backfill fetch into `raw_backfill.<dataset>`, period by period, in one transaction.

The files are read by the raw loader's own readers (`sources/load.py`: the same columns, types,
header checks and provenance columns) and hashed again while they load. The periods the fetch
holds replace those periods in the table; every other period stays as it was. Nothing changes
unless everything did: a file that does not match the catalogue, a value that does not fit its
type, or a file changed since it was archived leaves the table as it was.

`_load_row` here is the row's record number in its archived file (1 = the first after the
header), not its place in the load's scan as in `raw.<dataset>`: a later backfill may delete some
of a file's periods, and the file's first remaining row then no longer marks where it started.
"""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import Future
from dataclasses import dataclass

import duckdb

from sources.archive import Archive, FetchSet
from sources.backfill import BACKFILL_SCHEMA, PERIOD_RANGES, backfill_table
from sources.catalogue import Dataset
from sources.load import LoadError, fetch_files, number_rows, verified_load

LOADS_TABLE = f"{BACKFILL_SCHEMA}._loads"


@dataclass(frozen=True)
class BackfillResult:
    dataset: str
    periods: list[tuple[str, int]]  # (period as published, rows loaded), in the file's order
    replaced: list[str]  # periods the table held before, now replaced
    rows: int  # rows of the whole table after the merge
    data_version: str  # what the table holds: its periods and the files they came from
    warnings: tuple[str, ...] = ()


def ensure_backfill_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {BACKFILL_SCHEMA}")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (
        dataset VARCHAR, fetch_id VARCHAR, period_from VARCHAR, period_to VARCHAR,
        periods VARCHAR[], rows BIGINT, archive_sha256 VARCHAR[], data_version VARCHAR,
        loaded_at TIMESTAMPTZ DEFAULT now())""")


def has_table(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                       "AND table_name = ?", [BACKFILL_SCHEMA, dataset.key]).fetchone()[0] > 0


def table_version(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> str:
    """One hash of which file each period of the backfill table came from."""
    period = PERIOD_RANGES[dataset.provider].period_column
    digest = hashlib.sha256()
    if has_table(con, dataset):
        for name, sha in con.execute(
                f'SELECT DISTINCT "{period}", CAST(_archive_sha256 AS VARCHAR) '
                f"FROM {backfill_table(dataset)} ORDER BY ALL").fetchall():
            digest.update(f"{name}:{sha}\n".encode())
    return digest.hexdigest()


def load_backfill(dataset: Dataset, fetch: FetchSet, archive: Archive,
                  con: duckdb.DuckDBPyConnection) -> BackfillResult:
    """Replace the periods `fetch` holds in `raw_backfill.<dataset>` with its rows."""
    if fetch.backfill is None:
        raise LoadError(f"{dataset.key}: fetch {fetch.fetch_id} is not a backfill fetch; "
                        f"it belongs in {dataset.raw_table}")
    ensure_backfill_schema(con)
    return verified_load(dataset, fetch, archive,
                         lambda hashed: _merge(dataset, fetch, archive, con, hashed))


def _merge(dataset: Dataset, fetch: FetchSet, archive: Archive, con: duckdb.DuckDBPyConnection,
           hashed: Future) -> BackfillResult:
    period = f'"{PERIOD_RANGES[dataset.provider].period_column}"'
    target = backfill_table(dataset)
    files = fetch_files(dataset, fetch, archive, con)
    if not files.parts:
        raise LoadError(f"{dataset.key}: the publisher sent no rows for {fetch.backfill} "
                        f"(fetch {fetch.fetch_id}, files in {archive.dir}); {target} is unchanged. "
                        "Check that the periods exist in the dataset")
    new = f"_backfill_{uuid.uuid4().hex[:8]}"
    con.execute("BEGIN TRANSACTION")
    try:
        # Provenance as text: the raw loader's ENUMs hold only one load's files.
        con.execute(
            f"CREATE TEMP TABLE {new} AS SELECT * REPLACE ("
            "CAST(_archive_sha256 AS VARCHAR) AS _archive_sha256, "
            "CAST(_source_url AS VARCHAR) AS _source_url) "
            f"FROM ({files.select(dataset)})")
        number_rows(con, new)  # the place in the scan, then the record number in its file
        con.execute(f"CREATE OR REPLACE TEMP TABLE {new} AS SELECT * REPLACE ("
                    "_load_row - min(_load_row) OVER (PARTITION BY _archive_sha256) + 1 AS _load_row) "
                    f"FROM {new}")
        # In the order the publisher sent them: by page, then by record.
        periods = con.execute(
            f"SELECT {period}, count(*) FROM {new} GROUP BY {period} "
            "ORDER BY min(list_position(?, _archive_sha256) * 1e9 + _load_row)",
            [[p.sha256 for p in fetch.data_parts]]).fetchall()
        if not has_table(con, dataset):
            con.execute(f"CREATE TABLE {target} AS SELECT * FROM {new} LIMIT 0")
        replaced = [r[0] for r in con.execute(
            f"SELECT DISTINCT {period} FROM {target} WHERE {period} IN (SELECT {period} FROM {new}) "
            "ORDER BY ALL").fetchall()]
        con.execute(f"DELETE FROM {target} WHERE {period} IN (SELECT {period} FROM {new})")
        con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM {new}")
        rows = con.execute(f"SELECT count(*) FROM {target}").fetchone()[0]
        version = table_version(con, dataset)
        con.execute(f"INSERT INTO {LOADS_TABLE} (dataset, fetch_id, period_from, period_to, periods, "
                    "rows, archive_sha256, data_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [dataset.key, fetch.fetch_id, fetch.backfill.get("from"), fetch.backfill.get("to"),
                     [str(p) for p, _ in periods], sum(n for _, n in periods),
                     [p.sha256 for p in fetch.data_parts], version])
        con.execute(f"DROP TABLE {new}")
        hashed.result()  # every file still has the bytes it was archived with
        con.execute("COMMIT")
    except duckdb.ConversionException as exc:
        con.execute("ROLLBACK")
        files.check_types(con, dataset, target)
        raise LoadError(f"{dataset.key}: {exc}. {target} is unchanged.") from exc
    except Exception:
        con.execute("ROLLBACK")
        raise
    return BackfillResult(dataset.key, [(str(p), n) for p, n in periods], [str(p) for p in replaced],
                          rows, version, tuple(files.warnings))
