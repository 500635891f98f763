"""One schedule per named refresh in the catalogue (`schedule:`), named after what it refreshes."""

from __future__ import annotations

from collections import defaultdict

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from orchestration.assets.sources import archive_key
from orchestration.automation import schedule_status
from sources.catalogue import Dataset
from sources.i18n import both

TIMEZONE = "Europe/London"
WELSH_AFTER = "\n\nCymraeg: "  # Dagster's descriptions carry both languages, as the dbt models' do


def build_schedules(catalogue: dict[str, Dataset]) -> list[ScheduleDefinition]:
    """Each schedule refreshes its datasets' sources and everything downstream.

    The catalogue guarantees that datasets sharing a schedule share its cadence.
    """
    by_name: dict[str, list[Dataset]] = defaultdict(list)
    for dataset in catalogue.values():
        by_name[dataset.schedule].append(dataset)
    schedules = []
    for name, datasets in sorted(by_name.items()):
        cron = datasets[0].cadence
        listed = ", ".join(d.key for d in datasets)
        job = define_asset_job(
            name.removesuffix("_refresh") + "_job",
            selection=AssetSelection.assets(*[archive_key(d) for d in datasets]).downstream(),
            description=WELSH_AFTER.join(both("Refresh {datasets} and what depends on them.",
                                              datasets=listed)))
        schedules.append(ScheduleDefinition(
            name=name, job=job, cron_schedule=cron, execution_timezone=TIMEZONE,
            default_status=schedule_status(),
            description=WELSH_AFTER.join(both(
                "Refreshes {datasets} (cron `{cron}`, {timezone}), then rebuilds, checks and "
                "releases the marts that use them. Started with DATA_CYMRU_AUTOMATION=on (`make "
                "ui-live`) or switched on in the UI.", datasets=listed, cron=cron, timezone=TIMEZONE))))
    return schedules
