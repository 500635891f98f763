"""Resubmissions supersede and record revisions; identical files are recognised and ignored."""

from __future__ import annotations

import html

from returns_support import CARDIFF, FIXTURES, SWANSEA, audit_count, raw_rows, variant

from sources.returns import list_submissions, process_file

GOOD = FIXTURES / "pass" / "good.csv"


def _revised(tmp_path):
    """PAM/001 changed, PAM/023 dropped, PAM/043 withheld with [x]."""
    return variant(tmp_path, "cardiff-revised.csv", {
        "PAM/001,2024-25,10.7,45000,4200": "PAM/001,2024-25,10.9,45780,4200",
        "W06000015,PAM/023,2024-25,96.5,1930,2000,,\r\n": "",
        "PAM/043,2024-25,180.2,65000000,360700,,": "PAM/043,2024-25,,,,[x],"})


def test_resubmission_supersedes_and_records_revisions(tmp_path, settings, con, config):
    first = process_file(GOOD, settings, CARDIFF, con, config=config)
    second = process_file(_revised(tmp_path), settings, CARDIFF, con, config=config)

    assert (second.status, second.supersedes) == ("accepted", first.submission_id)
    changes = con.execute(
        "SELECT submission_id, supersedes, measure_id, period, change, old_value, new_value, old_marker, "
        "new_marker FROM audit.submission_revisions ORDER BY measure_id").fetchall()
    ids = (second.submission_id, first.submission_id)
    assert changes == [(*ids, "PAM/001", "2024-25", "changed", 10.7, 10.9, None, None),
                       (*ids, "PAM/023", "2024-25", "removed", 96.5, None, None, None),
                       (*ids, "PAM/043", "2024-25", "changed", 180.2, None, None, "[x]")]
    assert [r["measure_id"] for r in second.revisions] == ["PAM/001", "PAM/023", "PAM/043"]
    loaded = con.execute("SELECT DISTINCT submission_id FROM raw.council__returns").fetchall()
    assert loaded == [(second.submission_id,)]
    assert len(raw_rows(con)) == 4

    listed = {s["submission_id"]: s for s in list_submissions(con, CARDIFF)}
    assert listed[first.submission_id]["status"] == "superseded"
    assert listed[first.submission_id]["superseded_by"] == second.submission_id
    assert listed[second.submission_id]["status"] == "accepted"
    assert audit_count(con) == 2  # append-only: supersession is derived, never an update
    page = html.unescape((second.feedback_dir / "feedback.html").read_text(encoding="utf-8"))
    assert "Newidiadau o'ch ffurflen flaenorol" in page and first.submission_id in page


def test_identical_file_twice_is_a_duplicate_and_ignored(settings, con, config):
    first = process_file(GOOD, settings, CARDIFF, con, config=config)
    before = raw_rows(con)
    again = process_file(GOOD, settings, CARDIFF, con, config=config)

    assert (again.status, again.duplicate_of) == ("duplicate", first.submission_id)
    assert (again.council_code, again.collection) == (CARDIFF, "2024-25")
    assert raw_rows(con) == before
    assert audit_count(con, "audit.submission_revisions") == 0
    statuses = [(s["submission_id"], s["status"]) for s in list_submissions(con)]
    assert statuses == [(first.submission_id, "accepted"), (again.submission_id, "duplicate")]
    assert "Anwybyddwyd" in (again.feedback_dir / "feedback.html").read_text(encoding="utf-8")


def test_identical_broken_file_twice_is_a_duplicate(settings, con, config):
    broken = FIXTURES / "fail" / "duplicate_row.csv"
    first = process_file(broken, settings, CARDIFF, con, config=config)
    again = process_file(broken, settings, CARDIFF, con, config=config)
    outcome = (first.status, again.status, again.duplicate_of)
    assert outcome == ("quarantined", "duplicate", first.submission_id)
    assert not (settings.quarantine / again.submission_id).exists()


def test_resending_a_superseded_return_reverts_rather_than_duplicates(tmp_path, settings, con, config):
    first = process_file(GOOD, settings, CARDIFF, con, config=config)
    second = process_file(_revised(tmp_path), settings, CARDIFF, con, config=config)
    third = process_file(GOOD, settings, CARDIFF, con, config=config)
    assert (third.status, third.supersedes) == ("accepted", second.submission_id)
    assert [s["status"] for s in list_submissions(con)] == ["superseded", "superseded", "accepted"]
    assert first.archive_sha256 == third.archive_sha256


def test_quarantined_resubmission_leaves_the_accepted_return_in_place(settings, con, config):
    first = process_file(GOOD, settings, CARDIFF, con, config=config)
    process_file(FIXTURES / "fail" / "unknown_measure.csv", settings, CARDIFF, con, config=config)
    current = [s for s in list_submissions(con) if s["status"] == "accepted"]
    assert [s["submission_id"] for s in current] == [first.submission_id]


def test_other_councils_and_collections_are_separate(tmp_path, settings, con, config):
    process_file(GOOD, settings, CARDIFF, con, config=config)
    swansea = variant(tmp_path, "swansea.csv", {"W06000015": SWANSEA})
    earlier = variant(tmp_path, "cardiff-2023.csv", {"2024-25": "2023-24"})
    assert process_file(swansea, settings, SWANSEA, con, config=config).supersedes is None
    assert process_file(earlier, settings, CARDIFF, con, config=config).supersedes is None
    assert len(raw_rows(con)) == 15
    assert {s["council_code"] for s in list_submissions(con, SWANSEA)} == {SWANSEA}
    assert len(list_submissions(con, CARDIFF)) == 2


def test_list_submissions_is_json_ready_and_empty_on_a_new_warehouse(settings, con, config):
    import json

    assert list_submissions(con) == []
    process_file(GOOD, settings, CARDIFF, con, config=config)
    listed = list_submissions(con)
    assert json.loads(json.dumps(listed)) == listed
