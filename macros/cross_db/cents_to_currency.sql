{#-
    Whole cents (text or integer) as currency units, exactly: the cents as
    numeric(18, 0) times 0.01, never a floating-point division.
-#}
{% macro cents_to_currency(cents) -%}
    cast(
        cast(cast({{ cents }} as bigint) as numeric(18, 0))
        * cast(0.01 as numeric(3, 2))
        as numeric(18, 2)
    )
{%- endmacro %}
