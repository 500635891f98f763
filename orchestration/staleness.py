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

from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph
from dagster._core.definitions.data_version import DEFAULT_DATA_VERSION

CODE_VERSION_TAG = "dagster/code_version"
DATA_VERSION_TAG = "dagster/data_version"
INPUT_TAG = "dagster/input_data_version/"


def latest_materializations(instance: DagsterInstance,
                             keys: Iterable[AssetKey]) -> dict[AssetKey, AssetMaterialization]:
    """The latest materialisation of each of `keys` that has one, read in one query.

    Dagster's asset records carry it, so a refresh with nothing changed asks the event log once
    rather than once per asset (each ask opens the SQLite event log anew).
    """
    found: dict[AssetKey, AssetMaterialization] = {}
    wanted = list(set(keys))
    if not wanted:  # no keys at all would ask for every asset's record
        return found
    for record in instance.get_asset_records(wanted):
        entry = record.asset_entry.last_materialization
        if entry is not None and entry.asset_materialization is not None:
            found[record.asset_entry.asset_key] = entry.asset_materialization
    return found


def stale_reasons(instance: DagsterInstance, graph: BaseAssetGraph,
                  keys: Iterable[AssetKey]) -> dict[AssetKey, str]:
    """`{key: why}` for every one of `keys` that must be rebuilt (the others are up to date).

    An input's current data version is that of its latest materialisation: every asset of the
    platform is materialised (none is only observed), as `get_latest_data_version_record` reads it.
    """
    wanted = set(keys)
    latest = latest_materializations(
        instance, wanted | {parent for key in wanted for parent in graph.get(key).parent_keys})
    stale: dict[AssetKey, str] = {}
    for key in graph.toposorted_asset_keys:
        if key not in wanted:
            continue
        if key not in latest:
            stale[key] = "never built"
            continue
        tags = latest[key].tags or {}
        node = graph.get(key)
        if node.code_version is not None and tags.get(CODE_VERSION_TAG) != node.code_version:
            stale[key] = "its code changed"
            continue
        for parent in sorted(node.parent_keys):
            if parent in stale:
                stale[key] = f"{parent.to_user_string()} is rebuilt"
                break
            built_from = tags.get(INPUT_TAG + parent.to_user_string())
            current = latest.get(parent)
            # An input never materialised (a backfill table no backfill has made) is recorded
            # with Dagster's initial data version: it has not changed since.
            version = ((current.tags or {}).get(DATA_VERSION_TAG) if current
                       else DEFAULT_DATA_VERSION.value)
            if version != built_from:
                stale[key] = f"{parent.to_user_string()} changed"
                break
    return stale


def never_built(instance: DagsterInstance, keys: Iterable[AssetKey]) -> set[AssetKey]:
    """The keys with no materialisation at all (a fresh home)."""
    keys = set(keys)
    return keys - set(latest_materializations(instance, keys))
