"""Council returns: the raw table of accepted returns, fed by the intake folder.

Every write to `raw.council__returns` is a materialisation of this asset (by `datacymru refresh`,
by the intake sensor's job or by `datacymru submit --process`), and reports the returns in force
as its data version, so Dagster knows when the marts that use them are stale.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DataVersion,
    MaterializeResult,
    asset,
    define_asset_job,
)

from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.resources import DataCymru
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

RETURNS_KEY = AssetKey(["raw", "council__returns"])


@asset(key=RETURNS_KEY, group_name="raw", kinds={"duckdb"}, pool=WRITER_POOL,
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
    with datacymru.connect() as con:
        rows = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
        version = returns_version(con)
    statuses: dict[str, int] = {}
    for sub in done:
        statuses[sub.status] = statuses.get(sub.status, 0) + 1
        context.log.info(f"{sub.file_name}: {sub.status} ({len(sub.errors)} error(s)); "
                         f"feedback in {sub.feedback_dir}")
    progress(context, _("loaded   {table}: {rows} rows; new submissions: {submissions}").format(
        table=RAW_TABLE, rows=f"{rows:,}",
        submissions=", ".join(f"{n} {_(SUBMISSION_STATUS.get(s, s))}" for s, n in sorted(statuses.items()))
        or _("none")))
    return MaterializeResult(data_version=DataVersion(version),
                             metadata={"dagster/row_count": rows, "table": RAW_TABLE,
                                       "new_submissions": len(done), **statuses})


council_returns_job = define_asset_job(
    "council_returns_intake", selection=AssetSelection.assets(RETURNS_KEY),
    description="Take in every council return waiting in the intake folder.")
