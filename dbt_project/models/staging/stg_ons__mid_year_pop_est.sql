-- ONS API mid-year population estimates (dataset mid-year-pop-est, latest version): one row per
-- area x year x sex x single year of age ('total' = all ages).
with

source as (
    select * from {{ source('raw', 'ons__mid_year_pop_est') }}
),

renamed as (
    select
        {{ period_columns('time') }},
        {{ clean_code('calendar_years_code') }} as calendar_years_code,
        {{ gss_area_code('geography_code') }} as area_code,
        {{ clean_label('geography_name') }} as area_name_en,
        -- The CMD `sex` codes are text (reference/wire-formats.md): all, male, female. They are
        -- compared case-insensitively and passed on lower-cased, so an unknown code reaches the
        -- accepted_values test as itself rather than vanishing into NULL.
        lower({{ clean_code('sex_code') }}) as sex,
        {{ clean_code('sex_code') }} as sex_code,
        {{ clean_label('sex') }} as sex_name_en,
        lower({{ clean_code('age_code') }}) as age_code,
        {{ clean_label('age') }} as age_name_en,
        {{ split_marker('value', 'ons') }},
        {{ provenance_columns() }}
    from source
)

select * from renamed
