{#-
    numerator / denominator rounded half up to `scale` decimals, as
    numeric(precision, scale); null when the denominator is 0. The same on
    DuckDB and PostgreSQL (why a plain cast is not: macros/_macros.yml).
-#}
{% macro divide_rounded(numerator, denominator, scale=2, precision=18) -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ ('0' * (scale - 1)) ~ '1' -%}
    cast(
        floor(
            (
                cast({{ numerator }} as numeric(38, 3)) * {{ 2000 * 10 ** scale }}
                + cast({{ denominator }} as numeric(38, 3)) * 1000
            )
            / nullif(cast({{ denominator }} as numeric(38, 3)) * 2000, 0)
        )
        * cast({{ unit }} as numeric({{ precision }}, {{ scale }}))
        as numeric({{ precision }}, {{ scale }})
    )
{%- endmacro %}
