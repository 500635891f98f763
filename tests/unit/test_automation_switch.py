"""Schedules are named after what they refresh and start running only when automation is on."""

from __future__ import annotations

import pytest
from dagster import DefaultScheduleStatus

from orchestration.schedules import build_schedules
from sources.catalogue import catalogue
from sources.settings import SettingsError


def test_schedules_are_named_after_what_they_refresh_and_start_stopped(monkeypatch):
    monkeypatch.delenv("DATA_CYMRU_AUTOMATION", raising=False)
    schedules = {s.name: s for s in build_schedules(catalogue())}
    assert set(schedules) == {d.schedule for d in catalogue().values()}
    claimants = schedules["nomis_claimant_count_refresh"]
    assert claimants.cron_schedule == "0 8 * * 3"
    assert "nomis__claimant_count" in claimants.description
    assert all(s.default_status == DefaultScheduleStatus.STOPPED for s in schedules.values())


def test_automation_on_starts_them_and_a_wrong_value_is_named(monkeypatch):
    monkeypatch.setenv("DATA_CYMRU_AUTOMATION", "on")
    assert all(s.default_status == DefaultScheduleStatus.RUNNING for s in build_schedules(catalogue()))
    monkeypatch.setenv("DATA_CYMRU_AUTOMATION", "maybe")
    with pytest.raises(SettingsError, match="DATA_CYMRU_AUTOMATION='maybe'"):
        build_schedules(catalogue())
