-- WIMD ranks of every LSOA with the cut-off ranks of the most deprived 10%, 20% and 50% of Wales.
-- N is the number of LSOAs ranked in the edition and domain (1,917 for WIMD 2025), never a constant.
-- Cut-offs follow the published convention: round(N x share) with halves rounded up, the bands
-- StatsWales uses in its headings and decile/quintile columns (WIMD 2019, N = 1,909: 10% = ranks
-- 1-191, 20% = 1-382, 50% = 1-955); a floor would put some LSOAs in the wrong band.
with

ranks as (
    -- Only the Rank measure (the request asks for it alone; deciles and quintiles are derived here
    -- from N instead). Tied ranks are valid: tied LSOAs share a rank and the next is skipped.
    select * from {{ ref('stg_statswales__wimd_2025') }}
    where wimd_rank is not null
      and measure_name_en = 'Rank'
),

sized as (
    select
        ranks.*,
        count(*) over (partition by wimd_edition, domain_code) as lsoas_in_wales
    from ranks
),

banded as (
    select
        sized.*,
        -- integer round-half-up of N x pct / 100
        cast((lsoas_in_wales * 10 + 50) // 100 as integer) as cutoff_rank_10pct,
        cast((lsoas_in_wales * 20 + 50) // 100 as integer) as cutoff_rank_20pct,
        cast((lsoas_in_wales * 50 + 50) // 100 as integer) as cutoff_rank_50pct
    from sized
)

select
    wimd_edition,
    domain_code,
    domain_name_en,
    domain_name_cy,
    lsoa_code,
    lsoa_name_en,
    lsoa_name_cy,
    local_authority_code,
    wimd_rank,
    cast(lsoas_in_wales as integer) as lsoas_in_wales,
    cutoff_rank_10pct,
    cutoff_rank_20pct,
    cutoff_rank_50pct,
    wimd_rank <= cutoff_rank_10pct as is_most_deprived_10pct,
    wimd_rank <= cutoff_rank_20pct as is_most_deprived_20pct,
    wimd_rank <= cutoff_rank_50pct as is_most_deprived_50pct,
    'statswales__wimd_' || wimd_edition as source_dataset,
    _archive_sha256 as source_archive_sha256
from banded
