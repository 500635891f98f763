"""Freshness checks derived from the catalogue: each raw table may be at most `max_age_days` old.

A raw table is materialised by every successful fetch and load (an unchanged answer included),
so the time since its last materialisation is how long the platform has gone without a good
copy of the publisher's data. One Dagster last-update freshness check per dataset, grouped by
allowed age; they run with every refresh of their table (and pass then), and the
`dataset_freshness_sensor` runs them between refreshes, so a dataset whose refreshes keep
failing turns red in the UI (and `stale_dataset_alert_sensor` says so once).
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from dagster import AssetCheckKey, AssetChecksDefinition, SensorDefinition
from dagster import build_last_update_freshness_checks as _last_update_checks
from dagster import build_sensor_for_freshness_checks as _sensor_for_checks

from orchestration.assets.sources import raw_key
from orchestration.automation import sensor_status
from sources.catalogue import Dataset

FRESHNESS_CHECK = "freshness_check"  # the name Dagster's factory gives every freshness check


def freshness_check_key(dataset: Dataset) -> AssetCheckKey:
    return AssetCheckKey(raw_key(dataset), FRESHNESS_CHECK)


def build_freshness_checks(catalogue: dict[str, Dataset]) -> list[AssetChecksDefinition]:
    """One freshness check per catalogue dataset, on its raw table, from its `max_age_days`."""
    by_age: dict[int, list[Dataset]] = defaultdict(list)
    for dataset in catalogue.values():
        by_age[dataset.max_age_days].append(dataset)
    checks: list[AssetChecksDefinition] = []
    with warnings.catch_warnings():
        # Dagster marks the check factories "superseded" by FreshnessPolicy, whose state only its
        # daemon evaluates; a check is run in-process by a refresh, keeps its history beside the
        # gates and can be tested with a clock, so the checks are what the platform uses.
        warnings.simplefilter("ignore")
        for age, datasets in sorted(by_age.items()):
            checks += _last_update_checks(assets=[raw_key(d) for d in datasets],
                                          lower_bound_delta=timedelta(days=age))
    return checks


def build_freshness_sensor(checks: Sequence[AssetChecksDefinition]) -> SensorDefinition:
    """Dagster's own sensor that runs a freshness check when its table could have gone stale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _sensor_for_checks(freshness_checks=checks, name="dataset_freshness_sensor",
                                  minimum_interval_seconds=3600, default_status=sensor_status(),
                                  tags={"datacymru/command": "freshness"})
