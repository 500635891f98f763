"""The intake folder: submit, list what waits, process it all and keep processed files aside."""

from __future__ import annotations

import os
import shutil
import time

from returns_support import CARDIFF, FIXTURES, SWANSEA, raw_rows, variant

from sources.returns import council_from_name, new_intake_files, scan_intake, submit


def test_submit_then_scan_processes_each_file_once(tmp_path, settings, con, config):
    cardiff = submit(FIXTURES / "pass" / "good.csv", CARDIFF, settings, config)
    swansea = submit(variant(tmp_path, "swansea.csv", {"W06000015": SWANSEA}), SWANSEA, settings, config)
    assert council_from_name(cardiff.name) == CARDIFF and council_from_name(swansea.name) == SWANSEA

    done = scan_intake(settings, con, config)

    assert [(s.status, s.council_code, s.submitted_by) for s in done] == [
        ("accepted", CARDIFF, CARDIFF), ("accepted", SWANSEA, SWANSEA)]
    assert [p.name for p in settings.intake.iterdir() if p.is_file()] == []
    for submission, original in zip(done, (cardiff, swansea), strict=True):
        folder = settings.intake / "processed" / submission.submission_id
        assert sorted(p.name for p in folder.iterdir()) == sorted([original.name, "feedback.csv",
                                                                   "feedback.html"])
    assert scan_intake(settings, con, config) == []
    assert len(raw_rows(con)) == 10


def test_a_file_submitted_for_the_wrong_council_is_quarantined(settings, con, config):
    submit(FIXTURES / "pass" / "good.csv", SWANSEA, settings, config)
    [submission] = scan_intake(settings, con, config)
    assert submission.status == "quarantined"
    assert {p.check for p in submission.errors} == {"council_mismatch"}
    assert len(submission.errors) == 5
    assert (settings.quarantine / submission.submission_id / "feedback.html").exists()


def test_a_file_dropped_without_a_council_is_processed_from_its_rows(settings, con, config):
    settings.intake.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "pass" / "good.csv", settings.intake / "cardiff.csv")
    [submission] = scan_intake(settings, con, config)
    outcome = (submission.status, submission.council_code, submission.submitted_by)
    assert outcome == ("accepted", CARDIFF, None)


def test_new_intake_files_honours_seen_settling_and_ignores_hidden_things(settings, config):
    assert new_intake_files(settings, set(), config) == []
    first = submit(FIXTURES / "pass" / "good.csv", CARDIFF, settings, config)
    second = submit(FIXTURES / "pass" / "good.xlsx", CARDIFF, settings, config)
    os.utime(first, (time.time() - 10, time.time() - 10))
    (settings.intake / ".partial.csv").write_text("x")
    (settings.intake / "folder").mkdir()

    assert new_intake_files(settings, set(), config) == [first, second]
    assert new_intake_files(settings, {first.name}, config) == [second]
    settling = config.__class__(settle_seconds=5)
    assert new_intake_files(settings, set(), settling) == [first]
    assert new_intake_files(settings, set(), settling, now=time.time() + 60) == [first, second]


def test_a_submitted_file_is_read_at_once_while_a_copied_one_settles(settings, config):
    """`submit` moves a complete file in, so an intake run started at once (`submit --process`)
    takes it; a file copied in by hand still waits `settle_seconds` unchanged."""
    settling = config.__class__(settle_seconds=30)
    submitted = submit(FIXTURES / "pass" / "good.csv", CARDIFF, settings, settling)
    copied = settings.intake / "good_copy.csv"
    shutil.copyfile(FIXTURES / "pass" / "good.csv", copied)
    assert new_intake_files(settings, set(), settling) == [submitted]
    assert new_intake_files(settings, set(), settling, now=time.time() + 60) == [submitted, copied]
