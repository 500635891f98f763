-- WIMD ranks, one row per LSOA x index/domain with English and Welsh labels side by side (the raw
-- table holds every cell once per language). Rank 1 = most deprived; published ranks can tie.
-- Everything is read from the API: the LSOA and its council (the LSOA's parent in the `Area code`
-- hierarchy), the domains' own reference codes and labels, the measure (only `Rank` is requested;
-- the filter is checked here too) and the edition (from the published title, e.g. 'WIMD 2025').
with

{{ statswales_coded('statswales__wimd_2025') }},

renamed as (
    select
        regexp_extract(_dataset_title, '(WIMD|MALlC) ((19|20)[0-9]{2})', 2) as wimd_edition,
        {{ gss_area_code('area_code') }} as lsoa_code,
        {{ gss_area_code('area_parent_code') }} as local_authority_code,
        {{ clean_code('domain_code') }} as domain_code,
        {{ clean_code('measure_code') }} as measure_code,
        -- the LSOA's name is the `Area name` dimension; `Area code` may describe LSOAs by their code
        {{ clean_label('area_label_name') }} as lsoa_name,
        {{ clean_label('domain_name') }} as domain_name,
        {{ clean_label('measure_name') }} as measure_name,
        {{ statswales_cell_columns() }}
    from coded
),

{{ pair_languages(['lsoa_code', 'domain_code', 'measure_code'], ['lsoa_name', 'domain_name', 'measure_name'],
                  codes=['wimd_edition', 'local_authority_code']) }},

split as (
    select
        nullif(wimd_edition, '') as wimd_edition,
        lsoa_code,
        lsoa_name_en,
        lsoa_name_cy,
        local_authority_code,
        domain_code,
        domain_name_en,
        domain_name_cy,
        measure_code,
        measure_name_en,
        measure_name_cy,
        {{ statswales_value_and_provenance() }}
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
    measure_code,
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
    _loaded_at,
    _load_row,
    _load_row_cy
from split
