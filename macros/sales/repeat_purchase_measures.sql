{#-
    customer_count, repeat_customer_count and repeat_rate of dim_customers rows with a
    purchase, as aggregate select-list items: the repeat-rate rule once for
    the overall, cohort and country marts. macros/_macros.yml.
-#}
{% macro repeat_purchase_measures() -%}
    {%- set is_repeat = 'case when order_count >= 2 then 1 else 0 end' -%}
    cast(count(*) as integer) as customer_count,
    cast(sum({{ is_repeat }}) as integer) as repeat_customer_count,
    {{ divide_rounded('sum(' ~ is_repeat ~ ')', 'count(*)', 4, 9) }} as repeat_rate
{%- endmacro %}
