"""Only finite numbers are values: infinity and NaN, spelt out or overflowing, are errors."""

from __future__ import annotations

import zipfile

import pytest
from returns_support import CARDIFF, GOOD_XLSX, raw_rows, replace_parts, variant

from sources.returns import process_file

PAM043 = "PAM/043,2024-25,180.2,65000000,360700"


@pytest.mark.parametrize("text", ["1e309", "-1e309", "inf", "-inf", "+Infinity", "nan", "NaN"])
def test_a_value_that_is_not_finite_is_an_error_naming_row_and_column(text, tmp_path, settings, con, config):
    path = variant(tmp_path, "huge.csv", {PAM043: f"PAM/043,2024-25,{text},,"})
    submission = process_file(path, settings, CARDIFF, con, config=config)

    assert submission.status == "quarantined"
    (error,) = submission.errors
    assert (error.check, error.row, error.column, error.cell, error.value) == (
        "non_numeric_value", 6, "value", "D6", text)
    assert "finite" in error.message_en and f"'{text}' in column value" in error.message_en
    assert "meidraidd" in error.message_cy and f"'{text}' yng ngholofn value" in error.message_cy
    assert raw_rows(con) == []


def test_a_numerator_that_overflows_is_an_error_too(tmp_path, settings, con, config):
    path = variant(tmp_path, "ratio.csv", {PAM043: "PAM/043,2024-25,180.2,1e400,360700"})
    (error,) = process_file(path, settings, CARDIFF, con, config=config).errors
    assert (error.check, error.cell, error.value) == ("non_numeric_value", "E6", "1e400")
    assert "finite" in error.message_en


def test_a_workbook_cell_that_overflows_is_refused(tmp_path, settings, con, config):
    with zipfile.ZipFile(GOOD_XLSX) as book:
        sheet = book.read("xl/worksheets/sheet1.xml")
    assert b"<v>180.2</v>" in sheet
    path = replace_parts(GOOD_XLSX, tmp_path / "overflow.xlsx",
                         {"xl/worksheets/sheet1.xml": sheet.replace(b"<v>180.2</v>", b"<v>1E+309</v>")})
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert [(p.check, p.cell, p.value) for p in submission.errors] == [("non_numeric_value", "D6", "inf")]
    assert "finite" in submission.errors[0].message_en and "meidraidd" in submission.errors[0].message_cy


def test_an_underflow_is_a_finite_zero(tmp_path, settings, con, config):
    path = variant(tmp_path, "tiny.csv", {PAM043: "PAM/043,2024-25,1e-400,,"})
    submission = process_file(path, settings, CARDIFF, con, config=config)
    assert submission.status == "accepted", submission.errors
    loaded = con.execute("SELECT value FROM raw.council__returns WHERE measure_id = 'PAM/043'").fetchone()
    assert loaded == (0.0,)
