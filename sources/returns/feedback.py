"""The report a council gets back for every file: `feedback.csv` and a bilingual `feedback.html`.

Everything taken from the file is escaped in the HTML, and cells that a spreadsheet would read
as a formula are neutralised in the CSV, since councils open both.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

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
        en, cy = (f"Accepted: {s.rows_loaded} rows were loaded.",
                  f"Derbyniwyd: llwythwyd {s.rows_loaded} rhes.")
        if s.supersedes:
            en += f" This return replaces submission {s.supersedes}."
            cy += f" Mae'r ffurflen hon yn disodli cyflwyniad {s.supersedes}."
        return en, cy
    if s.status == "duplicate":
        return (f"Ignored: this file is identical to submission {s.duplicate_of}, already received.",
                f"Anwybyddwyd: mae'r ffeil hon yn union yr un fath â chyflwyniad {s.duplicate_of}, "
                "a dderbyniwyd eisoes.")
    n = f"{s.error_count:,}"
    return (f"Not accepted: {n} problem(s) to fix. Nothing from this file was loaded; correct every "
            "problem below and send the whole file again.",
            f"Heb ei derbyn: {n} problem i'w cywiro. Ni lwythwyd dim o'r ffeil hon; cywirwch bob "
            "problem isod ac anfonwch y ffeil gyfan eto.")


def _problem_table(problems: list[Problem]) -> str:
    head = ("<tr><th>Row / Rhes</th><th>Column / Colofn</th><th>Cell / Cell</th>"
            "<th>Value / Gwerth</th><th>Problem</th><th lang=\"cy\">Problem (Cymraeg)</th></tr>")
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
    return ("<h2>Changes from your previous return / Newidiadau o'ch ffurflen flaenorol</h2><table>"
            "<tr><th>Measure / Mesur</th><th>Period / Cyfnod</th><th>Before / Cynt</th>"
            f"<th>Now / Nawr</th></tr>{rows}</table>")


def render_html(s: Submission) -> str:
    """A self-contained bilingual page (English and Welsh side by side)."""
    en, cy = _status(s)
    names = " / ".join(n for n in COUNCILS.get(s.council_code or "", ()) if n)
    sent = s.original_name if s.original_name != s.file_name else None
    facts = [("File / Ffeil", s.file_name), ("Name as sent / Enw fel y'i anfonwyd", sent),
             ("Sheet / Dalen", s.sheet),
             ("Council / Cyngor", f"{s.council_code or 'unknown / anhysbys'} {names}"),
             ("Collection / Casgliad", s.collection), ("Submission / Cyflwyniad", s.submission_id),
             ("Received / Derbyniwyd", s.received_at.isoformat(timespec="seconds")),
             ("SHA-256", s.archive_sha256)]
    dl = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts if v)
    parts = [f"<p class=\"status {_e(s.status)}\">{_e(en)}<br><span lang=\"cy\">{_e(cy)}</span></p>",
             f"<dl>{dl}</dl>"]
    if s.errors:
        parts.append("<h2>What to fix / Beth i'w gywiro</h2>" + _problem_table(s.errors))
    if s.warnings:
        parts.append("<h2>Warnings / Rhybuddion</h2>" + _problem_table(s.warnings))
    parts.append(_revision_table(s))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Return feedback / Adborth ar y ffurflen: {_e(s.file_name)}</title>"
            f"<style>{_STYLE}</style></head><body>"
            "<h1>Feedback on your return <span lang=\"cy\">/ Adborth ar eich ffurflen</span></h1>"
            + "".join(parts) + "</body></html>\n")


def write_feedback(directory: Path, submission: Submission) -> Path:
    """Write `feedback.csv` and `feedback.html` into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_csv(directory / "feedback.csv", submission)
    (directory / "feedback.html").write_text(render_html(submission), encoding="utf-8")
    return directory
