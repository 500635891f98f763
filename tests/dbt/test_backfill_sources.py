"""The backfill tables in dbt are exactly those the catalogue's publishers can fill.

Every dataset whose publisher serves past periods (`sources/backfill.py`) is a `raw_backfill`
source mapped to its Dagster asset, and its staging model reads it through `raw_with_backfill`
with the publisher's period column; no other dataset has one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from orchestration.assets.backfill import backfill_key
from sources.backfill import PERIOD_RANGES, backfill_datasets
from sources.catalogue import catalogue

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
KEYS = sorted(d.key for d in backfill_datasets(catalogue()))


def _backfill_sources() -> dict[str, dict]:
    doc = yaml.safe_load((DBT_DIR / "models" / "staging" / "__sources.yml").read_text(encoding="utf-8"))
    (source,) = [s for s in doc["sources"] if s["name"] == "raw_backfill"]
    return {t["name"]: t for t in source["tables"]}


def test_backfill_sources_are_the_datasets_whose_publisher_serves_history():
    assert KEYS, "no publisher serves past periods?"
    assert sorted(_backfill_sources()) == KEYS


@pytest.mark.parametrize("key", KEYS)
def test_each_backfill_source_is_its_asset_and_read_by_its_staging_model(key: str):
    dataset = catalogue()[key]
    table = _backfill_sources()[key]
    assert table["config"]["meta"]["dagster"]["asset_key"] == backfill_key(dataset).path
    sql = (DBT_DIR / "models" / "staging" / f"stg_{key}.sql").read_text(encoding="utf-8")
    call = re.search(r"raw_with_backfill\('([^']+)', '([^']+)'\)", sql)
    assert call and call.groups() == (key, PERIOD_RANGES[dataset.provider].period_column), (
        f"stg_{key} must read {{{{ raw_with_backfill('{key}', "
        f"'{PERIOD_RANGES[dataset.provider].period_column}') }}}}")
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    parents = manifest["nodes"][f"model.datacymru.stg_{key}"]["depends_on"]["nodes"]
    assert {f"source.datacymru.raw.{key}", f"source.datacymru.raw_backfill.{key}"} <= set(parents)
