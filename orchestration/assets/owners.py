"""Who answers for each layer of the asset graph: Dagster's asset owners, one rule by group.

The data engineers own what comes from publishers and councils and its typing (archive, raw,
staging); the statisticians own the statistics built from it and what is published (seeds,
intermediate, marts, releases). An analyst or auditor reading the graph sees whom to ask.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetsDefinition, AssetSpec, map_asset_specs

DATA_ENGINEERING = "team:data-engineering"
STATISTICS = "team:statistics"

OWNERS_BY_GROUP = {
    "archive": DATA_ENGINEERING,
    "raw": DATA_ENGINEERING,
    "raw_backfill": DATA_ENGINEERING,
    "staging": DATA_ENGINEERING,
    "seeds": STATISTICS,
    "intermediate": STATISTICS,
    "marts": STATISTICS,
    "releases": STATISTICS,
}


def _owned(spec: AssetSpec) -> AssetSpec:
    owner = OWNERS_BY_GROUP.get(spec.group_name or "")
    if owner is None:
        raise ValueError(f"asset {spec.key.to_user_string()} is in group {spec.group_name!r}, which "
                         "has no owner: add the group to OWNERS_BY_GROUP in "
                         "orchestration/assets/owners.py")
    return spec.replace_attributes(owners=[owner])


def with_owners(assets: Sequence[AssetsDefinition]) -> list[AssetsDefinition]:
    """Every asset with the owner of its group."""
    return list(map_asset_specs(_owned, assets))
