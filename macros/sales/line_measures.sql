{#-
    The sales measures of fct_invoice_lines rows (invoice_kind, line_amount,
    cost_amount) as aggregate select-list items, in the order asked for;
    defined once for the location, employee, supplier, profitability and
    returns marts.
    The invoice-grain twin is sales_measures. macros/_macros.yml.
-#}
{% macro line_measures(measures) -%}
    {%- set definitions = {
        'order_count': "count(distinct case when invoice_kind = 'sale' then invoice_id end)",
        'customer_count': "count(distinct case when invoice_kind = 'sale' then customer_id end)",
        'units_sold': "sum(case when invoice_kind = 'sale' then quantity else 0 end)",
        'gross_sales': "sum(case when invoice_kind = 'sale' then line_amount else 0 end)",
        'returned_amount': "sum(case when invoice_kind = 'cancellation' then -line_amount else 0 end)",
        'units_returned': "sum(case when invoice_kind = 'cancellation' then -quantity else 0 end)",
        'return_line_count': "sum(case when invoice_kind = 'cancellation' then 1 else 0 end)",
        'return_customer_count': "count(distinct case when invoice_kind = 'cancellation' then customer_id end)",
        'net_revenue': 'sum(line_amount)',
        'cost_of_goods': 'sum(cost_amount)',
        'gross_margin': 'sum(line_amount - cost_amount)',
    } -%}
    {%- for name in measures if name not in definitions -%}
        {{ exceptions.raise_compiler_error(
            "line_measures: unknown measure '" ~ name ~ "' (known: " ~ definitions | list | join(', ') ~ ")"
        ) }}
    {%- endfor -%}
    {%- for name in measures %}
    {{ definitions[name] }} as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
