"""What changed, and what must rebuild, as Dagster records it (end to end, in temporary homes).

A refresh loads the sources, then rebuilds only what is stale by Dagster's own data versions and
code versions: nothing when nothing changed; the performance framework when a council's return
changed; only the marts of the sources that loaded when one fails.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.staleness import stale_reasons

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sources" / "sample_returns" / "2024-25" / "SAMPLE_W06000001_2024-25.csv"


def latest(home: Path, mart: str) -> str:
    return (home / "data" / "releases" / mart / "latest").read_text().strip()


def runs_of(done: subprocess.CompletedProcess, home: Path) -> dict[str, set[str]]:
    """{phase: step keys} of the Dagster runs one `datacymru refresh` printed that it started."""
    from dagster import DagsterInstance

    line = next(x for x in done.stdout.splitlines() if x.startswith("Dagster run(s) "))
    run_ids = line.removeprefix("Dagster run(s) ").rsplit(":", 1)[0].split(", ")
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        return {instance.get_run_by_id(r).tags["datacymru/phase"]:
                {s.step_key for s in instance.get_run_step_stats(r)} for r in run_ids}


def test_a_resubmitted_return_reaches_the_mart_and_is_never_reverted(cli, home_copy, tmp_path, warehouse):
    newer = tmp_path / "W06000001_2024-25_v2.csv"
    text = SAMPLE.read_text(encoding="utf-8")
    newer.write_text(text.replace("W06000001,PAM/001,2024-25,9.6,88789,9224",
                                  "W06000001,PAM/001,2024-25,8.0,73792,9224"), encoding="utf-8")
    submitted = cli(home_copy, "submit", str(newer), "--council", "W06000001", "--process")
    assert submitted.returncode == 0, submitted.stdout[-3000:] + submitted.stderr[-3000:]
    assert "accepted" in submitted.stdout
    release_before = latest(home_copy, "mart_performance_framework")

    done = cli(home_copy, "refresh")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "raw/council__returns changed" in done.stdout or "mart_performance_framework" in done.stdout
    # The raw table's dbt tests run with the models rebuilt from it, not in the sources run.
    runs = runs_of(done, home_copy)
    assert "dbt_models" not in runs["sources"] and "dbt_models" in runs["marts"]
    marts_run = done.stdout.split("Dagster run(s) ")[1].split(":")[0].split(", ")[1]
    with warehouse(home_copy) as con:
        assert con.execute("SELECT count(*) FROM audit.check_results WHERE run_id = ? AND "
                           "asset_key = 'raw/council__returns' AND check_name = 'unique_natural_key'",
                           [marts_run]).fetchone()[0] == 1
    # dagster-dbt's warning that dbt's adapter is not in this process (it never is) is not shown.
    assert "creating a handle to the dbt adapter" not in done.stdout + done.stderr
    # The parse `make dbt-manifest` saved holds in a copied home too: this build parsed nothing.
    dbt_log = (home_copy / "data" / "dbt" / marts_run / "dbt.log").read_text(encoding="utf-8")
    assert "PartialParsingSkipParsing" in dbt_log and "UnableToPartialParse" not in dbt_log
    release = latest(home_copy, "mart_performance_framework")
    assert release != release_before
    meta = json.loads((home_copy / "data" / "releases" / "mart_performance_framework" / release
                       / "metadata.json").read_text(encoding="utf-8"))
    assert json.dumps(meta).count("PAM/001") >= 1  # the revision is flagged in the release
    query = ("SELECT value FROM marts.mart_performance_framework WHERE measure_id = 'PAM/001' "
             "AND area_code = 'W06000001' AND period = '2024-25'")
    with warehouse(home_copy) as con:
        assert con.execute(query).fetchone()[0] == 8.0

    again = cli(home_copy, "refresh")  # snapshot mode never re-sends the older sample return
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "new submissions: none" in again.stdout
    assert runs_of(again, home_copy).keys() == {"sources"}  # nothing stale: no second run
    assert "dbt_models" not in runs_of(again, home_copy)["sources"]  # and dbt is not started
    with warehouse(home_copy) as con:
        assert con.execute(query).fetchone()[0] == 8.0


def test_a_raw_table_failing_its_dbt_test_stops_what_is_built_from_it(cli, home_copy, warehouse):
    """The raw table's dbt tests run with the models rebuilt from it; dbt skips them on a failure."""
    from dagster import AssetKey, DagsterInstance

    with warehouse(home_copy, read_only=False) as con:  # a duplicate natural key in the raw table
        con.execute("INSERT INTO raw.nomis__ashe_pay SELECT * FROM raw.nomis__ashe_pay LIMIT 1")
    release_before = latest(home_copy, "mart_wellbeing_indicators")

    done = cli(home_copy, "refresh", "--dataset", "nomis__ashe_pay", "--force")
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert "raw/nomis__ashe_pay:unique_natural_key" in done.stdout
    runs = runs_of(done, home_copy)
    assert "dbt_models" not in runs["sources"] and "dbt_models" in runs["marts"]
    assert latest(home_copy, "mart_wellbeing_indicators") == release_before
    marts_run = done.stdout.split("Dagster run(s) ")[1].split(":")[0].split(", ")[1]
    with warehouse(home_copy) as con:
        assert con.execute("SELECT outcome FROM audit.check_results WHERE run_id = ? AND "
                           "asset_key = 'raw/nomis__ashe_pay' AND check_name = 'unique_natural_key'",
                           [marts_run]).fetchall() == [("failed",)]
    with DagsterInstance.from_config(str(home_copy / "dagster")) as instance:
        staging = instance.get_latest_materialization_event(AssetKey(["staging", "stg_nomis__ashe_pay"]))
        assert staging.run_id != marts_run  # dbt skipped the model built on the failing table


def test_one_dataset_on_a_fresh_home_builds_what_it_needs(cli, tmp_path, warehouse):
    done = cli(tmp_path, "refresh", "--dataset", "statswales__wimd_2025")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert latest(tmp_path, "mart_deprivation_profile").startswith("R")
    with warehouse(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM seeds.dim_local_authority").fetchone()[0] == 23
    # The first build in a new home used the parse `make dbt-manifest` saved: dbt parsed nothing.
    [dbt_log] = (tmp_path / "data" / "dbt").glob("*/dbt.log")
    log = dbt_log.read_text(encoding="utf-8")
    assert "PartialParsingSkipParsing" in log and "UnableToPartialParse" not in log


def test_a_failing_dataset_blocks_only_the_marts_that_use_it(cli, tmp_path):
    snapshot = tmp_path / "snapshot"
    shutil.copytree(REPO / "sources" / "snapshots", snapshot)
    (snapshot / "nomis__ashe_pay" / "index.json").write_text("{}", encoding="utf-8")  # nothing recorded
    done = cli(tmp_path / "home", "refresh", extra_env={"DATA_CYMRU_SNAPSHOT_DIR": str(snapshot)})
    assert done.returncode == 1
    out = done.stdout
    assert "nomis__ashe_pay" in out and "FAILED" in out
    assert "blocked, its source" in out and "nomis__ashe_pay" in out.split("== mart_wellbeing_indicators")[1]
    for mart in ("mart_performance_framework", "mart_deprivation_profile"):
        assert latest(tmp_path / "home", mart).startswith("R"), mart
    assert not (tmp_path / "home" / "data" / "releases" / "mart_wellbeing_indicators" / "latest").exists()


def test_stale_reasons_come_from_dagster_records(refreshed):
    from dagster import DagsterInstance

    from orchestration.assets.dbt import dbt_models
    from orchestration.definitions import defs

    home, _ = refreshed
    with DagsterInstance.from_config(str(home / "dagster")) as instance:
        assert stale_reasons(instance, defs.resolve_asset_graph(), dbt_models.keys) == {}


def test_the_code_location_loads_outside_uv_run(tmp_path):
    """`.venv/bin/dagster` with nothing activated: dbt is found in its own environment by path."""
    (tmp_path / "dagster").mkdir()
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path / "dagster")}
    done = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                           "-m", "orchestration.definitions"], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_materialising_a_subset_through_dagster_rebuilds_it_without_tags(home_copy, monkeypatch):
    """What the UI does: materialise one mart. It is rebuilt (and gated), no tag needed."""
    from dagster import AssetKey, DagsterInstance

    from orchestration.runner import run_assets

    monkeypatch.setenv("DATA_CYMRU_HOME", str(home_copy / "data"))
    monkeypatch.setenv("DATA_CYMRU_MODE", "snapshot")
    mart = AssetKey(["marts", "mart_deprivation_profile"])
    with DagsterInstance.from_config(str(home_copy / "dagster")) as instance:
        before = instance.get_latest_materialization_event(mart).run_id
        ok, outcomes, run_id = run_assets([mart], instance=instance)
        assert ok and "marts/mart_deprivation_profile" in outcomes
        assert instance.get_latest_materialization_event(mart).run_id == run_id != before
