"""Two assets per catalogue dataset, made by one factory: the archive fetch and the raw table."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Backoff,
    DataVersion,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    multi_asset,
)

from orchestration.resources import DataCymru
from sources.archive import Archive
from sources.catalogue import Dataset
from sources.fetch import fetch_dataset
from sources.http import is_transient
from sources.i18n import _
from sources.load import load_dataset
from sources.snapshot import SAMPLE_NOTICE

WRITER_POOL = "duckdb_writer"
# A fetch whose requests gave up on a transient fault (the client already retried each request
# up to 5 times over ~30 s, honouring Retry-After) is started again as a whole, twice, after up to
# 20 s and then 40 s: long enough to ride out a publisher's short outage, short enough that a
# refresh fails the same morning. Responses already archived are not stored twice (same sha256).
# Any other failure is final at once (`Failure(allow_retries=False)`): it would fail again.
FETCH_RETRY = RetryPolicy(max_retries=2, delay=20, backoff=Backoff.EXPONENTIAL, jitter=Jitter.FULL)


def publisher_pool(dataset: Dataset) -> str:
    """One fetch per publisher at a time across every run: they share its rate-limit window."""
    return f"publisher_{dataset.provider}"


def progress(context: AssetExecutionContext, message: str) -> None:
    """A line in the run log, and on the terminal of `datacymru refresh`."""
    context.log.info(message)
    print(message, flush=True)


def archive_key(dataset: Dataset) -> AssetKey:
    """`archive/archive__<dataset>`, not `archive/<dataset>`.

    The UI labels a node with the last part of its key only: `archive/<dataset>` would read
    exactly like the raw table `raw/<dataset>` beside it.
    """
    return AssetKey(["archive", f"archive__{dataset.key}"])


def raw_key(dataset: Dataset) -> AssetKey:
    return AssetKey(["raw", dataset.key])


def _description(dataset: Dataset, what: str) -> str:
    return (f"{what} of **{dataset.title_en}** / *{dataset.title_cy}*.\n\n"
            f"Provider: {dataset.provider}, dataset `{dataset.dataset_id}`; licence: {dataset.licence}; "
            f"refresh cadence `{dataset.cadence}`. Used by: {', '.join(dataset.marts) or 'no mart yet'}.")


def _static_metadata(dataset: Dataset) -> dict:
    return {"dataset_id": dataset.dataset_id, "provider": dataset.provider,
            "licence": dataset.licence, "title_en": dataset.title_en,
            "title_cy": dataset.title_cy, "cadence": dataset.cadence}


def build_archive_asset(dataset: Dataset) -> AssetsDefinition:
    """Fetch every response of the dataset into the immutable raw archive."""

    @multi_asset(
        name=f"fetch_{dataset.key}",
        specs=[AssetSpec(archive_key(dataset), description=_description(dataset, "Raw archive"),
                         group_name="archive", kinds={"python", "file"},
                         metadata=_static_metadata(dataset),
                         tags={"provider": dataset.provider})],
        retry_policy=FETCH_RETRY,
        pool=publisher_pool(dataset),
    )
    def _fetch(context: AssetExecutionContext, datacymru: DataCymru) -> MaterializeResult:
        settings = datacymru.settings()
        try:
            fetch = fetch_dataset(dataset, settings, log=context.log.debug)
        except Exception as exc:
            if is_transient(exc):
                if context.retry_number < FETCH_RETRY.max_retries:
                    progress(context, _("fetch of {dataset} gave up on a transient fault; "
                                        "it starts again after a pause").format(dataset=dataset.key))
                raise
            raise Failure(description=str(exc), allow_retries=False) from exc
        progress(context, _("fetched  {dataset}: {responses} responses, {bytes} bytes ({mode})").format(
            dataset=dataset.key, responses=len(fetch.parts),
            bytes=f"{sum(p.bytes for p in fetch.parts):,}", mode=settings.mode))
        first = fetch.data_parts[0]
        return MaterializeResult(
            asset_key=archive_key(dataset),
            # the hash of the archived bytes in order: what changed upstream, as Dagster tracks it
            data_version=DataVersion(fetch.data_version),
            metadata={
                "mode": settings.mode,
                "data_version": fetch.data_version,
                "fetch_id": fetch.fetch_id,
                "responses": len(fetch.parts),
                "bytes": sum(p.bytes for p in fetch.parts),
                "archive_sha256": first.sha256,
                "source_url": MetadataValue.url(first.url),
                "archive_dir": MetadataValue.path(str(Archive(settings.archive, dataset.provider,
                                                              dataset.name).dir)),
                **({"notice": SAMPLE_NOTICE} if settings.mode == "snapshot" else {}),
            })

    return _fetch


def build_raw_asset(dataset: Dataset) -> AssetsDefinition:
    """Load the latest complete fetch into `raw.<provider>__<dataset>` (skipped if unchanged)."""

    @multi_asset(
        name=f"load_{dataset.key}",
        specs=[AssetSpec(raw_key(dataset), deps=[archive_key(dataset)],
                         description=_description(dataset, f"Raw table `{dataset.raw_table}`"),
                         group_name="raw", kinds={"duckdb"}, metadata=_static_metadata(dataset),
                         tags={"provider": dataset.provider})],
        pool=WRITER_POOL,
    )
    def _load(context: AssetExecutionContext, datacymru: DataCymru) -> MaterializeResult:
        settings = datacymru.settings()
        archive = Archive(settings.archive, dataset.provider, dataset.name)
        fetch = archive.latest_fetch()
        if fetch is None:
            raise RuntimeError(f"{dataset.key}: nothing archived yet; materialise "
                               f"{archive_key(dataset).to_user_string()} first")
        with datacymru.connect() as con:
            # Raises (a failed step, so nothing downstream is rebuilt) rather than empty the table.
            result = load_dataset(dataset, fetch, archive, con,
                                  min_row_ratio=settings.raw_min_row_ratio)
        for warning in result.warnings:
            context.log.warning(warning)
        loaded = (_("loaded   {table}: {rows} rows (input unchanged, load skipped)") if result.skipped
                  else _("loaded   {table}: {rows} rows"))
        progress(context, loaded.format(table=dataset.raw_table, rows=f"{result.rows:,}"))
        first = fetch.data_parts[0]
        return MaterializeResult(
            asset_key=raw_key(dataset),
            data_version=DataVersion(result.data_version),
            metadata={
                "dagster/row_count": result.rows,
                "table": dataset.raw_table,
                "data_version": result.data_version,
                "skipped_unchanged": result.skipped,
                "archive_sha256": first.sha256,
                "archive_files": len(fetch.data_parts),
                "archive_sha256_all": MetadataValue.json([p.sha256 for p in fetch.data_parts]),
                "source_url": MetadataValue.url(first.url),
                "mode": fetch.mode,
            })

    return _load


def build_source_assets(catalogue: dict[str, Dataset]) -> list[AssetsDefinition]:
    """Every source asset of the catalogue."""
    assets: list[AssetsDefinition] = []
    for dataset in catalogue.values():
        assets += [build_archive_asset(dataset), build_raw_asset(dataset)]
    return assets
