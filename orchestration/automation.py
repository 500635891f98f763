"""Whether schedules and sensors start switched on: `DATA_CYMRU_AUTOMATION=on`.

Dagster keeps a schedule's or sensor's state in its instance once someone switches it in the UI
or with `dagster schedule start`; the default chosen here applies only until then. Off by
default, so `make ui` on a laptop never starts fetching from the publishers on its own;
`make ui-live` (or the variable in a deployment) starts with every schedule and sensor running.
"""

from __future__ import annotations

import os

from dagster import DefaultScheduleStatus, DefaultSensorStatus

from sources.settings import SettingsError

AUTOMATION_ENV = "DATA_CYMRU_AUTOMATION"
_ON = {"on", "1", "true", "yes"}
_OFF = {"", "off", "0", "false", "no"}


def automation_on() -> bool:
    """`DATA_CYMRU_AUTOMATION` as a switch; any other value is a mistake, named."""
    value = os.environ.get(AUTOMATION_ENV, "").strip().lower()
    if value not in _ON | _OFF:
        raise SettingsError(f"{AUTOMATION_ENV}={value!r}: use 'on' (schedules and sensors start "
                         "running) or 'off' (the default: they start stopped)")
    return value in _ON


def schedule_status() -> DefaultScheduleStatus:
    return DefaultScheduleStatus.RUNNING if automation_on() else DefaultScheduleStatus.STOPPED


def sensor_status() -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if automation_on() else DefaultSensorStatus.STOPPED
