"""Council returns: the raw table of accepted returns, fed by the intake folder.

Every write to `raw.council__returns` is a materialisation of this asset (by `datacymru refresh`,
by the intake sensor's job or by `datacymru submit --process`), and reports the returns in force
as its data version, so Dagster knows when the marts that use them are stale.

A quarantined return does not fail the run (the intake did its job: the file is kept with its
report, nothing half-loaded), but it must not read as a plain success either: the `return_accepted`
gate fails as a warning on this asset, naming council, file and feedback report, and the run is
tagged `datacymru/quarantined=<n>` so the runs page shows it.
"""

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    define_asset_job,
)

from orchestration.assets.checks import check_result, gate_description, gate_metadata
from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.provenance import code_version, data_versions
from orchestration.resources import DataCymru
from sources.gates.audit import append_checks
from sources.gates.model import GateResult
from sources.gates.registry import gate
from sources.i18n import _
from sources.returns import (
    RAW_TABLE,
    SAMPLE_NOTICE,
    ensure_tables,
    load_sample_returns,
    returns_version,
    scan_intake,
)
from sources.returns.commands import SUBMISSION_STATUS
from sources.returns.intake_gate import quarantine_summary, return_accepted

RETURNS_KEY = AssetKey(["raw", "council__returns"])
RETURN_GATE = "return_accepted"
QUARANTINED_TAG = "datacymru/quarantined"


@asset(key=RETURNS_KEY, group_name="raw", kinds={"duckdb"}, pool=WRITER_POOL,
       check_specs=[AssetCheckSpec(RETURN_GATE, asset=RETURNS_KEY,
                                   description=gate_description(gate(RETURN_GATE)),
                                   metadata=gate_metadata(gate(RETURN_GATE)))],
       description="Accepted council returns (`raw.council__returns`): every file waiting in "
                   "`<home>/intake/` is validated, archived and either loaded whole or quarantined "
                   "with a bilingual feedback report. In snapshot mode the bundled SAMPLE returns "
                   "are submitted first, once per home (never again over a council's later file).")
def council_returns(context: AssetExecutionContext, datacymru: DataCymru) -> MaterializeResult:
    settings = datacymru.settings()
    with datacymru.connect() as con:
        ensure_tables(con)
    # Given the resource's `connect` rather than an open connection, each file is read and
    # validated with the warehouse closed; the write connection is held only to record it.
    done = []
    if settings.mode == "snapshot":
        progress(context, _("council returns: {notice}").format(notice=_(SAMPLE_NOTICE)))
        done += load_sample_returns(settings, datacymru.connect)
    done += scan_intake(settings, datacymru.connect)
    gate_result = return_accepted(done, RETURNS_KEY.to_user_string())
    with datacymru.connect() as con:
        rows = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
        version = returns_version(con)
        append_checks(con, [gate_result], run_id=context.run.run_id, code_version=code_version(),
                      data_versions=data_versions(con))
    quarantined = gate_result.observed["quarantined"]
    if quarantined:
        # Added while the run goes on: a tag set when the run was requested could not know.
        context.instance.add_run_tags(context.run.run_id, {QUARANTINED_TAG: str(quarantined)})
    statuses: dict[str, int] = {}
    for sub in done:
        statuses[sub.status] = statuses.get(sub.status, 0) + 1
        context.log.info(f"{sub.file_name}: {sub.status} ({len(sub.errors)} error(s)); "
                         f"feedback in {sub.feedback_dir}")
    progress(context, _("loaded   {table}: {rows} rows; new submissions: {submissions}").format(
        table=RAW_TABLE, rows=f"{rows:,}",
        submissions=", ".join(f"{n} {_(SUBMISSION_STATUS.get(s, s))}" for s, n in sorted(statuses.items()))
        or _("none")))
    return MaterializeResult(
        data_version=DataVersion(version),
        metadata={"dagster/row_count": rows, "table": RAW_TABLE, "new_submissions": len(done),
                  **statuses},
        check_results=[check_result(gate_result, RETURNS_KEY, description=quarantine_summary(gate_result),
                                    extra=_first_quarantined(gate_result))])


def _first_quarantined(gate_result: GateResult) -> dict[str, object]:
    """The quarantine count, and council, file and report of the first quarantined return.

    Every quarantined return is named in the check's description and its `failing_examples`.
    """
    found = {"quarantined": gate_result.observed["quarantined"]}
    if gate_result.failing_examples:
        first = gate_result.failing_examples[0]
        found |= {"council": first["council"] or "", "file": first["file"],
                  "feedback_report": MetadataValue.path(first["feedback_report"])}
    return found


council_returns_job = define_asset_job(
    "council_returns_intake", selection=AssetSelection.assets(RETURNS_KEY),
    description="Take in every council return waiting in the intake folder.")
