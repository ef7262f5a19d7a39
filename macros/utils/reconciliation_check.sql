{#-
    One row of a reconciliation test: a check's name (an SQL expression),
    the expected and the actual value and the tolerance, all cast to
    numeric(28, 3) so a union of checks keeps 3 decimals on both engines,
    selected from from_clause. The test then keeps the rows where
    abs(expected - actual) > tolerance.
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
