"""The dbt sources describe exactly the raw tables the catalogue produces.

Every catalogue dataset is a source table in `dbt_project/models/staging/__sources.yml`, mapped to
its Dagster asset, with the catalogue's columns plus the loader's provenance columns, each described;
and every source table has a staging model. A mismatch fails with the dataset and the columns that
differ.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sources.catalogue import catalogue

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
LOADER_COLUMNS = ["_lang", "_archive_sha256", "_source_url", "_retrieved_at", "_loaded_at", "_load_row"]


def _source_tables() -> dict[str, dict]:
    doc = yaml.safe_load((DBT_DIR / "models" / "staging" / "__sources.yml").read_text(encoding="utf-8"))
    (raw,) = [s for s in doc["sources"] if s["name"] == "raw"]
    return {t["name"]: t for t in raw["tables"]}


# Raw tables fed by the council returns intake rather than by a publisher's API.
INTAKE_TABLES = ["council__returns"]


def test_every_catalogue_dataset_is_a_source_and_nothing_else() -> None:
    assert sorted(_source_tables()) == sorted([*catalogue(), *INTAKE_TABLES])


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_source_columns_and_asset_key_match_catalogue(key: str) -> None:
    table = _source_tables()[key]
    dataset = catalogue()[key]
    per_file = ["_dataset_title"] if dataset.provider == "statswales" else []  # from the API's metadata
    expected = [c.name for c in dataset.columns] + per_file + LOADER_COLUMNS
    declared = [c["name"] for c in table["columns"]]
    assert sorted(declared) == sorted(expected), (
        f"{key}: missing from __sources.yml {sorted(set(expected) - set(declared))}, "
        f"not in the catalogue {sorted(set(declared) - set(expected))}")
    assert all(c.get("description") for c in table["columns"]), f"{key}: undescribed columns"
    assert table["config"]["meta"]["dagster"]["asset_key"] == ["raw", key]


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_source_has_a_staging_model(key: str) -> None:
    model = DBT_DIR / "models" / "staging" / f"stg_{key}.sql"
    assert model.exists(), f"no staging model for raw.{key}"
    manifest = json.loads((DBT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    node = manifest["nodes"][f"model.datacymru.stg_{key}"]
    assert f"source.datacymru.raw.{key}" in node["depends_on"]["nodes"], f"stg_{key} does not read raw.{key}"
    assert model.with_suffix(".yml").exists(), f"stg_{key} has no .yml"
