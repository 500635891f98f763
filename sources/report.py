"""The bilingual compliance report (`report.html`) an auditor signs off for a release attempt.

`render_report` takes the dict the publish step builds (release, checks, summary, sources,
revisions, history, charts) and renders `templates/report.html.j2` with autoescaping. This module
only shapes that dict for the template: English and Welsh labels, readable numbers and times,
anchors, tables from lists of dicts and the geometry of the inline SVG charts. It counts nothing:
the summary is shown as the caller computed it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from sources.gates.model import OUTCOMES
from sources.i18n import N_, both, gettext

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"

# Words shown for enumerated values: English msgids, Welsh from the catalogue (`sources/i18n.py`).
OUTCOME_LABELS = {"passed": N_("passed"), "warned": N_("warned"), "failed": N_("failed"),
                  "error": N_("error"), "not_applicable": N_("not applicable")}
# A symbol per outcome, so an outcome is never told apart by colour alone.
OUTCOME_SYMBOLS = {"passed": "✓", "warned": "!", "failed": "✗", "error": "⚠", "not_applicable": "–"}
# Fills of chart bars: each at least 3:1 against white.
OUTCOME_FILLS = {"passed": "#2e7d32", "warned": "#b26a00", "failed": "#c62828", "error": "#6a1b9a",
                 "not_applicable": "#78838f"}
SEVERITY_LABELS = {"blocking": N_("blocking"), "warn": N_("warn")}
MODE_LABELS = {"snapshot": N_("snapshot"), "live": N_("live")}
STATUS_LABELS = {"published": N_("published"), "blocked": N_("blocked")}
# Column headings for the revision and failing-example tables; other keys are shown as they are.
COLUMN_LABELS = {"previous_value": N_("previous value"), "value": N_("value"), "flag": N_("flag"),
                 "area_code": N_("area code"), "period": N_("period"), "measure": N_("measure")}
CHANGED_LABELS = {True: N_("yes"), False: N_("no"), None: N_("unknown")}

# What the report shows for a field the caller left out.
RELEASE_DEFAULTS: dict[str, Any] = {
    "release_id": None, "mart": "", "status": "published", "blocked_reason_en": "", "blocked_reason_cy": "",
    "created_at": None, "title_en": "", "title_cy": "", "description_en": "", "description_cy": "",
    "status_label_en": "", "status_label_cy": "", "mode": "", "code_version": "", "run_id": "",
    "previous_release": None}
CHECK_DEFAULTS: dict[str, Any] = {"gate": None, "engine": "", "principle": "", "standard": "",
                                  "guidance": None, "examined": None, "observed": {}, "failing_examples": [],
                                  "checked_at": None}

OBSERVED_CHARS = 300
HISTORY_SHOWN = 8
HASH_SHOWN = 12

# Chart geometry, in SVG user units (the SVGs are drawn at a fixed size).
CHART_WIDTH = 960
HIST_LEFT, HIST_RIGHT, HIST_TOP, HIST_BOTTOM = 280, 20, 48, 78
HIST_PANEL, HIST_BAR = 66, 40
MEASURE_LEFT, MEASURE_RIGHT, MEASURE_TOP, MEASURE_BOTTOM, MEASURE_ROW = 190, 80, 44, 40, 20


def render_report(report: dict[str, Any]) -> str:
    """The whole report page for one release (or blocked attempt), as an HTML string."""
    return _environment().get_template(TEMPLATE).render(**_context(report))


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters.update(num=format_number, when=format_time)
    env.globals.update(outcomes=OUTCOMES, outcome_symbols=OUTCOME_SYMBOLS,
                       outcome_fills=OUTCOME_FILLS, both=both, t=_in, tr=_bilingual,
                       outcome_labels=_pairs(OUTCOME_LABELS))
    return env


def _pairs(labels: dict[Any, str]) -> dict[Any, tuple[str, str]]:
    return {key: both(msgid) for key, msgid in labels.items()}


def _label(labels: dict[str, str], value: str) -> tuple[str, str]:
    """(English, Welsh) of an enumerated value; an unknown value is shown as it is."""
    return both(labels[value]) if value in labels else (value, value)


def _in(msgid: str, lang: str, **values: Any) -> str:
    """A catalogue string in one language, formatted: `t("...", "cy", count=3)` in the template."""
    return gettext(msgid, lang).format(**values)


def _bilingual(msgid: str, **values: Any) -> Markup:
    """English, then Welsh marked `lang="cy"`: `tr("...")` in the template."""
    en, cy = both(msgid, **values)
    return Markup('{}<span class="sep" aria-hidden="true"> / </span><span lang="cy">{}</span>').format(en, cy)


# ---- formatting -----------------------------------------------------------------------------


def format_number(value: Any) -> str:
    """1234 -> '1,234'; 0.12345 -> '0.123'; 1234.567 -> '1,234.6'; None -> '–'."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{value:,.0f}"
    if abs(value) < 1:
        return f"{value:.3g}"
    decimals = 1 if abs(value) >= 100 else 2
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def format_time(value: Any) -> str:
    """An ISO timestamp as 'YYYY-MM-DD HH:MM UTC'; anything unreadable is shown as given."""
    if value in (None, ""):
        return "–"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value.isoformat()
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
    text = f"{moment:%Y-%m-%d %H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return text
    return f"{text} UTC" if not offset else f"{text} {moment:%z}"


def compact_json(value: Any, limit: int | None = OBSERVED_CHARS) -> str:
    """Compact JSON, cut to `limit` characters with an ellipsis."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _cell(value: Any) -> dict[str, Any]:
    if value is None:
        return {"text": None, "numeric": False}
    if isinstance(value, dict | list):
        return {"text": compact_json(value, None), "numeric": False}
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return {"text": str(value), "numeric": numeric}


def data_table(rows: Iterable[Any]) -> dict[str, Any]:
    """Columns (every key, in order of first appearance) and cells of a list of dicts."""
    mappings = [r if isinstance(r, dict) else {"value": r} for r in rows]
    columns: list[str] = []
    for row in mappings:
        columns += [str(k) for k in row if str(k) not in columns]
    labels = {c: both(COLUMN_LABELS[c]) if c in COLUMN_LABELS else (None, None) for c in columns}
    headings = [{"key": c, "en": labels[c][0], "cy": labels[c][1]} for c in columns]
    cells = [[_cell(row.get(c)) for c in columns] for row in mappings]
    return {"columns": headings, "rows": cells}


class _Anchors:
    """HTML ids from arbitrary text, each unique in the page."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def new(self, text: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"
        anchor, n = base, 1
        while anchor in self.used:
            n += 1
            anchor = f"{base}-{n}"
        self.used.add(anchor)
        return anchor


def _group_order(codes: Iterable[str], principles: dict[str, Any]) -> list[str]:
    """Principle groups the registry defines first (Q1, Q2, Q3, T3, ...), then any other."""
    return sorted(set(codes), key=lambda c: (c not in principles, c))


def _principle(code: str, principles: dict[str, Any]) -> dict[str, Any]:
    found = principles.get(code) or {}
    return {"code": code, "en": found.get("en"), "cy": found.get("cy"), "guidance": found.get("guidance")}


# ---- the page's parts -----------------------------------------------------------------------


def _release(release: dict[str, Any]) -> dict[str, Any]:
    release = {**RELEASE_DEFAULTS, **release}
    mode = release.get("mode") or ""
    status = release.get("status") or "published"
    return {**release, "blocked": status == "blocked",
            "mode_labels": _label(MODE_LABELS, mode), "status_labels": _label(STATUS_LABELS, status)}


def _summary(summary: dict[str, Any], principles: dict[str, Any]) -> dict[str, Any]:
    by_outcome = summary.get("by_outcome") or {}
    by_principle = summary.get("by_principle") or {}
    rows = [{**_principle(code, principles),
             "counts": {o: by_principle[code].get(o, 0) for o in OUTCOMES},
             "total": sum(by_principle[code].values())}
            for code in _group_order(by_principle, principles)]
    return {"total": summary.get("total", 0), "by_outcome": {o: by_outcome.get(o, 0) for o in OUTCOMES},
            "principles": rows}


def _sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = _pairs(CHANGED_LABELS)
    return [{**s, "hashes": [{"short": h[:HASH_SHOWN], "full": h} for h in s.get("archive_sha256") or []],
             "changed": changed[s.get("changed_since_previous")],
             "submissions": [{**sub, "short": str(sub.get("sha256") or "")[:HASH_SHOWN]}
                             for sub in s.get("submissions") or []]}
            for s in sources]


def _changes(report: dict[str, Any]) -> dict[str, Any]:
    sources = report["sources"]
    return {"previous_release": report["release"].get("previous_release"),
            "revised": len(report["revisions"]),
            "changed_sources": [s for s in sources if s.get("changed_since_previous") is True],
            "unknown_sources": [s for s in sources if s.get("changed_since_previous") is None]}


def _history(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A check's latest executions, each with its date and its release's sequence ('R0012')."""
    out = []
    for e in entries[:HISTORY_SHOWN]:
        release = str(e.get("release_id") or "")
        sequence = re.match(r"R\d+(?=-)", release)
        out.append({**e, "date": format_time(e.get("checked_at"))[:10],
                    "release_short": sequence.group(0) if sequence else _short(release, 14)})
    return out


def _checks(report: dict[str, Any], anchors: _Anchors) -> list[dict[str, Any]]:
    """Every check, grouped by principle group, each with its anchors, history and examples."""
    principles, history = report["principles"], report["history"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for found in sorted(report["checks"], key=lambda c: (c["asset_key"], c["check_name"])):
        check = {**CHECK_DEFAULTS, **found}
        key = f"{check['asset_key']}::{check['check_name']}"
        examples = check.get("failing_examples") or []
        show = bool(examples) and check["outcome"] not in ("passed", "not_applicable")
        groups.setdefault(check.get("principle_group") or "unassigned", []).append({
            **check, "key": key, "anchor": anchors.new(f"check-{key}"),
            "examples_anchor": anchors.new(f"examples-{key}") if show else None,
            "examples_table": data_table(examples) if show else None,
            "severity_labels": _label(SEVERITY_LABELS, check["severity"]),
            "observed_text": compact_json(check.get("observed") or {}),
            "history": _history(history.get(key) or []),
        })
    return [{**_principle(code, principles), "anchor": anchors.new(f"principle-{code}"),
             "checks": groups[code]} for code in _group_order(groups, principles)]


# ---- charts ---------------------------------------------------------------------------------


def _scale(lo: float, hi: float, ticks: int = 5) -> tuple[float, float, list[float]]:
    """A domain widened to round numbers, and the round ticks across it."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    count = round((hi - lo) / step)
    return lo, hi, [round(lo + i * step, 10) for i in range(count + 1)]


def _short(text: str, size: int = 16) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _stack(label: str, count: dict[str, int], cx: float, base: float, width: float,
           peak: int) -> dict[str, Any]:
    """One release's bar in a principle's panel: its outcomes stacked from the baseline up."""
    y, segments = float(base), []
    for outcome in OUTCOMES:
        if count.get(outcome):
            h = count[outcome] / peak * HIST_BAR
            y -= h
            segments.append({"outcome": outcome, "count": count[outcome], "x": round(cx - width / 2, 1),
                             "y": round(y, 1), "w": round(width, 1), "h": round(h, 1)})
    return {"label": label, "cx": round(cx, 1), "total": sum(count.values()), "total_y": round(y - 3, 1),
            "segments": segments}


def _history_chart(entries: list[dict[str, Any]], principles: dict[str, Any]) -> dict[str, Any] | None:
    """Small multiples: a panel per principle, a bar per release stacked by outcome."""
    codes = _group_order({c for e in entries for c in e.get("by_principle") or {}}, principles)
    if not entries or not codes:
        return None
    slot = (CHART_WIDTH - HIST_LEFT - HIST_RIGHT) / len(entries)
    bar_w = min(40.0, slot * 0.6)
    panels = []
    for p, code in enumerate(codes):
        top = HIST_TOP + p * HIST_PANEL
        base = top + HIST_PANEL - 12
        counts = [(e.get("by_principle") or {}).get(code) or {} for e in entries]
        peak = max((sum(c.values()) for c in counts), default=0) or 1
        bars = [_stack(entry["label"], count, HIST_LEFT + slot * (r + 0.5), base, bar_w, peak)
                for r, (entry, count) in enumerate(zip(entries, counts, strict=True))]
        panels.append({**_principle(code, principles), "top": top, "base": base, "bars": bars})
    height = HIST_TOP + len(codes) * HIST_PANEL + HIST_BOTTOM
    axis_y = HIST_TOP + len(codes) * HIST_PANEL + 4
    labels = [{"x": round(HIST_LEFT + slot * (r + 0.5), 1), "text": _short(str(e["label"])),
               "full": e["label"]} for r, e in enumerate(entries)]
    table = [{"label": e["label"], "code": code, "counts": {o: count.get(o, 0) for o in OUTCOMES},
              "total": sum(count.values())}
             for e in entries for code in codes
             for count in [(e.get("by_principle") or {}).get(code) or {}]]
    return {"width": CHART_WIDTH, "height": height, "left": HIST_LEFT, "right": CHART_WIDTH - HIST_RIGHT,
            "panels": panels, "labels": labels, "axis_y": axis_y, "table": table,
            "legend": [{"outcome": o, "x": 12 + i * 186} for i, o in enumerate(OUTCOMES)]}


def _measure_chart(measure: dict[str, Any], anchor: str) -> dict[str, Any]:
    """Horizontal bars of the councils, largest first, with Wales as a vertical reference line."""
    values = measure.get("values") or []
    drawn = sorted((v for v in values if v.get("value") is not None),
                   key=lambda v: (-v["value"], v.get("area_name_en") or ""))
    missing = [v for v in values if v.get("value") is None]
    wales = measure.get("wales_value")
    numbers = [v["value"] for v in drawn] + ([wales] if wales is not None else []) + [0.0]
    lo, hi, ticks = _scale(min(numbers), max(numbers))
    plot = CHART_WIDTH - MEASURE_LEFT - MEASURE_RIGHT

    def x(value: float) -> float:
        return round(MEASURE_LEFT + (value - lo) / (hi - lo) * plot, 1)

    zero, bottom = x(0.0), MEASURE_TOP + max(len(drawn), 1) * MEASURE_ROW
    bars = []
    for i, v in enumerate(drawn):
        end, top = x(v["value"]), MEASURE_TOP + i * MEASURE_ROW
        bars.append({**v, "x": min(zero, end), "w": max(abs(end - zero), 1.0), "y": top + 3,
                     "h": MEASURE_ROW - 6, "text_y": top + MEASURE_ROW / 2 + 4,
                     "value_x": end + 4 if v["value"] >= 0 else end - 4,
                     "value_anchor": "start" if v["value"] >= 0 else "end"})
    line = None
    if wales is not None:
        wx = x(wales)
        side = "end" if wx > CHART_WIDTH - 160 else "start" if wx < MEASURE_LEFT + 160 else "middle"
        line = {"x": wx, "y1": MEASURE_TOP - 10, "y2": bottom, "anchor": side}
    return {**measure, "anchor": anchor, "width": CHART_WIDTH, "height": bottom + MEASURE_BOTTOM,
            "left": MEASURE_LEFT, "zero": zero, "top": MEASURE_TOP, "bottom": bottom, "bars": bars,
            "missing": missing, "wales_line": line,
            "ticks": [{"x": x(t), "text": format_number(t)} for t in ticks]}


# ---- assembling -----------------------------------------------------------------------------


def _context(report: dict[str, Any]) -> dict[str, Any]:
    anchors = _Anchors()
    for fixed in ("summary", "sources", "changes", "charts", "checks", "failing-examples", "revisions"):
        anchors.new(fixed)
    groups = _checks(report, anchors)
    return {
        "release": _release(report["release"]),
        "summary": _summary(report["summary"], report["principles"]),
        "sources": _sources(report["sources"]),
        "changes": _changes(report),
        "history_chart": _history_chart(report["principle_history"], report["principles"]),
        "measure_charts": [_measure_chart(m, anchors.new(f"chart-{m.get('series') or i}"))
                           for i, m in enumerate(report["measure_charts"])],
        "groups": groups,
        "failing": [c for g in groups for c in g["checks"] if c["examples_anchor"]],
        "revisions": data_table(report["revisions"]),
        "revised": len(report["revisions"]),
        # The Welsh sentences come from the gate registry, which says whether a translator has
        # reviewed them; unless the caller says they were, the report says they were not.
        "welsh_reviewed": report.get("welsh_status") == "reviewed",
    }
