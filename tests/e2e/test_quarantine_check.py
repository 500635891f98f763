"""A quarantined council return reads as a warning in Dagster, not as a plain success.

On a copy of the shared refreshed home, `datacymru submit --process` takes in a bad return and then
a good one, each as a real Dagster run of `raw/council__returns`; the `return_accepted` check, the
run's tags and the audit trail are read back from the instance and the warehouse.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from dagster import AssetCheckKey, AssetCheckSeverity, DagsterInstance, DagsterRunStatus
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from orchestration.assets.returns import QUARANTINED_TAG, RETURN_GATE, RETURNS_KEY

REPO = Path(__file__).resolve().parents[2]
BAD_RETURN = REPO / "tests" / "fixtures" / "returns" / "fail" / "negative_value.csv"
GOOD_RETURN = REPO / "tests" / "fixtures" / "returns" / "pass" / "good.csv"
CHECK = AssetCheckKey(RETURNS_KEY, RETURN_GATE)
COUNCIL = "W06000015"


def _latest(instance: DagsterInstance):
    return instance.event_log_storage.get_latest_asset_check_execution_by_key([CHECK])[CHECK]


def test_a_quarantined_return_fails_its_check_and_tags_the_run_without_failing_it(
        refreshed, cli, warehouse, tmp_path, monkeypatch):
    home = tmp_path / "h"
    shutil.copytree(refreshed[0], home, symlinks=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
    with DagsterInstance.get() as instance:
        after_refresh = _latest(instance)
        assert after_refresh.status == AssetCheckExecutionRecordStatus.SUCCEEDED  # the SAMPLE returns

        done = cli(home, "submit", str(BAD_RETURN), "--council", COUNCIL, "--process")
        assert done.returncode == 1, done.stdout + done.stderr  # the command says it was not accepted
        record = _latest(instance)
        assert record.status == AssetCheckExecutionRecordStatus.FAILED
        run = instance.get_run_by_id(record.run_id)
        assert run.status == DagsterRunStatus.SUCCESS, "the intake did its job: the run succeeds"
        assert run.tags[QUARANTINED_TAG] == "1"
        assert run.tags["datacymru/command"] == "submit"

        evaluation = record.event.asset_check_evaluation
        assert evaluation.severity == AssetCheckSeverity.WARN
        metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
        folder = sorted((home / "data" / "quarantine").iterdir())[-1]
        report = folder / "feedback.html"
        assert report.exists()
        # the name the file had in the intake: `<council>__<time>-<token>__<the council's name>`
        assert metadata["council"] == COUNCIL and metadata["file"].endswith(f"__{BAD_RETURN.name}")
        assert metadata["feedback_report"] == str(report)
        assert metadata["quarantined"] == 1 and metadata["outcome"] == "warned"
        assert metadata["gate"] == RETURN_GATE and metadata["principle"] == "Q1.3"
        assert metadata["failing_examples"][0]["submission_id"] == folder.name
        description = evaluation.description
        assert "1 of 1 return(s) taken in quarantined" in description, description
        assert f"{metadata['file']} from {COUNCIL}" in description and str(report) in description

        done = cli(home, "submit", str(GOOD_RETURN), "--council", COUNCIL, "--process")
        assert done.returncode == 0, done.stdout + done.stderr
        record = _latest(instance)
        assert record.status == AssetCheckExecutionRecordStatus.SUCCEEDED
        assert QUARANTINED_TAG not in instance.get_run_by_id(record.run_id).tags

    with warehouse(home) as con:
        rows = con.execute("""SELECT outcome, severity, observed FROM audit.check_results
                              WHERE asset_key = ? AND check_name = ? ORDER BY checked_at""",
                           [RETURNS_KEY.to_user_string(), RETURN_GATE]).fetchall()
    assert [(o, s) for o, s, _ in rows][-2:] == [("warned", "warn"), ("passed", "warn")]
    assert json.loads(rows[-2][2])["quarantined"] == 1
