-- Annual Population Survey employment rate (aged 16-64) from Nomis (NM_17_5): one row per area x
-- period x measure type (the rate itself, its numerator, denominator and confidence interval).
-- `date=latestMINUS20-latest` gives 21 rolling 12-month periods a quarter apart ('Jan 2024-Dec 2024',
-- 'Apr 2024-Mar 2025', 'Jul 2024-Jun 2025'; reference/wire-formats.md). All are kept here;
-- `period_columns` labels a January-December one as the calendar year ('2024', calendar_year) and
-- the others by their months ('Apr 2024-Mar 2025', rolling_year), with first and last days.
with

source as (
    {{ raw_with_backfill('nomis__aps_employment', 'date_name') }}
),

renamed as (
    select
        {{ period_columns('date_name') }},
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        {{ clean_label('variable_name') }} as variable_name_en,
        {{ slug('measures_name') }} as measure_type,
        {{ split_status('obs_value', 'obs_status', 'nomis') }},
        {{ clean_code('obs_status') }} as obs_status,
        {{ clean_code('obs_conf') }} as obs_conf,
        {{ provenance_columns() }}
    from source
)

select * from renamed
