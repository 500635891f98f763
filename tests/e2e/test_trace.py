"""`datacymru trace` follows published figures back to the archived bytes, on a real refreshed home.

Three figures, one per kind of source: a StatsWales cell (PAM/030), a rate whose denominator is
the Nomis population (NI 15), and a council return (PAM/001). Each chain must reach the release
and its checks, the mart row, the models the manifest puts on the path, and the raw rows, whose
archived files are re-hashed and whose records hold the values used. A home whose archived file
was changed after loading gives a trace that is not whole, naming the file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

AREA, PERIOD = "W06000015", "2024-25"


def trace(cli, home: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
    done = cli(home, "trace", *args, "--format", "json")
    assert done.stdout, done.stderr
    return done, json.loads(done.stdout)


def figure(cli, home: Path, measure: str) -> dict[str, Any]:
    done, doc = trace(cli, home, "--measure", measure, "--area", AREA, "--period", PERIOD)
    assert done.returncode == 0 and doc["whole"], doc["missing_en"]
    return doc


def model(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found = [m for m in doc["models"] if m["model"] == name]
    assert found, f"{name} not on the path: {[m['model'] for m in doc['models']]}"
    return found[0]


def assert_release_and_gates(doc: dict[str, Any]) -> None:
    release = doc["release"]
    assert release and Path(release["path"]).is_dir()
    assert float(release["row"]["value"]) == doc["mart_row"]["value"]
    assert doc["checks"] and all(c["outcome"] in ("passed", "warned", "not_applicable")
                                 for c in doc["checks"])
    assert all(doc["mart"] in c["asset_key"] for c in doc["checks"])


def assert_bytes(link: dict[str, Any]) -> None:
    """The archived file exists, hashes now to what the raw row names, and the trace says so."""
    path = Path(link["archive_file"])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == link["archive_sha256"] == link["sha256_now"]
    assert link["proved"] and link["record"] and link["source_url"] and link["retrieved_at"]


@pytest.fixture(scope="module")
def home(refreshed) -> Path:
    return refreshed[0]


def test_statswales_figure_to_the_archived_cell_in_both_languages(home, cli):
    doc = figure(cli, home, "PAM/030")
    assert_release_and_gates(doc)
    assert doc["mart"] == "mart_performance_framework"
    staged = model(doc, "stg_statswales__municipal_waste")["rows"]
    assert [r["value"] for r in staged] == [doc["mart_row"]["value"]]
    links = [r for r in doc["raw"] if r["table"] == "statswales__municipal_waste"]
    assert sorted(r["lang"] for r in links) == ["cy-gb", "en-gb"]
    for link in links:
        assert_bytes(link)
        assert link["page"] == 1 and link["position"].startswith("record ")
        assert doc["mart_row"]["value"] in link["record"].values()
        assert AREA in link["record"].values()


def test_nomis_population_denominator_to_the_archived_csv_row(home, cli):
    doc = figure(cli, home, "NI 15")
    assert_release_and_gates(doc)
    (rate,) = model(doc, "int_per_capita_rates")["rows"]
    (denominator,) = model(doc, "int_population_denominators")["rows"]
    assert rate["population"] == denominator["population_all_ages"]
    assert round(rate["numerator_value"] * 1000 / rate["population"], 1) == doc["mart_row"]["value"]
    nomis = [r for r in doc["raw"] if r["table"] == "nomis__population_estimates"]
    assert nomis, "the population denominator was not traced to raw.nomis__population_estimates"
    for link in nomis:
        assert_bytes(link)
        assert link["archive_file"].endswith(".csv")
    values = {float(link["record"]["OBS_VALUE"]) for link in nomis}
    assert denominator["population_all_ages"] in values
    # the numerator's cells come from StatsWales, also to the bytes
    assert {r["table"] for r in doc["raw"]} == {"nomis__population_estimates",
                                                 "statswales__municipal_waste"}


def test_council_return_figure_to_its_submission_sheet_and_row(home, cli):
    doc = figure(cli, home, "PAM/001")
    assert_release_and_gates(doc)
    (link,) = doc["raw"]
    assert link["table"] == "council__returns"
    assert_bytes(link)
    submission = link["submission"]
    assert submission["council_code"] == AREA and submission["status"] == "accepted"
    assert link["position"].startswith("sheet ") and link["archive_file"].endswith(".xlsx")
    assert float(link["record"]["value"]) == doc["mart_row"]["value"]
    assert link["record"]["measure_id"] == "PAM/001"
    staged = model(doc, "stg_council__returns")["rows"]
    assert staged[0]["submission_id"] == submission["submission_id"]


def test_a_row_of_the_release_csv_traces_the_same_figure(home, cli):
    by_figure = figure(cli, home, "PAM/030")
    row = by_figure["release"]["row"]["csv_row"]
    done, doc = trace(cli, home, "--release", by_figure["release"]["release_id"], "--row", str(row))
    assert done.returncode == 0 and doc["whole"]
    assert doc["figure"] == {"measure": "PAM/030", "area": AREA, "period": PERIOD}


def test_an_archived_file_changed_after_loading_breaks_the_chain(home, cli, tmp_path):
    copy = tmp_path / "home"
    shutil.copytree(home / "data", copy / "data", ignore=shutil.ignore_patterns("dbt"))
    doc = figure(cli, copy, "NI 15")
    target = Path(next(r["archive_file"] for r in doc["raw"]
                       if r["table"] == "nomis__population_estimates"))
    assert target.is_relative_to(copy)
    target.chmod(0o644)
    with target.open("ab") as handle:  # one byte more: the bytes no longer match the sha256
        handle.write(b"\n")
    done, broken = trace(cli, copy, "--measure", "NI 15", "--area", AREA, "--period", PERIOD)
    assert done.returncode == 1 and not broken["whole"]
    assert any(str(target) in m and "changed after it was loaded" in m for m in broken["missing_en"])
    text = cli(copy, "trace", "--measure", "NI 15", "--area", AREA, "--period", PERIOD)
    assert text.returncode == 1 and "Trace NOT whole" in text.stdout and "NOT PROVED" in text.stdout


def test_an_unknown_figure_is_one_sentence(home, cli):
    done = cli(home, "trace", "--measure", "PAM/030", "--area", AREA, "--period", "1999-00")
    assert done.returncode == 2 and "periods with a row" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_wales_figure_from_council_returns_reaches_all_22_submissions(home, cli):
    done, doc = trace(cli, home, "--measure", "PAM/001", "--area", "W92000004", "--period", PERIOD)
    assert done.returncode == 0 and doc["whole"], doc["missing_en"]
    links = doc["raw"]
    assert len({link["submission"]["council_code"] for link in links}) == 22 == len(links)
    for link in links:
        assert_bytes(link)
    # the Wales figure is the councils' summed numerators over summed denominators, as archived
    numerator = sum(float(link["record"]["numerator"]) for link in links)
    denominator = sum(float(link["record"]["denominator"]) for link in links)
    assert round(numerator / denominator, 1) == doc["mart_row"]["value"]
