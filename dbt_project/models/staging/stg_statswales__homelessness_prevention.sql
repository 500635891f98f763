-- Successful homelessness prevention and relief cases by area, period and outcome, one row per
-- cell with English and Welsh labels side by side (the raw table holds every cell once per
-- language). Outcomes form a hierarchy (`outcome_parent_code`); measures are the API's own
-- (Total, Homelessness Prevented, Homelessness Relieved), kept as reference code and label.
with

{{ statswales_coded('statswales__homelessness_prevention') }},

renamed as (
    select
        {{ clean_code('period_code') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('outcome_code') }} as outcome_code,
        {{ clean_code('outcome_parent_code') }} as outcome_parent_code,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('outcome_name') }} as outcome_name,
        {{ clean_label('measure_name') }} as measure_name,
        {{ statswales_cell_columns() }}
    from coded
),

{{ pair_languages(['period_code', 'area_code', 'outcome_code', 'measure_code'],
                  ['area_name', 'outcome_name', 'measure_name'], codes=['outcome_parent_code']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
    outcome_code,
    outcome_parent_code,
    outcome_name_en,
    outcome_name_cy,
    measure_code,
    measure_name_en,
    measure_name_cy,
    {{ statswales_value_and_provenance() }}
from paired
