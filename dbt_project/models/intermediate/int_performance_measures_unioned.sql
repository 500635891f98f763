-- Every performance-framework figure in one shape: one row per measure x area x period, taken from
-- the staging model of its source dataset. Which source cell makes which measure is decided here:
--   PAM/030           municipal waste, measure PCT (% reused, recycled or composted)
--   PAM/012           homelessness prevention, measure PCT (% of threatened households prevented)
--   FIN/NRE_PER_HEAD  revenue outturn, service TOT, measure HEAD (£ per head)
--   FIN/CTAX_BAND_D   council tax, band D (£ per dwelling)
--   PAM/001, 010, 018, 023, 043  council returns (int_council_returns_with_wales)
with

municipal_waste as (
    select * from {{ ref('stg_statswales__municipal_waste') }}
),

homelessness as (
    select * from {{ ref('stg_statswales__homelessness_prevention') }}
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
    where measure_code = 'PCT'

    union all

    select
        'PAM/012', area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, 'statswales__homelessness_prevention', _archive_sha256
    from homelessness
    where measure_code = 'PCT'

    union all

    select
        'FIN/NRE_PER_HEAD', area_code, period, period_start_date, period_end_date, period_type,
        value, marker, note_codes, 'statswales__revenue_outturn', _archive_sha256
    from revenue_outturn
    where service_code = 'TOT' and measure_code = 'HEAD'

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
