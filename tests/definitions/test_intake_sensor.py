"""The intake sensor asks for a run of the council returns asset, and never twice for the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

from dagster import DagsterInstance, RunRequest, build_sensor_context

from orchestration.sensors import council_intake_sensor

SAMPLE = Path(__file__).resolve().parents[2] / "sources" / "sample_returns" / "2024-25" / \
    "SAMPLE_W06000001_2024-25.csv"


def test_new_return_gives_one_run_request(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_HOME", str(tmp_path))
    monkeypatch.setenv("DATA_CYMRU_RETURNS_SETTLE_SECONDS", "0")
    (tmp_path / "intake").mkdir()
    with DagsterInstance.ephemeral() as instance:
        empty = council_intake_sensor(build_sensor_context(instance=instance))
        assert not isinstance(empty, list)  # a SkipReason
        shutil.copy(SAMPLE, tmp_path / "intake" / "W06000001__return.csv")
        context = build_sensor_context(instance=instance)
        requests = council_intake_sensor(context)
        assert isinstance(requests, RunRequest)
        assert requests.run_key == "W06000001__return.csv"
        assert requests.tags["datacymru/files"] == "W06000001__return.csv"
        again = council_intake_sensor(build_sensor_context(instance=instance, cursor=context.cursor))
        assert not isinstance(again, list), "the same file is not requested twice"
