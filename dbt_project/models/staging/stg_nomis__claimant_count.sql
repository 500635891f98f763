-- Claimant count from Nomis (NM_162_1): one row per area x month x measure (the count, and claimants
-- as a proportion of residents aged 16-64).
with

source as (
    {{ raw_with_backfill('nomis__claimant_count', 'date_name') }}
),

renamed as (
    select
        {{ period_columns('date_name') }},
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        case
            when {{ slug('measure_name') }} like '%proportion%' then 'claimant_rate'
            else 'claimant_count'
        end as measure_code,
        {{ clean_label('measure_name') }} as measure_name_en,
        {{ slug('measures_name') }} as measure_type,
        {{ split_status('obs_value', 'obs_status', 'nomis') }},
        {{ clean_code('obs_status') }} as obs_status,
        {{ clean_code('obs_conf') }} as obs_conf,
        {{ provenance_columns() }}
    from source
)

select * from renamed
