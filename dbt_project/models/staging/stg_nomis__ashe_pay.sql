-- Annual Survey of Hours and Earnings from Nomis (NM_30_1): median gross weekly pay of full-time
-- workers by sex and place of residence, one row per area x year x sex x measure type.
-- Sex and working pattern come from the SEX dimension code (reference/wire-formats.md), not from
-- its label: 1 Male full-time, 2 Male part-time, 3 Female full-time, 4 Female part-time, 5 Male,
-- 6 Female, 7 Total, 8 Full-time workers, 9 Part-time workers. Any other code leaves both NULL,
-- which the not_null tests and the accepted_values test on sex_code turn into a failure.
with

source as (
    {{ raw_with_backfill('nomis__ashe_pay', 'date_name') }}
),

renamed as (
    select
        {{ period_columns('date_name') }},
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        case
            when {{ clean_code('sex_code') }} in ('1', '2', '5') then 'male'
            when {{ clean_code('sex_code') }} in ('3', '4', '6') then 'female'
            when {{ clean_code('sex_code') }} in ('7', '8', '9') then 'all'
        end as sex,
        case
            when {{ clean_code('sex_code') }} in ('1', '3', '8') then 'full_time'
            when {{ clean_code('sex_code') }} in ('2', '4', '9') then 'part_time'
            when {{ clean_code('sex_code') }} in ('5', '6', '7') then 'all'
        end as working_pattern,
        {{ clean_code('sex_code') }} as sex_code,
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
