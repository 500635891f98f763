-- Population denominators: one row per area x mid-year estimate (30 June), all ages and aged 16-64,
-- from the ONS mid-year estimates published on Nomis (NM_2002_1). A financial year is paired with
-- the mid-year estimate of the year it starts in (2023-24 -> mid-2023), the estimate closest to
-- the middle of the financial year.
with

population as (
    select * from {{ ref('stg_nomis__population_estimates') }}
    where sex = 'all' and measure_type = 'value'
),

by_year as (
    select
        area_code,
        cast(year(period_start_date) as integer) as population_year,
        max(value) filter (where age_group = 'all_ages') as population_all_ages,
        max(value) filter (where age_group = 'aged_16_64') as population_aged_16_64,
        {{ note_codes("string_agg(note_codes, ',')") }} as note_codes,
        max(_archive_sha256) as source_archive_sha256
    from population
    group by area_code, year(period_start_date)
)

select
    area_code,
    population_year,
    make_date(population_year, 6, 30) as reference_date,
    cast(population_year as varchar) || '-'
        || lpad(cast((population_year + 1) % 100 as varchar), 2, '0') as financial_year,
    population_all_ages,
    population_aged_16_64,
    note_codes,
    source_archive_sha256
from by_year
