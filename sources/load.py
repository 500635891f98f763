"""Load archived responses into `raw.<provider>__<dataset>` with DuckDB's own readers.

One transaction per dataset: the new table replaces the old one only when every file loaded.
A missing or renamed column, or a value that does not fit its catalogue type, is a `LoadError`
naming the dataset, the archived file, the column (and the row), and the previous table stays.
So does a load that would empty the table or leave it with less than a set share of its rows
(`RowCountDrop`): a publisher answering with only a header must not wipe the raw data.
Loading the same data version twice does nothing.

Every file is hashed again while it is loaded (in a thread beside DuckDB's readers, so the
page cache serves both): a file whose bytes no longer match the sha256 it was archived under
is a `LoadError` naming the file and both hashes, and nothing is committed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb

from sources import statswales_columns
from sources.archive import Archive, ArchiveIntegrityError, FetchSet, Part
from sources.catalogue import Dataset

T = TypeVar("T")
LOADS_TABLE = "raw._loads"
# A load keeping fewer than this share of the table's rows is refused (Settings.raw_min_row_ratio).
MIN_ROW_RATIO = 0.5
FILES_NAMED = 5  # archived files named in a refusal; the rest are counted


class LoadError(ValueError):
    """An archived file does not match what the catalogue expects."""


class RowCountDrop(LoadError):
    """A load that would leave the raw table with none, or too few, of its rows."""


@dataclass(frozen=True)
class LoadResult:
    dataset: str
    rows: int
    data_version: str
    skipped: bool
    warnings: tuple[str, ...] = ()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _csv_header(path: Path) -> list[str]:
    """The header row as written.

    DuckDB would rename case-insensitive duplicates (ONS CSVs have both `sex` and `Sex`), so
    columns are named from this list, by position.
    """
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return next(csv.reader(handle), [])


def _reader(part: Part, path: Path, headers: list[str] | None = None) -> str:
    if part.ext == "json":
        # Every expected key read as text: a column that mixes numbers and shorthand such as
        # "[x]" would otherwise come back as JSON, quotes included.
        columns = ", ".join(f"{_literal(h)}: 'VARCHAR'" for h in headers or [])
        return (f"read_json({_literal(str(path))}, format='array', records=true, sample_size=-1"
                + (f", columns={{{columns}}})" if columns else ")"))
    names = ", ".join(_literal(f"c{i}") for i in range(len(_csv_header(path))))
    return (f"read_csv({_literal(str(path))}, header=true, all_varchar=true, delim=',', "
            f"quote='\"', escape='\"', strict_mode=true, names=[{names}])")


Wire = dict[str, dict[str, str]]  # {lang: {raw column: header in that language}}


def _archived_json(dataset: Dataset, fetch: FetchSet, archive: Archive, role: str,
                   lang: str | None) -> Any:
    part = next((p for p in fetch.parts if p.role == role and p.lang == lang), None)
    if part is None or not archive.path_of(part).exists():
        raise LoadError(f"{dataset.key}: fetch {fetch.fetch_id} archived no {role} answer"
                        f"{f' ({lang})' if lang else ''}, so its columns cannot be named; "
                        "fetch the dataset again")
    try:
        return json.loads(archive.read_verified(part))
    except ArchiveIntegrityError as exc:
        raise _changed(dataset, exc) from exc


def _changed(dataset: Dataset, exc: ArchiveIntegrityError) -> LoadError:
    return LoadError(f"{dataset.key}: {exc}. The previous {dataset.raw_table} is unchanged.")


def _verify_files(archive: Archive, parts: list[Part]) -> None:
    for part in parts:
        if archive.path_of(part).exists():  # a missing file is reported by the load itself
            archive.verify(part)


def wire_headers(dataset: Dataset, fetch: FetchSet, archive: Archive) -> Wire:
    """The header of every raw column in each language of the fetch.

    Nomis and ONS headers are in the catalogue. StatsWales headers are the display names the API
    gave in this very fetch: read from its archived stored query (`columnMapping`) and English
    `/filters` answer, so the archive alone explains how every file was read.
    """
    langs = sorted({p.lang or "en-gb" for p in fetch.data_parts})
    if dataset.provider != "statswales":
        return {lang: {c.name: c.header(lang) for c in dataset.columns} for lang in langs}
    query = _archived_json(dataset, fetch, archive, "query", None)
    filters = _archived_json(dataset, fetch, archive, "filters", dataset.languages[0])
    try:
        return statswales_columns.headers(dataset, query.get("columnMapping") or [], filters)
    except statswales_columns.ColumnsError as exc:
        raise LoadError(f"{exc}. The previous {dataset.raw_table} is unchanged.") from exc


def dataset_columns(dataset: Dataset, fetch: FetchSet, archive: Archive) -> dict[str, dict[str, str]]:
    """Columns with one value per language: StatsWales' `_dataset_title`.

    It is the title of the published revision, from the archived metadata; editions such as
    WIMD's are read from it downstream rather than assumed.
    """
    if dataset.provider != "statswales":
        return {}
    out = {}
    for lang in dataset.languages:
        meta = _archived_json(dataset, fetch, archive, "metadata", lang) or {}
        out[lang] = {"_dataset_title": revision_title(meta, lang)}
    return out


def revision_title(meta: dict[str, Any], lang: str) -> str:
    """The published revision's title in a language, from a `GET /{id}` answer.

    The consumer API sends `ConsumerDatasetDTO`, whose revision `metadata` lists every language
    (`[{language: 'en-GB', title}, ...]`); a single-language DTO has one object instead.
    """
    metadata = (meta.get("published_revision") or {}).get("metadata") or []
    entries = metadata if isinstance(metadata, list) else [metadata]
    for entry in entries:
        if str(entry.get("language", "")).lower()[:2] == lang[:2]:
            return str(entry.get("title") or "")
    return ""


def _expected(wire: Wire, part: Part) -> list[str]:
    return list(wire[part.lang or "en-gb"].values())


def _source_column(part: Part, path: Path, header: str) -> str:
    """How the reader names a wire column: by key for JSON, by position for CSV."""
    if part.ext == "json":
        return _quote(header)
    return _quote(f"c{_csv_header(path).index(header)}")


def _headers(con: duckdb.DuckDBPyConnection, part: Part, path: Path) -> list[str]:
    if part.ext == "json":
        rows = con.execute(
            "SELECT DISTINCT unnest(json_keys(json)) FROM read_json_objects(?, format='array')",
            [str(path)]).fetchall()
        return [r[0] for r in rows]
    return _csv_header(path)


def _check_columns(dataset: Dataset, part: Part, path: Path, wire: Wire, found: list[str]) -> list[str]:
    expected = _expected(wire, part)
    missing = [h for h in expected if h not in found]
    extra = [h for h in found if h not in expected
             and statswales_columns.base_name(h) not in expected]
    if missing:
        raise LoadError(
            f"{dataset.key}: file {path.name} ({part.url}) lacks column(s) "
            f"{', '.join(map(repr, missing))}"
            + (f"; it has unexpected column(s) {', '.join(map(repr, extra))} (renamed?)" if extra else "")
            + f". The previous {dataset.raw_table} is unchanged.")
    return [f"{dataset.key}: file {path.name} has column(s) not in the catalogue, ignored: "
            f"{', '.join(extra)}"] if extra else []


def _check_types(con, dataset: Dataset, part: Part, path: Path, wire: Wire,
                 table: str | None = None) -> None:
    headers = wire[part.lang or "en-gb"]
    for column in dataset.columns:
        if column.type == "VARCHAR":
            continue
        header = headers[column.name]
        col = _source_column(part, path, header)
        bad = con.execute(
            f"SELECT n, v FROM (SELECT row_number() OVER () AS n, CAST({col} AS VARCHAR) AS v "
            f"FROM {_reader(part, path, _expected(wire, part))}) WHERE v IS NOT NULL "
            "AND trim(v) <> '' "
            f"AND TRY_CAST(v AS {column.type}) IS NULL LIMIT 1").fetchone()
        if bad:
            raise LoadError(
                f"{dataset.key}: file {path.name} row {bad[0]} column {header!r}: "
                f"{bad[1]!r} is not a valid {column.type}. The previous {table or dataset.raw_table} "
                "is unchanged.")


def _typed_columns(dataset: Dataset, headers: dict[str, str], source: Callable[[str], str]) -> list[str]:
    """The catalogue columns with their raw types, from `source(header)` wire columns."""
    cols = []
    for c in dataset.columns:
        src = f"CAST({source(headers[c.name])} AS VARCHAR)"
        if c.type != "VARCHAR":
            src = f"CAST(NULLIF(trim({src}), '') AS {c.type})"
        cols.append(f"{src} AS {_quote(c.name)}")
    return cols


def provenance_types(parts: list[Part]) -> dict[str, str]:
    """ENUM types for the per-file provenance columns of one load.

    Every row repeats its file's URL and hash; as ENUMs they are stored once per file instead of
    once per row, which took a third of the load time of a 2-million-row Nomis dataset. They read
    back as text.
    """
    def enum(values: list[str]) -> str:
        return "ENUM(" + ", ".join(_literal(v) for v in dict.fromkeys(values)) + ")"

    return {"sha256": enum([p.sha256 for p in parts]), "url": enum([p.url for p in parts])}


def _select_files(dataset: Dataset, files: list[tuple[Part, Path]], types: dict[str, str],
                  wire: Wire, constants: dict[str, dict[str, str]]) -> str:
    """Files of one format, language (and, for CSV, header), read by one multi-file reader.

    One reader parallelises across files and sniffs nothing (every header was checked file by
    file); a UNION ALL of one reader per page was several times slower and, for the 500 JSON pages
    of a large StatsWales dataset, held 1.4 GB. Provenance is looked up by the reader's `file_index`
    (the file's place in the list), which keeps the rows in file order; looking it up by file name
    compared every row's name with every path.
    """
    first, first_path = files[0]
    lang = first.lang or "en-gb"
    paths = "[" + ", ".join(_literal(str(path)) for _, path in files) + "]"
    provenance = "[" + ", ".join(
        f"{{'sha256': {_literal(part.sha256)}, 'url': {_literal(part.url)}, "
        f"'retrieved_at': CAST({_literal(part.retrieved_at)} AS TIMESTAMPTZ)}}" for part, _ in files) + "]"
    if first.ext == "json":
        # Every expected key read as text: a column mixing numbers and shorthand such as "[x]"
        # would otherwise come back as JSON, quotes included.
        columns = "{" + ", ".join(f"{_literal(h)}: 'VARCHAR'" for h in _expected(wire, first)) + "}"
        reader = f"read_json({paths}, format='array', records=true, columns={columns})"
        cols = _typed_columns(dataset, wire[lang], _quote)
    else:
        header = _csv_header(first_path)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        reader = (f"read_csv({paths}, header=true, auto_detect=false, columns={columns}, delim=',', "
                  "quote='\"', escape='\"', strict_mode=true)")
        cols = _typed_columns(dataset, wire[lang], lambda name: _quote(f"c{header.index(name)}"))
    cols += [f"{_literal(value)} AS {name}" for name, value in constants.get(lang, {}).items()]
    cols += [f"{_literal(lang)} AS _lang", f"CAST(_part.sha256 AS {types['sha256']}) AS _archive_sha256",
             f"CAST(_part.url AS {types['url']}) AS _source_url",
             "_part.retrieved_at AS _retrieved_at", "CAST(now() AS TIMESTAMPTZ) AS _loaded_at"]
    return (f"SELECT {', '.join(cols)} FROM (SELECT *, {provenance}[CAST(file_index AS BIGINT) + 1] "
            f"AS _part FROM {reader})")


def number_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Add `_load_row`: each row's place in the load, in file order.

    DuckDB keeps insertion order, so the table's rows are in file order; a new column whose
    default draws from a sequence is filled in that order. The readers have no
    `file_row_number`, and numbering in the scan (`row_number() OVER ()`) kept the whole scan
    on one thread: its streaming window is not a parallel operator. Numbering within each file
    (a window over files, then a sort) cost more than the scan itself. The place in the file is
    derived when needed (`_load_row` less the file's first).
    """
    con.execute("CREATE OR REPLACE TEMP SEQUENCE _load_row_seq START 1")
    con.execute(f"ALTER TABLE {table} ADD COLUMN _load_row BIGINT DEFAULT nextval('_load_row_seq')")
    con.execute(f"ALTER TABLE {table} ALTER COLUMN _load_row DROP DEFAULT")
    con.execute("DROP SEQUENCE _load_row_seq")


def _selects(dataset: Dataset, parts: list[tuple[Part, Path]], wire: Wire,
             constants: dict[str, dict[str, str]]) -> list[str]:
    """One SELECT per run of consecutive files sharing format and language (and CSV header)."""
    types = provenance_types([part for part, _ in parts])
    selects: list[str] = []
    run: list[tuple[Part, Path]] = []
    run_key: tuple | None = None
    for part, path in parts:
        key = (part.ext, part.lang, tuple(_csv_header(path)) if part.ext == "csv" else None)
        if run and key != run_key:
            selects.append(_select_files(dataset, run, types, wire, constants))
            run = []
        run.append((part, path))
        run_key = key
    if run:
        selects.append(_select_files(dataset, run, types, wire, constants))
    return selects


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {LOADS_TABLE} (
        dataset VARCHAR, data_version VARCHAR, fetch_id VARCHAR, rows BIGINT,
        archive_sha256 VARCHAR[], loaded_at TIMESTAMPTZ DEFAULT now())""")


def loaded_version(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> str | None:
    """The data version currently in the raw table, if it still exists."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema='raw' AND table_name=?",
        [dataset.key]).fetchone()[0]
    if not exists:
        return None
    numbered = con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema='raw' AND table_name=? "
        "AND column_name='_load_row'", [dataset.key]).fetchone()[0]
    if not numbered:  # loaded before rows were numbered: load again, whatever the version
        return None
    row = con.execute(f"SELECT data_version FROM {LOADS_TABLE} WHERE dataset=? "
                      "ORDER BY loaded_at DESC LIMIT 1", [dataset.key]).fetchone()
    return row[0] if row else None


def _table_rows(con: duckdb.DuckDBPyConnection, dataset: Dataset) -> int | None:
    """The rows of the raw table now, or None when there is no table."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema='raw' AND table_name=?",
        [dataset.key]).fetchone()[0]
    return con.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0] if exists else None


def _check_row_count(dataset: Dataset, fetch: FetchSet, archive: Archive, before: int | None,
                     rows: int, min_ratio: float) -> None:
    """Refuse a load that would empty the table, or keep fewer than `min_ratio` of its rows."""
    if not before or (rows > 0 and rows >= min_ratio * before):
        return
    paths = [str(archive.path_of(p)) for p in fetch.data_parts]
    files = ", ".join(paths[:FILES_NAMED]) + (
        f" and {len(paths) - FILES_NAMED} more in {archive.dir}" if len(paths) > FILES_NAMED else "")
    rule = ("no rows at all" if rows == 0 else
            f"fewer than {min_ratio:.0%} of them (DATA_CYMRU_RAW_MIN_ROW_RATIO={min_ratio:g})")
    raise RowCountDrop(
        f"{dataset.key}: refused to load {rows:,} rows into {dataset.raw_table}, which has "
        f"{before:,}: {rule}. The previous {dataset.raw_table} ({before:,} rows) is unchanged. "
        f"Fetch {fetch.fetch_id} archived {len(paths)} data file(s): {files}. If the publisher "
        "really did drop these rows, check those files, then load with a lower "
        "DATA_CYMRU_RAW_MIN_ROW_RATIO (0 turns the share off; an empty answer is never loaded "
        "over rows: drop the table to accept one).")


def _check_file_rows(con: duckdb.DuckDBPyConnection, dataset: Dataset,
                     parts: list[tuple[Part, Path]]) -> None:
    """Each file's records as loaded against those its fetch counted (where it counted them).

    The Nomis fetch plans its pages from a line count (`csv_page_stats`); a value holding a line
    break would have made it skip records, which only this parse can see.
    """
    counted: dict[str, int] = {}
    for part, _ in parts:
        if part.rows is not None:
            counted[part.sha256] = counted.get(part.sha256, 0) + part.rows
    if not counted:
        return
    loaded = dict(con.execute(f"SELECT CAST(_archive_sha256 AS VARCHAR), count(*) FROM {dataset.raw_table} "
                              "GROUP BY ALL").fetchall())
    for part, path in parts:
        if part.sha256 in counted and loaded.get(part.sha256, 0) != counted[part.sha256]:
            raise LoadError(
                f"{dataset.key}: file {path.name} ({part.url}) holds {loaded.get(part.sha256, 0):,} "
                f"records but its fetch counted {counted[part.sha256]:,} lines: a quoted value spans "
                "lines, so the pages after it were requested from the wrong offset. The previous "
                f"{dataset.raw_table} is unchanged. Report the dataset to the publisher; the Nomis "
                "connector pages by line count.")


def load_dataset(dataset: Dataset, fetch: FetchSet, archive: Archive,
                 con: duckdb.DuckDBPyConnection, *, force: bool = False,
                 min_row_ratio: float = MIN_ROW_RATIO) -> LoadResult:
    """Replace `raw.<dataset>` with the content of a complete fetch, in one transaction.

    The new content replaces the table only if it keeps at least `min_row_ratio` of the table's
    rows, and some rows at all when the table has any; otherwise `RowCountDrop`. The data files
    are hashed while they load, and the transaction commits only if every one still matches its
    archived sha256. A changed file is the error reported even when it also made the load fail
    some other way (a mangled header, a value that does not parse).
    """
    ensure_schemas(con)
    version = fetch.data_version
    if not force and loaded_version(con, dataset) == version:
        rows = con.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0]
        return LoadResult(dataset.key, rows, version, skipped=True)
    return verified_load(dataset, fetch, archive, lambda hashed: _load(
        dataset, fetch, archive, con, version, hashed, min_row_ratio))


def verified_load(dataset: Dataset, fetch: FetchSet, archive: Archive,
                  load: Callable[[Future], T]) -> T:
    """`load(hashed)` while the fetch's data files are hashed again beside it.

    `load` commits only after `hashed.result()`; a file whose bytes changed is the error
    reported, even when it also made the load fail some other way.
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive-sha256")
    hashed = pool.submit(_verify_files, archive, fetch.data_parts)
    try:
        return load(hashed)
    except ArchiveIntegrityError as exc:
        raise _changed(dataset, exc) from exc
    except Exception as exc:
        changed = hashed.exception()
        if isinstance(changed, ArchiveIntegrityError):
            raise _changed(dataset, changed) from exc
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class FetchFiles:
    """The data files of a fetch that hold rows, checked against the catalogue, ready to read."""

    parts: list[tuple[Part, Path]]
    wire: Wire
    constants: dict[str, dict[str, str]]
    warnings: list[str]

    def select(self, dataset: Dataset) -> str:
        """One SELECT of every row of the files, typed, with the provenance columns."""
        return " UNION ALL ".join(_selects(dataset, self.parts, self.wire, self.constants))

    def check_types(self, con: duckdb.DuckDBPyConnection, dataset: Dataset,
                    table: str | None = None) -> None:
        """After a failed cast: the file, row and column of the first value that does not fit."""
        for part, path in self.parts:
            _check_types(con, dataset, part, path, self.wire, table)


def fetch_files(dataset: Dataset, fetch: FetchSet, archive: Archive,
                con: duckdb.DuckDBPyConnection) -> FetchFiles:
    """The fetch's data files with their headers checked (a missing column is a `LoadError`)."""
    warnings: list[str] = []
    parts = []
    wire = wire_headers(dataset, fetch, archive)
    constants = dataset_columns(dataset, fetch, archive)
    for part in fetch.data_parts:
        path = archive.path_of(part)
        if not path.exists():
            raise LoadError(f"{dataset.key}: archived file {path} is missing")
        found = _headers(con, part, path)
        if not found:  # an empty JSON array, or a CSV without even a header: no rows to read
            continue
        warnings += _check_columns(dataset, part, path, wire, found)
        parts.append((part, path))
    return FetchFiles(parts, wire, constants, warnings)


def _load(dataset: Dataset, fetch: FetchSet, archive: Archive, con: duckdb.DuckDBPyConnection,
          version: str, hashed: Future, min_row_ratio: float) -> LoadResult:
    files = fetch_files(dataset, fetch, archive, con)
    warnings = files.warnings
    before = _table_rows(con, dataset)
    if not files.parts:
        _check_row_count(dataset, fetch, archive, before, 0, min_row_ratio)
        raise LoadError(f"{dataset.key}: every data file of fetch {fetch.fetch_id} is empty (no columns, "
                        f"no rows), so there is no table to make; files in {archive.dir}")
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {dataset.raw_table} AS {files.select(dataset)}")
        number_rows(con, dataset.raw_table)
        rows = con.execute(f"SELECT count(*) FROM {dataset.raw_table}").fetchone()[0]
        _check_file_rows(con, dataset, files.parts)
        _check_row_count(dataset, fetch, archive, before, rows, min_row_ratio)
        con.execute(f"INSERT INTO {LOADS_TABLE} (dataset, data_version, fetch_id, rows, archive_sha256)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [dataset.key, version, fetch.fetch_id, rows, [p.sha256 for p in fetch.data_parts]])
        hashed.result()  # every file still has the bytes it was archived with
        con.execute("COMMIT")
    except duckdb.ConversionException as exc:
        con.execute("ROLLBACK")
        # Values are only searched when a cast failed: a scan per typed column and file on
        # every load would cost more than the load itself.
        files.check_types(con, dataset)
        raise LoadError(f"{dataset.key}: {exc}. The previous {dataset.raw_table} is unchanged.") from exc
    except Exception:
        con.execute("ROLLBACK")
        raise
    return LoadResult(dataset.key, rows, version, skipped=False, warnings=tuple(warnings))
