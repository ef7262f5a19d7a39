{#-
    Integer division of two bigints that are never negative, rounded down,
    as a bigint; null when either is null. Exact on every engine: each has
    an operator of its own (PostgreSQL's bigint `/` truncates, DuckDB's `/`
    divides in double precision and `//` in integers, Spark's `/` in double
    and `div` in integers).
-#}
{% macro whole_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('whole_divide', 'retail_warehouse')(
        dividend, divisor
    )) }}
{%- endmacro %}

{% macro default__whole_divide(dividend, divisor) -%}
    cast(({{ dividend }}) / ({{ divisor }}) as bigint)
{%- endmacro %}

{% macro duckdb__whole_divide(dividend, divisor) -%}
    cast(({{ dividend }}) // ({{ divisor }}) as bigint)
{%- endmacro %}

{% macro spark__whole_divide(dividend, divisor) -%}
    cast(({{ dividend }}) div ({{ divisor }}) as bigint)
{%- endmacro %}
