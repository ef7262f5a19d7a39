{#-
    The RFM measurement step, one select: per period and identified customer,
    recency, frequency and monetary of their sales and cancellations before
    the period's reference date (and from its window start). macros/_macros.yml.
-#}
{% macro rfm_customers_measured(invoices, periods) -%}
    {%- set last_purchase_date -%}
        max(case when {{ invoices }}.is_purchase then {{ invoices }}.invoice_date end)
    {%- endset -%}
    {%- set purchase_count -%}
        sum(case when {{ invoices }}.is_purchase then 1 else 0 end)
    {%- endset -%}
    select
        {{ periods }}.reference_date,
        {{ periods }}.window_start_date,
        {{ invoices }}.customer_id,
        min(
            case when {{ invoices }}.is_purchase then {{ invoices }}.invoice_date end
        ) as first_purchase_date,
        {{ last_purchase_date }} as last_purchase_date,
        cast(
            {{ dbt.datediff(last_purchase_date, periods ~ '.reference_date', 'day') }}
            as integer
        ) as recency_days,
        cast({{ purchase_count }} as integer) as frequency,
        cast(sum({{ invoices }}.product_amount) as numeric(18, 2)) as monetary
    from {{ periods }}
    inner join {{ invoices }}
        on
            {{ invoices }}.invoice_date < {{ periods }}.reference_date
            and (
                {{ periods }}.window_start_date is null
                or {{ invoices }}.invoice_date >= {{ periods }}.window_start_date
            )
    where
        {{ invoices }}.customer_id is not null
        and {{ invoices }}.invoice_kind in ('sale', 'cancellation')
    group by
        {{ periods }}.reference_date,
        {{ periods }}.window_start_date,
        {{ invoices }}.customer_id
    having {{ purchase_count }} > 0
{%- endmacro %}
