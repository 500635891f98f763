{#- The Welsh label differs from the English one. Proper nouns can legitimately be the same in both
    languages, so this is a warning for labels that are not names. -#}
{% test welsh_label_translated(model, column_name, welsh_column) %}
    select distinct {{ column_name }} as label_en, {{ welsh_column }} as label_cy
    from {{ model }}
    where {{ column_name }} = {{ welsh_column }}
{% endtest %}
