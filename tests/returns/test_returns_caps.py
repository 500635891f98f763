"""A file wrong on every row: problems are capped per check, and validation holds no write lock."""

from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import duckdb
from returns_support import CARDIFF, GOOD_CSV, audit_count, raw_rows

from sources.returns import intake, process_file, scan_intake, submit
from sources.returns.problems import ProblemLog, make
from sources.returns.reference import TEMPLATE_COLUMNS


def _all_errors_csv(path: Path, rows: int) -> Path:
    """A return whose every row names a measure that does not exist."""
    lines = [",".join(TEMPLATE_COLUMNS)] + [f"W06000015,PAM/9{n:03d},2024-25,1,,,," for n in range(rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def test_problems_are_capped_per_check_with_the_total_counted(tmp_path, settings, con, config):
    path = _all_errors_csv(tmp_path / "every-row.csv", 1234)
    submission = process_file(path, settings, CARDIFF, con, config=replace(config, max_problems_per_check=50))

    listed = [p for p in submission.errors if p.check == "unknown_measure"]
    assert len(listed) == 51 and [p.omitted for p in listed] == [0] * 50 + [1184]
    assert [p.row for p in listed[:50]] == list(range(2, 52))
    summary = listed[-1]
    assert (summary.row, summary.column, summary.file) == (None, None, "every-row.csv")
    assert "and 1,184 more like this" in summary.message_en and "1,234 in all" in summary.message_en
    assert "1,184 arall" in summary.message_cy and "1,234 i gyd" in summary.message_cy
    assert "first 50" in summary.message_en and "50 cyntaf" in summary.message_cy
    assert (submission.error_count, submission.warning_count) == (1234, 5)

    assert con.execute("SELECT errors, warnings FROM audit.submissions").fetchone() == (1234, 5)
    assert audit_count(con, "audit.submission_problems") == len(submission.problems) == 51 + 5
    assert con.execute("SELECT sum(omitted) FROM audit.submission_problems").fetchone() == (1184,)
    with (submission.feedback_dir / "feedback.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 51 + 5
    page = (submission.feedback_dir / "feedback.html").read_text(encoding="utf-8")
    assert "Not accepted: 1,234 problem(s)" in page and "Heb ei derbyn: 1,234 problem" in page
    assert "and 1,184 more like this" in page


def test_the_cap_is_per_check_and_zero_lists_everything():
    log = ProblemLog(2)
    for n in range(5):
        log.append(make("unknown_measure", "f.csv", row=n + 2, column="measure_id", value="X", allowed=""))
        log.append(make("malformed_period", "f.csv", row=n + 2, column="period", value="Y"))
    assert [(p.check, p.row, p.omitted) for p in log.problems()] == [
        ("unknown_measure", 2, 0), ("malformed_period", 2, 0), ("unknown_measure", 3, 0),
        ("malformed_period", 3, 0), ("unknown_measure", None, 3), ("malformed_period", None, 3)]
    everything = ProblemLog(0)
    everything.extend([make("empty_file", "f.csv")] * 200)
    assert len(everything.problems()) == 200


# Another process opening the warehouse for writing: it fails while this process holds the lock.
OTHER_WRITER = "import duckdb, sys; duckdb.connect(sys.argv[1]).execute('SELECT 1').close()"


def _other_writer_can_open(warehouse: Path) -> bool | str:
    child = subprocess.run([sys.executable, "-c", OTHER_WRITER, str(warehouse)],
                           capture_output=True, text=True, timeout=120)
    return child.returncode == 0 or child.stderr


def test_validation_runs_before_the_write_connection_is_opened(settings, config, monkeypatch):
    settings.home.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(settings.warehouse)).close()
    during_validation = []
    validate = intake.validate

    def validate_while_another_process_writes(*args, **kwargs):
        during_validation.append(_other_writer_can_open(settings.warehouse))
        return validate(*args, **kwargs)

    monkeypatch.setattr(intake, "validate", validate_while_another_process_writes)
    opened_after = []

    def connect():
        opened_after.append(len(during_validation))
        return duckdb.connect(str(settings.warehouse))

    submission = process_file(GOOD_CSV, settings, CARDIFF, connect, config=config)

    assert during_validation == [True] and opened_after == [1]
    assert submission.status == "accepted"
    assert _other_writer_can_open(settings.warehouse) is True  # closed again once recorded
    with duckdb.connect(str(settings.warehouse), read_only=True) as check:
        assert len(raw_rows(check)) == 5


def test_scan_intake_takes_a_function_that_opens_the_warehouse(settings, config):
    submit(GOOD_CSV, CARDIFF, settings, config)
    done = scan_intake(settings, lambda: duckdb.connect(str(settings.warehouse)), config)
    assert [s.status for s in done] == ["accepted"]
    with duckdb.connect(str(settings.warehouse), read_only=True) as check:
        assert len(raw_rows(check)) == 5


def test_sample_returns_load_through_a_function_that_opens_the_warehouse(settings, config):
    from sources.returns import load_sample_returns

    connect = lambda: duckdb.connect(str(settings.warehouse))  # noqa: E731
    assert len(load_sample_returns(settings, connect, config)) == 44
    assert load_sample_returns(settings, connect, config) == []
    assert _other_writer_can_open(settings.warehouse) is True
