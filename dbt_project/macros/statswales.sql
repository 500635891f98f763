{#-
    StatsWales v2 cells (reference/wire-formats.md). In the `raw_extended` view a figure is a
    plain number and a missing figure is NULL, the reason being among the row's notes; `Notes`
    holds the *descriptions* of the row's note codes in the file's language, joined by ", "
    (statswales-backend `src/services/cube-builder.ts`, notes L2240-2300). These macros turn that
    back into the note codes and into a published cell that `split_marker` understands.
-#}

{#- Note codes that stand in place of a figure (`marker_vocabulary.is_publishable = false`), most
    specific first: the marker of a NULL figure is the first of them among the row's codes. -#}
{% macro statswales_suppression_codes() -%}
    {{ return(['c', 'x', 'z', 'k', 'w']) }}
{%- endmacro %}

{#- `Notes` (English or Welsh descriptions) as the backend's codes: sorted, comma-separated, NULL
    when none. A description missing from `statswales_note_codes` is kept as `?<description>`, and
    the `statswales_notes_known` source test names it. -#}
{% macro statswales_note_codes(notes) -%}
    (
        select nullif(string_agg(distinct coalesce(vocabulary.code, '?' || parts.description), ','
                                 order by coalesce(vocabulary.code, '?' || parts.description)), '')
        from (
            select trim(unnest(string_split(coalesce(cast({{ notes }} as varchar), ''), ', '))) as description
        ) as parts
        left join {{ ref('statswales_note_codes') }} as vocabulary
            on parts.description in (vocabulary.description_en, vocabulary.description_cy)
        where parts.description <> ''
    )
{%- endmacro %}

{#- The published cell: the figure as text, or, when it is NULL, the shorthand of its reason
    (`[c]`, `[x]`, ...; an unexplained NULL stays NULL, which `split_marker` reads as `[x]`). -#}
{% macro statswales_cell(value, codes) -%}
    coalesce(
        cast({{ value }} as varchar),
        case
            {%- for code in statswales_suppression_codes() %}
            when list_contains(string_split(coalesce({{ codes }}, ''), ','), '{{ code }}') then '[{{ code }}]'
            {%- endfor %}
        end)
{%- endmacro %}

{#- The codes that annotate a published figure (provisional, revised, ...), without those that
    replace it, which become the marker instead. -#}
{% macro statswales_annotations(codes) -%}
    nullif(array_to_string([
        c for c in string_split(coalesce({{ codes }}, ''), ',')
        if c <> '' and c not in ('{{ statswales_suppression_codes() | join("', '") }}')
    ], ','), '')
{%- endmacro %}

{#- A StatsWales raw table with its notes turned into codes once (`note_codes_all`), as a CTE
    called `coded`. -#}
{% macro statswales_coded(source_table) -%}
source as (
    select * from {{ source('raw', source_table) }}
),

coded as (
    select source.*, {{ statswales_note_codes('source.notes') }} as note_codes_all
    from source
)
{%- endmacro %}

{#- The common columns of a StatsWales `renamed` CTE read from `coded`: the figure and its notes,
    the dataset title and the provenance columns (as `pair_languages` expects them). -#}
{% macro statswales_cell_columns() -%}
        {{ statswales_cell('value', 'note_codes_all') }} as value_published,
        {{ statswales_annotations('note_codes_all') }} as note_codes_published,
        _dataset_title,
        _lang,
        {{ provenance_columns() }}
{%- endmacro %}


{#- The closing columns of every StatsWales staging model read from `paired`: the figure split
    into value, marker and note codes, then the provenance of both language files. -#}
{% macro statswales_value_and_provenance() -%}
    {{ split_marker('value_published', 'statswales', note_codes='note_codes_published') }},
    _archive_sha256,
    _archive_sha256_cy,
    _source_url,
    _retrieved_at,
    _loaded_at,
    _load_row,
    _load_row_cy
{%- endmacro %}
