{#-
    The order-value statistics of purchase invoices as aggregate select-list
    items (count, percentiles, mean, max, total, outliers above `threshold`),
    for the monthly and the overall distribution marts. macros/_macros.yml.
-#}
{% macro invoice_value_statistics(threshold) -%}
    {%- set is_outlier = 'case when product_amount > ' ~ threshold ~ ' then 1 else 0 end' -%}
    cast(count(*) as integer) as invoice_count,
    {% for percent in [5, 10, 25, 50, 75, 90, 95, 99] -%}
    cast({{ percentile_cont('product_amount', percent / 100) }} as numeric(18, 2))
        as p{{ percent }}_amount,
    {% endfor -%}
    cast({{ percentile_cont('product_amount', 0.5) }} as numeric(18, 2))
        as median_amount,
    {{ divide_rounded('sum(product_amount)', 'count(*)') }} as mean_amount,
    cast(max(product_amount) as numeric(18, 2)) as max_amount,
    cast(sum(product_amount) as numeric(18, 2)) as total_amount,
    cast(sum({{ is_outlier }}) as integer) as outlier_count,
    {{ divide_rounded('sum(' ~ is_outlier ~ ')', 'count(*)', 4, 9) }} as outlier_rate,
    cast(max({{ threshold }}) as numeric(18, 2)) as outlier_threshold
{%- endmacro %}
