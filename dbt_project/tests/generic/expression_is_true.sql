{#- Every row satisfies a SQL boolean expression. The model's row is aliased `tested`, so an
    expression with a correlated subquery can name its own columns unambiguously (`tested.period`). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }} as tested
    where not coalesce(({{ expression }}), false)
{% endtest %}
