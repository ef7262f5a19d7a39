{#-
    The movements loyalty_ledger reads, from the sales facts: every
    purchase of an identified customer (earns) and every cancellation with
    product value (takes back), with the customer's loyalty tier from
    mart_top_customers. Postage, fees and adjustments are not product
    revenue and move no points. A select statement; invoices and tiers are
    the CTE names of fct_invoices and mart_top_customers.
-#}
{% macro loyalty_sales_movements(invoices, tiers) -%}
    select
        {{ invoices }}.customer_id,
        {{ invoices }}.invoice_id as movement_id,
        {{ invoices }}.invoiced_at as moved_at,
        {{ invoices }}.invoice_date as movement_date,
        {{ invoices }}.is_purchase,
        {{ invoices }}.product_amount as net_amount,
        {{ tiers }}.loyalty_tier
    from {{ invoices }}
    left join {{ tiers }}
        on {{ invoices }}.customer_id = {{ tiers }}.customer_id
    where
        {{ invoices }}.customer_id is not null
        and (
            {{ invoices }}.is_purchase
            or (
                {{ invoices }}.is_cancellation
                and {{ invoices }}.product_amount < 0
            )
        )
{%- endmacro %}
