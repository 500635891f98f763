"""Sensors: council returns dropped into the intake folder."""

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.assets.returns import council_return_job
from sources.returns import next_intake_batch
from sources.settings import Settings


@sensor(job=council_return_job, minimum_interval_seconds=60,
        description="Watches <home>/intake/ and runs one job per new council return.")
def council_intake_sensor(context: SensorEvaluationContext):
    files, cursor = next_intake_batch(Settings.from_env(), context.cursor)
    context.update_cursor(cursor)
    if not files:
        return SkipReason("no new council returns in the intake folder")
    return [RunRequest(run_key=p.name, run_config={
        "ops": {"process_council_return": {"config": {"file_name": p.name}}}}) for p in files]
