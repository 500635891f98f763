"""The Great Expectations gates as asset checks on each mart, and the gated publish assets.

The marts' dbt tests are checks too (`orchestration/assets/dbt.py`); a release relies on the
newest execution of every check on its mart, and adds release checks of its own (metadata,
revisions, bilingual parity).
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
    multi_asset_check,
)

from orchestration.assets.checks import check_result, gate_description, gate_metadata
from orchestration.assets.dbt import MANIFEST_DOC, dbt_checks_on, upstream_datasets
from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.provenance import code_version, data_versions
from orchestration.resources import DataCymru
from sources.faults import crash_point
from sources.gates.audit import append_checks
from sources.gates.marts import gx_checks, mart_names, mart_profiles, run_mart_gates
from sources.gates.registry import gate
from sources.i18n import _
from sources.publish import publish_mart, release_asset
from sources.trace_render import release_hint

MARTS = mart_names()
RELEASE_CHECKS = ("release_metadata_complete", "revisions_flagged", "release_bilingual",
                  "welsh_reviewed")


def mart_key(mart: str) -> AssetKey:
    return AssetKey(["marts", mart])


def release_key(mart: str) -> AssetKey:
    return AssetKey.from_user_string(release_asset(mart))


def _spec(check_name: str, gate_name: str, key: AssetKey) -> AssetCheckSpec:
    registered = gate(gate_name)
    return AssetCheckSpec(check_name, asset=key, blocking=registered.severity == "blocking",
                          description=gate_description(registered),
                          metadata=gate_metadata(registered))


def mart_checks(mart: str) -> list[tuple[str, str]]:
    """(asset key, check name) of every check on a mart: its dbt tests and its GX suite."""
    key = mart_key(mart)
    names = [*dbt_checks_on(key), *(name for name, _gate in gx_checks(mart))]
    return [(key.to_user_string(), name) for name in sorted(names)]


def report_if_blocked(con, settings, mart: str, run_id: str) -> str | None:
    """Write the report of a blocked attempt when a blocking check on `mart` did not pass.

    Called by the steps that run checks: Dagster does not run the publish step after a failed
    blocking check, and an auditor must still see why nothing was published.
    """
    outcome = publish_mart(con, settings, mart, run_id=run_id, code_version=code_version(),
                           data_versions=data_versions(con), checks=mart_checks(mart),
                           datasets=upstream_datasets(mart), report_only=True)
    return str(outcome.report) if outcome.report else None


def build_mart_checks(mart: str):
    key = mart_key(mart)

    @multi_asset_check(
        name=f"gx_{mart}",
        specs=[_spec(name, gate_name, key) for name, gate_name in gx_checks(mart)],
        pool=WRITER_POOL,
    )
    def _gates(context: AssetCheckExecutionContext, datacymru: DataCymru):
        with datacymru.connect(read_only=True) as con:
            results = run_mart_gates(con, mart, key.to_user_string())
        crash_point("gates")
        with datacymru.connect() as con:
            append_checks(con, results, run_id=context.run.run_id, code_version=code_version(),
                          data_versions=data_versions(con))
            if any(r.blocks for r in results):
                report = report_if_blocked(con, datacymru.settings(), mart, context.run.run_id)
                context.log.warning(f"{mart}: blocked; report of the attempt: {report}")
        not_passed = [r.check_name for r in results if r.outcome not in ("passed", "not_applicable")]
        context.log.info(f"{mart}: {len(results) - len(not_passed)} of {len(results)} GX checks "
                         "passed or were not applicable"
                         + (f"; not passed: {', '.join(not_passed)}" if not_passed else ""))
        for result in results:
            yield check_result(result, key)

    return _gates


def build_publish_asset(mart: str):
    profile = mart_profiles()[mart]

    @multi_asset(
        name=f"publish_{mart}",
        specs=[AssetSpec(
            release_key(mart), deps=[mart_key(mart)], group_name="releases", kinds={"csv", "parquet"},
            description=(f"Versioned open-data release of `{mart}`: {profile['title_en']} / "
                         f"{profile['title_cy']}. Written only when every blocking check on the "
                         "mart passed; never overwritten. A blocked attempt leaves its report in "
                         f"releases/{mart}/blocked/."),
            automation_condition=AutomationCondition.eager()
            & AutomationCondition.all_deps_blocking_checks_passed())],
        check_specs=[_spec(name, name, release_key(mart)) for name in RELEASE_CHECKS],
        pool=WRITER_POOL,
    )
    def _publish(context: AssetExecutionContext, datacymru: DataCymru):
        settings = datacymru.settings()
        with datacymru.connect() as con:
            outcome = publish_mart(con, settings, mart, run_id=context.run_id,
                                   code_version=code_version(), data_versions=data_versions(con),
                                   checks=mart_checks(mart), datasets=upstream_datasets(mart),
                                   manifest=MANIFEST_DOC)
        for note in outcome.recovered:
            context.log.warning(note)
        for result in outcome.release_gates:
            yield check_result(result, release_key(mart))
        if outcome.release is None:
            raise Failure(description=outcome.reason, metadata={
                "blocking_checks": outcome.blockers,
                "report": MetadataValue.path(str(outcome.report))})
        release = outcome.release
        progress(context, _("released {mart} {release_id}: {rows} rows, {revisions} revision(s)").format(
            mart=mart, release_id=release.release_id, rows=f"{release.rows:,}",
            revisions=len(release.revisions)))
        gates = release.metadata["gates"]
        site, trace = release.path / "site" / "index.html", release_hint(release.path, mart,
                                                                          release.release_id)
        yield MaterializeResult(asset_key=release_key(mart), metadata={
            "release_id": release.release_id, "path": MetadataValue.path(str(release.path)),
            "report": MetadataValue.path(str(release.path / "report.html")),
            **({"benchmarking_pages": MetadataValue.path(str(site))} if site.exists() else {}),
            **({"trace": MetadataValue.md(trace)} if trace else {}),
            "dagster/row_count": release.rows, "revisions": len(release.revisions),
            "status_label": release.metadata["status_label_en"],
            "checks": gates["total"], "checks_by_outcome": MetadataValue.json(gates["by_outcome"])})

    return _publish


def build_gate_assets():
    checks = [build_mart_checks(m) for m in MARTS]
    publishers = [build_publish_asset(m) for m in MARTS]
    return checks, publishers
