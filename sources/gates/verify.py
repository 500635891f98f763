"""`datacymru audit verify`: checks that everything is still as it was written.

Three checks, each naming exactly what differs:

1. every archived file still hashes to the sha256 it is named after (and recorded under in
   `manifest.jsonl`), every file a manifest or a complete fetch names exists, and each fetch's
   recorded data version still follows from its parts;
2. every file of every release still hashes to what its `metadata.json` recorded when it was
   written (`files_sha256`; older releases recorded only `csv_sha256`), and each `metadata.json`
   to what `audit.releases` recorded;
3. every audit table's hash chain holds (`sources/gates/chain.py`): each row matches its
   `row_hash`, links to the row before, no `seq` is missing, the last row recorded in
   `audit-heads.jsonl` is still there; and no audit row is dated in the future.

It only reads: the warehouse is opened read-only and nothing is repaired.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import FetchSet, sha256_file
from sources.gates import chain
from sources.settings import Settings

CONTENT_FILE = re.compile(r"^([0-9a-f]{64})\.[A-Za-z0-9]+$")
FUTURE_TOLERANCE = "INTERVAL 5 MINUTE"  # clock differences between machines, not more


@dataclass(frozen=True)
class Problem:
    """One thing that is not as it was written."""

    area: str  # archive, release or audit
    where: str  # a file path, or an audit table
    check: str  # what failed: sha256, missing, row_hash, prev_hash, seq, head, unhashed, future, ...
    message: str  # one readable line, naming what changed and what to do
    row: int | None = None  # the row's seq, for an audit table
    expected: str | None = None
    actual: str | None = None


@dataclass
class Verification:
    home: Path
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"home": str(self.home), "ok": self.ok, "checked": self.checked,
                "notes": self.notes, "problems": [asdict(p) for p in self.problems]}


def verify(settings: Settings) -> Verification:
    """Check the archive, the releases and the audit chains of a home."""
    result = Verification(settings.home)
    _archive(settings.archive, result)
    con = (duckdb.connect(str(settings.warehouse), read_only=True)
           if settings.warehouse.exists() else None)
    try:
        _releases(settings.releases, con, result)
        if con is None:
            result.notes.append(f"no warehouse at {settings.warehouse}: no audit tables to check")
        else:
            _chains(con, settings.warehouse.parent / chain.HEADS_FILE, result)
    finally:
        if con is not None:
            con.close()
    return result


# --- 1. the archive ---------------------------------------------------------------------------

def _jsonl(path: Path, result: Verification, area: str) -> list[tuple[int, dict[str, Any]]]:
    out = []
    if not path.exists():
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((number, json.loads(line)))
        except json.JSONDecodeError:
            result.problems.append(Problem(area, str(path), "unreadable",
                                           f"{area}: {path} line {number} is not JSON: the log "
                                           "was edited by hand or cut short"))
    return out


def _archive(root: Path, result: Verification) -> None:
    files = datasets = 0
    if root.exists():
        for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
            datasets += 1
            files += _archive_folder(folder, root, result)
    result.checked["archive"] = {"datasets": datasets, "files": files}


def _archive_folder(folder: Path, root: Path, result: Verification) -> int:
    key = "__".join(folder.relative_to(root).parts)
    files = _archive_files(folder, key, result)
    _archive_logs(folder, key, result)
    return files


def _archive_files(folder: Path, key: str, result: Verification) -> int:
    """Every content-addressed file (`<sha256>.<ext>`, rejected bodies too) hashed again."""
    again = f"move it aside and fetch {key} again (`datacymru refresh --dataset {key}`)"
    files = 0
    for path in sorted(folder.rglob("*")):
        match = CONTENT_FILE.match(path.name)
        if not match or not path.is_file() or ".incoming" in path.parts:
            continue
        files += 1
        actual = sha256_file(path)
        if actual != match.group(1):
            result.problems.append(Problem(
                "archive", str(path), "sha256",
                f"archive: {path}: recorded sha256 {match.group(1)}, actual sha256 {actual}: the "
                f"file was changed after it was archived; {again}",
                expected=match.group(1), actual=actual))
    return files


def _archive_logs(folder: Path, key: str, result: Verification) -> None:
    """Every file the manifest or a complete fetch names exists; the logs agree with themselves."""
    missing: set[str] = set()

    def named(name: str, where: str) -> None:
        if name not in missing and not (folder / name).exists():
            missing.add(name)
            result.problems.append(Problem(
                "archive", str(folder / name), "missing",
                f"archive: {folder / name} is missing (named in {where}); fetch {key} again"))

    for number, row in _jsonl(folder / "manifest.jsonl", result, "archive"):
        name, sha = str(row.get("file", "")), row.get("sha256")
        if name:
            named(name, f"manifest.jsonl line {number}")
        if name and sha and not name.startswith(f"{sha}."):
            result.problems.append(Problem(
                "archive", str(folder / "manifest.jsonl"), "manifest",
                f"archive: {folder / 'manifest.jsonl'} line {number} records sha256 {sha} for "
                f"file {name}: the manifest was edited", expected=name.split(".")[0], actual=sha))
    for number, doc in _jsonl(folder / "fetches.jsonl", result, "archive"):
        try:
            fetch = FetchSet.from_json(doc)
        except (TypeError, KeyError) as exc:
            result.problems.append(Problem(
                "archive", str(folder / "fetches.jsonl"), "unreadable",
                f"archive: {folder / 'fetches.jsonl'} line {number} is not a fetch ({exc})"))
            continue
        for part in fetch.parts:
            named(f"{part.sha256}.{part.ext}", f"fetches.jsonl line {number}, fetch {fetch.fetch_id}")
        if doc.get("data_version") and doc["data_version"] != fetch.data_version:
            result.problems.append(Problem(
                "archive", str(folder / "fetches.jsonl"), "data_version",
                f"archive: {folder / 'fetches.jsonl'} line {number} (fetch {fetch.fetch_id}) "
                f"records data version {doc['data_version']} but its parts give "
                f"{fetch.data_version}: the fetch log was edited",
                expected=doc["data_version"], actual=fetch.data_version))


# --- 2. the releases --------------------------------------------------------------------------

def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                       "AND table_name = ?", [schema, name]).fetchone()[0] > 0


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
        "table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()]


def _recorded_releases(con: duckdb.DuckDBPyConnection | None
                       ) -> dict[tuple[str, str], str | None] | None:
    """(mart, release_id) -> the metadata.json sha256 in audit.releases (None: not recorded).

    None when there is no audit.releases to compare with.
    """
    if con is None or not _table_exists(con, "audit.releases"):
        return None
    sha = "metadata_sha256" if "metadata_sha256" in _columns(con, "audit.releases") else "NULL"
    return {(m, r): s for m, r, s in con.execute(
        f"SELECT mart, release_id, {sha} FROM audit.releases").fetchall()}


def _releases(root: Path, con: duckdb.DuckDBPyConnection | None, result: Verification) -> None:
    recorded = _recorded_releases(con)
    releases = files = 0
    seen: set[tuple[str, str]] = set()
    for mart_dir in sorted(p for p in root.glob("*") if p.is_dir() and not p.name.startswith(".")) \
            if root.exists() else []:
        mart = mart_dir.name
        latest = mart_dir / "latest"
        if latest.exists():
            named = latest.read_text(encoding="utf-8").strip()
            if not (mart_dir / named).is_dir():
                result.problems.append(Problem(
                    "release", str(latest), "latest",
                    f"release: {latest} names {named}, which does not exist"))
        for folder in sorted(p for p in mart_dir.glob("R*") if p.is_dir()):
            releases += 1
            seen.add((mart, folder.name))
            files += _release_folder(
                folder, None if recorded is None else recorded.get((mart, folder.name), False),
                result)
    for mart, release_id in sorted(set(recorded or ()) - seen):
        result.problems.append(Problem(
            "release", str(root / mart / release_id), "missing",
            f"release: {root / mart / release_id} is missing, though audit.releases records "
            f"release {release_id} of {mart}"))
    result.checked["releases"] = {"releases": releases, "files": files}


def _release_folder(folder: Path, recorded: str | None | bool, result: Verification) -> int:
    """Check one release.

    `recorded` is the metadata.json sha256 in its audit.releases row: None when not recorded
    (or no audit.releases), False when it has no row.
    """
    again = ("releases are never rewritten: restore the file from a published copy with the "
             "recorded hash, or move the release aside and publish again")
    meta_path = folder / "metadata.json"
    if not meta_path.exists():
        result.problems.append(Problem("release", str(meta_path), "missing",
                                       f"release: {meta_path} is missing; {again}"))
        return 0
    meta_sha = sha256_file(meta_path)
    if recorded is False:
        result.problems.append(Problem(
            "release", str(folder), "unrecorded",
            f"release: {folder} is not in audit.releases: it was not written by a publish "
            "that finished, or its audit row was deleted"))
    elif isinstance(recorded, str) and recorded != meta_sha:
        result.problems.append(Problem(
            "release", str(meta_path), "sha256",
            f"release: {meta_path}: recorded sha256 {recorded} (audit.releases), actual sha256 "
            f"{meta_sha}: the file was changed after it was published; {again}",
            expected=recorded, actual=meta_sha))
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        result.problems.append(Problem("release", str(meta_path), "unreadable",
                                       f"release: {meta_path} is not JSON; {again}"))
        return 1
    expected = meta.get("files_sha256")
    if not isinstance(expected, dict):
        mart = meta.get("mart") or folder.parent.name
        expected = {f"{mart}.csv": meta["csv_sha256"]} if meta.get("csv_sha256") else {}
        result.notes.append(f"{folder.name}: written before every file's hash was recorded; "
                            "only its CSV is checked")
    checked = 1
    for name, sha in sorted(expected.items()):
        path = folder / name
        if not path.exists():
            result.problems.append(Problem("release", str(path), "missing",
                                           f"release: {path} is missing; {again}", expected=sha))
            continue
        checked += 1
        actual = sha256_file(path)
        if actual != sha:
            result.problems.append(Problem(
                "release", str(path), "sha256",
                f"release: {path}: recorded sha256 {sha} (metadata.json), actual sha256 "
                f"{actual}: the file was changed after it was published; {again}",
                expected=sha, actual=actual))
    if isinstance(meta.get("files_sha256"), dict):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            if name != "metadata.json" and name not in expected:
                result.problems.append(Problem(
                    "release", str(path), "unexpected",
                    f"release: {path} was not part of the release when it was written"))
    return checked


# --- 3. the audit chains ----------------------------------------------------------------------

def _key(row: dict[str, Any], table: str) -> str:
    return ", ".join(f"{k}={row.get(k)}" for k in chain.TABLES[table].key if k in row)


def _chains(con: duckdb.DuckDBPyConnection, heads_path: Path, result: Verification) -> None:
    heads = chain.read_heads(heads_path)
    checked: dict[str, dict[str, int]] = {}
    for table, spec in chain.TABLES.items():
        if not _table_exists(con, table):
            continue
        columns = _columns(con, table)
        total = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for column in spec.times:
            if column in columns:
                _future(con, table, column, columns, result)
        if "seq" not in columns:
            checked[table] = {"rows": total, "hashed": 0, "legacy": total}
            if total:
                result.notes.append(f"{table}: {total} rows written before the hash chain, "
                                    "none hashed")
            continue
        legacy = con.execute(f"SELECT count(*) FROM {table} WHERE seq IS NULL").fetchone()[0]
        checked[table] = {"rows": total, "hashed": total - legacy, "legacy": legacy}
        _chain(con, table, legacy, heads.get(table), result)
    result.checked["audit"] = checked


def _chain(con: duckdb.DuckDBPyConnection, table: str, legacy: int, anchored: dict | None,
           result: Verification) -> None:
    cursor = con.execute(f"SELECT rowid AS __rowid, * FROM {table} WHERE seq IS NOT NULL "
                         "ORDER BY seq, rowid")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    began = _began(table, rows[0]["prev_hash"], legacy) if rows and rows[0]["seq"] == 1 else None
    if began:
        result.notes.append(f"{table}: the chain starts after {began} older row(s) written "
                            "before rows were hashed")

    def problem(check: str, row: dict[str, Any], text: str, **kw: Any) -> None:
        result.problems.append(Problem(
            "audit", table, check, f"audit: {table} row seq {row['seq']} ({_key(row, table)}): "
            f"{text}", row=row["seq"], **kw))

    expected, previous = 1, None
    for row in rows:
        rowid = row.pop("__rowid")
        seq = row["seq"]
        if seq < expected:
            problem("seq", row, f"seq {seq} appears twice: a row was copied or renumbered")
        elif seq > expected:
            gap = f"row seq {expected} is" if seq == expected + 1 else \
                f"rows seq {expected} to {seq - 1} are"
            after = f"seq jumps from {expected - 1} to {seq}" if expected > 1 else \
                f"the chain starts at seq {seq}"
            result.problems.append(Problem(
                "audit", table, "seq",
                f"audit: {table} {gap} missing ({after}): rows were deleted", row=expected))
        elif seq == 1 and began != legacy:
            _start(con, table, legacy, began, row, rowid, result)
        elif seq > 1 and previous is not None and row["prev_hash"] != previous:
            problem("prev_hash", row, f"prev_hash {row['prev_hash']} is not the row_hash "
                    f"{previous} of row seq {seq - 1}: row seq {seq - 1} was rewritten (with its "
                    "hash recomputed) or replaced", expected=previous, actual=row["prev_hash"])
        if row["row_hash"] is None or row["prev_hash"] is None:
            problem("row_hash", row, "has no row_hash or prev_hash: they were removed")
        else:
            actual = chain.row_hash(row["prev_hash"], row)
            if actual != row["row_hash"]:
                problem("row_hash", row, "its content no longer matches its row_hash: the row "
                        "was changed after it was written", expected=row["row_hash"],
                        actual=actual)
        previous, expected = row["row_hash"], max(expected, seq + 1)
    if anchored:
        _head(table, rows, anchored, result)


def _head(table: str, rows: list[dict[str, Any]], anchored: dict[str, Any],
          result: Verification) -> None:
    """The last row recorded after an append is still there, unchanged."""
    seq, recorded = anchored["seq"], anchored["row_hash"]
    found = next((r for r in rows if r["seq"] == seq), None)
    if found is None and (not rows or rows[-1]["seq"] < seq):
        last = rows[-1]["seq"] if rows else 0
        gap = f"row seq {seq} is" if last + 1 == seq else f"rows seq {last + 1} to {seq} are"
        result.problems.append(Problem(
            "audit", table, "head",
            f"audit: {table} {gap} missing: row seq {seq} was the last row after an append "
            f"({chain.HEADS_FILE}), so rows were deleted from the end", row=seq,
            expected=recorded))
    elif found is not None and found["row_hash"] != recorded:
        result.problems.append(Problem(
            "audit", table, "head",
            f"audit: {table} row seq {seq} ({_key(found, table)}): row_hash "
            f"{found['row_hash']} is not the {recorded} recorded after it was appended "
            f"({chain.HEADS_FILE}): the chain was rewritten", row=seq, expected=recorded,
            actual=found["row_hash"]))


def _began(table: str, prev_hash: str | None, legacy: int) -> int | None:
    """How many unhashed rows the chain's first row was appended after (None: not a start)."""
    if prev_hash == chain.start_hash(table, legacy):
        return legacy
    return next((n for n in range(legacy + 100_000) if chain.start_hash(table, n) == prev_hash),
                None)


def _start(con: duckdb.DuckDBPyConnection, table: str, legacy: int, began: int | None,
           first: dict[str, Any], first_rowid: int, result: Verification) -> None:
    """The first hashed row does not start after today's number of unhashed rows."""
    if began is None:
        result.problems.append(Problem(
            "audit", table, "prev_hash",
            f"audit: {table} row seq 1 ({_key(first, table)}): prev_hash {first['prev_hash']} "
            "is not a chain start: the row was rewritten", row=1))
        return
    later = con.execute(f"SELECT rowid AS __rowid, * FROM {table} WHERE seq IS NULL AND "
                        "rowid > ? ORDER BY rowid", [first_rowid]).fetchall()
    if legacy > began:
        what = f"{legacy - began} row(s) without hashes were added"
        if later:
            what += ": " + "; ".join(f"rowid {r[0]}" for r in later[:20])
        what += " (with plain SQL, not through the audit trail)"
    else:
        what = f"{began - legacy} older row(s) written before the chain were deleted"
    result.problems.append(Problem(
        "audit", table, "unhashed",
        f"audit: {table}: the chain began after {began} unhashed row(s), there are now "
        f"{legacy}: {what}", row=None, expected=str(began), actual=str(legacy)))


def _future(con: duckdb.DuckDBPyConnection, table: str, column: str, columns: list[str],
            result: Verification) -> None:
    keys = "".join(f", {k}" for k in chain.TABLES[table].key if k in columns)
    seq = "seq" if "seq" in columns else "NULL AS seq"
    cursor = con.execute(
        f"SELECT {seq}, rowid{keys}, CAST({column} AS VARCHAR) AS stamp FROM {table} "
        f"WHERE {column} > now() + {FUTURE_TOLERANCE} ORDER BY seq NULLS FIRST, rowid")
    names = [d[0] for d in cursor.description]
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        where = (f"row seq {row['seq']}" if row["seq"] is not None
                 else f"unhashed row rowid {row['rowid']}")
        result.problems.append(Problem(
            "audit", table, "future",
            f"audit: {table} {where} ({_key(row, table)}): {column} {row['stamp']} is in the "
            "future: a row dated ahead of the clock outranks every real one when the newest is "
            "looked up; find out who wrote it", row=row["seq"], actual=row["stamp"]))


def render(result: Verification) -> str:
    """The report for a person: what was checked, then one line per problem."""
    archive = result.checked.get("archive", {})
    releases = result.checked.get("releases", {})
    audit = result.checked.get("audit", {})
    lines = [f"Verified {result.home}",
             f"  archive:  {archive.get('files', 0)} files in {archive.get('datasets', 0)} datasets",
             f"  releases: {releases.get('files', 0)} files in {releases.get('releases', 0)} releases",
             "  audit:    " + (", ".join(f"{t} {c['hashed']} rows" for t, c in audit.items())
                               or "no audit tables")]
    lines += [f"  note: {n}" for n in result.notes]
    if result.ok:
        lines.append("OK: every archived file, release file and audit row is as it was written")
    else:
        lines.append(f"{len(result.problems)} problem(s):")
        lines += [p.message for p in result.problems]
    return "\n".join(lines)
