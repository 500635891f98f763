"""Code of Practice gates as asset checks on each mart, and the gated publish assets."""

from collections import defaultdict

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
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

from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.provenance import code_version, data_versions
from orchestration.resources import DataCymru
from sources.gates.audit import append_checks
from sources.gates.marts import gate_names, mart_profiles, run_mart_gates
from sources.gates.model import GateResult
from sources.publish import publish_mart

MARTS = ("mart_performance_framework", "mart_wellbeing_indicators", "mart_deprivation_profile")


def mart_key(mart: str) -> AssetKey:
    return AssetKey(["marts", mart])


def release_key(mart: str) -> AssetKey:
    return AssetKey(["release", mart])


def _check_result(name: str, results: list[GateResult], key: AssetKey) -> AssetCheckResult:
    """Dagster shows one check per gate name; a gate may have run on several columns."""
    blocking = any(r.spec.severity == "blocking" for r in results)
    passed = all(r.passed for r in results)
    first = results[0].spec
    return AssetCheckResult(
        check_name=name, asset_key=key, passed=passed,
        severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
        metadata={"principle": first.principle, "standard": first.standard,
                  "engine": first.engine, "rationale": first.rationale,
                  "errored": any(r.errored for r in results),
                  "observed": MetadataValue.json([r.observed for r in results]),
                  "failing_examples": MetadataValue.json(
                      [e for r in results for e in r.failing_examples][:20])})


def build_mart_checks(mart: str):
    key = mart_key(mart)

    @multi_asset_check(
        name=f"gates_{mart}",
        specs=[AssetCheckSpec(name, asset=key, blocking=severity == "blocking",
                              description=f"Code of Practice gate ({severity})")
               for name, severity in gate_names(mart)],
        pool=WRITER_POOL,
    )
    def _gates(context: AssetCheckExecutionContext, datacymru: DataCymru):
        with datacymru.connect(read_only=True) as con:
            results = run_mart_gates(con, mart, key.to_user_string())
        with datacymru.connect() as con:
            append_checks(con, results, run_id=context.run.run_id, code_version=code_version(),
                          data_versions=data_versions(con))
        grouped: dict[str, list[GateResult]] = defaultdict(list)
        for r in results:
            grouped[r.spec.name].append(r)
        failed = sorted(n for n, rs in grouped.items() if not all(r.passed for r in rs))
        context.log.info(f"{mart}: {len(grouped) - len(failed)} of {len(grouped)} gates passed"
                         + (f"; not passed: {', '.join(failed)}" if failed else ""))
        for name, _severity in gate_names(mart):
            if name in grouped:
                yield _check_result(name, grouped[name], key)

    return _gates


def build_publish_asset(mart: str):
    profile = mart_profiles()[mart]

    @multi_asset(
        name=f"publish_{mart}",
        specs=[AssetSpec(
            release_key(mart), deps=[mart_key(mart)], group_name="releases", kinds={"csv", "parquet"},
            description=(f"Versioned open-data release of `{mart}`: {profile['title_en']} / "
                         f"{profile['title_cy']}. Written only when every blocking gate upstream "
                         "passed; never overwritten."),
            automation_condition=AutomationCondition.eager()
            & AutomationCondition.all_deps_blocking_checks_passed())],
        check_specs=[
            AssetCheckSpec("release_metadata_complete", asset=release_key(mart), blocking=True),
            AssetCheckSpec("revisions_flagged", asset=release_key(mart))],
        pool=WRITER_POOL,
    )
    def _publish(context: AssetExecutionContext, datacymru: DataCymru):
        settings = datacymru.settings()
        with datacymru.connect() as con:
            outcome = publish_mart(con, settings, mart, run_id=context.run_id,
                                   code_version=code_version(), data_versions=data_versions(con))
        for gate in outcome.release_gates:
            yield AssetCheckResult(check_name=gate.spec.name, asset_key=release_key(mart),
                                   passed=gate.passed,
                                   severity=AssetCheckSeverity.ERROR if gate.spec.severity == "blocking"
                                   else AssetCheckSeverity.WARN,
                                   metadata={"observed": MetadataValue.json(gate.observed)})
        if outcome.release is None:
            raise Failure(description=outcome.reason, metadata={"blocking_gates": outcome.blockers})
        release = outcome.release
        progress(context, f"released {mart} {release.release_id}: {release.rows:,} rows, "
                          f"{len(release.revisions)} revision(s)")
        yield MaterializeResult(asset_key=release_key(mart), metadata={
            "release_id": release.release_id, "path": MetadataValue.path(str(release.path)),
            "dagster/row_count": release.rows, "revisions": len(release.revisions),
            "status_label": release.metadata["status_label_en"],
            "gates": MetadataValue.json(release.metadata["gates"])})

    return _publish


def build_gate_assets():
    checks = [build_mart_checks(m) for m in MARTS]
    publishers = [build_publish_asset(m) for m in MARTS]
    return checks, publishers
