"""Sensors: council returns dropped into the intake folder."""

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.assets.returns import council_returns_job
from orchestration.automation import sensor_status
from sources.returns import next_intake_batch
from sources.settings import Settings


@sensor(job=council_returns_job, minimum_interval_seconds=60, default_status=sensor_status(),
        description="Watches <home>/intake/ and materialises raw/council__returns when returns "
                    "arrive; the marts that use them are then stale until the next refresh.")
def council_intake_sensor(context: SensorEvaluationContext):
    files, cursor = next_intake_batch(Settings.from_env(), context.cursor)
    context.update_cursor(cursor)
    if not files:
        return SkipReason("no new council returns in the intake folder")
    names = sorted(p.name for p in files)
    return RunRequest(run_key=",".join(names), tags={"datacymru/command": "intake",
                                                     "datacymru/files": ",".join(names)[:200]})
