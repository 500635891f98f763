-- Every performance-framework figure in one shape: one row per measure x area x period, taken from
-- the staging model of its source dataset. Which source cell makes which measure is decided here:
--   PAM/030           municipal waste, the percentage reused, recycled or composted
--   FIN/NRE_PER_HEAD  revenue outturn, all services, £ per head
--   FIN/CTAX_BAND_D   council tax, band D (£ per dwelling)
-- PAM/012 (% of households threatened with homelessness for whom it was prevented) has no source:
-- the StatsWales dataset of successful cases does not give the households threatened.
--   PAM/001, 010, 018, 023, 043  council returns (int_council_returns_with_wales)
with

municipal_waste as (
    select * from {{ ref('stg_statswales__municipal_waste') }}
),

revenue_outturn as (
    select * from {{ ref('stg_statswales__revenue_outturn') }}
),

council_tax as (
    select * from {{ ref('stg_statswales__council_tax_bands') }}
),

council_returns as (
    select * from {{ ref('int_council_returns_with_wales') }}
),

measures as (
    select
        'PAM/030' as measure_id, area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, 'statswales__municipal_waste' as source_dataset,
        _archive_sha256 as source_archive_sha256
    from municipal_waste
    where measure = 'reused_recycled_composted_pct'

    union all

    select
        'FIN/NRE_PER_HEAD', area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, 'statswales__revenue_outturn', _archive_sha256
    from revenue_outturn
    where is_all_services and measure = 'gbp_per_head'

    union all

    select
        'FIN/CTAX_BAND_D', area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, 'statswales__council_tax_bands', _archive_sha256
    from council_tax
    where band_code = 'D'

    union all

    select
        measure_id, area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, source_dataset, source_archive_sha256
    from council_returns
)

select * from measures
