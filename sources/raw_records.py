"""A staging row's raw rows, proved against the archived bytes they were loaded from.

A publisher's raw row names its file (`_archive_sha256`) and its place in the load (`_load_row`),
from which its place in the file follows; a council return's raw row names its submission and
sheet row (`submission_id`, `source_row`). Each file is re-read and re-hashed now, and the record
at that place is compared with the raw row, so a trace does not take the warehouse's word for
anything.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import sha256_file
from sources.backfill import BACKFILL_SCHEMA
from sources.i18n import both
from sources.returns.config import ReturnsConfig
from sources.returns.reader import read_table


@dataclass
class RawLink:
    table: str
    lang: str | None
    position: str  # "record 12" (after a CSV header / of a JSON array) or "sheet 'X' row 5"
    archive_file: str | None
    archive_sha256: str
    sha256_now: str | None
    source_url: str | None
    retrieved_at: str | None
    page: int | None
    raw_row: dict[str, Any]
    record: dict[str, Any] | None
    submission: dict[str, Any] | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (English, Welsh)
    schema: str = "raw"  # or `raw_backfill`, for a row a backfill loaded

    @property
    def proved(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        fields = {k: v for k, v in asdict(self).items() if k != "problems"}
        return {**fields, "problems_en": [en for en, _ in self.problems],
                "problems_cy": [cy for _, cy in self.problems], "proved": self.proved}


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _part(archive_dir: Path, sha256: str) -> dict[str, Any]:
    """The fetch record of an archived file (page, language), newest fetch first."""
    fetches = archive_dir / "fetches.jsonl"
    if not fetches.exists():
        return {}
    for line in reversed(fetches.read_text(encoding="utf-8").splitlines()):
        for part in json.loads(line).get("parts", []):
            if part.get("sha256") == sha256:
                return part
    return {}


def _archived_file(archive_dir: Path, sha256: str) -> Path | None:
    return next(iter(sorted(archive_dir.glob(f"{sha256}.*"))), None)


def _record(path: Path, number: int) -> dict[str, Any] | None:
    """The `number`th record (1-based) of an archived CSV (after its header) or JSON array."""
    data = path.read_bytes()
    if path.suffix == ".json":
        records = json.loads(data)
        return records[number - 1] if isinstance(records, list) and 0 < number <= len(records) else None
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header = next(reader, [])
    for n, cells in enumerate(reader, start=1):
        if n == number:
            return dict(zip(header, cells, strict=False))
    return None


def _same(raw_value: Any, record_values: list[Any]) -> bool:
    if isinstance(raw_value, int | float) and not isinstance(raw_value, bool):
        for v in record_values:
            try:
                if math.isclose(float(v), float(raw_value), rel_tol=1e-12, abs_tol=1e-12):
                    return True
            except (TypeError, ValueError):
                continue
        return False
    return str(raw_value) in {str(v) for v in record_values}


# Columns of raw.council__returns that the intake adds: they name the submission, not a cell.
INTAKE_COLUMNS = frozenset({"collection", "submission_id", "source_row"})


def _mismatches(raw_row: dict[str, Any], record: dict[str, Any]) -> list[str]:
    """Raw columns (not provenance) whose value is nowhere in the archived record."""
    values = [v for v in record.values() if v is not None]
    return [name for name, value in raw_row.items()
            if not name.startswith("_") and name not in INTAKE_COLUMNS and value is not None
            and str(value).strip() != "" and not _same(value, values)]


def _record_number(schema: str, table: str) -> str:
    """SQL for a raw row's record number in its file.

    In `raw` a file's records are numbered on from its first row in the load (see `_load_row`);
    `raw_backfill` keeps the record number itself (see `sources/load_backfill.py`).
    """
    if schema == BACKFILL_SCHEMA:
        return "_load_row"
    return (f"_load_row - (SELECT min(_load_row) FROM {schema}.{table} "
            "WHERE CAST(_archive_sha256 AS VARCHAR) = $1) + 1")


def _publisher_link(con: duckdb.DuckDBPyConnection, table: str, sha256: str, load_row: int | None,
                    archive_root: Path, schema: str = "raw") -> RawLink:
    provider, dataset = table.split("__", 1)
    archive_dir = archive_root / provider / dataset
    link = RawLink(table, None, "", None, sha256, None, None, None, None, {}, None, schema=schema)
    if load_row is None:
        link.problems.append(both("raw.{table} has no _load_row for file {sha}…: it was loaded "
                                  "before rows were numbered; run `datacymru refresh --force`",
                                  table=table, sha=sha256[:12]))
        return link
    rows = _dicts(con.execute(
        f"""SELECT *, {_record_number(schema, table)} AS _record
            FROM {schema}.{table} WHERE CAST(_archive_sha256 AS VARCHAR) = $1 AND _load_row = $2""",
        [sha256, load_row]))
    if not rows:
        link.problems.append(both("no raw.{table} row with _archive_sha256 {sha}… and _load_row "
                                  "{load_row}", table=table, sha=sha256[:12], load_row=load_row))
        return link
    number = rows[0].pop("_record")
    link.position = f"record {number}"
    link.raw_row = rows[0]
    link.lang = rows[0].get("_lang")
    link.source_url = str(rows[0].get("_source_url"))
    link.retrieved_at = str(rows[0].get("_retrieved_at"))
    link.page = _part(archive_dir, sha256).get("page")
    _prove(link, _archived_file(archive_dir, sha256), lambda p: _record(p, number), archive_dir)
    return link


def _prove(link: RawLink, path: Path | None, read, archive_dir: Path) -> None:
    """Re-hash the archived file and compare the record at the link's position with the raw row."""
    if path is None:
        link.problems.append(both("archived file {sha}.* is missing from {folder}",
                                  sha=link.archive_sha256, folder=archive_dir))
        return
    link.archive_file = str(path)
    link.sha256_now = sha256_file(path)
    if link.sha256_now != link.archive_sha256:
        link.problems.append(both("{path} now hashes to {now}, not {recorded}: the archived file "
                                  "was changed after it was loaded", path=path,
                                  now=link.sha256_now, recorded=link.archive_sha256))
        return
    link.record = read(path)
    if link.record is None:
        link.problems.append(both("{path} has no record at {position}", path=path,
                                  position=link.position))
        return
    wrong = _mismatches(link.raw_row, link.record)
    if wrong:
        link.problems.append(both("{path} {position} does not hold raw.{table}'s {columns}: the "
                                  "raw table and the archive disagree", path=path,
                                  position=link.position, table=link.table, columns=", ".join(wrong)))


def _return_link(con: duckdb.DuckDBPyConnection, table: str, submission_id: str, source_row: int,
                 archive_root: Path) -> RawLink:
    archive_dir = archive_root / "council" / "returns"
    rows = _dicts(con.execute(f"SELECT * FROM raw.{table} WHERE submission_id = ? AND source_row = ?",
                              [submission_id, source_row]))
    subs = _dicts(con.execute("SELECT submission_id, council_code, collection, file_name, "
                              "original_name, file_format, sheet, archive_sha256, received_at, "
                              "status FROM audit.submissions WHERE submission_id = ?",
                              [submission_id]))
    sub = subs[0] if subs else None
    sha = rows[0]["_archive_sha256"] if rows else (sub or {}).get("archive_sha256", "")
    sheet = (sub or {}).get("sheet")
    position = f"sheet {sheet!r} row {source_row}" if sheet else f"row {source_row} (header = 1)"
    link = RawLink(table, None, position, None, sha, None, None, None, None,
                   rows[0] if rows else {}, None, submission=sub)
    if not rows:
        link.problems.append(both("no raw.{table} row for submission {submission} row {row}",
                                  table=table, submission=submission_id, row=source_row))
    if sub is None:
        link.problems.append(both("submission {submission} is not in audit.submissions",
                                  submission=submission_id))
    if link.problems:
        return link
    link.source_url = str(rows[0]["_source_url"])
    link.retrieved_at = str(rows[0]["_retrieved_at"])

    def read(path: Path) -> dict[str, Any] | None:
        table_read, _ = read_table(path, sub["file_name"], path.suffix.lstrip("."), sheet,
                                   ReturnsConfig())
        if table_read is None:
            return None
        if table_read.sheet:  # the sheet the intake read, named even when the council named none
            link.position = f"sheet {table_read.sheet!r} row {source_row}"
        header = [str(h or "") for h in table_read.header]
        return next((dict(zip(header, cells, strict=False)) for n, cells in table_read.rows
                     if n == source_row), None)

    _prove(link, _archived_file(archive_dir, sha), read, archive_dir)
    return link


def raw_links(con: duckdb.DuckDBPyConnection, table: str, staged: dict[str, Any],
              archive_root: Path, schema: str = "raw") -> list[RawLink]:
    """The raw rows a staging row was read from: one per language file, or the return's row.

    `schema` is the raw table's: `raw`, or `raw_backfill` for a row a backfill loaded.
    """
    if staged.get("submission_id") is not None and staged.get("source_row") is not None:
        return [_return_link(con, table, staged["submission_id"], staged["source_row"], archive_root)]
    links = []
    for suffix in ("", "_cy"):
        sha = staged.get(f"_archive_sha256{suffix}")
        if sha:
            links.append(_publisher_link(con, table, str(sha), staged.get(f"_load_row{suffix}"),
                                         archive_root, schema))
    return links
