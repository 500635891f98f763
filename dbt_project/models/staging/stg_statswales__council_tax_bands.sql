-- Council tax per dwelling by band, billing authority and year, one row per cell with English and
-- Welsh labels side by side (the raw table holds every cell once per language). The band letter
-- is read from the band's English label ('Band D'), the form the publisher uses; the API's own
-- reference code is kept as band_reference.
with

{{ statswales_coded('statswales__council_tax_bands') }},

renamed as (
    select
        {{ clean_code('period_code') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('band_code') }} as band_reference,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('band_name') }} as band_name,
        {{ clean_label('measure_name') }} as measure_name,
        {{ statswales_cell_columns() }}
    from coded
),

{{ pair_languages(['period_code', 'area_code', 'band_reference', 'measure_code'],
                  ['area_name', 'band_name', 'measure_name']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
    -- 'Band D' or 'D' -> D; anything else is left NULL for the accepted_values test to report
    nullif(regexp_extract(upper(band_name_en), '^(BAND )?([A-I])$', 2), '') as band_code,
    band_reference,
    band_name_en,
    band_name_cy,
    measure_code,
    measure_name_en,
    measure_name_cy,
    {{ statswales_value_and_provenance() }}
from paired
