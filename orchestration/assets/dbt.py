"""dbt models as Dagster assets: one graph from publisher to mart, dbt tests as asset checks.

The manifest is prepared once by `make dbt-manifest` (`python -m orchestration.dbt_prepare`),
never parsed when the code location loads. dbt tests become asset checks named after their gate
(`sources/gates/dbt_results.py`), described by the gate registry, and every execution is
appended to `audit.check_results` with what it examined and its failing rows.
"""

import json
import logging
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    TableColumn,
    TableSchema,
    get_dagster_logger,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging.version import Version

from orchestration.assets.checks import check_result, gate_description, gate_metadata
from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.dbt_executable import DBT_TARGET, dbt_executable, installed_dbt_version
from orchestration.provenance import code_version, data_versions
from orchestration.resources import DataCymru
from sources.faults import crash_point
from sources.gates.audit import append_checks
from sources.gates.dbt_results import attached_node, check_names, gate_of_test, gate_results_from_dbt
from sources.gates.registry import dbt_vars
from sources.i18n import _

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
NO_ADAPTER_HERE = "An error was encountered when creating a handle to the dbt adapter in Dagster."


class _DbtRunsElsewhere(logging.Filter):
    """Drop dagster-dbt's warning that it cannot open dbt's adapter in this process.

    dbt-core is not installed here (it runs as a command from its own environment:
    `orchestration/dbt_executable.py`), so that attempt always fails; dagster-dbt uses the adapter
    only for row counts and column metadata, which this platform does not fetch.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != NO_ADAPTER_HERE


get_dagster_logger().addFilter(_DbtRunsElsewhere())
MANIFEST = DBT_DIR / "target" / "manifest.json"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target=DBT_TARGET)


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource, told dbt's version rather than asking for it at every build.

    dagster-dbt runs `dbt --version` once per resource, so once per run that builds: a second
    start of dbt (about 2 s of CPU on the critical path) that also asks PyPI for the latest
    release. The version is read from dbt's own environment instead; where that cannot be read
    (another layout of `DATA_CYMRU_DBT_EXECUTABLE`), dagster-dbt asks dbt as before.
    """

    @cached_property
    def _cli_version(self) -> Version:
        installed = installed_dbt_version(dbt_executable())
        return Version(installed) if installed else super()._cli_version


def _bilingual(english: str | None, welsh: str | None) -> str | None:
    return f"{english}\n\nCymraeg: {welsh}" if welsh else english


class Translator(DagsterDbtTranslator):
    """Models keyed by layer (`staging/…`, `intermediate/…`, `marts/…`), seeds under `seeds/`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "seed":
            return AssetKey(["seeds", dbt_resource_props["name"]])
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "models"
        return AssetKey([layer, dbt_resource_props["name"]])

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The dbt description, then its Welsh (`meta.description_cy`) where the model has one."""
        english = super().get_description(dbt_resource_props)
        welsh = (dbt_resource_props.get("meta") or {}).get("description_cy")
        return f"{english}\n\nCymraeg: {welsh}" if welsh else english

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata, each column's description followed by its Welsh."""
        metadata = dict(super().get_metadata(dbt_resource_props))
        schema = metadata.get("dagster/column_schema")
        columns = dbt_resource_props.get("columns") or {}
        if isinstance(schema, TableSchema):
            welsh = {name: (c.get("meta") or {}).get("description_cy") for name, c in columns.items()}
            metadata["dagster/column_schema"] = TableSchema(columns=[
                TableColumn(name=column.name, type=column.type, constraints=column.constraints,
                            tags=column.tags,
                            description=_bilingual(column.description, welsh.get(column.name)))
                for column in schema.columns])
        return metadata

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        key = self.get_asset_key(dbt_resource_props)
        return key.path[0] if len(key.path) > 1 else None

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project) -> AssetCheckSpec | None:
        """The check of a dbt test, described by the gate it implements."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        gate = gate_of_test(manifest["nodes"][unique_id])
        return spec._replace(description=gate_description(gate),
                             metadata={**(spec.metadata or {}), **gate_metadata(gate)})


def manifest_path() -> Path:
    if not MANIFEST.exists():
        raise FileNotFoundError(
            f"{MANIFEST} is missing: prepare it once with `make dbt-manifest` "
            "(python -m orchestration.dbt_prepare)")
    return MANIFEST


def load_manifest() -> dict[str, Any]:
    """The manifest with each test named by its check name.

    dbt's generated test names run past 60 characters. Dagster selects tests by their fully
    qualified name, which keeps dbt's own names, so only what people read changes.
    """
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    for uid, name in check_names(manifest).items():
        manifest["nodes"][uid]["name"] = name
    return manifest


MANIFEST_DOC = load_manifest()
# Source tests guard the raw tables: they become checks on the `raw/…` assets. Code references
# link each model in the UI to its SQL file, so an analyst reads the query behind a figure.
TRANSLATOR = Translator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True,
                                                           enable_code_references=True))


def asset_of_test(unique_id: str) -> str:
    """The asset a dbt test guards, as Dagster keys it."""
    target = attached_node(MANIFEST_DOC["nodes"][unique_id])
    props = MANIFEST_DOC["nodes"].get(target) or MANIFEST_DOC["sources"].get(target)
    return TRANSLATOR.get_asset_key(props).to_user_string() if props else "unknown"


@dbt_assets(manifest=MANIFEST_DOC, dagster_dbt_translator=TRANSLATOR, project=dbt_project,
            pool=WRITER_POOL)
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, datacymru: DataCymru):
    """`dbt build` of the selected models: seeds, models and their tests, streamed to the log."""
    settings = datacymru.settings()
    os.environ["DATA_CYMRU_HOME"] = str(settings.home)  # dbt starts there (orchestration/bin/dbt)
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
    invocation = dbt.cli(["build", "--vars", json.dumps(dbt_vars())], context=context,
                         raise_on_error=False, target_path=target)
    # Check results are held back until the build is over: only then can the warehouse be read
    # for what each test examined and its failing rows.
    held: list[AssetCheckResult] = []
    for event in invocation.stream():
        crash_point("dbt")  # dbt is running: a test kills the parent here
        if isinstance(event, AssetCheckResult):
            held.append(event)
        else:
            yield event
    run_results = invocation.get_artifact("run_results.json")
    with datacymru.connect() as con:
        results = gate_results_from_dbt(run_results, MANIFEST_DOC, asset_of_test, con)
        append_checks(con, results, run_id=context.run.run_id, code_version=code_version(),
                      data_versions=data_versions(con))
        from orchestration.assets.gates import MARTS, mart_key, report_if_blocked  # cycle

        for mart in MARTS:
            if any(r.blocks and r.asset_key == mart_key(mart).to_user_string() for r in results):
                report = report_if_blocked(con, settings, mart, context.run.run_id)
                context.log.warning(f"{mart}: blocked; report of the attempt: {report}")
    by_check = {(r.asset_key, r.check_name): r for r in results}
    for event in held:
        result = by_check.get((event.asset_key.to_user_string(), event.check_name))
        yield check_result(result, event.asset_key) if result else event
    failed = [r for r in results if not r.passed]
    progress(context, _("dbt build: {nodes} nodes, {tests} tests ({failed} not passed)").format(
        nodes=len(run_results.get("results", [])), tests=len(results), failed=len(failed)))
    errors = [r for r in run_results.get("results", [])
              if r["status"] == "error" and not r["unique_id"].startswith(("test.", "unit_test."))]
    if errors:
        raise RuntimeError("dbt build failed: " + "; ".join(
            f"{r['unique_id']}: {(r.get('message') or '').strip()[:300]}" for r in errors))


def dbt_checks_on(asset: AssetKey) -> list[str]:
    """The check names of the dbt tests that guard `asset`."""
    key = asset.to_user_string()
    return sorted(node["name"] for uid, node in MANIFEST_DOC["nodes"].items()
                  if uid.startswith("test.") and asset_of_test(uid) == key)


def upstream_datasets(model: str) -> list[str]:
    """The raw datasets (dbt sources) a model is built from, walking dbt's own lineage."""
    parents = MANIFEST_DOC["parent_map"]
    start = next(uid for uid, n in MANIFEST_DOC["nodes"].items()
                 if n["resource_type"] == "model" and n["name"] == model)
    seen, todo, found = set(), [start], set()
    while todo:
        uid = todo.pop()
        for parent in parents.get(uid, []):
            if parent in seen:
                continue
            seen.add(parent)
            if parent.startswith("source."):
                found.add(MANIFEST_DOC["sources"][parent]["name"])
            else:
                todo.append(parent)
    return sorted(found)
