"""One backfill table asset per dataset whose publisher serves past periods, made by one factory.

`raw_backfill/backfill__<dataset>` is the dbt source `raw_backfill.<dataset>` (one lineage graph). It is
materialised only by the `backfill` job (`datacymru backfill`, or the launchpad with the period
range as run config), never by a refresh or a schedule: a refresh brings the catalogue's window.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    Config,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    define_asset_job,
    multi_asset,
)
from pydantic import Field

from orchestration.assets.sources import WRITER_POOL, progress
from orchestration.resources import DataCymru
from sources.backfill import (
    BACKFILL_SCHEMA,
    PERIOD_RANGES,
    BackfillRefused,
    backfill_datasets,
    backfill_table,
    fetch_backfill,
)
from sources.catalogue import Dataset
from sources.i18n import _, both
from sources.load_backfill import load_backfill

BACKFILL_JOB = "backfill"


class PeriodRangeConfig(Config):
    """The periods to fetch, in the publisher's notation (`datacymru backfill --from/--to`)."""

    from_period: str = Field(description="First period, e.g. 2016 or latestMINUS8 (Nomis).")
    to_period: str = Field(description="Last period, e.g. 2018 or latestMINUS6 (Nomis).")


def backfill_key(dataset: Dataset) -> AssetKey:
    """`raw_backfill/backfill__<dataset>`, the asset key of the dbt source `raw_backfill.<dataset>`.

    Not `raw_backfill/<dataset>`: the UI labels a node with the last part of its key only, which
    would read exactly like the raw table `raw/<dataset>` beside it.
    """
    return AssetKey([BACKFILL_SCHEMA, f"backfill__{dataset.key}"])


def backfill_op(dataset: Dataset) -> str:
    """The op name, which run config addresses (`ops: {<name>: {config: ...}}`)."""
    return f"backfill_{dataset.key}"


def build_backfill_asset(dataset: Dataset) -> AssetsDefinition:
    """Fetch a range of periods of the dataset into the archive, then merge them into its table."""
    ranges = PERIOD_RANGES[dataset.provider]

    @multi_asset(
        name=backfill_op(dataset),
        specs=[AssetSpec(
            backfill_key(dataset), group_name=BACKFILL_SCHEMA,
            kinds={"python", "duckdb"}, tags={"provider": dataset.provider},
            description=(f"Past periods of **{dataset.title_en}** / *{dataset.title_cy}* in "
                         f"`{backfill_table(dataset)}`, fetched by `datacymru backfill --dataset "
                         f"{dataset.key}` (`{ranges.parameter}=` ranges); staging reads them where "
                         f"`{dataset.raw_table}` has no such period."),
            metadata={"table": backfill_table(dataset), "period_column": ranges.period_column,
                      "dataset_id": dataset.dataset_id, "provider": dataset.provider})],
        # Fetch and load in one step: the period range is this run's alone. The writer pool
        # serialises it with every other DuckDB writer.
        pool=WRITER_POOL,
    )
    def _backfill(context: AssetExecutionContext, config: PeriodRangeConfig,
                  datacymru: DataCymru) -> MaterializeResult:
        settings = datacymru.settings()
        try:
            fetch, archive = fetch_backfill(dataset, settings, config.from_period, config.to_period,
                                            log=context.log.debug)
        except (BackfillRefused, ValueError) as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        with datacymru.connect() as con:
            result = load_backfill(dataset, fetch, archive, con)
        for warning in result.warnings:
            context.log.warning(warning)
        for period, rows in result.periods:
            progress(context, _("backfilled {table}: {period}, {rows} rows").format(
                table=backfill_table(dataset), period=period, rows=f"{rows:,}"))
        first = fetch.data_parts[0]
        return MaterializeResult(
            asset_key=backfill_key(dataset),
            data_version=DataVersion(result.data_version),
            metadata={
                "dagster/row_count": result.rows,
                "table": backfill_table(dataset),
                "period_from": fetch.backfill["from"], "period_to": fetch.backfill["to"],
                "periods": MetadataValue.json(dict(result.periods)),
                "periods_replaced": MetadataValue.json(result.replaced),
                "data_version": result.data_version,
                "fetch_id": fetch.fetch_id,
                "archive_sha256_all": MetadataValue.json([p.sha256 for p in fetch.data_parts]),
                "source_url": MetadataValue.url(first.url),
                "archive_dir": MetadataValue.path(str(archive.dir)),
                "mode": fetch.mode,
            })

    return _backfill


def build_backfill_assets(catalogue: dict[str, Dataset]) -> list[AssetsDefinition]:
    return [build_backfill_asset(d) for d in backfill_datasets(catalogue)]


BACKFILL_SELECTION = AssetSelection.groups(BACKFILL_SCHEMA)
backfill_job = define_asset_job(
    BACKFILL_JOB, selection=BACKFILL_SELECTION,
    description="\n\nCymraeg: ".join(both(
        "Backfill: fetch a range of past periods of one dataset into its raw_backfill table "
        "(`datacymru backfill`, which then rebuilds, checks and releases what they change).")))
