"""Every fail fixture trips exactly its checks and is quarantined; every pass fixture loads."""

from __future__ import annotations

import csv
import hashlib
import stat
import sys
from collections import Counter
from pathlib import Path

import pytest
from returns_support import CARDIFF, FIXTURES, audit_count, raw_rows

from sources.returns import process_file
from sources.returns.problems import WARNINGS, check_ids

FAIL: dict[str, tuple[str | None, list[tuple[str, int | None, str | None]]]] = {
    "all_at_once.csv": (None, [
        ("unknown_council", 2, "council_code"), ("unknown_measure", 3, "measure_id"),
        ("malformed_period", 3, "period"), ("non_numeric_value", 3, "value"),
        ("value_and_marker_both_present", 4, "value"), ("numerator_denominator_inconsistent", 4, "numerator"),
        ("value_and_marker_both_missing", 5, "value"), ("duplicate_row", 7, "measure_id")]),
    "council_mismatch.csv": (None, [("council_mismatch", 4, "council_code")]),
    "duplicate_column.csv": (None, [("duplicate_column", 1, "value")]),
    "duplicate_row.csv": (None, [("duplicate_row", 7, "measure_id")]),
    "empty_file.csv": (None, [("empty_file", None, None)]),
    "empty_file.xlsx": (None, [("empty_file", None, None)]),
    "formula_cell.xlsx": (None, [("formula_cell", 2, "value"), ("formula_cell", 4, "numerator")]),
    "macros_not_accepted.xlsm": (None, [("macros_not_accepted", None, None)]),
    "malformed_period.csv": (None, [("malformed_period", 2, "period"), ("malformed_period", 3, "period"),
                                    ("malformed_period", 4, "period")]),
    "missing_columns.csv": (None, [("missing_columns", 1, "measure_id"), ("missing_columns", 1, "value")]),
    "negative_value.csv": (None, [("negative_value", 2, "value"), ("negative_value", 3, "numerator"),
                                  ("negative_value", 3, "denominator")]),
    "non_numeric_value.csv": (None, [("non_numeric_value", 2, "value"), ("non_numeric_value", 3, "value"),
                                     ("non_numeric_value", 4, "numerator")]),
    "numerator_denominator_inconsistent.csv": (None, [
        ("numerator_denominator_inconsistent", 2, "value"),
        ("numerator_denominator_inconsistent", 3, "numerator"),
        ("numerator_denominator_inconsistent", 4, "denominator"),
        ("numerator_denominator_inconsistent", 5, "numerator")]),
    "percentage_out_of_range.csv": (None, [("percentage_out_of_range", 3, "value"),
                                           ("percentage_out_of_range", 4, "value")]),
    "period_outside_collection.csv": (None, [("period_outside_collection", 6, "period"),
                                             ("period_outside_collection", 7, "period")]),
    "ragged_row.csv": (None, [("ragged_row", 3, None)]),
    "sheet_not_found.xlsx": ("Returns 2024-25", [("sheet_not_found", None, None)]),
    "unknown_council.csv": (None, [("unknown_council", 3, "council_code"),
                                   ("unknown_council", 4, "council_code")]),
    "unknown_marker.csv": (None, [("unknown_marker", 4, "marker"), ("unknown_marker", 6, "marker")]),
    "unknown_measure.csv": (None, [("unknown_measure", 2, "measure_id"),
                                   ("unknown_measure", 5, "measure_id")]),
    "unreadable_encoding.csv": (None, [("unreadable_encoding", None, None)]),
    "unreadable_file.xlsx": (None, [("unreadable_file", None, None)]),
    "unsupported_file_type.xls": (None, [("unsupported_file_type", None, None)]),
    "value_and_marker_both_missing.csv": (None, [("value_and_marker_both_missing", 5, "value")]),
    "value_and_marker_both_present.csv": (None, [("value_and_marker_both_present", 3, "value")]),
    "xlsx_decompression_limit.xlsx": (None, [("xlsx_decompression_limit", None, None)]),
}

PASS: dict[str, tuple[str | None, list[tuple[str, int | None, str | None]]]] = {
    "good.csv": (None, []),
    "good_bom.csv": (None, []),
    "good.xlsx": (None, []),
    "blank_rows.csv": (None, []),
    "markers.csv": (None, []),
    "named_sheet.xlsx": ("return 2024-25", []),
    "unknown_column.csv": (None, [("unknown_column", 1, "comments")]),
    "windows_1252_encoding.csv": (None, [("windows_1252_encoding", None, None)]),
}


def test_every_fixture_is_listed_and_every_check_has_a_fail_fixture():
    assert {p.name for p in (FIXTURES / "fail").iterdir()} == set(FAIL)
    assert {p.name for p in (FIXTURES / "pass").iterdir()} == set(PASS)
    tripped = {p.name.split(".")[0] for p in (FIXTURES / "fail").iterdir()} - {"all_at_once"}
    # file_too_large needs a file over the limit: it is exercised in test_returns_safety;
    # sheet_too_large needs a hostile workbook, built in test_returns_sheets.
    assert tripped == check_ids() - WARNINGS - {"file_too_large", "sheet_too_large"}


def test_committed_fixtures_match_their_builder(tmp_path):
    sys.path.insert(0, str(FIXTURES))
    try:
        import build_fixtures
    finally:
        sys.path.remove(str(FIXTURES))
    build_fixtures.build(tmp_path)
    for folder in ("pass", "fail"):
        for built in (tmp_path / folder).iterdir():
            assert built.read_bytes() == (FIXTURES / folder / built.name).read_bytes(), built.name


@pytest.mark.parametrize("name", sorted(FAIL))
def test_broken_return_is_quarantined_with_every_problem_and_warehouse_unchanged(name, settings, con, config):
    process_file(FIXTURES / "pass" / "good.csv", settings, CARDIFF, con, config=config)
    before = raw_rows(con)
    sheet, expected = FAIL[name]

    submission = process_file(FIXTURES / "fail" / name, settings, CARDIFF, con, sheet=sheet, config=config)

    assert submission.status == "quarantined"
    assert Counter((p.check, p.row, p.column) for p in submission.errors) == Counter(expected)
    for problem in submission.problems:
        assert problem.file == name
        assert problem.message_en and problem.message_cy and problem.message_en != problem.message_cy
        if problem.row and problem.column and problem.check != "missing_columns":
            assert problem.cell and problem.cell.endswith(str(problem.row))
    assert raw_rows(con) == before
    statuses = con.execute(
        "SELECT file_name, status FROM audit.submission_status ORDER BY received_at").fetchall()
    assert statuses == [("good.csv", "accepted"), (name, "quarantined")]
    assert audit_count(con, "audit.submission_problems") == len(submission.problems)

    folder = settings.quarantine / submission.submission_id
    assert (folder / name).read_bytes() == (FIXTURES / "fail" / name).read_bytes()
    with (folder / "feedback.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(r["check"], r["row"], r["column"]) for r in lines] == [
        (p.check, str(p.row or ""), p.column or "") for p in submission.problems]
    page = (folder / "feedback.html").read_text(encoding="utf-8")
    assert 'lang="cy"' in page and "Heb ei derbyn" in page


def test_all_at_once_locates_each_cell(settings, con, config):
    submission = process_file(FIXTURES / "fail" / "all_at_once.csv", settings, CARDIFF, con, config=config)
    assert [p.cell for p in submission.errors] == ["A2", "B3", "C3", "D3", "D4", "E4", "D5", "B7"]


def test_formula_is_reported_as_written_never_evaluated(settings, con, config):
    submission = process_file(FIXTURES / "fail" / "formula_cell.xlsx", settings, CARDIFF, con, config=config)
    assert [(p.value, p.sheet) for p in submission.errors] == [("=45000/4200", "return"),
                                                              ("=SUM(1000,768)", "return")]
    assert raw_rows(con) == []


@pytest.mark.parametrize("name", sorted(PASS))
def test_good_return_loads_with_provenance(name, settings, con, config):
    sheet, expected = PASS[name]
    path = FIXTURES / "pass" / name
    submission = process_file(path, settings, CARDIFF, con, sheet=sheet, config=config)

    assert submission.status == "accepted", submission.errors
    assert [(p.check, p.row, p.column) for p in submission.warnings] == expected
    assert (submission.council_code, submission.collection, submission.rows_loaded) == (CARDIFF, "2024-25", 5)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    rows = con.execute(
        "SELECT DISTINCT council_code, collection, submission_id, _archive_sha256, _source_url, "
        "_retrieved_at IS NOT NULL, _loaded_at IS NOT NULL FROM raw.council__returns").fetchall()
    assert rows == [(CARDIFF, "2024-25", submission.submission_id, sha, f"file://intake/{name}", True, True)]
    archived = settings.archive / "council" / "returns" / f"{sha}.{path.suffix[1:]}"
    assert archived.read_bytes() == path.read_bytes()
    assert not archived.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert (submission.feedback_dir / "feedback.html").exists()
    assert audit_count(con, "audit.submission_problems") == len(expected)


def test_blank_rows_keep_the_row_numbers_a_council_sees(settings, con, config):
    process_file(FIXTURES / "pass" / "blank_rows.csv", settings, CARDIFF, con, config=config)
    rows = con.execute("SELECT source_row FROM raw.council__returns ORDER BY source_row").fetchall()
    assert [r[0] for r in rows] == [2, 4, 6, 7, 8]


def test_markers_and_welsh_text_load_as_given(settings, con, config):
    process_file(FIXTURES / "pass" / "markers.csv", settings, CARDIFF, con, config=config)
    rows = con.execute("SELECT measure_id, value, marker, note FROM raw.council__returns "
                       "WHERE marker IS NOT NULL ORDER BY measure_id").fetchall()
    assert rows == [("PAM/010", None, "[x]", "Heb ei gasglu eleni – ŵ ŷ"), ("PAM/018", None, "[c]", None),
                    ("PAM/023", None, "[z]", "not applicable")]


def test_windows_1252_text_is_decoded(settings, con, config):
    process_file(FIXTURES / "pass" / "windows_1252_encoding.csv", settings, CARDIFF, con, config=config)
    notes = con.execute("SELECT DISTINCT note FROM raw.council__returns").fetchall()
    assert notes == [("café – estimated",)]


def test_council_is_taken_from_the_rows_when_the_submitter_is_unknown(settings, con, config):
    submission = process_file(FIXTURES / "pass" / "good.csv", settings, None, con, config=config)
    outcome = (submission.status, submission.council_code, submission.submitted_by)
    assert outcome == ("accepted", CARDIFF, None)


def test_unknown_submitting_council_is_refused(settings, con, config):
    with pytest.raises(ValueError, match="not the GSS code"):
        process_file(FIXTURES / "pass" / "good.csv", settings, "W06000007", con, config=config)


def test_a_file_outside_the_intake_can_be_processed_directly(tmp_path, settings, con, config):
    copy = Path(tmp_path / "copy.csv")
    copy.write_bytes((FIXTURES / "pass" / "good.csv").read_bytes())
    assert process_file(copy, settings, CARDIFF, con, config=config).status == "accepted"


def test_a_quote_left_open_is_reported_not_swallowed(tmp_path, settings, con, config):
    text = (FIXTURES / "pass" / "good.csv").read_bytes().replace(b"W06000015,PAM/043", b'"W06000015,PAM/043')
    path = tmp_path / "open-quote.csv"
    path.write_bytes(text)
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert [p.check for p in submission.errors] == ["unreadable_file"]
    assert "row 6" in submission.errors[0].message_en


def test_a_return_without_a_measure_is_accepted_and_the_council_is_told(tmp_path, settings, con, config):
    lines = (FIXTURES / "pass" / "good.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    partial = tmp_path / "no_pam043.csv"
    partial.write_text("".join(line for line in lines if ",PAM/043," not in line), encoding="utf-8")
    submission = process_file(partial, settings, CARDIFF, con, config=config)
    assert submission.status == "accepted" and submission.rows_loaded == 4
    (warning,) = submission.warnings
    assert warning.check == "missing_measure"
    assert "PAM/043" in warning.message_en and "PAM/043" in warning.message_cy
    assert "Residual household waste" in warning.message_en and "Gwastraff gweddilliol" in warning.message_cy
    assert "missing_measure" in (submission.feedback_dir / "feedback.csv").read_text(encoding="utf-8-sig")
