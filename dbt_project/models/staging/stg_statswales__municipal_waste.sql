-- Municipal waste by local authority and period, one row per cell with English and Welsh labels
-- side by side (the raw table holds every cell once per language). The measure keeps the API's
-- reference code and labels; `measure` names it for this platform from its English label.
with

{{ statswales_coded('statswales__municipal_waste') }},

renamed as (
    select
        {{ clean_code('period_code') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('measure_name') }} as measure_name,
        {{ statswales_cell_columns() }}
    from coded
),

{{ pair_languages(['period_code', 'area_code', 'measure_code'], ['area_name', 'measure_name']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
    measure_code,
    -- UNVERIFIED wording: no public evidence of this dataset's measure labels was found
    -- (reference/wire-formats.md); these are the sample's. A label not listed gives NULL, which
    -- the not_null test reports, so a different real wording stops the build instead of dropping rows.
    case measure_name_en
        when 'Municipal waste collected (tonnes)' then 'collected_tonnes'
        when 'Municipal waste reused, recycled or composted (tonnes)' then 'reused_recycled_composted_tonnes'
        when 'Percentage of municipal waste reused, recycled or composted' then 'reused_recycled_composted_pct'
    end as measure,
    measure_name_en,
    measure_name_cy,
    {{ statswales_value_and_provenance() }}
from paired
