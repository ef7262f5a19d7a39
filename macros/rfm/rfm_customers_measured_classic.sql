{#-
    The RFM measurement step of the classic notebook recipe, one select: per
    period and identified customer, recency, frequency and monetary of their
    lines with positive quantity and positive price. macros/_macros.yml.
-#}
{% macro rfm_customers_measured_classic(lines, periods) -%}
    select
        {{ periods }}.reference_date,
        {{ periods }}.window_start_date,
        {{ lines }}.customer_id,
        min({{ lines }}.invoice_date) as first_purchase_date,
        max({{ lines }}.invoice_date) as last_purchase_date,
        cast(
            {{ dbt.datediff(
                'max(' ~ lines ~ '.invoice_date)', periods ~ '.reference_date', 'day'
            ) }}
            as integer
        ) as recency_days,
        cast(count(distinct {{ lines }}.invoice_id) as integer) as frequency,
        cast(
            sum({{ lines }}.quantity * {{ lines }}.unit_price) as numeric(18, 2)
        ) as monetary
    from {{ periods }}
    inner join {{ lines }}
        on
            {{ lines }}.invoice_date < {{ periods }}.reference_date
            and (
                {{ periods }}.window_start_date is null
                or {{ lines }}.invoice_date >= {{ periods }}.window_start_date
            )
    where
        {{ lines }}.customer_id is not null
        and {{ lines }}.quantity > 0
        and {{ lines }}.unit_price > 0
    group by
        {{ periods }}.reference_date,
        {{ periods }}.window_start_date,
        {{ lines }}.customer_id
{%- endmacro %}
