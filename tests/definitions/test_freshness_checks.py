"""Freshness checks come from the catalogue, pass after a refresh and fail when the data is old.

A real Dagster instance in a temporary folder; the sources of one dataset are materialised from
the bundled snapshot, then the checks are evaluated with Dagster's clock moved past the allowed
age, and the stale-dataset sensor is evaluated against a loopback webhook.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from dagster import AssetCheckKey, build_sensor_context, instance_for_test
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.test_utils import freeze_time
from dagster._time import get_current_datetime

from orchestration.alerts import stale_dataset_alert_sensor
from orchestration.assets.sources import archive_key, raw_key
from orchestration.definitions import defs
from orchestration.freshness import FRESHNESS_CHECK, freshness_check_key
from orchestration.runner import run_assets
from sources.catalogue import catalogue

CLAIMANTS = catalogue()["nomis__claimant_count"]


def test_every_catalogue_dataset_has_a_freshness_check_with_its_max_age():
    graph = defs.resolve_asset_graph()
    found = {k for k in graph.asset_check_keys if k.name == FRESHNESS_CHECK}
    assert found == {freshness_check_key(d) for d in catalogue().values()}
    for dataset in catalogue().values():
        spec = graph.get_check_spec(freshness_check_key(dataset))
        params = spec.metadata["dagster/freshness_params"].value
        assert params["lower_bound_delta_seconds"] == dataset.max_age_days * 86400, dataset.key
    assert CLAIMANTS.max_age_days == 40
    assert catalogue()["nomis__aps_employment"].max_age_days == 120
    assert catalogue()["statswales__council_tax_bands"].max_age_days == 400


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """An instance where the claimant count was just fetched and loaded (its check ran with it)."""
    monkeypatch.setenv("DATA_CYMRU_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DATA_CYMRU_MODE", "snapshot")
    for name in ("DATA_CYMRU_ALERT_WEBHOOK", "DATA_CYMRU_ALERT_SMTP_HOST", "DATA_CYMRU_UI_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "dagster").mkdir()
    with instance_for_test(temp_dir=str(tmp_path / "dagster")) as instance:
        ok, outcomes, _run = run_assets([archive_key(CLAIMANTS), raw_key(CLAIMANTS)], instance=instance)
        assert ok, outcomes
        yield instance


def _latest(instance, key: AssetCheckKey):
    return instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]


def _evaluate_freshness(instance) -> None:
    job = defs.resolve_job_def("refresh_all").get_subset(
        asset_selection=set(), asset_check_selection={freshness_check_key(CLAIMANTS)})
    assert job.execute_in_process(instance=instance, raise_on_error=False).success


def test_a_refresh_leaves_the_check_passed_and_old_data_fails_it(loaded):
    key = freshness_check_key(CLAIMANTS)
    assert _latest(loaded, key).status == AssetCheckExecutionRecordStatus.SUCCEEDED
    with freeze_time(get_current_datetime() + timedelta(days=39)):
        _evaluate_freshness(loaded)
    assert _latest(loaded, key).status == AssetCheckExecutionRecordStatus.SUCCEEDED
    with freeze_time(get_current_datetime() + timedelta(days=41)):
        _evaluate_freshness(loaded)
    record = _latest(loaded, key)
    assert record.status == AssetCheckExecutionRecordStatus.FAILED
    assert "overdue" in record.event.asset_check_evaluation.description


def test_a_stale_dataset_is_told_once_on_the_webhook(loaded, httpserver, monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("DATA_CYMRU_ALERT_WEBHOOK", httpserver.url_for("/hook"))

    def tick(cursor):
        context = build_sensor_context(instance=loaded, cursor=cursor, definitions=defs)
        result = stale_dataset_alert_sensor.evaluate_tick(context)
        return result.cursor, result.skip_message

    cursor, said = tick(None)
    assert not httpserver.log, "a fresh dataset is not an alert"
    with freeze_time(get_current_datetime() + timedelta(days=45)):
        _evaluate_freshness(loaded)
        cursor, said = tick(cursor)
        assert len(httpserver.log) == 1, said
        _evaluate_freshness(loaded)  # failing again, not updated since: the same stale spell
        cursor, said = tick(cursor)
    assert len(httpserver.log) == 1, "told once per stale spell"
    body = json.loads(httpserver.log[0][0].get_data())
    assert body["datacymru"]["kind"] == "dataset_stale"
    assert body["datacymru"]["dataset"] == "nomis__claimant_count"
    assert "40 days" in body["text"] and "datacymru refresh --dataset nomis__claimant_count" in body["text"]
    assert "45 days ago" in body["text"]
