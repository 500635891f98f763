"""Versioned open-data releases of a mart: CSV, Parquet, metadata, a report and benchmarking pages.

Marts of measures by area also get their benchmarking pages (`site/`, `sources/site.py`).

A release folder is written beside its final place and renamed into it, so a release either
exists whole or not at all; releases are never overwritten; `latest` names the current release
and moves by atomic replace. A failed gate means this module is never called.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.archive import sha256_file
from sources.faults import crash_point
from sources.gates.model import GateResult
from sources.gates.registry import gate
from sources.i18n import N_
from sources.labels import labelled_view
from sources.site import write_site

# English msgids; the Welsh is in the catalogue (`status_labels()` gives both).
STATUS_LABELS = {
    "snapshot": N_("Sample data: not official statistics"),
    # A designation (official statistics, in development or accredited) is the producer's decision,
    # not the platform's: live releases state only where their figures come from.
    "live": N_("Compiled from publishers' open data; not designated as official statistics"),
}
REQUIRED_METADATA = ("title_en", "title_cy", "description_en", "description_cy", "status_label_en",
                     "status_label_cy", "sources", "code_version", "gates", "mart")
FORMULA_START = "^[=+\\-@\\t\\r]"


@dataclass(frozen=True)
class Release:
    release_id: str
    mart: str
    path: Path
    rows: int
    revisions: list[dict[str, Any]]
    metadata: dict[str, Any]


def latest_release(root: Path, mart: str) -> Path | None:
    pointer = root / mart / "latest"
    if not pointer.exists():
        return None
    target = root / mart / pointer.read_text(encoding="utf-8").strip()
    return target if target.is_dir() else None


def _safe_select(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe."""
    cols = []
    for name, dtype in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {table})").fetchall():
        q = '"' + name.replace('"', '""') + '"'
        if dtype == "VARCHAR":
            cols.append(f"CASE WHEN regexp_matches({q}, '{FORMULA_START}') THEN '''' || {q} "
                        f"ELSE {q} END AS {q}")
        else:
            cols.append(q)
    return f"SELECT {', '.join(cols)} FROM {table}"


def revisions(con: duckdb.DuckDBPyConnection, table: str, previous: Path | None, mart: str,
              key: list[str], value: str | None) -> list[dict[str, Any]]:
    """Cells whose value differs from the previous release, flagged `[r]`."""
    if previous is None or value is None:
        return []
    parquet = previous / f"{mart}.parquet"
    keys = ", ".join(f'"{k}"' for k in key)
    cursor = con.execute(f"""
        SELECT {keys}, p."{value}" AS previous_value, c."{value}" AS value, '[r]' AS flag
        FROM {table} c JOIN read_parquet(?) p USING ({keys})
        WHERE p."{value}" IS DISTINCT FROM c."{value}" ORDER BY ALL""", [str(parquet)])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def check_metadata(metadata: dict[str, Any], asset_key: str) -> GateResult:
    missing = [k for k in REQUIRED_METADATA if not metadata.get(k)]
    missing += [f"sources[{i}].archive_sha256" for i, s in enumerate(metadata.get("sources", []))
                if not s.get("archive_sha256")]
    return GateResult(gate("release_metadata_complete"), asset_key, passed=not missing,
                      examined=len(REQUIRED_METADATA) + len(metadata.get("sources", [])),
                      observed={"missing": missing},
                      failing_examples=[{"missing": m} for m in missing])


def revisions_gate(changed: list[dict[str, Any]], previous: Path | None,
                   asset_key: str) -> GateResult:
    """Warns, listing every revised value; not applicable for a first release."""
    return GateResult(gate("revisions_flagged"), asset_key, passed=not changed,
                      examined=None if previous else 0,
                      observed={"revised_values": len(changed),
                                "previous_release": previous.name if previous else None},
                      failing_examples=[{k: str(v) for k, v in r.items()} for r in changed[:20]])


def write_blocked_report(root: Path, mart: str, report_html: str,
                         metadata: dict[str, Any]) -> Path:
    """The report of a blocked attempt, beside the releases: `<mart>/blocked/<time>/report.html`.

    Nothing in it is published data; `latest` does not move.
    """
    folder = root / mart / "blocked" / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False,
                                                     default=str) + "\n", encoding="utf-8")
    report = folder / "report.html"
    report.write_text(report_html, encoding="utf-8")
    return report


def next_release_id(root: Path, mart: str, content_hash: str) -> str:
    existing = [p.name for p in (root / mart).glob("R*") if p.is_dir()]
    seq = 1 + max((int(n[1:5]) for n in existing if n[1:5].isdigit()), default=0)
    return f"R{seq:04d}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{content_hash[:8]}"


def csv_export(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> str:
    """Write a mart as its release CSV (rows in a fixed order, with label columns); its sha256."""
    view = labelled_view(con, table)
    con.execute(f"COPY ({_safe_select(con, view)} ORDER BY ALL) TO '{path}' "
                "(HEADER, DELIMITER ',', QUOTE '\"')")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def released_hash(root: Path, mart: str) -> str | None:
    """The CSV sha256 recorded by the mart's current release, if it has one."""
    current = latest_release(root, mart)
    if current is None or not (current / "metadata.json").exists():
        return None
    return json.loads((current / "metadata.json").read_text(encoding="utf-8")).get("csv_sha256")


def differs_from_release(con: duckdb.DuckDBPyConnection, root: Path, mart: str) -> bool:
    """Whether `marts.<mart>` holds content its current release does not (or it has none)."""
    scratch = root / mart / f".compare-{os.getpid()}.csv"
    scratch.parent.mkdir(parents=True, exist_ok=True)
    try:
        return csv_export(con, f"marts.{mart}", scratch) != released_hash(root, mart)
    finally:
        scratch.unlink(missing_ok=True)


def _seal(folder: Path) -> None:
    """Files and folders read-only: nothing in a release can be replaced or added."""
    for item in folder.iterdir():
        if item.is_dir():
            _seal(item)
        else:
            item.chmod(0o444)
    folder.chmod(0o555)


def write_release(con: duckdb.DuckDBPyConnection, *, root: Path, mart: str, table: str,
                  metadata: dict[str, Any], revision_rows: list[dict[str, Any]],
                  report_html: str, record: Callable[[Release], None] = lambda _r: None) -> Release:
    """Write a complete release folder, record it, then move `latest` to it.

    The order makes a crash at any point recoverable (`recover_releases`): the folder is written
    aside and renamed into place whole; `record` (the audit rows) runs next; `latest` moves last,
    so it never names a release the audit trail does not know.
    """
    mart_dir = root / mart
    mart_dir.mkdir(parents=True, exist_ok=True)
    staging = mart_dir / f".incoming-{os.getpid()}"
    staging.mkdir(exist_ok=True)
    parquet, csv = staging / f"{mart}.parquet", staging / f"{mart}.csv"
    content_hash = csv_export(con, table, csv)
    con.execute(f"COPY (SELECT * FROM {labelled_view(con, table)} ORDER BY ALL) TO '{parquet}' "
                "(FORMAT parquet)")
    release_id = metadata.get("release_id") or next_release_id(root, mart, content_hash)
    (staging / "report.html").write_text(report_html.replace("{{RELEASE_ID}}", release_id),
                                         encoding="utf-8")
    write_site(staging, mart, release_id, metadata)  # from the CSV just written, not the warehouse
    # The sha256 of every other file of the release (by path inside it, `site/` included), so
    # `datacymru audit verify` can check them.
    files = {f.relative_to(staging).as_posix(): sha256_file(f)
             for f in sorted(staging.rglob("*")) if f.is_file()}
    metadata = {**metadata, "release_id": release_id, "csv_sha256": content_hash,
                "files_sha256": files}
    (staging / "metadata.json").write_text(json.dumps(metadata, indent=2, ensure_ascii=False,
                                                      default=str) + "\n", encoding="utf-8")
    final = mart_dir / release_id
    if final.exists():
        raise FileExistsError(f"release {final} exists; releases are never overwritten")
    crash_point("publish:staged")
    staging.rename(final)
    _seal(final)
    crash_point("publish:written")
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    release = Release(release_id, mart, final, rows, revision_rows, metadata)
    record(release)
    crash_point("publish:audited")
    _point_latest(mart_dir, release_id)
    return release


def _point_latest(mart_dir: Path, release_id: str) -> None:
    pointer_tmp = mart_dir / f".latest-{os.getpid()}"
    pointer_tmp.write_text(release_id + "\n", encoding="utf-8")
    pointer_tmp.replace(mart_dir / "latest")


def recover_releases(con: duckdb.DuckDBPyConnection, root: Path) -> list[str]:
    """Put the release folders back in a state the audit trail vouches for; say what was done.

    After a crash mid-publication: a half-written folder, or a whole one the audit trail does not
    know, is moved to `<releases>/.quarantine/` (kept for inspection, never published); `latest`
    is made to name the newest release the audit trail knows.
    """
    if not root.is_dir():
        return []
    known_rows = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                             "table_schema = 'audit' AND table_name = 'releases'").fetchone()[0]
    audited = {r[0]: r[1] for r in con.execute(
        "SELECT release_id, mart FROM audit.releases").fetchall()} if known_rows else {}
    notes = []
    for mart_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        leftovers = [p for p in mart_dir.iterdir() if p.is_dir() and (
            p.name.startswith(".incoming-") or (p.name.startswith("R") and p.name not in audited))]
        for folder in leftovers:
            stamp = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
            target = root / ".quarantine" / mart_dir.name / f"{folder.name}-{stamp}"
            target.parent.mkdir(parents=True, exist_ok=True)
            folder.rename(target)
            notes.append(f"{mart_dir.name}: {folder.name} was left unfinished or unaudited by an "
                         f"interrupted publication; moved to {target}")
        for stray in mart_dir.glob(".latest-*"):
            stray.unlink()
        releases = sorted(p.name for p in mart_dir.glob("R*") if p.is_dir() and p.name in audited)
        pointer = mart_dir / "latest"
        current = pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None
        wanted = releases[-1] if releases else None
        if current != wanted:
            if wanted:
                _point_latest(mart_dir, wanted)
            else:
                pointer.unlink(missing_ok=True)
            notes.append(f"{mart_dir.name}: latest named {current or 'nothing'}; now names "
                         f"{wanted or 'nothing'}, the newest release in the audit trail")
    return notes
