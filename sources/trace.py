"""Follow one published figure back to the archived bytes it came from.

`trace_figure` computes the chain at run time, from the warehouse, the dbt manifest and the
archive; nothing in it is stored prose:

1. the release (or the current mart) and the check executions it relied on for that mart;
2. the mart row;
3. every dbt model on the path, found from the manifest's `depends_on` (only the branches that
   lead to the raw tables holding the row's archive hashes), with that model's rows for the figure;
4. the raw rows, each with its archived file re-read and re-hashed now, and the record at the
   row's recorded position (from `_load_row`, or a council return's sheet row) compared with it.

The lineage walk is `sources/trace_lineage.py`, the raw rows and bytes `sources/raw_records.py`.
Every link that cannot be made is listed in `missing`, and the trace is then not whole.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sources.i18n import _, both
from sources.raw_records import RawLink, raw_links
from sources.trace_lineage import Lineage, ModelStep, TraceError, columns_of, dicts, model_steps

MEASURE_COLUMNS = ("measure_id", "indicator_id")
WALES = "W92000004"


@dataclass(frozen=True)
class Figure:
    measure: str
    area: str
    period: str


@dataclass
class Trace:
    figure: Figure
    mart: str
    release: dict[str, Any] | None
    checks: list[dict[str, Any]]
    mart_row: dict[str, Any]
    wales_row: dict[str, Any] | None
    models: list[ModelStep]
    raw: list[RawLink]
    history: list[dict[str, Any]]
    missing: list[tuple[str, str]] = field(default_factory=list)  # (English, Welsh) sentences

    @property
    def whole(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "figure": vars(self.figure), "mart": self.mart, "whole": self.whole,
            "missing_en": [en for en, _cy in self.missing],
            "missing_cy": [cy for _en, cy in self.missing], "release": self.release, "checks": self.checks,
            "mart_row": self.mart_row, "wales_row": self.wales_row,
            "models": [vars(m) for m in self.models],
            "raw": [r.to_json() for r in self.raw], "history": self.history,
        }


def find_mart(con: duckdb.DuckDBPyConnection, lineage: Lineage, measure: str) -> tuple[str, str]:
    """The mart (and its measure column) that publishes `measure`."""
    for mart in lineage.marts():
        cols = columns_of(con, f"marts.{mart}")
        column = next((c for c in MEASURE_COLUMNS if c in cols), None)
        if column and con.execute(f"SELECT 1 FROM marts.{mart} WHERE {column} = ? LIMIT 1",
                                  [measure]).fetchone():
            return mart, column
    raise TraceError(_("no mart publishes measure {measure}; measure ids are in the release CSVs' "
                       "measure_id / indicator_id columns (e.g. PAM/030, NI 15)").format(
        measure=repr(measure)))


def mart_row(con: duckdb.DuckDBPyConnection, mart: str, column: str,
             figure: Figure) -> dict[str, Any]:
    rows = dicts(con.execute(f"SELECT * FROM marts.{mart} WHERE {column} = ? AND area_code = ? "
                              "AND period = ?", [figure.measure, figure.area, figure.period]))
    if not rows:
        periods = [r[0] for r in con.execute(
            f"SELECT DISTINCT period FROM marts.{mart} WHERE {column} = ? AND area_code = ? "
            "ORDER BY 1", [figure.measure, figure.area]).fetchall()]
        raise TraceError(_("{mart} has no row for {measure} in {area} for {period}; periods with a "
                           "row: {periods}").format(mart=mart, measure=figure.measure,
                                                    area=figure.area, period=figure.period,
                                                    periods=", ".join(periods) or _("none")))
    return rows[0]


def release_history(releases_root: Path, mart: str, column: str,
                    figure: Figure) -> list[dict[str, Any]]:
    """The figure in every release of the mart, oldest first, each marked where it changed."""
    history: list[dict[str, Any]] = []
    con = duckdb.connect()
    for folder in sorted(p for p in (releases_root / mart).glob("R*") if p.is_dir()):
        parquet = folder / f"{mart}.parquet"
        if not parquet.exists():
            continue
        row = con.execute(f"SELECT value, marker FROM read_parquet(?) WHERE {column} = ? AND "
                          "area_code = ? AND period = ?",
                          [str(parquet), figure.measure, figure.area, figure.period]).fetchone()
        if row is None:
            continue
        value, marker = row
        prior = history[-1] if history else None
        history.append({"release_id": folder.name, "value": value, "marker": marker,
                        "change": ("first published" if prior is None else
                                   "revised" if (prior["value"], prior["marker"]) != (value, marker)
                                   else "unchanged")})
    con.close()
    return history


def staged_links(con: duckdb.DuckDBPyConnection, lineage: Lineage, staged: list[dict[str, Any]],
                 archive_root: Path) -> tuple[list[RawLink], list[str]]:
    """Each staging row's raw rows, with their archived files re-read and re-hashed."""
    links: list[RawLink] = []
    missing: list[str] = []
    seen: set[tuple] = set()
    for row in staged:
        source = lineage.nodes[row["_source_node"]]
        for link in raw_links(con, source["name"], row, archive_root, source["schema"]):
            key = (link.table, link.archive_sha256, link.position)
            if key in seen:
                continue
            seen.add(key)
            links.append(link)
            missing += link.problems
    return links, missing


def release_row(release_dir: Path, mart: str, column: str, figure: Figure | None = None,
                row_number: int | None = None) -> dict[str, Any]:
    """A row of the release CSV: the `row_number`th (1 = first after the header) or the figure's."""
    path = release_dir / f"{mart}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=1):
            if row_number is not None and n == row_number:
                return {"csv": str(path), "csv_row": n, **row}
            if figure and (row[column], row["area_code"], row["period"]) == (
                    figure.measure, figure.area, figure.period):
                return {"csv": str(path), "csv_row": n, **row}
    asked = _("row {row}").format(row=row_number) if row_number is not None else (
        f"{figure.measure} {figure.area} {figure.period}" if figure else _("a row"))
    raise TraceError(_("{path} has no {asked}").format(path=path, asked=asked))


def find_release(releases_root: Path, release_id: str) -> tuple[str, Path]:
    """The mart and folder of a release id."""
    for folder in sorted(releases_root.glob(f"*/{release_id}")):
        if (folder / "metadata.json").exists():
            return folder.parent.name, folder
    raise TraceError(_("no release {release_id} under {releases}/<mart>/; release ids are the "
                       "folder names there (`datacymru audit release ID` shows one)").format(
        release_id=repr(release_id), releases=releases_root))


def _same_value(published: str | None, value: Any) -> bool:
    if not published:
        return value is None
    try:
        return value is not None and float(published) == float(value)
    except ValueError:
        return False


def _release_part(con: duckdb.DuckDBPyConnection, mart: str, folder: Path, row: dict[str, Any],
                  published: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    from sources.gates.audit import release_checks

    checks = [c for c in release_checks(con, folder.name) if mart in str(c.get("asset_key"))]
    missing = [] if checks else [both("release {release_id} relied on no recorded check "
                                      "executions for this mart (audit.release_checks)",
                                      release_id=folder.name)]
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    release = {"release_id": folder.name, "path": str(folder),
               "status_label_en": metadata.get("status_label_en"),
               "status_label_cy": metadata.get("status_label_cy"),
               "csv_sha256": metadata.get("csv_sha256"), "row": published}
    if not _same_value(published.get("value"), row.get("value")):
        release["warehouse_differs_en"], release["warehouse_differs_cy"] = both(
            "the release publishes {published} but marts.{mart} now holds {current}: the models "
            "below show the current build, not this release's",
            published=repr(published.get("value")), mart=mart, current=repr(row.get("value")))
    return release, checks, missing


def _latest(releases_root: Path, mart: str) -> Path | None:
    pointer = releases_root / mart / "latest"
    return releases_root / mart / pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None


def _resolve(con: duckdb.DuckDBPyConnection, lineage: Lineage, releases_root: Path,
             figure: Figure | None, release_id: str | None, mart: str | None,
             csv_row: int | None) -> tuple[str, str, Figure, Path | None]:
    """Which mart, measure column, figure and release folder the question is about."""
    folder = None
    if release_id:
        mart, folder = find_release(releases_root, release_id)
    elif csv_row is not None:
        if not mart:
            raise TraceError(_("--row needs --release ID or --mart NAME to say which CSV it is in"))
        folder = _latest(releases_root, mart)
        if folder is None:
            raise TraceError(_("{mart} has no release yet; run `datacymru refresh`").format(mart=mart))
    if csv_row is not None:
        cols = columns_of(con, f"marts.{mart}")
        column = next((c for c in MEASURE_COLUMNS if c in cols), None)
        if column is None:
            raise TraceError(_("{mart} has no measure column ({columns}), so a row of it is not one "
                               "figure; trace a mart of measures by area").format(
                mart=mart, columns=" / ".join(MEASURE_COLUMNS)))
        published = release_row(folder, mart, column, row_number=csv_row)
        figure = Figure(published[column], published["area_code"], published["period"])
    if figure is None:
        raise TraceError(_("say which figure: --measure, --area and --period, or --row N"))
    found_mart, column = find_mart(con, lineage, figure.measure)
    if mart and mart != found_mart:
        raise TraceError(_("{measure} is published in {found}, not {mart}").format(
            measure=figure.measure, found=found_mart, mart=mart))
    return found_mart, column, figure, folder or _latest(releases_root, found_mart)


def trace_figure(con: duckdb.DuckDBPyConnection, *, manifest: Path, archive_root: Path,
                 releases_root: Path, figure: Figure | None = None, release_id: str | None = None,
                 mart: str | None = None, csv_row: int | None = None) -> Trace:
    """The whole chain for one figure (see the module docstring); `con` may be read-only."""
    lineage = Lineage(manifest)
    mart, column, figure, folder = _resolve(con, lineage, releases_root, figure, release_id,
                                            mart, csv_row)
    row = mart_row(con, mart, column, figure)
    release, checks, missing = None, [], []
    if folder is not None:
        published = release_row(folder, mart, column, figure)
        release, checks, missing = _release_part(con, mart, folder, row, published)
    else:
        missing.append(both("{mart} has no release yet, so no published figure and no gates",
                            mart=mart))
    wales = None
    if figure.area != WALES:
        wales_rows = dicts(con.execute(f"SELECT * FROM marts.{mart} WHERE {column} = ? AND "
                                        "area_code = ? AND period = ?",
                                        [figure.measure, WALES, figure.period]))
        wales = wales_rows[0] if wales_rows else None
    steps, staged = model_steps(con, lineage, mart, row)
    if not staged:
        missing.append(both("no staging row on the path from {mart} names a raw table's archive "
                            "file", mart=mart))
    links, raw_missing = staged_links(con, lineage, staged, archive_root)
    history = release_history(releases_root, mart, column, figure)
    return Trace(figure, mart, release, checks, row, wales, steps, links, history,
                 missing + raw_missing)
