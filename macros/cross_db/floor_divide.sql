{#-
    Whole-number division rounded towards minus infinity, for integer
    expressions: floor_divide(-1, 5000) is -1, floor_divide(9999, 5000) 1.
    The remainder is taken off first, so the division below is exact on
    both engines (DuckDB divides integers in double precision, PostgreSQL
    truncates towards zero; `%` keeps the dividend's sign on both).
-#}
{% macro floor_divide(dividend, divisor) -%}
    cast(
        (
            ({{ dividend }})
            - ((({{ dividend }}) % ({{ divisor }})) + ({{ divisor }}))
            % ({{ divisor }})
        )
        / ({{ divisor }})
        as bigint
    )
{%- endmacro %}
