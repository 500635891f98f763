-- Revenue outturn expenditure by authority, service and financial year, one row per cell with
-- English and Welsh labels side by side (the raw table holds every cell once per language).
with

source as (
    select * from {{ source('raw', 'statswales__revenue_outturn') }}
),

renamed as (
    select
        {{ clean_code('year') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('service_code') }} as service_code,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('service') }} as service_name,
        {{ clean_label('data_description') }} as measure_name,
        value as value_published,
        note_codes as note_codes_published,
        _lang,
        {{ provenance_columns() }}
    from source
),

{{ pair_languages(['period_code', 'area_code', 'service_code', 'measure_code'], ['area_name', 'service_name', 'measure_name']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
    service_code,
    service_name_en,
    service_name_cy,
    measure_code,
    measure_name_en,
    measure_name_cy,
    {{ split_marker('value_published', 'statswales', note_codes='note_codes_published') }},
    _archive_sha256,
    _archive_sha256_cy,
    _source_url,
    _retrieved_at,
    _loaded_at
from paired
