{#-
    The sales measures of fct_invoices rows as aggregate select-list items,
    defined once for every mart that reports them per period; aggregate per
    grain (distinct customers cannot be summed from days). macros/_macros.yml.
-#}
{% macro sales_measures(measures=none) -%}
    {%- set definitions = [
        ('gross_sales', 'sum(case when is_purchase then product_amount else 0 end)'),
        ('cancelled_amount', 'sum(case when is_cancellation then -product_amount else 0 end)'),
        ('net_revenue', 'sum(product_amount)'),
        ('shipping_amount', 'sum(shipping_amount)'),
        ('fee_amount', 'sum(fee_amount)'),
        ('adjustment_amount', 'sum(adjustment_amount)'),
        ('other_amount', 'sum(other_amount)'),
        ('order_count', 'sum(case when is_purchase then 1 else 0 end)'),
        ('cancelled_invoice_count', 'sum(case when is_cancellation then 1 else 0 end)'),
        ('units_sold', 'sum(case when is_purchase then units else 0 end)'),
        ('active_customer_count', 'count(distinct case when is_purchase then customer_id end)'),
    ] -%}
    {%- set known = definitions | map(attribute=0) | list -%}
    {%- set wanted = known if measures is none else measures -%}
    {%- for name in wanted if name not in known -%}
        {{ exceptions.raise_compiler_error(
            "sales_measures: unknown measure '" ~ name ~ "' (known: " ~ known | join(', ') ~ ")"
        ) }}
    {%- endfor -%}
    {%- for name, expression in definitions if name in wanted %}
    {{ expression }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
