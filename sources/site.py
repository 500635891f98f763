"""Benchmarking pages of a release: `site/`, a page per council and per measure, English and Welsh.

Written by the release step from the release's own CSV and metadata (never from the warehouse), so
the pages show exactly the gated figures. Councils and their Welsh names, measure titles, ranks,
quartiles and directions are the mart's, as published; units, markers and notes are explained
from the dbt seeds that define them. Static and offline: no script, no request to the network;
charts are inline SVG, each with a table of its numbers. The bar geometry is the compliance
report's (`sources/report.py`); every word is a catalogue msgid (`sources/i18n.py`), the words of
ranks' directions and polarities those of the release's label columns (`sources/labels.py`).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from sources.i18n import LANGUAGES, N_, gettext
from sources.labels import ENUM_LABELS
from sources.report import TEMPLATES, _measure_chart, _scale, format_number
from sources.trace_render import command as trace_command

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
MEASURE_COLUMNS = ("measure_id", "indicator_id")
WALES = "W92000004"
TRACE_TEXT = N_("Row {row} of the release file {file}, from the source dataset {dataset} (archived "
                "file sha256 {sha}). To follow it back to the archived bytes, with every model and "
                "check on the way, run:")
SERIES_WIDTH, SERIES_HEIGHT, SERIES_LEFT, SERIES_RIGHT, SERIES_TOP, SERIES_BOTTOM = 640, 260, 70, 40, 20, 50


def slug(text: str) -> str:
    """A file name for an id: 'PAM/030' -> 'PAM-030', 'NI 15' -> 'NI-15'."""
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-")


def _number(text: str | None) -> float | None:
    return float(text) if text not in (None, "") else None


@cache
def _seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _vocabulary() -> dict[str, Any]:
    units = {r["unit"]: (r["unit_label_en"], r["unit_label_cy"]) for r in _seed("dim_measure")}
    markers: dict[str, tuple[str, str]] = {}
    for r in _seed("marker_vocabulary"):
        if r["canonical_code"] and r["meaning_en"]:
            markers.setdefault(r["canonical_code"], (r["meaning_en"], r["meaning_cy"]))
    notes = {r["code"]: (r["description_en"], r["description_cy"]) for r in _seed("statswales_note_codes")}
    return {"units": units, "markers": markers, "notes": notes}


def read_release(csv_path: Path) -> tuple[str, list[dict[str, Any]]] | None:
    """The measure column and rows of a release CSV, or None for a mart without measures by area."""
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        column = next((c for c in MEASURE_COLUMNS if c in (reader.fieldnames or [])), None)
        if column is None or "area_code" not in (reader.fieldnames or []):
            return None
        rows = []
        for n, row in enumerate(reader, start=1):
            rows.append({**row, "csv_row": n, "measure": row[column], "value": _number(row["value"]),
                         "wales_value": _number(row.get("wales_value")),
                         "previous_value": _number(row.get("previous_value"))})
    return column, rows


def _enum(column: str, value: str | None, lang: str) -> str | None:
    """The words of an enumerated value, as the release's `<column>_en`/`_cy` columns give them."""
    if not value:
        return None
    msgid = ENUM_LABELS[column].get(value)
    return gettext(msgid, lang) if msgid else value


def _title(row: dict[str, Any], lang: str) -> str:
    return row.get(f"measure_title_{lang}") or row.get(f"indicator_title_{lang}") or row["measure"]


def _series_chart(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A line per area (the council, Wales) over the periods, oldest on the left."""
    values = [v for p in points for v in (p["value"], p["wales"]) if v is not None]
    if not values:
        return None
    lo, hi, ticks = _scale(min(values + [0.0]), max(values))
    plot_w = SERIES_WIDTH - SERIES_LEFT - SERIES_RIGHT
    plot_h = SERIES_HEIGHT - SERIES_TOP - SERIES_BOTTOM
    step = plot_w / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return round(SERIES_TOP + (hi - v) / (hi - lo) * plot_h, 1)

    placed = [{**p, "x": round(SERIES_LEFT + i * step, 1),
               "y": y(p["value"]) if p["value"] is not None else None,
               "wy": y(p["wales"]) if p["wales"] is not None else None} for i, p in enumerate(points)]
    return {"width": SERIES_WIDTH, "height": SERIES_HEIGHT, "left": SERIES_LEFT,
            "right": SERIES_WIDTH - SERIES_RIGHT, "bottom": SERIES_TOP + plot_h, "points": placed,
            "line": " ".join(f"{p['x']},{p['y']}" for p in placed if p["y"] is not None),
            "wales_line": " ".join(f"{p['x']},{p['wy']}" for p in placed if p["wy"] is not None),
            "ticks": [{"y": y(t), "text": format_number(t)} for t in ticks]}


def _figure(row: dict[str, Any] | None, vocab: dict[str, Any], lang: str, release_id: str,
            file_name: str) -> dict[str, Any] | None:
    """One published figure with its words: marker, notes, direction and how to trace it."""
    if row is None:
        return None
    i = LANGUAGES.index(lang)
    notes = [vocab["notes"].get(code, (code, code))[i] for code in (row.get("note_codes") or "").split(",")
             if code]
    return {**row, "anchor": f"trace-{slug(row['measure'])}-{row['area_code']}-{slug(row['period'])}",
            "marker_words": vocab["markers"].get(row.get("marker") or "", ("", ""))[i],
            "notes_words": notes,
            "direction_words": _enum("direction", row.get("direction"), lang),
            "trace_text": gettext(TRACE_TEXT, lang).format(
                row=row["csv_row"], file=file_name, dataset=row.get("source_dataset") or "",
                sha=(row.get("source_archive_sha256") or "")[:12]),
            "trace_command": trace_command(row["measure"], row["area_code"], row["period"], release_id)}


class Benchmarks:
    """The release's rows arranged by measure, period and area."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows
        self.by_key = {(r["measure"], r["area_code"], r["period"]): r for r in rows}
        periods: dict[str, dict[str, str]] = defaultdict(dict)
        for r in rows:
            periods[r["measure"]][r["period"]] = r.get("period_start_date") or r["period"]
        self.periods = {m: sorted(p, key=p.get) for m, p in periods.items()}
        self.measures = sorted(self.periods)
        self.councils = sorted({(r["area_code"], r["area_name_en"], r["area_name_cy"]) for r in rows
                                if r.get("area_type") == "council"})
        self.first = {m: next(r for r in rows if r["measure"] == m) for m in self.measures}

    def latest(self, measure: str) -> str:
        """The newest period in which some council has a figure."""
        with_values = [p for p in self.periods[measure] if any(
            r["value"] is not None for r in self.rows
            if r["measure"] == measure and r["period"] == p and r["area_code"] != WALES)]
        return (with_values or self.periods[measure])[-1]

    def councils_at(self, measure: str, period: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["measure"] == measure and r["period"] == period
                and r.get("area_type") == "council"]

    def bar_chart(self, measure: str, period: str, highlight: str | None, anchor: str) -> dict[str, Any]:
        values = [{**r, "highlight": r["area_code"] == highlight} for r in self.councils_at(measure, period)]
        wales = self.by_key.get((measure, WALES, period))
        return _measure_chart({"values": values, "wales_value": wales["value"] if wales else None},
                              anchor)

    def series(self, measure: str, area: str) -> list[dict[str, Any]]:
        points = []
        for period in self.periods[measure]:
            row, wales = self.by_key.get((measure, area, period)), self.by_key.get((measure, WALES, period))
            points.append({"period": period, "value": row["value"] if row else None,
                           "marker": row.get("marker") if row else None,
                           "wales": wales["value"] if wales else None})
        return points


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(num=format_number, slug=slug)
    return env


def _council_page(b: Benchmarks, council: tuple[str, str, str], lang: str, common: dict[str, Any],
                  vocab: dict[str, Any]) -> str:
    code = council[0]
    sections = []
    for m in b.measures:
        period = b.latest(m)
        row = b.by_key.get((m, code, period))
        points = b.series(m, code)
        sections.append({
            "measure": m, "title": _title(b.first[m], lang), "period": period,
            "unit": vocab["units"].get(b.first[m].get("unit"), ("", ""))[LANGUAGES.index(lang)],
            "polarity": _enum("polarity", b.first[m].get("polarity") or "neutral", lang),
            "figure": _figure(row, vocab, lang, common["release_id"], common["csv_name"]),
            "bars": b.bar_chart(m, period, code, f"bars-{slug(m)}"),
            "series": _series_chart(points), "points": points})
    return _environment().get_template("site_council.html.j2").render(
        **common, lang=lang, council=council, sections=sections,
        other=f"{code}.{'cy' if lang == 'en' else 'en'}.html")


def _measure_page(b: Benchmarks, measure: str, lang: str, common: dict[str, Any],
                  vocab: dict[str, Any]) -> str:
    period = b.latest(measure)
    rows = sorted(b.councils_at(measure, period),
                  key=lambda r: (int(r["rank"]) if r.get("rank") else 99, r["area_name_en"]))
    figures = [_figure(r, vocab, lang, common["release_id"], common["csv_name"]) for r in rows]
    wales = b.by_key.get((measure, WALES, period))
    return _environment().get_template("site_measure.html.j2").render(
        **common, lang=lang, measure=measure, title=_title(b.first[measure], lang), period=period,
        unit=vocab["units"].get(b.first[measure].get("unit"), ("", ""))[LANGUAGES.index(lang)],
        polarity=_enum("polarity", b.first[measure].get("polarity") or "neutral", lang),
        figures=figures, wales=_figure(wales, vocab, lang, common["release_id"], common["csv_name"]),
        bars=b.bar_chart(measure, period, None, "bars"),
        other=f"{slug(measure)}.{'cy' if lang == 'en' else 'en'}.html")


def _common(lang: str, mart: str, release_id: str, metadata: dict[str, Any], ranked: bool) -> dict[str, Any]:
    """What every page of one language shows: release, SAMPLE label, and the words."""
    def words(msgid: str, in_lang: str | None = None, **values: object) -> str:
        """`t("...", count=3)` in the templates: the page's language, or `in_lang` if given."""
        return gettext(msgid, in_lang or lang).format(**values)

    return {"release_id": release_id, "mart": mart, "csv_name": f"{mart}.csv",
            "release_title": metadata.get(f"title_{lang}") or mart,
            "status_label": metadata.get(f"status_label_{lang}") or "",
            "is_sample": metadata.get("mode") == "snapshot", "t": words, "ranked": ranked}


def write_site(release_dir: Path, mart: str, release_id: str, metadata: dict[str, Any]) -> Path | None:
    """Write `site/` into a release folder from its CSV; None for a mart without measures by area.

    `site/index.html` (English) and `index.cy.html` open it; pages are `council/<GSS>.<lang>.html`
    and `measure/<id>.<lang>.html`, each linking to its other language.
    """
    read = read_release(release_dir / f"{mart}.csv")
    if read is None:
        return None
    _, rows = read
    b, vocab = Benchmarks(rows), _vocabulary()
    ranked = any(r.get("rank") not in (None, "") for r in rows)
    site = release_dir / "site"
    for folder in (site, site / "council", site / "measure"):
        folder.mkdir(parents=True, exist_ok=True)
    for i, lang in enumerate(LANGUAGES):
        common = _common(lang, mart, release_id, metadata, ranked)
        index = _environment().get_template("site_index.html.j2").render(
            **common, lang=lang, root="", other=f"index.{'cy' if lang == 'en' else 'en'}.html",
            councils=[(c[0], c[1 + i]) for c in b.councils],
            measures=[(m, _title(b.first[m], lang)) for m in b.measures])
        (site / f"index.{lang}.html").write_text(index, encoding="utf-8")
        if lang == "en":
            (site / "index.html").write_text(index, encoding="utf-8")
        for council in b.councils:
            (site / "council" / f"{council[0]}.{lang}.html").write_text(
                _council_page(b, council, lang, {**common, "root": "../"}, vocab), encoding="utf-8")
        for m in b.measures:
            (site / "measure" / f"{slug(m)}.{lang}.html").write_text(
                _measure_page(b, m, lang, {**common, "root": "../"}, vocab), encoding="utf-8")
    return site
