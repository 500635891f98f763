"""The dbt lineage of a mart row: the models below it that hold the figure's inputs, and their rows.

The models come from the manifest's `depends_on`; a model's rows are those that share the child
row's key columns (`KEYS`) and whose archive hash is among the hashes the child row names. Where a
model renames a key (the population year of a mid-year estimate), the column's
`meta.trace_upstream` in the model's YAML says how to find it upstream.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

# Columns that identify a figure across models: a parent's rows must agree on those it shares.
WALES = "W92000004"
KEYS = ("measure_id", "indicator_id", "area_code", "period", "financial_year", "population_year",
        "rate_code", "source_dataset")

class TraceError(ValueError):
    """The figure asked for cannot be found; the message says what to ask instead."""


@dataclass
class ModelStep:
    model: str
    layer: str
    depends_on: list[str]
    rows: list[dict[str, Any]]


class Lineage:
    """The dbt graph from `target/manifest.json`: nodes, parents and columns."""

    def __init__(self, manifest_path: Path):
        if not manifest_path.exists():
            raise TraceError(f"no dbt manifest at {manifest_path}: run `make dbt-manifest` "
                             "(or `python -m orchestration.dbt_prepare`) first")
        doc = json.loads(manifest_path.read_text(encoding="utf-8"))
        self.nodes: dict[str, dict[str, Any]] = {**doc["nodes"], **doc["sources"]}

    def model_id(self, name: str) -> str:
        for uid, node in self.nodes.items():
            if node["resource_type"] == "model" and node["name"] == name:
                return uid
        raise TraceError(f"the dbt manifest has no model {name}")

    def parents(self, uid: str) -> list[str]:
        return [p for p in self.nodes[uid].get("depends_on", {}).get("nodes", [])
                if self.nodes.get(p, {}).get("resource_type") in ("model", "source")]

    def relation(self, uid: str) -> str:
        node = self.nodes[uid]
        return f'{node["schema"]}."{node.get("identifier") or node.get("alias") or node["name"]}"'

    def upstream_exprs(self, uid: str) -> dict[str, str]:
        """`{column: SQL over the parent}` from each column's `meta.trace_upstream`."""
        exprs = {}
        for name, col in self.nodes[uid].get("columns", {}).items():
            meta = {**(col.get("config") or {}).get("meta", {}), **(col.get("meta") or {})}
            if meta.get("trace_upstream"):
                exprs[name] = meta["trace_upstream"]
        return exprs

    def marts(self) -> list[str]:
        return sorted(n["name"] for n in self.nodes.values()
                      if n["resource_type"] == "model" and n["name"].startswith("mart_"))

    def ancestors(self, uid: str) -> list[str]:
        """Every model and source above `uid`, nearest first."""
        order, queue = [], [uid]
        while queue:
            for parent in self.parents(queue.pop(0)):
                if parent not in order:
                    order.append(parent)
                    queue.append(parent)
        return order


def dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    """A table's or view's columns, from the catalogue (DESCRIBE would plan the whole view)."""
    schema, name = (part.strip('"') for part in relation.split(".", 1))
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND "
        "table_name = ? ORDER BY ordinal_position", [schema, name]).fetchall()]


def hashes_of(row: dict[str, Any]) -> set[str]:
    """Every archive sha256 a row names (`_archive_sha256`, `source_archive_sha256`, ...)."""
    found: set[str] = set()
    for name, value in row.items():
        if "archive_sha256" in name and value:
            found.update(h.strip() for h in str(value).split(",") if h.strip())
    return found


def own_hash_column(columns: Iterable[str]) -> str | None:
    """The column holding the archive a model's row came from."""
    cols = list(columns)
    return next((c for c in ("source_archive_sha256", "_archive_sha256") if c in cols), None)


def _filters(row: dict[str, Any], cols: list[str], renamed: dict[str, str],
             hash_col: str | None) -> list[tuple[str, str, Any]]:
    """(key, SQL, parameter) pairs a parent row must satisfy to feed `row`."""
    filters: list[tuple[str, str, Any]] = []
    for key in KEYS:
        if key in renamed and row.get(key) is not None:
            filters.append((key, f"({renamed[key]}) = ?", row[key]))
        elif key in cols and key in row and row[key] is not None:
            filters.append((key, f'"{key}" = ?', row[key]))
    hashes = sorted(hashes_of(row))
    if hash_col and hashes:
        # The parent's column may list several files itself (a Wales figure's, comma-separated).
        filters.append(("_hash", f'list_has_any(string_split(CAST("{hash_col}" AS VARCHAR), \',\'), '
                                 f'[{", ".join("?" * len(hashes))}])', hashes))
    return filters


def _select(con: duckdb.DuckDBPyConnection, relation: str,
            filters: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    params: list[Any] = []
    for _, _, value in filters:
        params += value if isinstance(value, list) else [value]
    return dicts(con.execute(f"SELECT * FROM {relation} WHERE "
                             f"{' AND '.join(sql for _, sql, _ in filters)}", params))


def _parent_rows(con: duckdb.DuckDBPyConnection, lineage: Lineage, parent: str, child: str,
                 child_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of `parent` that feed `child_rows`: same keys, and an archive hash they name."""
    relation = lineage.relation(parent)
    cols = columns_of(con, relation)
    renamed = lineage.upstream_exprs(child)
    found: dict[tuple, dict[str, Any]] = {}
    for row in child_rows:
        filters = _filters(row, cols, renamed, own_hash_column(cols))
        if not filters:
            continue
        rows = _select(con, relation, filters)
        if not rows and row.get("area_code") == WALES:
            # A Wales figure computed from the councils' rows (their hashes are all named): the
            # parent rows are the councils', whatever their area, and all of them were used.
            rows = _select(con, relation, [f for f in filters if f[0] != "area_code"])
            same = []
        else:
            # A figure passed through unchanged, or picked as a numerator or population, is the
            # parent row whose value the child holds: where there are such rows, they were used.
            held = {v for k, v in row.items() if isinstance(v, float) and k not in KEYS}
            same = [r for r in rows if isinstance(r.get("value"), float) and r["value"] in held]
        for r in same or rows:
            found[tuple(str(v) for v in r.values())] = r
    return list(found.values())


def model_steps(con: duckdb.DuckDBPyConnection, lineage: Lineage, mart: str,
                top_row: dict[str, Any]) -> tuple[list[ModelStep], list[dict[str, Any]]]:
    """The models below the mart that hold this figure's inputs, and the staging rows that read raw.

    Returns the steps (nearest the mart first) and, for each raw source reached, the staging rows
    with the source's id under `_source_node`.
    """
    top = lineage.model_id(mart)
    rows_of: dict[str, list[dict[str, Any]]] = {top: [top_row]}
    steps, staged = [], []
    for uid in [top, *lineage.ancestors(top)]:
        node = lineage.nodes[uid]
        if node["resource_type"] != "model":
            continue
        if uid != top:
            rows: list[dict[str, Any]] = []
            for child, child_rows in list(rows_of.items()):
                if uid in lineage.parents(child) and child_rows:
                    rows += _parent_rows(con, lineage, uid, child, child_rows)
            if not rows:
                continue
            rows_of[uid] = rows
        parents = lineage.parents(uid)
        steps.append(ModelStep(node["name"], node["schema"],
                               [lineage.nodes[p]["name"] for p in parents], rows_of[uid]))
        for parent in parents:
            if lineage.nodes[parent]["resource_type"] == "source":
                staged += [{**r, "_source_node": parent} for r in rows_of[uid]
                           if hashes_of(r) and _reads_table(con, lineage, parent, r)]
    return steps, staged


def _reads_table(con: duckdb.DuckDBPyConnection, lineage: Lineage, source: str,
                 row: dict[str, Any]) -> bool:
    """Whether the raw table holds a file the staging row names.

    A table never made holds none: a backfill table exists only once a backfill ran.
    """
    node = lineage.nodes[source]
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? "
                       "AND table_name = ?", [node["schema"], node.get("identifier") or node["name"]]
                       ).fetchone()[0]:
        return False
    hashes = sorted(hashes_of(row))
    return bool(con.execute(
        f"SELECT 1 FROM {lineage.relation(source)} WHERE CAST(_archive_sha256 AS VARCHAR) IN "
        f"({', '.join('?' * len(hashes))}) LIMIT 1", hashes).fetchone())
