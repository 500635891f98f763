"""The shipped template and SAMPLE returns are up to date, deterministic and pass the intake."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from returns_support import audit_count

from sources.returns import SAMPLE_NOTICE, ReturnsConfig, load_sample_returns, process_file, sample_files
from sources.returns.reference import COUNCILS, MEASURE_ROW_FIELDS, MEASURES, TEMPLATE_COLUMNS, measure_rows
from sources.returns.template import TEMPLATE_DIR, write_templates
from sources.sample_returns.generate import SAMPLE_DIR, generate
from sources.settings import SettingsError

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "dim_measure.csv"


def test_shipped_templates_are_what_the_script_writes(tmp_path):
    for written in write_templates(tmp_path):
        assert written.read_bytes() == (TEMPLATE_DIR / written.name).read_bytes(), written.name


def test_templates_carry_the_template_columns():
    with (TEMPLATE_DIR / "template.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert tuple(next(csv.reader(handle))) == TEMPLATE_COLUMNS
    book = openpyxl.load_workbook(TEMPLATE_DIR / "template.xlsx", read_only=True)
    try:
        assert book.sheetnames == ["return", "guidance"]
        header = next(book["return"].iter_rows(values_only=True))
        assert tuple(header) == TEMPLATE_COLUMNS
        guidance = [c for row in book["guidance"].iter_rows(values_only=True) for c in row if c]
        assert set(MEASURES) <= set(guidance) and set(COUNCILS) <= set(guidance)
    finally:
        book.close()


@pytest.mark.parametrize("name", ["template.csv", "template.xlsx"])
def test_a_blank_template_is_an_empty_return(name, settings, con, config):
    submission = process_file(TEMPLATE_DIR / name, settings, "W06000015", con, config=config)
    assert [p.check for p in submission.errors] == ["empty_file"]


def test_sample_returns_are_what_the_generator_writes(tmp_path):
    written = generate(tmp_path)
    assert len(written) == 2 * len(COUNCILS)
    shipped = {p.relative_to(SAMPLE_DIR) for p in sample_files(SAMPLE_DIR)}
    assert {p.relative_to(tmp_path) for p in written} == shipped
    for path in written:
        assert path.read_bytes() == (SAMPLE_DIR / path.relative_to(tmp_path)).read_bytes(), path.name


def test_every_sample_return_is_accepted_and_labelled(settings, con, config):
    done = load_sample_returns(settings, con, config)
    assert {s.status for s in done} == {"accepted"} and len(done) == 44
    assert {s.file_format for s in done} == {"csv", "xlsx"}
    counts = con.execute("SELECT collection, count(DISTINCT council_code), count(DISTINCT measure_id), "
                         "count(*) FROM raw.council__returns GROUP BY ALL ORDER BY ALL").fetchall()
    assert counts == [("2023-24", 22, 5, 110), ("2024-25", 22, 5, 110)]
    notes = con.execute("SELECT DISTINCT note FROM raw.council__returns").fetchall()
    assert len(notes) == 1 and "SAMPLE" in notes[0][0] and "SAMPLE" in SAMPLE_NOTICE
    assert all(p.name.startswith("SAMPLE_") for p in sample_files())

    assert load_sample_returns(settings, con, config) == []
    assert audit_count(con) == 44


def test_measure_definitions_have_the_dimension_fields():
    rows = measure_rows()
    assert [r["id"] for r in rows] == ["PAM/001", "PAM/010", "PAM/018", "PAM/023", "PAM/043"]
    assert all(tuple(r) == MEASURE_ROW_FIELDS and all(r.values()) for r in rows)
    assert {r["id"]: r["is_percentage"] for r in rows} == {
        "PAM/001": "false", "PAM/010": "true", "PAM/018": "true", "PAM/023": "true", "PAM/043": "false"}


def test_measures_agree_with_the_dbt_measure_dimension():
    with SEED.open(encoding="utf-8", newline="") as handle:
        seed = {r["measure_id"]: (r["unit"], r["polarity"]) for r in csv.DictReader(handle)
                if r["source_dataset"] == "council__returns"}
    ours = {m.id: (m.unit, m.polarity) for m in MEASURES.values()}
    assert ours == seed
    assert all(m.is_percentage == (m.unit == "percent") for m in MEASURES.values())


def test_config_reads_the_environment_when_asked():
    assert ReturnsConfig.from_env({}) == ReturnsConfig()
    config = ReturnsConfig.from_env({"DATA_CYMRU_RETURNS_COLLECTIONS": "2024-25, 2025-26",
                                     "DATA_CYMRU_RETURNS_MAX_BYTES": "2048",
                                     "DATA_CYMRU_RETURNS_SETTLE_SECONDS": "0"})
    assert config.open_collections == ("2024-25", "2025-26")
    assert (config.max_bytes, config.settle_seconds) == (2048, 0)
    for env in ({"DATA_CYMRU_RETURNS_COLLECTIONS": "2024-26"}, {"DATA_CYMRU_RETURNS_MAX_BYTES": "lots"},
                {"DATA_CYMRU_RETURNS_MAX_RATIO": "-1"}):
        with pytest.raises(SettingsError):
            ReturnsConfig.from_env(env)
