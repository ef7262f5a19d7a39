{#-
    One row of a reconciliation test: check name, expected, actual and
    tolerance as numeric(28, 3); the test keeps rows off by more than the
    tolerance.
-#}
{% macro reconciliation_check(
    check_name, expected, actual, from_clause, tolerance='0'
) -%}
    select
        {{ check_name }} as check_name,
        cast({{ expected }} as numeric(28, 3)) as expected,
        cast({{ actual }} as numeric(28, 3)) as actual,
        cast({{ tolerance }} as numeric(28, 3)) as tolerance
    from {{ from_clause }}
{%- endmacro %}
