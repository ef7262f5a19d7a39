{#-
    The margin block of a mart's final select: money measures of `relation`
    cast to numeric(18, 2), and gross_margin_rate (gross margin / net
    revenue, 0..1, 4 decimals, null without revenue), in the order asked for;
    defined once for the product, product group, location, employee and
    supplier marts. macros/_macros.yml.
-#}
{% macro margin_columns(relation=none, measures=none) -%}
    {%- set money = [
        'gross_sales', 'returned_amount', 'net_revenue', 'cost_of_goods', 'gross_margin'
    ] -%}
    {%- set known = money + ['gross_margin_rate'] -%}
    {%- set wanted = known if measures is none else measures -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {%- for name in wanted if name not in known -%}
        {{ exceptions.raise_compiler_error(
            "margin_columns: unknown measure '" ~ name ~ "' (known: " ~ known | join(', ') ~ ")"
        ) }}
    {%- endfor -%}
    {%- for name in wanted %}
    {%- if name == 'gross_margin_rate' %}
    {{ divide_rounded(prefix ~ 'gross_margin', prefix ~ 'net_revenue', 4, 9) }}
        as gross_margin_rate
    {%- else %}
    cast({{ prefix ~ name }} as numeric(18, 2)) as {{ name }}
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
