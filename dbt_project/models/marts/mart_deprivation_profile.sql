-- Deprivation profile of each council and of Wales: one row per area x WIMD edition x domain (the
-- overall index and each domain), with how many of the area's LSOAs are among the most deprived
-- 10%, 20% and 50% of Wales (cut-offs as in int_wimd_lsoa_ranks) and the shares as fractions 0-1.
with

rolled_up as (
    select * from {{ ref('int_wimd_councils_rolled_up') }}
),

areas as (
    select * from {{ ref('dim_local_authority') }}
)

select
    rolled_up.area_code,
    areas.area_name_en,
    areas.area_name_cy,
    areas.area_type,
    rolled_up.wimd_edition,
    rolled_up.domain_code as domain,
    rolled_up.domain_name_en,
    rolled_up.domain_name_cy,
    rolled_up.lsoa_count,
    rolled_up.lsoas_most_deprived_10pct,
    cast(rolled_up.lsoas_most_deprived_10pct as double) / rolled_up.lsoa_count as share_most_deprived_10pct,
    rolled_up.lsoas_most_deprived_20pct,
    cast(rolled_up.lsoas_most_deprived_20pct as double) / rolled_up.lsoa_count as share_most_deprived_20pct,
    rolled_up.lsoas_most_deprived_50pct,
    cast(rolled_up.lsoas_most_deprived_50pct as double) / rolled_up.lsoa_count as share_most_deprived_50pct,
    rolled_up.lsoas_in_wales,
    rolled_up.cutoff_rank_10pct,
    rolled_up.cutoff_rank_20pct,
    rolled_up.cutoff_rank_50pct,
    rolled_up.source_dataset,
    rolled_up.source_archive_sha256
from rolled_up
inner join areas on areas.area_code = rolled_up.area_code
