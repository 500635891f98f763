"""Welsh end to end: `--lang cy` prints no English sentence; releases pass the parity gate, and a
release that lacks one Welsh label is blocked."""

from __future__ import annotations

import csv
import json
import re
import shutil
from functools import cache

import duckdb
from babel.messages.pofile import read_po

from orchestration.assets.dbt import load_manifest, upstream_datasets
from orchestration.assets.gates import MARTS, mart_checks
from sources.i18n import po_path
from sources.i18n_check import TEMPLATE
from sources.publish import publish_mart
from sources.release import latest_release
from sources.settings import Settings

WORD = re.compile(r"[A-Za-z]{2,}")


@cache
def english_sentences() -> tuple[str, ...]:
    """Pieces of the English catalogue (between placeholders) of three words or more that the
    Welsh of the same msgid does not also contain (a command name, a path)."""
    with po_path("cy").open("rb") as handle:
        welsh = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(handle) if m.id}
    with TEMPLATE.open("rb") as handle:
        ids = [m.id for m in read_po(handle) if m.id]
    found = set()
    for msgid in ids:
        for english in (msgid,) if isinstance(msgid, str) else msgid:
            key = english if isinstance(msgid, str) else msgid[0]
            cy = " ".join(welsh.get(key) or ()) if not isinstance(welsh.get(key), str) else welsh[key]
            for piece in re.split(r"\{[^{}]*\}", english):
                piece = piece.strip(" :;,.()")
                if len(WORD.findall(piece)) >= 3 and piece not in cy:
                    found.add(piece)
    return tuple(sorted(found))


def english_in(text: str) -> list[str]:
    return [s for s in english_sentences() if s in text]


def test_the_english_summary_is_caught_by_the_check(refreshed):
    _home, done = refreshed
    assert english_in(done.stdout), "the check would not notice English"


def test_refresh_in_welsh_prints_no_english_sentence(home_copy, cli):
    done = cli(home_copy, "--lang", "cy", "refresh")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Adnewyddu Data Cymru" in done.stdout and "== mart_performance_framework" in done.stdout
    assert english_in(done.stdout + done.stderr) == []


def test_other_commands_in_welsh_print_no_english_sentence(home_copy, cli):
    home = home_copy
    runs = [cli(home, "submissions", "--lang=cy"), cli(home, "--lang", "cy", "publish", "--mart", "nope"),
            cli(home, "audit", "release", "R9999", "--lang", "cy"), cli(home, "--lang", "cy", "--help")]
    for done in runs:
        assert english_in(done.stdout + done.stderr) == [], done.args
    assert "dim datganiad 'R9999' yn audit.releases" in runs[2].stderr
    assert runs[1].returncode == 2 and runs[2].returncode == 2


def test_status_and_trace_in_welsh_print_no_english_sentence(refreshed, cli):
    home, _done = refreshed
    figure = ("--measure", "PAM/030", "--area", "W06000015", "--period", "2024-25")
    english = [cli(home, "status"), cli(home, "trace", *figure)]
    welsh = [cli(home, "--lang", "cy", "status"), cli(home, "--lang", "cy", "trace", *figure),
             cli(home, "--lang", "cy", "trace", "--help"), cli(home, "--lang", "cy", "status", "--help")]
    for done in english + welsh[:2]:
        assert done.returncode == 0, done.args + (done.stdout[-2000:], done.stderr[-2000:])
    for done in english:
        assert english_in(done.stdout), f"the check would not notice English in {done.args}"
    for done in welsh:
        assert english_in(done.stdout + done.stderr) == [], done.args
    assert "Setiau data:" in welsh[0].stdout and "Olrhain cyflawn" in welsh[1].stdout
    # A usage mistake of trace, said in Welsh too.
    wrong = cli(home, "--lang", "cy", "trace", "--measure", "PAM/030", "--area", "W06000015",
                "--period", "1999-00")
    assert wrong.returncode == 2 and "cyfnodau sydd â rhes" in wrong.stderr, wrong.stderr
    assert english_in(wrong.stderr) == []


def test_every_release_is_bilingual(refreshed):
    home, _done = refreshed
    for mart in MARTS:
        release = latest_release(home / "data" / "releases", mart)
        metadata = json.loads((release / "metadata.json").read_text(encoding="utf-8"))
        outcomes = {c["gate"]: c["outcome"] for c in metadata["gates"]["checks"]}
        assert outcomes["release_bilingual"] == "passed"
        assert outcomes["welsh_reviewed"] == "warned"  # unreviewed Welsh is said, not hidden
        assert metadata["translation"]["missing"] == 0 and metadata["translation"]["unreviewed"] > 0
        with (release / f"{mart}.csv").open(encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        described = {c["name"]: c for c in metadata["columns"]}
        assert list(described) == header
        assert all(c["description_en"] and c["description_cy"] for c in described.values())
        assert {"area_type_en", "area_type_cy"} <= set(header)
        assert all(s["licence_cy"] for s in metadata["sources"])
    header = (latest_release(home / "data" / "releases", "mart_performance_framework")
              / "mart_performance_framework.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "direction_cy" in header and "unit_label_cy" in header


def test_a_release_missing_one_welsh_label_is_blocked(refreshed, tmp_path, monkeypatch):
    home, _done = refreshed
    shutil.copytree(home / "data", tmp_path / "data")
    monkeypatch.setenv("DATA_CYMRU_HOME", str(tmp_path / "data"))
    settings = Settings.from_env()
    mart = "mart_wellbeing_indicators"
    before = latest_release(settings.releases, mart)
    manifest = load_manifest()
    column = manifest["nodes"][f"model.datacymru.{mart}"]["columns"]["goal_cy"]
    column["meta"].pop("description_cy")
    column["config"]["meta"].pop("description_cy")
    with duckdb.connect(str(settings.warehouse)) as con:
        outcome = publish_mart(con, settings, mart, run_id="welsh-label-removed", code_version="test",
                               data_versions={}, checks=mart_checks(mart),
                               datasets=upstream_datasets(mart), manifest=manifest)
        assert outcome.release is None
        assert outcome.blockers == ["python:release_bilingual"]
        assert latest_release(settings.releases, mart) == before
        blocked = json.loads((outcome.report.parent / "metadata.json").read_text(encoding="utf-8"))
        failing = next(c for c in blocked["gates"]["checks"] if c["gate"] == "release_bilingual")
        assert failing["outcome"] == "failed"
        found = con.execute("""SELECT failing_examples FROM audit.check_results
                               WHERE run_id = 'welsh-label-removed' AND check_name = 'release_bilingual'
                            """).fetchone()[0]
        assert {"where": "columns[4]", "string": "description", "problem": "no Welsh"} in json.loads(found)
        # The same mart with its Welsh whole is published.
        outcome = publish_mart(con, settings, mart, run_id="welsh-label-whole", code_version="test",
                               data_versions={}, checks=mart_checks(mart),
                               datasets=upstream_datasets(mart), manifest=load_manifest())
        assert outcome.release is not None, outcome.reason
