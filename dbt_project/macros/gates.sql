{#-
    A threshold of a Code of Practice gate, from the gate registry (`expectations/gates.yml`): its
    `thresholds` reach dbt as `var('gates')` = {gate: {key: value}}, so no number is written in a
    test. While dbt only parses the project (`execute` is false) it returns a placeholder, 0, so
    `dbt parse` and `dbt ls` work without the vars; when a test runs, a missing gate or key stops it.
-#}
{% macro gate_threshold(gate, key) -%}
    {%- if not execute -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set gates = var('gates', none) -%}
    {%- set thresholds = gates.get(gate) if gates is mapping else none -%}
    {%- if thresholds is not mapping or key not in thresholds -%}
        {{ exceptions.raise_compiler_error(
            "Gate threshold gates." ~ gate ~ "." ~ key ~ " is missing: the gate registry "
            ~ "expectations/gates.yml was not passed to dbt. Run dbt through `datacymru`, or pass "
            ~ "--vars \"$(python -c 'import json; from sources.gates.registry import dbt_vars; "
            ~ "print(json.dumps(dbt_vars()))')\"") }}
    {%- endif -%}
    {%- if thresholds[key] is not number or thresholds[key] is boolean -%}
        {{ exceptions.raise_compiler_error(
            "Gate threshold gates." ~ gate ~ "." ~ key ~ " in expectations/gates.yml is "
            ~ thresholds[key] ~ ", not a number.") }}
    {%- endif -%}
    {{ return(thresholds[key]) }}
{%- endmacro %}
