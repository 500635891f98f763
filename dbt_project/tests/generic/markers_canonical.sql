{#- Shorthand markers are canonical and consistent with the figures:
      * a marker is a canonical code of the `marker_vocabulary` seed that stands in place of a
        figure ([x], [c], [z], [low], [w]); unknown shorthand is kept verbatim by `split_marker`,
        so it is reported here by name;
      * every note code (comma-separated bare codes such as 'p,r') is a canonical code too;
      * a value is empty exactly when a marker says why: a value with a marker would publish a
        suppressed figure, an empty value without one would be an unexplained gap.
    Fails with each offending row and a `problem` column. -#}
{% test markers_canonical(model, value_column='value', marker_column='marker', note_codes_column=none) %}
    with vocabulary as (
        select
            list(distinct canonical_code) as known_codes,
            list(distinct canonical_code) filter (where not is_publishable) as replacing_codes
        from {{ ref('marker_vocabulary') }}
        where canonical_code is not null
    ),

    checked as (
        select
            tested.*,
            {{ marker_column }} is null
                or list_contains(vocabulary.replacing_codes, {{ marker_column }}) as is_marker_canonical,
            {% if note_codes_column %}
            len([
                code for code in string_split(coalesce({{ note_codes_column }}, ''), ',')
                if code <> '' and not list_contains(vocabulary.known_codes, '[' || code || ']')
            ]) = 0 as are_notes_canonical
            {% else %}
            true as are_notes_canonical
            {% endif %}
        from {{ model }} as tested
        cross join vocabulary
    )

    select
        *,
        case
            when not is_marker_canonical then 'marker is not canonical shorthand for a missing figure'
            when not are_notes_canonical then 'note code is not a canonical shorthand code'
            when {{ value_column }} is null then 'value is empty but no marker explains why'
            else 'value is present together with a marker'
        end as problem
    from checked
    where not is_marker_canonical
       or not are_notes_canonical
       or ({{ value_column }} is null) = ({{ marker_column }} is null)
{% endtest %}
