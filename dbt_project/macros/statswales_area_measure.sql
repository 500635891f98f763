{#- StatsWales datasets published as area x financial year x measure (municipal waste,
    homelessness prevention) share one staging shape: codes, bilingual labels side by side,
    the value split from its marker and note codes. -#}
{% macro stg_statswales_area_measure(source_table) -%}
with

source as (
    select * from {{ source('raw', source_table) }}
),

renamed as (
    select
        {{ clean_code('year') }} as period_code,
        {{ gss_area_code('area_code') }} as area_code,
        {{ clean_code('measure_code') }} as measure_code,
        {{ clean_label('area_name') }} as area_name,
        {{ clean_label('data_description') }} as measure_name,
        value as value_published,
        note_codes as note_codes_published,
        _lang,
        {{ provenance_columns() }}
    from source
),

{{ pair_languages(['period_code', 'area_code', 'measure_code'], ['area_name', 'measure_name']) }}

select
    {{ period_columns('period_code') }},
    area_code,
    area_name_en,
    area_name_cy,
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
{%- endmacro %}
