"""Feedback reports are bilingual, escape everything from the file and are safe to open in Excel."""

from __future__ import annotations

import csv

from returns_support import CARDIFF, FIXTURES, variant

from sources.returns import process_file


def test_html_escapes_what_the_file_says(tmp_path, settings, con, config):
    path = variant(tmp_path, "x<b>.csv", {"10.7,45000,4200": '"<script>alert(1)</script>",,'})
    submission = process_file(path, settings, CARDIFF, con, config=config)
    page = (submission.feedback_dir / "feedback.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x_b_.csv" in page


def test_csv_neutralises_cells_a_spreadsheet_would_run(tmp_path, settings, con, config):
    path = variant(tmp_path, "formula.csv", {"10.7,45000,4200": '"=HYPERLINK(""http://x"")",,'})
    submission = process_file(path, settings, CARDIFF, con, config=config)
    with (submission.feedback_dir / "feedback.csv").open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["value"] == "'=HYPERLINK(\"http://x\")"
    assert row["check"] == "non_numeric_value" and row["cell"] == "D2"
    assert row["message_cy"].startswith("Nid yw")


def test_accepted_report_says_so_in_both_languages(settings, con, config):
    submission = process_file(FIXTURES / "pass" / "good.csv", settings, CARDIFF, con, config=config)
    page = (submission.feedback_dir / "feedback.html").read_text(encoding="utf-8")
    assert "Accepted: 5 rows were loaded." in page and "Derbyniwyd: llwythwyd 5 rhes." in page
    assert "Cardiff / Caerdydd" in page
    with (submission.feedback_dir / "feedback.csv").open(encoding="utf-8-sig") as handle:
        assert len(handle.read().splitlines()) == 1


def test_problems_are_recorded_in_the_audit_trail(settings, con, config):
    submission = process_file(FIXTURES / "fail" / "all_at_once.csv", settings, CARDIFF, con, config=config)
    rows = con.execute('SELECT check_name, "row", "column", cell, message_en, message_cy '
                       "FROM audit.submission_problems WHERE submission_id = ? ORDER BY \"row\", cell",
                       [submission.submission_id]).fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (p.check, p.row, p.column, p.cell)
        # as the warehouse orders them: rows first, file-wide problems (no row) last
        for p in sorted(submission.problems, key=lambda p: (p.row is None, p.row or 0, p.cell or ""))]
    assert all(r[4] and r[5] for r in rows)
    feedback = con.execute("SELECT feedback_path FROM audit.submissions").fetchone()[0]
    assert feedback == f"quarantine/{submission.submission_id}"
