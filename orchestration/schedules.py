"""One schedule per refresh cadence in the catalogue."""

from __future__ import annotations

import re
from collections import defaultdict

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

from orchestration.assets.sources import archive_key
from sources.catalogue import Dataset


def build_schedules(catalogue: dict[str, Dataset]) -> list[ScheduleDefinition]:
    """Group datasets by cron string; each group refreshes its sources and everything downstream."""
    by_cadence: dict[str, list[Dataset]] = defaultdict(list)
    for dataset in catalogue.values():
        by_cadence[dataset.cadence].append(dataset)
    schedules = []
    for cron, datasets in sorted(by_cadence.items()):
        slug = re.sub(r"[^a-z0-9]+", "_", cron.replace("*", "x")).strip("_")
        job = define_asset_job(
            f"refresh_{slug}",
            selection=AssetSelection.assets(*[archive_key(d) for d in datasets]).downstream(),
            description="Refresh " + ", ".join(d.key for d in datasets) + " and what depends on them.")
        schedules.append(ScheduleDefinition(
            name=f"refresh_{slug}_schedule", job=job, cron_schedule=cron,
            execution_timezone="Europe/London"))
    return schedules
