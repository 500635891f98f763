"""The `return_accepted` gate over real intake outcomes: passed, warned, or not applicable."""

from __future__ import annotations

from returns_support import CARDIFF, FIXTURES, GOOD_CSV

from sources.returns import process_file
from sources.returns.intake_gate import quarantine_summary, return_accepted

ASSET = "raw/council__returns"


def test_an_intake_with_a_quarantined_return_warns_naming_council_file_and_report(
        settings, con, config):
    good = process_file(GOOD_CSV, settings, CARDIFF, con, config=config)
    bad = process_file(FIXTURES / "fail" / "negative_value.csv", settings, CARDIFF, con, config=config)
    assert (good.status, bad.status) == ("accepted", "quarantined")

    result = return_accepted([good, bad], ASSET)
    assert (result.passed, result.outcome, result.examined) == (False, "warned", 2)
    assert result.observed == {"submissions": 2, "quarantined": 1,
                               "by_status": {"accepted": 1, "quarantined": 1}}
    [example] = result.failing_examples
    report = bad.feedback_dir / "feedback.html"
    assert report.exists()
    assert example == {"submission_id": bad.submission_id, "council": CARDIFF,
                       "file": "negative_value.csv", "errors": bad.error_count,
                       "first_error": bad.errors[0].message_en, "feedback_report": str(report)}
    summary = quarantine_summary(result)
    assert summary.startswith("1 of 2 return(s) taken in quarantined")
    assert f"negative_value.csv from {CARDIFF}: {bad.error_count} error(s)" in summary
    assert str(report) in summary


def test_an_intake_of_accepted_returns_passes_and_of_none_is_not_applicable(settings, con, config):
    good = process_file(GOOD_CSV, settings, CARDIFF, con, config=config)
    passed = return_accepted([good], ASSET)
    assert (passed.outcome, quarantine_summary(passed)) == ("passed", None)
    assert return_accepted([], ASSET).outcome == "not_applicable"
