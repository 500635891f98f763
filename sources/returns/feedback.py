"""The report a council gets back for every file: `feedback.csv` and a bilingual `feedback.html`.

Everything taken from the file is escaped in the HTML, and cells that a spreadsheet would read
as a formula are neutralised in the CSV, since councils open both.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from sources.i18n import N_, both
from sources.i18n import gettext as _
from sources.returns.problems import Problem
from sources.returns.reference import COUNCILS
from sources.returns.submission import Submission

CSV_COLUMNS = ("submission_id", "severity", "check", "file", "sheet", "row", "column", "cell", "value",
               "message_en", "message_cy")
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;"
          "color:#0b0c0c;line-height:1.4}table{border-collapse:collapse;width:100%;margin:1rem 0}"
          "th,td{border:1px solid #b1b4b6;padding:.4rem .5rem;text-align:left;vertical-align:top}"
          "th{background:#f3f2f1}.status{font-size:1.2rem;padding:.8rem;border-left:6px solid}"
          ".accepted{border-color:#00703c}.quarantined{border-color:#d4351c}"
          ".duplicate{border-color:#505a5f}dt{font-weight:bold}dd{margin:0 0 .4rem}")


def _spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(path: Path, submission: Submission) -> None:
    """One line per problem, UTF-8 with a byte order mark so Excel shows Welsh letters."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for p in submission.problems:
            writer.writerow([_spreadsheet_safe(v) for v in (
                submission.submission_id, p.severity, p.check, p.file, p.sheet, p.row, p.column,
                p.cell, p.value, p.message_en, p.message_cy)])


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _status(s: Submission) -> tuple[str, str]:
    if s.status == "accepted":
        en, cy = both(N_("Accepted: {rows} rows were loaded."), rows=s.rows_loaded)
        if s.supersedes:
            more = both(N_("This return replaces submission {submission}."), submission=s.supersedes)
            en, cy = f"{en} {more[0]}", f"{cy} {more[1]}"
        return en, cy
    if s.status == "duplicate":
        return both(N_("Ignored: this file is identical to submission {submission}, already received."),
                    submission=s.duplicate_of)
    return both(N_("Not accepted: {count} problem(s) to fix. Nothing from this file was loaded; correct "
                   "every problem below and send the whole file again."), count=f"{s.error_count:,}")


def _pair(msgid: str) -> str:
    """'English / Cymraeg' of a heading."""
    return " / ".join(both(msgid))


def _problem_table(problems: list[Problem]) -> str:
    head = "".join(f"<th>{_e(_pair(h))}</th>" for h in (N_("Row"), N_("Column"), N_("Cell"), N_("Value")))
    # Words are kept out of f-strings: the catalogue's extractor does not look inside them.
    problem_en, problem_cy = _("Problem", "en"), _("Problem (Welsh)", "cy")
    head = (f"<tr>{head}<th>{_e(problem_en)}</th>"
            f"<th lang=\"cy\">{_e(problem_cy)}</th></tr>")
    body = "".join(
        f"<tr><td>{_e(p.row)}</td><td>{_e(p.column)}</td><td>{_e(p.cell)}</td><td>{_e(p.value)}</td>"
        f"<td lang=\"en\">{_e(p.message_en)}</td><td lang=\"cy\">{_e(p.message_cy)}</td></tr>"
        for p in problems)
    return f"<table>{head}{body}</table>"


def _revision_table(s: Submission) -> str:
    if not s.revisions:
        return ""
    rows = "".join(f"<tr><td>{_e(r['measure_id'])}</td><td>{_e(r['period'])}</td>"
                   f"<td>{_e(r['old_value'] if r['old_marker'] is None else r['old_marker'])}</td>"
                   f"<td>{_e(r['new_value'] if r['new_marker'] is None else r['new_marker'])}</td></tr>"
                   for r in s.revisions)
    head = "".join(f"<th>{_e(_pair(h))}</th>"
                   for h in (N_("Measure"), N_("Period"), N_("Before"), N_("Now")))
    heading = _pair(N_("Changes from your previous return"))
    return (f"<h2>{_e(heading)}</h2><table>"
            f"<tr>{head}</tr>{rows}</table>")


def render_html(s: Submission) -> str:
    """A self-contained bilingual page (English and Welsh side by side)."""
    en, cy = _status(s)
    names = " / ".join(n for n in COUNCILS.get(s.council_code or "", ()) if n)
    sent = s.original_name if s.original_name != s.file_name else None
    unknown = _pair(N_("unknown"))
    fix, warnings, title = _pair(N_("What to fix")), _pair(N_("Warnings")), _pair(N_("Return feedback"))
    heading_en, heading_cy = _("Feedback on your return", "en"), _("Feedback on your return", "cy")
    facts = [(_pair(N_("File")), s.file_name), (_pair(N_("Name as sent")), sent),
             (_pair(N_("Sheet")), s.sheet),
             (_pair(N_("Council")), f"{s.council_code or unknown} {names}"),
             (_pair(N_("Collection")), s.collection), (_pair(N_("Submission")), s.submission_id),
             (_pair(N_("Received")), s.received_at.isoformat(timespec="seconds")),
             ("SHA-256", s.archive_sha256)]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
    parts = [f"<p class=\"status {_e(s.status)}\">{_e(en)}<br><span lang=\"cy\">{_e(cy)}</span></p>",
             f"<dl>{dl}</dl>"]
    if s.errors:
        parts.append(f"<h2>{_e(fix)}</h2>" + _problem_table(s.errors))
    if s.warnings:
        parts.append(f"<h2>{_e(warnings)}</h2>" + _problem_table(s.warnings))
    parts.append(_revision_table(s))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}: {_e(s.file_name)}</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>{_e(heading_en)} "
            f"<span lang=\"cy\">/ {_e(heading_cy)}</span></h1>"
            + "".join(parts) + "</body></html>\n")


def write_feedback(directory: Path, submission: Submission) -> Path:
    """Write `feedback.csv` and `feedback.html` into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "feedback.csv", submission)
    (directory / "feedback.html").write_text(render_html(submission), encoding="utf-8")
    return directory
