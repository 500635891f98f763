{#- A code column is filled and every code exists in a dimension (e.g. area codes in
    dim_local_authority): rows with an empty or unknown code would be dropped by the joins to the
    dimension. Fails with each distinct offending code. -#}
{% test code_in_dimension(model, column_name, to, field) %}
    select distinct {{ column_name }} as unknown_code
    from {{ model }}
    where {{ column_name }} is null
       or {{ column_name }} not in (select {{ field }} from {{ to }} where {{ field }} is not null)
{% endtest %}
