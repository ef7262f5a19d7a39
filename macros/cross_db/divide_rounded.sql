{#-
    numerator / denominator rounded half up (towards +infinity) to `scale`
    decimals, as numeric(precision, scale); null when the denominator is 0.
    Identical on DuckDB and PostgreSQL. A plain cast(a / b as numeric) is
    not: DuckDB divides decimals in double precision, so a quotient that is
    exactly half a unit (1181.235) can land just below it and round down,
    while PostgreSQL's exact numeric rounds it up.

    Both operands are first scaled to whole numbers (they have at most 3
    decimals: money is exact to 3 places, counts are integers), so the
    division below is of two integers that double precision holds exactly,
    and floor((2 * n * 10^s + d) / (2 * d)) = floor(n / d * 10^s + 1/2) is
    exact whenever the true value is a whole number of units.
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
