{#-
    A select of the whole numbers 0 .. 10^digits - 1 as column n, from
    cross-joined digits: a row generator written the same on DuckDB and
    PostgreSQL (no generate_series, no recursive CTE).
-#}
{% macro whole_numbers(digits=3) -%}
    select
        {% for position in range(digits) -%}
        digit_{{ position }}.n * {{ 10 ** position }}
        {%- if not loop.last %} + {% endif %}
        {%- endfor %} as n
    from
        {% for position in range(digits) -%}
        (
            {% for digit in range(10) -%}
            select {{ digit }} as n
            {%- if not loop.last %} union all {% endif %}
            {%- endfor %}
        ) as digit_{{ position }}
        {%- if not loop.last %} cross join {% endif %}
        {% endfor %}
{%- endmacro %}
