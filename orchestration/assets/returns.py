"""Council returns: the raw table of accepted returns, and the intake sensor's job."""

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    Config,
    MaterializeResult,
    OpExecutionContext,
    asset,
    job,
    op,
)

from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.resources import DataCymru
from sources.returns import (
    RAW_TABLE,
    SAMPLE_NOTICE,
    ensure_tables,
    load_sample_returns,
    process_intake_file,
    scan_intake,
)

RETURNS_KEY = AssetKey(["raw", "council__returns"])


@asset(key=RETURNS_KEY, group_name="raw", kinds={"duckdb"}, pool=WRITER_POOL,
       description="Accepted council returns (`raw.council__returns`): every file validated, "
                   "archived and either loaded whole or quarantined with a bilingual feedback "
                   "report. In snapshot mode the bundled SAMPLE returns are submitted; in live "
                   "mode every file waiting in `<home>/intake/` is processed.")
def council_returns(context: AssetExecutionContext, datacymru: DataCymru) -> MaterializeResult:
    settings = datacymru.settings()
    with datacymru.connect() as con:
        ensure_tables(con)
        if settings.mode == "snapshot":
            progress(context, f"council returns: {SAMPLE_NOTICE}")
            done = load_sample_returns(settings, con)
        else:
            done = scan_intake(settings, con)
        rows = con.execute(f"SELECT count(*) FROM {RAW_TABLE}").fetchone()[0]
    statuses: dict[str, int] = {}
    for sub in done:
        statuses[sub.status] = statuses.get(sub.status, 0) + 1
    progress(context, f"loaded   {RAW_TABLE}: {rows:,} rows; new submissions: "
                      + (", ".join(f"{n} {s}" for s, n in sorted(statuses.items())) or "none"))
    return MaterializeResult(metadata={"dagster/row_count": rows, "table": RAW_TABLE,
                                       "new_submissions": len(done), **statuses})


class IntakeFile(Config):
    """A file name in `<home>/intake/` (a name only: never a path)."""

    file_name: str


@op(pool=WRITER_POOL)
def process_council_return(context: OpExecutionContext, config: IntakeFile, datacymru: DataCymru):
    settings = datacymru.settings()
    with duckdb.connect(str(settings.warehouse)) as con:
        done = process_intake_file(settings.intake / config.file_name, settings, con)
    context.log.info(f"{done.file_name}: {done.status} ({len(done.errors)} error(s)); "
                     f"feedback in {done.feedback_dir}")


@job(description="Process one council return dropped into the intake folder.")
def council_return_job():
    process_council_return()
