{#- Every description in the `Notes` / `Nodiadau` column of a StatsWales raw table is one of the
    backend's note codes (`statswales_note_codes`), so no note is lost when the staging model
    (`model`, which this test guards) maps them back to codes. A new description from the
    publisher fails here, by name, instead of vanishing. -#}
{% test statswales_notes_known(model, source_table) %}
    select _lang, description, count(*) as rows_with_it
    from (
        select _lang, trim(unnest(string_split(notes, ', '))) as description
        from {{ source('raw', source_table) }}
        where notes is not null
    ) as notes
    where description <> ''
      and description not in (
          select description_en from {{ ref('statswales_note_codes') }}
          union all
          select description_cy from {{ ref('statswales_note_codes') }}
      )
    group by _lang, description
{% endtest %}
