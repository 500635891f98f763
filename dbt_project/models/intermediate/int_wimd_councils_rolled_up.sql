-- WIMD ranks rolled up to councils and Wales: per area x edition x domain, how many LSOAs the area
-- has and how many of them are among the most deprived 10%, 20% and 50% of Wales.
with

lsoas as (
    select * from {{ ref('int_wimd_lsoa_ranks') }}
),

by_council as (
    select
        local_authority_code as area_code,
        wimd_edition,
        domain_code,
        count(*) as lsoa_count,
        count(*) filter (where is_most_deprived_10pct) as lsoas_most_deprived_10pct,
        count(*) filter (where is_most_deprived_20pct) as lsoas_most_deprived_20pct,
        count(*) filter (where is_most_deprived_50pct) as lsoas_most_deprived_50pct
    from lsoas
    group by local_authority_code, wimd_edition, domain_code
),

wales as (
    select
        'W92000004' as area_code,
        wimd_edition,
        domain_code,
        count(*) as lsoa_count,
        count(*) filter (where is_most_deprived_10pct) as lsoas_most_deprived_10pct,
        count(*) filter (where is_most_deprived_20pct) as lsoas_most_deprived_20pct,
        count(*) filter (where is_most_deprived_50pct) as lsoas_most_deprived_50pct
    from lsoas
    group by wimd_edition, domain_code
),

domains as (
    select
        wimd_edition,
        domain_code,
        any_value(domain_name_en) as domain_name_en,
        any_value(domain_name_cy) as domain_name_cy,
        any_value(lsoas_in_wales) as lsoas_in_wales,
        any_value(cutoff_rank_10pct) as cutoff_rank_10pct,
        any_value(cutoff_rank_20pct) as cutoff_rank_20pct,
        any_value(cutoff_rank_50pct) as cutoff_rank_50pct,
        any_value(source_dataset) as source_dataset,
        -- the English CSV is one file, so every LSOA row names the same archive
        min(source_archive_sha256) as source_archive_sha256
    from lsoas
    group by wimd_edition, domain_code
),

areas as (
    select * from by_council
    union all
    select * from wales
)

select
    areas.area_code,
    areas.wimd_edition,
    areas.domain_code,
    domains.domain_name_en,
    domains.domain_name_cy,
    cast(areas.lsoa_count as integer) as lsoa_count,
    cast(areas.lsoas_most_deprived_10pct as integer) as lsoas_most_deprived_10pct,
    cast(areas.lsoas_most_deprived_20pct as integer) as lsoas_most_deprived_20pct,
    cast(areas.lsoas_most_deprived_50pct as integer) as lsoas_most_deprived_50pct,
    domains.lsoas_in_wales,
    domains.cutoff_rank_10pct,
    domains.cutoff_rank_20pct,
    domains.cutoff_rank_50pct,
    domains.source_dataset,
    domains.source_archive_sha256
from areas
inner join domains
    on domains.wimd_edition = areas.wimd_edition
    and domains.domain_code = areas.domain_code
