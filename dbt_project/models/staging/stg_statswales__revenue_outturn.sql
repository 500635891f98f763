-- Revenue outturn expenditure by authority, service and year, one row per cell with English and
-- Welsh labels side by side (the raw table holds every cell once per language). Services form a
-- hierarchy (`service_parent_code`); service and measure are kept as the API's reference codes and
-- labels (measures '£ thousand' and '£ per head').
with

{{ statswales_coded('statswales__revenue_outturn') }},

renamed as (
    select
        {{ clean_code('period_code') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('service_code') }} as service_code,
        {{ clean_code('service_parent_code') }} as service_parent_code,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('service_name') }} as service_name,
        {{ clean_label('measure_name') }} as measure_name,
        {{ statswales_cell_columns() }}
    from coded
),

{{ pair_languages(['period_code', 'area_code', 'service_code', 'measure_code'],
                  ['area_name', 'service_name', 'measure_name'], codes=['service_parent_code']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
    service_code,
    service_parent_code,
    -- the total of all services is the root of the Service hierarchy
    service_parent_code is null as is_all_services,
    service_name_en,
    service_name_cy,
    measure_code,
    -- the two units of the dataset (reference/wire-formats.md: '£ thousand', '£ per head')
    case measure_name_en
        when '£ thousand' then 'gbp_thousand'
        when '£ per head' then 'gbp_per_head'
    end as measure,
    measure_name_en,
    measure_name_cy,
    {{ statswales_value_and_provenance() }}
from paired
