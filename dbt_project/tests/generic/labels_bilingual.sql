{#- Bilingual labels: the English column under test and its Welsh twin are both present, not blank,
    trimmed and in Unicode NFC. -#}
{% test labels_bilingual(model, column_name, welsh_column) %}
    select {{ column_name }} as label_en, {{ welsh_column }} as label_cy
    from {{ model }}
    where coalesce(trim({{ column_name }}), '') = ''
       or coalesce(trim({{ welsh_column }}), '') = ''
       or {{ column_name }} <> trim({{ column_name }})
       or {{ welsh_column }} <> trim({{ welsh_column }})
       or {{ column_name }} <> nfc_normalize({{ column_name }})
       or {{ welsh_column }} <> nfc_normalize({{ welsh_column }})
{% endtest %}
