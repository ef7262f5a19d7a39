{#-
    numerator / denominator of two whole numbers (counts, or products of
    counts) that are never negative, rounded half up to `scale` decimals, as
    numeric(precision, scale); null when the denominator is 0. Exact on every
    engine for any operands, by integer division of bigints (why not
    divide_rounded: macros/_macros.yml): 2 x numerator x 10^scale +
    denominator must stay below 2^63.
-#}
{% macro divide_counts_rounded(numerator, denominator, scale=4, precision=18) -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ ('0' * (scale - 1)) ~ '1' -%}
    cast(
        cast(
            {{ whole_divide(
                'cast(' ~ numerator ~ ' as bigint) * ' ~ 2 * 10 ** scale
                ~ ' + cast(' ~ denominator ~ ' as bigint)',
                'nullif(cast(' ~ denominator ~ ' as bigint), 0) * 2'
            ) }}
            as numeric({{ precision }}, 0)
        )
        * cast({{ unit }} as numeric({{ precision }}, {{ scale }}))
        as numeric({{ precision }}, {{ scale }})
    )
{%- endmacro %}
