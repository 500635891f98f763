-- ONS mid-year population estimates from Nomis (NM_2002_1): one row per area x year x sex x age
-- group. Nomis publishes English labels only.
with

source as (
    {{ raw_with_backfill('nomis__population_estimates', 'date_name') }}
),

renamed as (
    select
        {{ period_columns('date_name') }},
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        case {{ slug('gender_name') }}
            when 'total' then 'all'
            when 'male' then 'male'
            when 'female' then 'female'
        end as sex,
        {{ clean_label('gender_name') }} as sex_name_en,
        {{ slug('c_age_name') }} as age_group,
        {{ clean_label('c_age_name') }} as age_group_name_en,
        {{ slug('measures_name') }} as measure_type,
        {{ split_status('obs_value', 'obs_status', 'nomis') }},
        {{ clean_code('obs_status') }} as obs_status,
        {{ clean_code('obs_conf') }} as obs_conf,
        {{ provenance_columns() }}
    from source
)

select * from renamed
