"""What must be rebuilt, read from Dagster's own records of what each asset was built from.

Every materialisation carries its code version and the data version of each input
(`dagster/code_version`, `dagster/input_data_version/<key>`), and every source asset reports the
data version of what it wrote (the archive's hash, the loaded fetch, the council returns in force).
An asset is stale when it was never built, when its code changed, or when an input's current data
version is not the one it was built from; anything downstream of a stale asset is stale too. This
is the question Dagster's own "stale" badge answers in the UI, asked for a set of assets at once.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetKey, DagsterInstance
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph

CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"
INPUT_TAG = "dagster/input_data_version/"


def current_data_version(instance: DagsterInstance, key: AssetKey) -> str | None:
    """The data version of the latest materialisation of `key`, if it has one."""
    record = instance.get_latest_data_version_record(key)
    materialization = record.asset_materialization if record else None
    return materialization.tags.get(DATA_VERSION_TAG) if materialization else None


def stale_reasons(instance: DagsterInstance, graph: BaseAssetGraph,
                  keys: Iterable[AssetKey]) -> dict[AssetKey, str]:
    """`{key: why}` for every one of `keys` that must be rebuilt (the others are up to date)."""
    wanted = set(keys)
    stale: dict[AssetKey, str] = {}
    for key in graph.toposorted_asset_keys:
        if key not in wanted:
            continue
        event = instance.get_latest_materialization_event(key)
        if event is None or event.asset_materialization is None:
            stale[key] = "never built"
            continue
        tags = event.asset_materialization.tags or {}
        node = graph.get(key)
        if node.code_version is not None and tags.get(CODE_VERSION_TAG) != node.code_version:
            stale[key] = "its code changed"
            continue
        for parent in sorted(node.parent_keys):
            if parent in stale:
                stale[key] = f"{parent.to_user_string()} is rebuilt"
                break
            built_from = tags.get(INPUT_TAG + parent.to_user_string())
            if current_data_version(instance, parent) != built_from:
                stale[key] = f"{parent.to_user_string()} changed"
                break
    return stale


def never_built(instance: DagsterInstance, keys: Iterable[AssetKey]) -> set[AssetKey]:
    """The keys with no materialisation at all (a fresh home)."""
    return {key for key in keys if instance.get_latest_materialization_event(key) is None}
