-- Annual Survey of Hours and Earnings from Nomis (NM_30_1): median gross weekly pay of full-time
-- workers by sex and place of residence, one row per area x year x sex x measure type.
with

source as (
    select * from {{ source('raw', 'nomis__ashe_pay') }}
),

renamed as (
    select
        {{ period_columns('date_name') }},
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        case
            when {{ slug('sex_name') }} like 'male%' then 'male'
            when {{ slug('sex_name') }} like 'female%' then 'female'
            else 'all'
        end as sex,
        case
            when {{ slug('sex_name') }} like '%full_time%' then 'full_time'
            when {{ slug('sex_name') }} like '%part_time%' then 'part_time'
            else 'all'
        end as working_pattern,
        {{ clean_label('sex_name') }} as sex_name_en,
        {{ slug('item_name') }} as statistic,
        {{ slug('pay_name') }} as pay_measure,
        {{ clean_label('pay_name') }} as pay_name_en,
        {{ slug('measures_name') }} as measure_type,
        {{ split_status('obs_value', 'obs_status', 'nomis') }},
        {{ clean_code('obs_status') }} as obs_status,
        {{ clean_code('obs_conf') }} as obs_conf,
        {{ provenance_columns() }}
    from source
)

select * from renamed
