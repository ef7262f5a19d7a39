{#-
    numerator / denominator rounded half up (towards +infinity) to `scale`
    decimals, as numeric(precision, scale); null when the denominator is 0.
    Like divide_rounded, but in whole-number arithmetic of 38 digits, so
    exact on DuckDB, PostgreSQL and Spark however large the operands (they
    may have up to 6 decimals). Why: macros/_macros.yml.
-#}
{% macro divide_rounded_exact(
    numerator, denominator, scale=2, precision=18
) -%}
    {%- set unit = '1' if scale == 0 else '0.' ~ ('0' * (scale - 1)) ~ '1' -%}
    {%- set whole_denominator -%}
        cast(
            cast({{ denominator }} as numeric(38, 6)) * 1000000
            as numeric(38, 0)
        )
    {%- endset -%}
    {%- set dividend -%}
        (
            cast(
                cast({{ numerator }} as numeric(38, 6)) * 1000000
                as numeric(38, 0)
            ) * {{ 2 * 10 ** scale }}
            + {{ whole_denominator }}
        )
    {%- endset -%}
    {%- set divisor -%}
        ({{ whole_denominator }} * 2)
    {%- endset -%}
    case
        when cast({{ denominator }} as numeric(38, 6)) <> 0
            then cast(
                {{ exact_quotient(
                    '(' ~ dividend ~ ' - ((' ~ dividend ~ ' % ' ~ divisor
                    ~ ') + ' ~ divisor ~ ') % ' ~ divisor ~ ')',
                    divisor
                ) }}
                * cast({{ unit }} as numeric({{ precision }}, {{ scale }}))
                as numeric({{ precision }}, {{ scale }})
            )
    end
{%- endmacro %}

{#- dividend / divisor for a dividend that is a whole multiple of the divisor
    (both numeric(38, 0)), as numeric(38, 0). -#}
{% macro exact_quotient(dividend, divisor) -%}
    {{ return(adapter.dispatch('exact_quotient', 'retail_warehouse')(
        dividend, divisor
    )) }}
{%- endmacro %}

{#- PostgreSQL's numeric and Spark's decimal divide exactly. -#}
{% macro default__exact_quotient(dividend, divisor) -%}
    cast(({{ dividend }}) / ({{ divisor }}) as numeric(38, 0))
{%- endmacro %}

{#- DuckDB divides decimals in double precision; its hugeint division is
    exact (it truncates, and there is nothing to truncate). -#}
{% macro duckdb__exact_quotient(dividend, divisor) -%}
    cast(
        cast(({{ dividend }}) as hugeint) // cast(({{ divisor }}) as hugeint)
        as numeric(38, 0)
    )
{%- endmacro %}
