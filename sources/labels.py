"""What a release adds so that every word in it reads in English and Welsh.

- Enumerated values (`area_type`, `polarity`, `direction`) get `<column>_en` / `<column>_cy`
  label columns in the release CSV and Parquet; the words are catalogue msgids, so their Welsh
  and its review status come from `sources/locale` like every other string.
- A column dictionary: each column of the mart with its English `description` and Welsh
  `meta.description_cy` from the dbt model (`dbt_project/models/marts/<mart>.yml`, read through
  the manifest), and the label columns described from the catalogue.
"""

from __future__ import annotations

from typing import Any

import duckdb

from sources.i18n import N_, both, status

# The values dbt's accepted_values tests allow, each with its words (the English msgid).
ENUM_LABELS: dict[str, dict[str, str]] = {
    "area_type": {"council": N_("council"), "country": N_("country")},
    "polarity": {"higher_is_better": N_("higher is better"), "lower_is_better": N_("lower is better"),
                 "neutral": N_("neutral")},
    "direction": {"improved": N_("improved"), "declined": N_("declined"),
                  "unchanged": N_("unchanged"), "not comparable": N_("not comparable")},
}
LABEL_COLUMNS = {"en": N_("The words for `{column}` in English."),
                 "cy": N_("The words for `{column}` in Welsh.")}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {table})").fetchall()]


def labelled_view(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """A temporary view of `table` with the label columns of its enumerated values; its name.

    A value without words gives an empty label, which the bilingual-parity gate refuses.
    """
    extra = []
    for column in _columns(con, table):
        for lang in ("en", "cy") if column in ENUM_LABELS else ():
            cases = " ".join(f"WHEN {_quote(value)} THEN {_quote(both(msgid)[lang == 'cy'])}"
                             for value, msgid in ENUM_LABELS[column].items())
            extra.append(f'CASE "{column}" {cases} END AS "{column}_{lang}"')
    view = "release_" + table.replace(".", "_")
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT *{''.join(', ' + e for e in extra)} "
                f"FROM {table}")
    return view


def enum_values(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, list[str]]:
    """The distinct values of each enumerated column a mart holds."""
    return {c: [r[0] for r in con.execute(f'SELECT DISTINCT "{c}" FROM {table} WHERE "{c}" IS NOT NULL '
                                          "ORDER BY 1").fetchall()]
            for c in _columns(con, table) if c in ENUM_LABELS}


def column_dictionary(con: duckdb.DuckDBPyConnection, view: str, mart: str,
                      manifest: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every column of a release with its English and Welsh description and the Welsh's status."""
    model = next((n for n in (manifest or {}).get("nodes", {}).values()
                  if n.get("resource_type") == "model" and n.get("name") == mart), {})
    documented = model.get("columns", {})
    reviewed = (model.get("meta") or {}).get("welsh_status", "unreviewed") == "reviewed"
    out = []
    for name in _columns(con, view):
        doc = documented.get(name) or {}
        entry = {"name": name, "description_en": doc.get("description") or "",
                 "description_cy": (doc.get("meta") or {}).get("description_cy") or ""}
        entry["description_cy_status"] = (("reviewed" if reviewed else "unreviewed")
                                          if entry["description_cy"] else "missing")
        base, _sep, lang = name.rpartition("_")
        if not doc and base in ENUM_LABELS and lang in LABEL_COLUMNS:
            en, cy = both(LABEL_COLUMNS[lang], column=base)
            entry |= {"description_en": en, "description_cy": cy,
                      "description_cy_status": status(LABEL_COLUMNS[lang])}
        out.append(entry)
    return out
