"""A name in any alphabet: stored under a safe name, recorded as sent, and the file still read."""

from __future__ import annotations

import shutil

import pytest
from returns_support import CARDIFF, FIXTURES, GOOD_CSV, GOOD_XLSX, raw_rows

from sources.returns import list_submissions, process_file, scan_intake, submit
from sources.returns.safety import safe_name


@pytest.mark.parametrize(("name", "stored"), [
    ("Ôô.csv", "Oo.csv"),
    ("Caerdydd ŵyn.csv", "Caerdydd_wyn.csv"),
    ("данные.csv", "return.csv"),
    ("Ôô.XLSX", "Oo.XLSX"),
])
def test_a_name_outside_ascii_is_accepted_and_recorded(name, stored, tmp_path, settings, con, config):
    path = tmp_path / name
    shutil.copyfile(GOOD_XLSX if name.lower().endswith(".xlsx") else GOOD_CSV, path)
    submission = process_file(path, settings, CARDIFF, con, config=config)

    assert submission.status == "accepted", submission.errors
    assert (submission.file_name, submission.original_name) == (stored, name)
    assert submission.file_format == stored.rpartition(".")[2].lower()
    assert len(raw_rows(con)) == 5
    recorded = con.execute("SELECT file_name, original_name, file_format FROM audit.submissions").fetchone()
    assert recorded == (stored, name, submission.file_format)
    assert [s["original_name"] for s in list_submissions(con)] == [name]
    assert name in (submission.feedback_dir / "feedback.html").read_text(encoding="utf-8")


def test_a_name_outside_ascii_survives_the_intake_folder(tmp_path, settings, con, config):
    path = tmp_path / "Ôô.csv"
    shutil.copyfile(GOOD_CSV, path)
    target = submit(path, CARDIFF, settings, config)
    assert target.name.startswith(f"{CARDIFF}__") and target.name.endswith("__Ôô.csv")

    [submission] = scan_intake(settings, con, config)

    assert submission.status == "accepted", submission.errors
    assert submission.original_name == target.name
    assert submission.file_name == safe_name(target.name) and submission.file_name.endswith("__Oo.csv")
    processed = settings.intake / "processed" / submission.submission_id
    assert (processed / submission.file_name).read_bytes() == GOOD_CSV.read_bytes()


def test_control_characters_never_reach_the_record(tmp_path, settings, con, config):
    path = tmp_path / "cardiff\u202evsc.csv"  # a right-to-left override, to disguise the extension
    shutil.copyfile(GOOD_CSV, path)
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert submission.original_name == "cardiffvsc.csv" and submission.file_name == "cardiffvsc.csv"


def test_a_warehouse_made_before_the_new_audit_columns_gains_them(tmp_path, settings, con, config):
    from sources.returns.store import ensure_tables

    ensure_tables(con)
    con.execute("DROP VIEW audit.submission_status")
    con.execute("ALTER TABLE audit.submissions DROP COLUMN original_name")
    con.execute("ALTER TABLE audit.submission_problems DROP COLUMN omitted")
    path = tmp_path / "Ôô.csv"
    shutil.copyfile(FIXTURES / "fail" / "duplicate_row.csv", path)

    submission = process_file(path, settings, CARDIFF, con, config=config)

    assert [s["original_name"] for s in list_submissions(con)] == ["Ôô.csv"]
    assert con.execute("SELECT count(*), sum(omitted) FROM audit.submission_problems").fetchone() == (
        len(submission.problems), 0)
