"""dbt models as Dagster assets: one graph from publisher to mart, dbt tests as asset checks.

The manifest is prepared once by `make dbt-manifest` (`python -m orchestration.dbt_prepare`),
never parsed when the code location loads. dbt tests become asset checks (error severity =
blocking), and every test result is appended to `audit.check_results` with its Code of
Practice tags from the test's `meta`.
"""

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.provenance import code_version, data_versions
from orchestration.resources import DataCymru
from sources.gates.audit import append_checks
from sources.gates.dbt_results import gate_results_from_dbt

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
MANIFEST = DBT_DIR / "target" / "manifest.json"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


class Translator(DagsterDbtTranslator):
    """Models keyed by layer (`staging/…`, `intermediate/…`, `marts/…`), seeds under `seeds/`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "seed":
            return AssetKey(["seeds", dbt_resource_props["name"]])
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "models"
        return AssetKey([layer, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        key = self.get_asset_key(dbt_resource_props)
        return key.path[0] if len(key.path) > 1 else None


def manifest_path() -> Path:
    if not MANIFEST.exists():
        raise FileNotFoundError(
            f"{MANIFEST} is missing: prepare it once with `make dbt-manifest` "
            "(python -m orchestration.dbt_prepare)")
    return MANIFEST


# Source tests guard the raw tables: they become checks on the `raw/…` assets.
TRANSLATOR = Translator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


@dbt_assets(manifest=manifest_path(), dagster_dbt_translator=TRANSLATOR, project=dbt_project,
            pool=WRITER_POOL)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, datacymru: DataCymru):
    """`dbt build` of the selected models: seeds, models and their tests, streamed to the log."""
    settings = datacymru.settings()
    os.environ["DATA_CYMRU_HOME"] = str(settings.home)  # profiles.yml reads the warehouse from it
    # What is selected is built: deciding what is stale is Dagster's (`orchestration/staleness.py`
    # for `datacymru refresh`, the "stale" badge and automation conditions in the UI).
    # A test runs when its models are selected or upstream of the selection ("buildable"): a
    # rebuilt model keeps its tests against an unchanged seed, and a seed rebuilt for one model
    # does not drag in the tests of models that were not built. (dagster-dbt still overrides
    # this when checks are selected on their own.)
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    # dbt's artifacts (compiled SQL, run_results.json) are state: they live in the home, one
    # folder per run, so a failing test's compiled SQL can be found from the run id.
    target = settings.home / "dbt" / context.run.run_id
    invocation = dbt.cli(["build"], context=context, raise_on_error=False, target_path=target)
    yield from invocation.stream()
    run_results = invocation.get_artifact("run_results.json")
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    results = gate_results_from_dbt(run_results, manifest, TRANSLATOR)
    with datacymru.connect() as con:
        append_checks(con, results, run_id=context.run.run_id, code_version=code_version(),
                      data_versions=data_versions(con))
    failed = [r for r in results if not r.passed]
    progress(context, f"dbt build: {len(run_results.get('results', []))} nodes, "
                      f"{len(results)} tests ({len(failed)} not passed)")
    errors = [r for r in run_results.get("results", [])
              if r["status"] == "error" and not r["unique_id"].startswith(("test.", "unit_test."))]
    if errors:
        raise RuntimeError("dbt build failed: " + "; ".join(
            f"{r['unique_id']}: {(r.get('message') or '').strip()[:300]}" for r in errors))
