{#-
    Published cells, shorthand markers and note codes.

    A published cell holds either a number, a number followed by shorthand (`12.3 [p]`), or only
    shorthand in place of the number (`[x]`, `..`, `*`). The macros below split such a cell into
    three columns, using the `marker_vocabulary` seed as the single list of known tokens:

      value       DOUBLE, NULL when the figure is not published;
      marker      the canonical GSS shorthand that stands in place of the figure, in brackets
                  ([x] not available, [c] confidential, [z] not applicable, [low], [w]); NULL when
                  there is a figure. So `value IS NULL` exactly when `marker IS NOT NULL`;
      note_codes  flags on the figure as a sorted list of bare lower-case codes ('p', 'p,r'): the
                  StatsWales note codes of the cell plus any annotating shorthand in the cell
                  (`12.3 [p]`) or in the Nomis status (P provisional, * low reliability).

    A token that replaces the figure (`is_publishable = false`) empties the value even when a number
    is also present, so a suppressed figure never leaks. An unknown token empties the value and is
    kept verbatim as the marker, so the `markers_canonical` test names it instead of it being
    silently dropped.
-#}

{#- The cell as trimmed text, NULL when empty. JSON readers hand over a string cell with its
    JSON quotes when a column mixes numbers and strings, so surrounding quotes are removed too. -#}
{% macro published_cell(cell) -%}
    nullif(trim(trim(trim(cast({{ cell }} as varchar)), '"')), '')
{%- endmacro %}

{#- The leading number of a cleaned cell as DOUBLE (thousands separators allowed), else NULL. -#}
{% macro cell_number(clean) -%}
    try_cast(replace(regexp_extract({{ clean }},
        '^([+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?([eE][+-]?[0-9]+)?)', 1), ',', '') as double)
{%- endmacro %}

{#- The shorthand part of a cleaned cell: what follows the number, or the whole cell when it has
    no number; `<blank>` for an empty cell. NULL for a plain number. -#}
{% macro cell_token(clean) -%}
    case
        when {{ clean }} is null then '<blank>'
        when {{ cell_number(clean) }} is null then {{ clean }}
        else nullif(trim(regexp_replace({{ clean }},
            '^[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)?(\.[0-9]+)?([eE][+-]?[0-9]+)?', '')), '')
    end
{%- endmacro %}

{#- StatsWales note codes ('', 'p', 'r', 'p,r', '[p][r]', ' r ') as a sorted, comma-separated list
    of lower-case codes without brackets; NULL when there are none. -#}
{% macro note_codes(column) -%}
    nullif(array_to_string(list_sort(list_distinct([
        code
        for code in string_split(
            regexp_replace(lower(coalesce(cast({{ column }} as varchar), '')), '[^a-z0-9]+', ',', 'g'), ',')
        if code <> ''
    ])), ','), '')
{%- endmacro %}

{#- The union of several note-code lists (columns or expressions), as one sorted list. -#}
{% macro merged_note_codes(columns) -%}
    {{ note_codes("concat_ws(',', " ~ (columns | join(', ')) ~ ")") }}
{%- endmacro %}

{#- Value, marker and note codes of a {number, token} struct, the token looked up in the vocabulary
    of one source. Each column is one correlated subquery, which DuckDB turns into a join. -#}
{% macro _split_columns(parts, source, notes_sql, value_alias, marker_alias, notes_alias) -%}
    {%- set lookup -%}
        from (select {{ parts }} as parts) as cell
        left join {{ ref('marker_vocabulary') }} as vocabulary
            on vocabulary.source = '{{ source }}'
            and lower(vocabulary.raw_token) = lower(cell.parts.token)
    {%- endset -%}
    (
        select
            case
                when cell.parts.token is null or vocabulary.is_publishable then cell.parts.number
            end
        {{ lookup }}
    ) as {{ value_alias }},
    (
        select
            case
                when cell.parts.token is null or vocabulary.is_publishable then null
                when vocabulary.raw_token is null then cell.parts.token
                else vocabulary.canonical_code
            end
        {{ lookup }}
    ) as {{ marker_alias }},
    {{ merged_note_codes([
        "(select case when vocabulary.is_publishable then vocabulary.canonical_code end " ~ lookup ~ ")",
        notes_sql]) }} as {{ notes_alias }}
{%- endmacro %}

{#- The {number, token} parts of one cell, computed once (the cleaned cell is bound to `c` by a
    one-element list comprehension instead of being repeated in every expression). -#}
{% macro _cell_parts(cell) -%}
    [
        {'number': {{ cell_number('c') }}, 'token': {{ cell_token('c') }}}
        for c in [{{ published_cell(cell) }}]
    ][1]
{%- endmacro %}

{#- Split one published cell (StatsWales `Data values`, ONS observations) and its note codes into
    `value` DOUBLE, `marker` VARCHAR and `note_codes` VARCHAR (aliases configurable). -#}
{% macro split_marker(cell, source='statswales', note_codes=none, value_alias='value',
                      marker_alias='marker', notes_alias='note_codes') -%}
    {{ _split_columns(_cell_parts(cell), source, note_codes if note_codes else 'null',
                      value_alias, marker_alias, notes_alias) }}
{%- endmacro %}

{#- The same split for sources that publish the number and its status in two columns
    (Nomis OBS_VALUE and OBS_STATUS). A value with no status is a normal value. -#}
{% macro split_status(value_column, status_column, source='nomis', value_alias='value',
                      marker_alias='marker', notes_alias='note_codes') -%}
    {%- set parts -%}
        {
            'number': cast({{ value_column }} as double),
            'token': coalesce({{ published_cell(status_column) }},
                              case when {{ value_column }} is null then '<blank>' end)
        }
    {%- endset -%}
    {{ _split_columns(parts, source, 'null', value_alias, marker_alias, notes_alias) }}
{%- endmacro %}

{#- Marker of a figure derived from several inputs (relation aliases with `value` and `marker`):
    NULL when the result has a value; otherwise the marker of the first input without a value,
    or `[x]` when every input has one (e.g. a zero or missing denominator). -#}
{% macro derived_marker(inputs, result_value) -%}
    case
        when {{ result_value }} is null then coalesce(
            {%- for input in inputs %}
            case when {{ input }}.value is null then {{ input }}.marker end,
            {%- endfor %}
            '[x]')
    end
{%- endmacro %}
