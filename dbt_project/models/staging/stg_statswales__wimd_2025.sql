-- WIMD 2025 ranks, one row per LSOA x index/domain with English and Welsh labels side by side
-- (the raw table holds every cell once per language). Rank 1 = most deprived.
with

source as (
    select * from {{ source('raw', 'statswales__wimd_2025') }}
),

renamed as (
    select
        {{ gss_area_code('area_code') }} as lsoa_code,
        {{ gss_area_code('area_hierarchy') }} as local_authority_code,
        upper({{ clean_code('domain_code') }}) as domain_code,
        {{ clean_label('area_name') }} as lsoa_name,
        {{ clean_label('domain') }} as domain_name,
        {{ clean_label('data_description') }} as measure_name,
        value as value_published,
        note_codes as note_codes_published,
        _lang,
        {{ provenance_columns() }}
    from source
),

{{ pair_languages(['lsoa_code', 'local_authority_code', 'domain_code'], ['lsoa_name', 'domain_name', 'measure_name']) }},

split as (
    select
        '2025' as wimd_edition,
        lsoa_code,
        lsoa_name_en,
        lsoa_name_cy,
        local_authority_code,
        domain_code,
        domain_name_en,
        domain_name_cy,
        measure_name_en,
        measure_name_cy,
        {{ split_marker('value_published', 'statswales', note_codes='note_codes_published') }},
        _archive_sha256,
        _archive_sha256_cy,
        _source_url,
        _retrieved_at,
        _loaded_at
    from paired
)

select
    wimd_edition,
    lsoa_code,
    lsoa_name_en,
    lsoa_name_cy,
    local_authority_code,
    domain_code,
    domain_name_en,
    domain_name_cy,
    measure_name_en,
    measure_name_cy,
    -- a rank is a whole number; anything else is left NULL for the tests to report
    case when value = floor(value) then cast(value as integer) end as wimd_rank,
    value,
    marker,
    note_codes,
    _archive_sha256,
    _archive_sha256_cy,
    _source_url,
    _retrieved_at,
    _loaded_at
from split
